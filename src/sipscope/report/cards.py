"""``sipscope explain`` and ``sipscope compare``: knowledge-base cards for the terminal, and as JSON.

The cards are built from ``rich`` Text objects, never from markup strings, so nothing in a text can turn into
styling; rich wraps the paragraphs to the terminal's width, counting the double width of Japanese characters.
"""

from __future__ import annotations

import io
import re

from rich.console import Console, Group
from rich.text import Text

from ..knowledge import Comparison, Entry, Knowledge

_REFERENCE = re.compile(r"RFC (\d+)(?: section ([\d.]+))?")
HEADINGS = {"description": "card.description", "when_seen": "card.when_seen", "fix": "card.fix",
            "differs": "card.differs", "impact": "card.impact", "causes": "card.causes"}


INDENT = 2


def explain_card(entry: Entry, knowledge: Knowledge, width: int) -> Group:
    """The card of one entry, its paragraphs wrapped to ``width`` columns."""
    indented = _indenter(width)
    parts = [Text(_title(entry), style="bold")]
    facts = _facts(entry, knowledge)
    if facts:
        parts.append(Text(facts))
    if not entry.registered:
        parts.append(Text(knowledge.label("card.unregistered"), style="italic"))
    for name, text in entry.texts.items():
        parts += _section(knowledge, indented, HEADINGS[name], text, name in entry.untranslated)
    if entry.references:
        parts += [Text(), Text(knowledge.label("card.learn_more"), style="bold")]
        parts += [indented(f"{reference}: {_link(reference)}") for reference in entry.references]
    return Group(*parts)


def compare_card(comparison: Comparison, knowledge: Knowledge, width: int) -> Group:
    """The comparison card, its paragraphs wrapped to ``width`` columns."""
    indented = _indenter(width)
    a, b = comparison.first, comparison.second
    parts = [Text(knowledge.label("compare.title", a=_title(a), b=_title(b)), style="bold")]
    if comparison.untranslated:
        parts.append(Text(knowledge.label("card.untranslated"), style="italic"))
    parts += _section(knowledge, indented, "compare.classes", comparison.classes, False)
    for entry in (a, b):
        parts += [Text(), Text(_title(entry), style="bold underline")]
        for name in ("description", "when_seen", "fix"):
            parts += _section(knowledge, indented, HEADINGS[name], entry.texts[name], name in entry.untranslated,
                              blank=False)
    parts += [Text(), Text(knowledge.label("compare.key_differences"), style="bold")]
    parts += [indented(text, number=n) for n, text in enumerate(comparison.differences, 1)]
    parts += [Text(), Text(knowledge.label("compare.when"), style="bold")]
    parts += [indented(text) for text in comparison.when]
    return Group(*parts)


def comparison_dict(comparison: Comparison, knowledge: Knowledge) -> dict:
    return {
        "first": comparison.first.as_dict(), "second": comparison.second.as_dict(), "classes": comparison.classes,
        "differences": comparison.differences, "when": comparison.when, "written": comparison.written,
        "language": knowledge.language, "untranslated": comparison.untranslated,
    }


def render_text(card: Group, width: int) -> str:
    """The card as plain text (what the golden tests compare)."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False, emoji=False).print(card)
    return out.getvalue()


def _title(entry: Entry) -> str:
    if entry.kind == "response":
        return f"{entry.code} {entry.title}"
    return f"{entry.key}: {entry.title}"


def _facts(entry: Entry, knowledge: Knowledge) -> str:
    if entry.kind == "response":
        facts = [knowledge.label(f"class.{entry.response_class}")]
        if entry.method:
            facts.append(knowledge.label("card.method", method=entry.method))
        if entry.references:
            facts.append(f"{knowledge.label('card.references')}: {', '.join(entry.references)}")
        return " | ".join(facts)
    kind = knowledge.label("card.finding" if entry.kind == "finding" else "card.defect")
    if entry.severity:
        return f"{kind} | {knowledge.label('card.severity')}: {knowledge.label('severity.' + entry.severity)}"
    return kind


def _section(knowledge: Knowledge, indented, heading: str, text: str, untranslated: bool, blank: bool = True) -> list:
    parts = [Text()] if blank else []
    parts.append(Text(knowledge.label(heading), style="bold"))
    if untranslated:
        parts.append(indented(knowledge.label("card.untranslated"), "italic"))
    parts.append(indented(text))
    return parts


def _indenter(width: int):
    """A function that wraps a paragraph to ``width`` columns, indented (rich's own padding would fill every
    line with spaces up to the width)."""
    measure = Console(width=width, color_system=None)

    def indented(text: str, style: str = "", number: int | None = None) -> Text:
        """``text`` wrapped and indented; numbered (``1. ``), its lines hang under the text."""
        mark = "" if number is None else f"{number}. "
        lines = Text(text, style=style).wrap(measure, max(width - INDENT - len(mark), 20))
        for line in lines:
            line.rstrip()
        firsts = [" " * INDENT + mark] + [" " * (INDENT + len(mark))] * (len(lines) - 1)
        return Text("\n").join(Text(first) + line for first, line in zip(firsts, lines))

    return indented


def _link(reference: str) -> str:
    match = _REFERENCE.match(reference)
    if match is None:
        return reference
    number, section = match.groups()
    return f"https://www.rfc-editor.org/rfc/rfc{number}" + (f"#section-{section}" if section else "")
