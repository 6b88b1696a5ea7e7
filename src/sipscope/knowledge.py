"""The knowledge base: what every SIP response code, analysis finding and message defect means, when it shows up
and what to do about it, in English, French, Arabic, Russian and Japanese.

The data is the repository's top-level ``knowledge/`` folder, installed as the package ``sipscope.knowledge_base``;
``knowledge/README.md`` describes it. English is the source. A text another language lacks is given in English and
named in ``Entry.untranslated``, so that a card can say so instead of passing English off as a translation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

LANGUAGES = ("en", "fr", "ar", "ru", "ja")
ENGLISH = "en"
CLASS_NAMES = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
RESPONSE_FIELDS = ("description", "when_seen", "fix", "differs")
ISSUE_FIELDS = ("description", "impact", "causes", "fix")


class UnknownEntry(LookupError):
    """Neither a response code (100-699) nor a finding or defect id the knowledge base has."""


@dataclass
class Entry:
    """One card's content: a response code (for a method, when its meaning depends on it), a finding or a defect."""

    key: str
    """``404``, ``202/REFER``, ``4xx`` (a code outside the registry), ``ack.missing``, ``sip.cseq.invalid``."""
    kind: str
    """``response``, ``finding`` or ``defect``."""
    title: str
    texts: dict[str, str]
    """``description``, ``when_seen``, ``fix``, ``differs`` for a response; ``description``, ``impact``,
    ``causes``, ``fix`` for a finding or a defect."""
    code: int | None = None
    method: str | None = None
    reason: str | None = None
    """The IANA reason phrase (responses in the registry)."""
    references: list[str] = field(default_factory=list)
    registered: bool = True
    severity: str | None = None
    """A finding's or a defect's severity."""
    language: str = ENGLISH
    untranslated: list[str] = field(default_factory=list)
    """The fields (``title`` included) given in English because the language has no text for them."""

    @property
    def response_class(self) -> str | None:
        return None if self.code is None else f"{self.code // 100}xx"

    def as_dict(self) -> dict:
        """The entry as the analysis's JSON and ``explain --json`` give it."""
        data = {"key": self.key, "kind": self.kind, "code": self.code if self.kind == "response" else self.key}
        if self.kind == "response":
            data.update({"class": self.response_class, "method": self.method, "reason": self.reason,
                         "registered": self.registered})
        else:
            data["severity"] = self.severity
        data["title"] = self.title
        data.update(self.texts)
        data.update({"references": self.references, "language": self.language, "untranslated": self.untranslated})
        return data


@dataclass
class Comparison:
    """A comparison card of two response codes."""

    first: Entry
    second: Entry
    classes: str
    """One sentence on how the two differ by class."""
    differences: list[str]
    when: list[str]
    """When to expect which: complete sentences, or each code's own ``when_seen`` when no comparison was written."""
    written: bool
    """Whether the differences were written for this pair (otherwise they come from the classes and the entries)."""
    untranslated: bool = False


class Knowledge:
    """The knowledge base in one language (``LANGUAGES``)."""

    def __init__(self, language: str = ENGLISH):
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
        self.language = language
        self._texts = _texts(language)
        self._english = _texts(ENGLISH)

    # -- entries -------------------------------------------------------------------------------------------
    def lookup(self, name: str, method: str | None = None) -> Entry:
        """The entry for ``name``: a response code (``"404"``), a finding id or a defect id."""
        if name.isdigit():
            return self.response(int(name), method)
        for kind in ("findings", "defects"):
            if name in self._english[kind]:
                return self._issue(kind, name)
        raise UnknownEntry(name)

    def response_key(self, code: int, method: str | None = None) -> str | None:
        """The key of ``response(code, method)`` without building the entry (the analysis asks it of every
        response), or None for a status outside 100-699."""
        return _response_key(code, method.upper() if method else None) if 100 <= code <= 699 else None

    def response(self, code: int, method: str | None = None) -> Entry:
        """The entry for a response code, for the request's ``method`` when its meaning depends on it; a code
        outside the registry gets its class's entry, marked as unregistered."""
        if not 100 <= code <= 699:
            raise UnknownEntry(str(code))
        facts = _registry().get(code)
        key = _response_key(code, method.upper() if method else None)
        name, _slash, variant = key.partition("/")
        english = self._english["responses"].get(name)
        if english is None:  # only when the data files are damaged: the tests check they are complete
            raise UnknownEntry(str(code))
        untranslated: list[str] = []
        own = self._texts["responses"].get(name, {})
        title = _pick(own, english, "title", untranslated)
        texts = {}
        for text in RESPONSE_FIELDS:
            if variant and text in english["methods"][variant]:
                texts[text] = _pick(own.get("methods", {}).get(variant, {}), english["methods"][variant], text,
                                    untranslated)
            else:
                texts[text] = _pick(own, english, text, untranslated)
        return Entry(
            key=key, kind="response", title=title, texts=texts, code=code,
            method=variant or None, reason=facts["reason"] if facts else None,
            references=list(facts["references"]) if facts else [], registered=facts is not None,
            language=self.language, untranslated=untranslated,
        )

    def finding(self, finding_id: str) -> Entry:
        return self._issue("findings", finding_id)

    def _issue(self, kind: str, name: str) -> Entry:
        english = self._english[kind].get(name)
        if english is None:
            raise UnknownEntry(name)
        own = self._texts[kind].get(name, {})
        untranslated: list[str] = []
        title = _pick(own, english, "title", untranslated)
        texts = {text: _pick(own, english, text, untranslated) for text in ISSUE_FIELDS}
        return Entry(key=name, kind=kind[:-1], title=title, texts=texts, severity=_severity(kind, name),
                     language=self.language, untranslated=untranslated)

    # -- labels and comparisons ----------------------------------------------------------------------------
    @property
    def direction(self) -> str:
        return self._texts["direction"]

    def label(self, key: str, **values) -> str:
        """A heading or a sentence of this language (English when it has none), with ``values`` put in."""
        text = self._texts["labels"].get(key) or self._english["labels"][key]
        return text.format(**values) if values else text

    def compare(self, first: int, second: int) -> Comparison:
        """Two response codes compared: lower code first."""
        a, b = sorted((self.response(first), self.response(second)), key=lambda e: e.code)
        class_a, class_b = a.response_class, b.response_class
        if class_a == class_b:
            classes = self.label(f"compare.same.{class_a}", a=a.code, b=b.code)
        else:
            classes = self.label(f"compare.pair.{class_a}.{class_b}", a=a.code, b=b.code)
        pair = f"{a.code}-{b.code}"
        english = self._english["comparisons"].get(pair)
        if english is not None:
            own = self._texts["comparisons"].get(pair)
            chosen = own or english
            return Comparison(a, b, classes, list(chosen["differences"]), list(chosen["when"]), True,
                              untranslated=own is None and self.language != ENGLISH)
        # No comparison written for this pair: what each entry says sets it apart, after the classes.
        differences = [classes] if class_a != class_b else []
        differences += [f"{a.code} {a.title}: {a.texts['differs']}", f"{b.code} {b.title}: {b.texts['differs']}"]
        when = [f"{a.code} {a.title}: {a.texts['when_seen']}", f"{b.code} {b.title}: {b.texts['when_seen']}"]
        return Comparison(a, b, classes, differences, when, False,
                          untranslated=bool(a.untranslated or b.untranslated))


@lru_cache(maxsize=4096)
def _response_key(code: int, method: str | None) -> str:
    """``404``, ``202/REFER`` (when the entry has a text for that method), or ``4xx`` outside the registry."""
    name = str(code) if code in _registry() else f"{code // 100}xx"
    methods = _texts(ENGLISH)["responses"].get(name, {}).get("methods", {})
    return f"{name}/{method}" if method in methods else name


def _pick(own: dict, english: dict, name: str, untranslated: list[str]) -> str:
    text = own.get(name)
    if text:
        return text
    if english is not own:
        untranslated.append(name)
    return english[name]


def _severity(kind: str, name: str) -> str | None:
    if kind == "findings":
        from .analysis.findings import FINDINGS

        return FINDINGS[name][0] if name in FINDINGS else None
    from .sip.defects import DEFECTS

    return DEFECTS[name][0] if name in DEFECTS else None


# -- the data files ------------------------------------------------------------------------------------------
def _root():
    return files("sipscope.knowledge_base")


def _json_files(folder) -> list[dict]:
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.iterdir(), key=lambda p: p.name)
            if path.name.endswith(".json")]


@lru_cache(maxsize=None)
def _registry() -> dict[int, dict]:
    """Code -> {"reason", "references"}: the IANA registry's facts."""
    merged: dict[int, dict] = {}
    for data in _json_files(_root() / "registry"):
        merged.update({int(code): facts for code, facts in data["responses"].items()})
    return merged


@lru_cache(maxsize=None)
def _texts(language: str) -> dict:
    """One language's texts: responses, findings, defects, comparisons, labels and direction."""
    folder = _root() / language
    texts: dict = {"responses": {}, "findings": {}, "defects": {}, "comparisons": {}, "labels": {},
                   "direction": "ltr"}
    for kind in ("responses", "findings", "defects"):
        for data in _json_files(folder / kind):
            texts[kind].update(data["entries"])
    for name, kind in (("comparisons.json", "comparisons"), ("labels.json", "labels")):
        path = folder / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            texts[kind] = data.get("entries") or data.get("labels") or {}
            if kind == "labels":
                texts["direction"] = data["direction"]
                texts["language"] = data["language"]
    return texts


def registered_codes() -> list[int]:
    """Every code of the registry, in order."""
    return sorted(_registry())
