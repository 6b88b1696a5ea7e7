"""The knowledge base is complete in every language, valid against its schema, and says what it must say."""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path

import jsonschema
import pytest
from rich.cells import cell_len

from sipscope.analysis.findings import FINDINGS
from sipscope.knowledge import CLASS_NAMES, ENGLISH, LANGUAGES, Knowledge, UnknownEntry, _texts, registered_codes
from sipscope.report import cards
from sipscope.sip.defects import DEFECTS

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
GOLDEN = Path(__file__).resolve().parent / "golden"
# The IANA SIP response-code registry (https://www.iana.org/assignments/sip-parameters), as the issue lists it.
IANA_CODES = [
    100, 180, 181, 182, 183, 199, 200, 202, 204, 300, 301, 302, 305, 380,
    400, 401, 402, 403, 404, 405, 406, 407, 408, 410, 412, 413, 414, 415, 416, 417, 420, 421, 422, 423, 424, 425,
    428, 429, 430, 433, 436, 437, 438, 439, 440, 469, 470, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 491,
    493, 494, 500, 501, 502, 503, 504, 505, 513, 555, 580, 600, 603, 604, 606, 607, 608,
]
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b|\?\?\?", re.I)
OTHER_LANGUAGES = [language for language in LANGUAGES if language != ENGLISH]


def _data_files() -> list[Path]:
    return sorted(p for p in KNOWLEDGE.rglob("*.json") if p.name != "schema.json")


def _placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name}


def _all_texts(entry: dict):
    for value in entry.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _all_texts(value)
        elif isinstance(value, list):
            yield from (item for item in value if isinstance(item, str))


# -- shape -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", _data_files(), ids=lambda p: str(p.relative_to(KNOWLEDGE)))
def test_every_data_file_validates_against_the_schema(path):
    schema = json.loads((KNOWLEDGE / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(path.read_text(encoding="utf-8")))


def test_the_schema_rejects_an_entry_without_its_fix():
    schema = json.loads((KNOWLEDGE / "schema.json").read_text(encoding="utf-8"))
    entry = {"title": "Not Found", "description": "No such user here.", "when_seen": "Often.", "differs": "Not 480."}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"kind": "responses", "entries": {"404": entry}})


def test_the_registry_holds_exactly_the_iana_codes():
    assert registered_codes() == IANA_CODES


# -- completeness --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_finding_and_defect_has_every_field(language):
    texts = _texts(language)
    assert set(texts["responses"]) == {str(code) for code in IANA_CODES} | set(CLASS_NAMES)
    assert set(texts["findings"]) == set(FINDINGS)
    assert set(texts["defects"]) == set(DEFECTS)
    english = _texts(ENGLISH)
    for code, entry in texts["responses"].items():
        assert set(entry) == set(english["responses"][code]), code
        for method, variant in entry.get("methods", {}).items():
            assert set(variant) == set(english["responses"][code]["methods"][method]), (code, method)
    assert set(texts["comparisons"]) == set(english["comparisons"])
    assert set(texts["labels"]) == set(english["labels"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_a_placeholder_or_an_untranslated_copy(language):
    texts, english = _texts(language), _texts(ENGLISH)
    for kind in ("responses", "findings", "defects", "comparisons"):
        for key, entry in texts[kind].items():
            for text in _all_texts(entry):
                assert not PLACEHOLDER.search(text), (kind, key, text)
                assert "{" not in text and "}" not in text, (kind, key, text)
            if language != ENGLISH:
                own = [t for t in _all_texts(entry) if len(t) > 40]
                copied = set(own) & set(_all_texts(english[kind][key]))
                assert not copied, (kind, key, copied)
    for key, text in texts["labels"].items():
        assert _placeholders(text) == _placeholders(english["labels"][key]), key
        assert not PLACEHOLDER.search(text), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_declares_its_writing_direction(language):
    assert Knowledge(language).direction == ("rtl" if language == "ar" else "ltr")


# -- the facts the product was specified with ------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_seed_facts_are_there_in_every_language(language):
    knowledge = Knowledge(language)
    answered = knowledge.response(200, "INVITE")
    assert answered.key == "200/INVITE" and "ACK" in answered.texts["fix"] + answered.texts["description"]
    accepted = knowledge.response(202, "REFER")
    assert accepted.key == "202/REFER" and "NOTIFY" in accepted.texts["fix"]
    assert "REFER" in " ".join(knowledge.response(202).texts.values())
    for code in (301, 302):
        assert "Contact" in " ".join(knowledge.response(code).texts.values()), code
    assert "480" in " ".join(knowledge.response(404).texts.values())
    assert "404" in " ".join(knowledge.response(410).texts.values())


def test_seed_facts_in_english_say_what_the_specification_says():
    knowledge = Knowledge("en")
    ok = knowledge.response(200)
    assert re.search(r"succeed", ok.texts["description"], re.I)
    assert re.search(r"regist", ok.texts["when_seen"], re.I) and re.search(r"subscri", ok.texts["when_seen"], re.I)
    invite = knowledge.response(200, "INVITE")
    assert re.search(r"answer", invite.texts["description"], re.I)
    assert re.search(r"three-way handshake", invite.texts["fix"] + invite.texts["description"], re.I)
    refer = knowledge.response(202, "REFER")
    assert re.search(r"not (yet )?(done|finished|complete)", " ".join(refer.texts.values()), re.I)
    assert re.search(r"subscription", refer.texts["fix"], re.I)
    assert re.search(r"permanent|for good", " ".join(knowledge.response(301).texts.values()), re.I)
    moved = " ".join(knowledge.response(302).texts.values())
    assert re.search(r"temporar|for now", moved, re.I) and re.search(r"original", moved, re.I)
    assert re.search(r"does not exist|unknown", knowledge.response(404).texts["description"], re.I)
    assert re.search(r"existed|once", " ".join(knowledge.response(410).texts.values()), re.I)


# -- lookups ---------------------------------------------------------------------------------------------------
def test_a_code_outside_the_registry_gets_its_class_entry_marked_unregistered():
    entry = Knowledge("en").response(477)
    assert (entry.key, entry.registered, entry.code, entry.reason) == ("4xx", False, 477, None)
    assert Knowledge("en").response(299).key == "2xx"


def test_a_method_without_a_variant_gets_the_code_entry():
    assert Knowledge("en").response(404, "OPTIONS").key == "404"
    assert Knowledge("en").response(481, "bye").key == "481/BYE"


def test_lookup_takes_codes_finding_ids_and_defect_ids():
    knowledge = Knowledge("fr")
    assert knowledge.lookup("ack.missing").kind == "finding"
    assert knowledge.lookup("sip.cseq.invalid").severity == DEFECTS["sip.cseq.invalid"][0]
    for name in ("99", "700", "no.such.thing", ""):
        with pytest.raises(UnknownEntry):
            knowledge.lookup(name)


def test_a_missing_translation_falls_back_to_english_visibly(monkeypatch):
    french = _texts("fr")
    entry = dict(french["responses"]["404"])
    del entry["fix"]
    monkeypatch.setitem(french["responses"], "404", entry)
    card = Knowledge("fr").response(404)
    assert card.untranslated == ["fix"]
    assert card.texts["fix"] == _texts(ENGLISH)["responses"]["404"]["fix"]
    text = cards.render_text(cards.explain_card(card, Knowledge("fr"), 80), 80)
    assert Knowledge("fr").label("card.untranslated") in text


def test_compare_uses_the_written_comparison_or_builds_one_from_the_entries():
    knowledge = Knowledge("en")
    written = knowledge.compare(480, 404)
    assert (written.first.code, written.second.code, written.written) == (404, 480, True)
    built = knowledge.compare(404, 503)
    assert not built.written
    assert built.classes == knowledge.label("compare.pair.4xx.5xx", a=404, b=503)
    assert built.differences[0] == built.classes and len(built.when) == 2


# -- golden cards ----------------------------------------------------------------------------------------------
GOLDEN_CASES = [("explain", "404", None), ("explain", "200", "INVITE"), ("explain", "202", "REFER"),
                ("explain", "ack.missing", None), ("compare", "404 480", None), ("compare", "183 503", None)]


def _card(language: str, command: str, argument: str, method: str | None) -> str:
    knowledge = Knowledge(language)
    if command == "explain":
        return cards.render_text(cards.explain_card(knowledge.lookup(argument, method), knowledge, 80), 80)
    first, second = (int(code) for code in argument.split())
    return cards.render_text(cards.compare_card(knowledge.compare(first, second), knowledge, 80), 80)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("command, argument, method", GOLDEN_CASES)
def test_cards_match_their_golden_text_at_80_columns(language, command, argument, method):
    name = f"{command}-{argument.replace(' ', '-')}{'-' + method if method else ''}.{language}.txt"
    text = _card(language, command, argument, method)
    path = GOLDEN / name
    if os.environ.get("SIPSCOPE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert all(cell_len(line) <= 80 for line in text.splitlines())  # terminal columns, not characters


# -- the commands ----------------------------------------------------------------------------------------------
def test_explain_json_gives_the_entry_the_analysis_uses(capsys):
    from sipscope.cli import main

    assert main(["explain", "481", "--method", "bye", "--lang", "ru", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == Knowledge("ru").response(481, "BYE").as_dict()
    assert (data["key"], data["code"], data["class"], data["method"], data["language"]) == \
        ("481/BYE", 481, "4xx", "BYE", "ru")
    assert {"title", "description", "when_seen", "fix", "references"} <= set(data)


def test_explain_and_compare_refuse_what_they_do_not_know(capsys):
    from sipscope.cli import main

    assert main(["explain", "999"]) == 2
    assert main(["explain", "no.such.finding"]) == 2
    assert main(["compare", "404", "ack.missing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


def test_compare_json_orders_the_codes_and_says_whether_the_comparison_was_written(capsys):
    from sipscope.cli import main

    assert main(["compare", "480", "404", "--json", "--lang", "ja"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["first"]["code"], data["second"]["code"], data["written"], data["language"]) == (404, 480, True, "ja")
    assert data["differences"] == _texts("ja")["comparisons"]["404-480"]["differences"]
