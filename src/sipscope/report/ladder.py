"""The ladder diagram of one call, laid out once for every way of drawing it (terminal, SVG, Mermaid, PlantUML).

A column per endpoint (address:port, named by its User-Agent or Server header when it sent one), in the order
they first appear; an arrow per message, with the time since the call's first message; retransmissions marked;
each response code noted once per ladder with the first sentence of its knowledge-base entry; each finding on the
arrow of its first evidence frame (or at the end when that frame is not in the call's flow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..knowledge import Knowledge
from ..text import printable

_SENTENCE = re.compile(r"(.+?[.!?。！？؟])(?:\s|$)", re.S)


@dataclass
class Endpoint:
    address: str
    agent: str | None


@dataclass
class Arrow:
    frames: tuple[int, ...]
    after: float
    """Seconds since the call's first message."""
    source: int
    """Index of the sending endpoint."""
    target: int
    label: str
    """``INVITE`` or ``486 Busy Here``: printable, from the packet."""
    is_request: bool
    again: bool
    transport: str
    status: int | None = None
    cseq_method: str | None = None
    note: str | None = None
    """One line from the knowledge base, for the first response of its code (and method) in the ladder."""
    findings: list = field(default_factory=list)
    """The ``Finding`` objects whose first evidence frame this message is."""
    raw: bytes | None = None

    @property
    def frame(self) -> int:
        """The frame Wireshark shows the message in: the one that completed it."""
        return self.frames[-1]


@dataclass
class Ladder:
    call_id: str
    summary: dict
    endpoints: list[Endpoint]
    arrows: list[Arrow]
    findings: list
    """Every finding of the call, in order."""
    unplaced: list
    """The findings whose first evidence frame is not a message of the call."""


def build(summary: dict, findings: list, knowledge: Knowledge) -> Ladder:
    """The ladder of a call from its summary (with its ``flow`` and ``agents``) and its findings."""
    steps = summary["flow"]
    agents = summary.get("agents") or {}
    columns: dict[str, int] = {}
    endpoints: list[Endpoint] = []
    for step in steps:
        for address in (step.src, step.dst):
            if address not in columns:
                columns[address] = len(endpoints)
                agent = agents.get(address)
                endpoints.append(Endpoint(address, None if agent is None else printable(agent)))
    start = steps[0].time if steps else 0
    by_frame: dict[int, Arrow] = {}
    noted: set[tuple] = set()
    arrows = []
    for step in steps:
        if step.method is not None:
            label = printable(step.method)
        else:
            label = printable(f"{step.status} {step.reason or ''}".rstrip())
        arrow = Arrow(step.frames, round((step.time - start) / 1e9, 6), columns[step.src], columns[step.dst], label,
                      step.method is not None, step.again, step.transport, step.status, step.cseq_method, raw=step.raw)
        if step.status is not None and 100 <= step.status <= 699 and not step.again \
                and (step.status, step.cseq_method) not in noted:  # a code out of range has no entry to quote
            noted.add((step.status, step.cseq_method))
            arrow.note = response_note(step.status, step.reason, step.cseq_method, knowledge)
        for frame in step.frames:
            by_frame.setdefault(frame, arrow)
        arrows.append(arrow)
    unplaced = []
    for finding in findings:
        arrow = by_frame.get(finding.frames[0]) if finding.frames else None
        if arrow is None:
            unplaced.append(finding)
        else:
            arrow.findings.append(finding)
    return Ladder(summary["call_id"], summary, endpoints, arrows, list(findings), unplaced)


def response_note(status: int, reason: str | None, method: str | None, knowledge: Knowledge) -> str:
    """One line on what a response means: the first sentence of its entry, after the registered name when the
    packet's reason phrase says something else."""
    entry = knowledge.response(status, method)
    text = entry.texts["description"].strip()
    found = _SENTENCE.match(text)
    sentence = found.group(1) if found else text
    if entry.registered and entry.reason and (reason or "").strip().lower() != entry.reason.lower():
        return f"{status} {entry.title}: {sentence}"
    return sentence
