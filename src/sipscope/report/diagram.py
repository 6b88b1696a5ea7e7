"""One call's ladder as diagram text: a Mermaid or a PlantUML sequence diagram.

Text from packets is written with every character outside a small safe set as a numeric character reference
(``#60;`` in Mermaid, ``&#60;`` in PlantUML): neither tool then sees a statement separator, a comment, markup or a
link in it, and the diagram still shows the text as it was.
"""

from __future__ import annotations

import re

from .ladder import Ladder

_SAFE = re.compile(r"[^A-Za-z0-9 .,:_+=@()\[\]!?'-]")


def _escaped(text: str, template: str) -> str:
    return _SAFE.sub(lambda match: template.format(ord(match.group())), text)


def _label(arrow) -> str:
    return f"{arrow.label}{' (resent)' if arrow.again else ''} (frame {arrow.frame}, +{arrow.after:.3f} s)"


def _finding(finding) -> str:
    return f"{finding.severity} {finding.id}: {finding.summary}"


def _ends(arrow, separator: str) -> str:
    """The endpoints a note over an arrow spans."""
    return separator.join(f"E{n}" for n in sorted({arrow.source, arrow.target}))


def mermaid(ladder: Ladder) -> str:
    """A ``sequenceDiagram``: requests as solid arrows, responses dotted, findings as notes over the message."""

    def text(value: str) -> str:
        return _escaped(value, "#{};")

    lines = ["sequenceDiagram", f"    title {text('Call-ID ' + ladder.call_id)}"]
    for n, endpoint in enumerate(ladder.endpoints):
        agent = f"<br/>{text(endpoint.agent)}" if endpoint.agent else ""
        lines.append(f"    participant E{n} as {text(endpoint.address)}{agent}")
    for arrow in ladder.arrows:
        shape = "->>" if arrow.is_request else "-->>"
        lines.append(f"    E{arrow.source}{shape}E{arrow.target}: {text(_label(arrow))}")
        for finding in arrow.findings:
            lines.append(f"    Note over {_ends(arrow, ',')}: {text(_finding(finding))}")
    for finding in ladder.unplaced:
        lines.append(f"    Note over E0: {text(_finding(finding))}")
    return "\n".join(lines) + "\n"


def plantuml(ladder: Ladder) -> str:
    """A ``@startuml`` sequence diagram in the same shape as ``mermaid``."""

    def text(value: str) -> str:
        return _escaped(value, "&#{};")

    lines = ["@startuml", f"title {text('Call-ID ' + ladder.call_id)}"]
    for n, endpoint in enumerate(ladder.endpoints):
        name = text(endpoint.address) + (f"\\n{text(endpoint.agent)}" if endpoint.agent else "")
        lines.append(f'participant "{name}" as E{n}')
    for arrow in ladder.arrows:
        shape = "->" if arrow.is_request else "-->"
        lines.append(f"E{arrow.source} {shape} E{arrow.target} : {text(_label(arrow))}")
        for finding in arrow.findings:
            lines.append(f"note over {_ends(arrow, ', ')} : {text(_finding(finding))}")
    for finding in ladder.unplaced:
        lines.append(f"note over E0 : {text(_finding(finding))}")
    lines.append("@enduml")
    return "\n".join(lines) + "\n"
