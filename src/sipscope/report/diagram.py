"""One call's ladder as diagram text: a Mermaid or a PlantUML sequence diagram.

Text from packets is written with every character outside a small safe set as a numeric character reference
(``#60;`` in Mermaid, ``&#60;`` in PlantUML): neither tool then sees a statement separator, a comment, markup or a
link in it, and the diagram still shows the text as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ladder import Ladder

_SAFE = re.compile(r"[^A-Za-z0-9 .,:_+=@()\[\]!?'-]")


def _escaped(text: str, template: str) -> str:
    return _SAFE.sub(lambda match: template.format(ord(match.group())), text)


def _label(arrow) -> str:
    return f"{arrow.label}{' (resent)' if arrow.again else ''} (frame {arrow.frame}, +{arrow.after:.3f} s)"


def _finding(finding) -> str:
    return f"{finding.severity} {finding.id}: {finding.summary}"


@dataclass(frozen=True)
class _Dialect:
    """How one diagram language writes each part of a ladder."""

    start: str
    end: str | None
    indent: str
    reference: str
    """A numeric character reference, ``{}`` being the code point."""
    line_break: str
    participant: str
    request: str
    response: str
    arrow: str
    note: str
    separator: str
    """Between the endpoints of a note."""


MERMAID = _Dialect("sequenceDiagram", None, "    ", "#{};", "<br/>", "participant E{n} as {name}", "->>", "-->>",
                   "E{source}{shape}E{target}: {label}", "Note over {ends}: {text}", ",")
PLANTUML = _Dialect("@startuml", "@enduml", "", "&#{};", "\\n", 'participant "{name}" as E{n}', "->", "-->",
                    "E{source} {shape} E{target} : {label}", "note over {ends} : {text}", ", ")


def _diagram(ladder: Ladder, dialect: _Dialect) -> str:
    """Requests as solid arrows, responses dotted, each finding as a note over the message it is about."""

    def text(value: str) -> str:
        return _escaped(value, dialect.reference)

    def note(ends, finding) -> str:
        return dialect.indent + dialect.note.format(ends=dialect.separator.join(f"E{n}" for n in ends),
                                                    text=text(_finding(finding)))

    lines = [dialect.start, f"{dialect.indent}title {text('Call-ID ' + ladder.call_id)}"]
    for n, endpoint in enumerate(ladder.endpoints):
        name = text(endpoint.address) + (dialect.line_break + text(endpoint.agent) if endpoint.agent else "")
        lines.append(dialect.indent + dialect.participant.format(n=n, name=name))
    for arrow in ladder.arrows:
        shape = dialect.request if arrow.is_request else dialect.response
        lines.append(dialect.indent + dialect.arrow.format(source=arrow.source, shape=shape, target=arrow.target,
                                                           label=text(_label(arrow))))
        lines.extend(note(sorted({arrow.source, arrow.target}), finding) for finding in arrow.findings)
    lines.extend(note([0], finding) for finding in ladder.unplaced)
    if dialect.end:
        lines.append(dialect.end)
    return "\n".join(lines) + "\n"


def mermaid(ladder: Ladder) -> str:
    """A Mermaid ``sequenceDiagram``."""
    return _diagram(ladder, MERMAID)


def plantuml(ladder: Ladder) -> str:
    """A PlantUML ``@startuml`` sequence diagram."""
    return _diagram(ladder, PLANTUML)
