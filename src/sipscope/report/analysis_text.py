"""``sipscope analyze``: the analysis as plain text: the capture, the calls, the findings, the statistics.

Every string that came from a packet goes through ``printable`` so the capture cannot drive the terminal.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from rich.cells import cell_len

from ..analysis.findings import SEVERITIES
from ..knowledge import Knowledge
from ..text import printable
from .messages import summary_text
from .spool import Spool, row_key


class TextReport:
    """The sink of one analysis: a row per call, written to a spool as the call closes."""

    def __init__(self, start_time: Callable[[], int | None]) -> None:
        self.rows = Spool()
        self.others: dict[str, int] = {}
        """Call-IDs without an INVITE, by kind (options, register...): counted, not listed."""
        self._start_time = start_time  # the capture's first frame time (ns), which the time column counts from

    def call(self, summary: dict) -> None:
        if summary["kind"] != "call":
            self.others[summary["kind"]] = self.others.get(summary["kind"], 0) + 1
            return
        outcome = summary["outcome"] + (f" {summary['status']}" if summary["status"] and
                                        summary["outcome"] != "answered" else "")
        start = summary["start"] - (self._start_time() or 0) / 1e9
        self.rows.add(row_key(summary["first_frame"], summary["call_id"]),
                      f"  {start:>10.3f}  {_cut(summary['caller'], 28):<28} {_cut(summary['callee'], 28):<28} "
                      f"{outcome:<16} {_number(summary['setup_time']):>7} {_number(summary['duration']):>9} "
                      f"{summary['findings']:>5}  {printable(summary['call_id'])}\n")

    def sorted_rows(self) -> Iterator[str]:
        return (row for _key, row in self.rows.sorted_items())


def render(capture: dict, stats: dict, linked: list[list[str]], findings, calls: int, others: dict,
           rows: Iterable[str], knowledge: Knowledge) -> Iterator[str]:
    """The report, in pieces: the capture, the ``calls`` rows (in order), the findings with what to do about each
    (from the knowledge base), the statistics."""
    yield summary_text(capture).strip("\n") + "\n\n"
    head = f"{knowledge.label('report.calls')}: {calls}"
    if others:
        head += (f" ({knowledge.label('report.other_call_ids')}: "
                 + ", ".join(f"{n} {kind}" for kind, n in sorted(others.items())) + ")")
    yield head + "\n"
    if calls:
        label = knowledge.label
        yield (f"  {_pad(label('report.col.time'), 10, right=True)}  {_pad(label('report.col.caller'), 28)} "
               f"{_pad(label('report.col.callee'), 28)} {_pad(label('report.col.outcome'), 16)} "
               f"{_pad(label('report.col.setup'), 7, right=True)} {_pad(label('report.col.duration'), 9, right=True)} "
               f"{_pad(label('report.col.findings'), 5, right=True)}  {label('report.col.call_id')}\n")
    yield from rows
    yield "\n"
    for line in _findings(findings, knowledge):  # line by line: with its advice, each finding takes some room
        yield line + "\n"
    yield "\n".join(_statistics(stats, linked, knowledge)) + "\n"


def _findings(findings, knowledge: Knowledge) -> Iterator[str]:
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    yield (f"{knowledge.label('report.findings')}: {len(findings)} ("
           + ", ".join(f"{knowledge.label('severity.' + s)}: {n}" for s, n in counts.items()) + ")")
    advice = {}
    what_to_do, frames_label = knowledge.label("report.guidance"), knowledge.label("report.frames")
    call_id_label = knowledge.label("report.col.call_id")
    inconclusive = f" [{knowledge.label('report.inconclusive')}]"
    for severity in SEVERITIES:
        severity_label = _pad(knowledge.label("severity." + severity), 7)
        for finding in findings:
            if finding.severity != severity:
                continue
            note = "" if finding.conclusive else inconclusive
            frames = ",".join(map(str, finding.frames[:12])) + (",..." if len(finding.frames) > 12 else "")
            call_id = printable(finding.call_id or "-")
            yield f"  {severity_label} {finding.id:<28} {frames_label} {frames}  {call_id_label} {call_id}"
            yield f"          {printable(finding.summary)}{note}"
            if finding.id not in advice:
                advice[finding.id] = knowledge.finding(finding.id).texts["fix"]
            yield f"          {what_to_do}: {advice[finding.id]}"
    yield ""


def _statistics(stats: dict, linked: list[list[str]], knowledge: Knowledge) -> list[str]:
    label = knowledge.label

    def counted(name, count: dict) -> str:
        again = count["retransmissions"]
        return f"{name} {count['count']}" + (f" ({label('report.resent', count=again)})" if again else "")

    lines = [label("report.statistics")]
    lines.append(f"  {label('report.requests')}: "
                 + ", ".join(counted(printable(method), c) for method, c in stats["requests"].items()))
    lines.append(f"  {label('report.responses')}: "
                 + ", ".join(counted(code, c) for code, c in stats["responses"].items()))
    if stats["outcomes"]:
        lines.append(f"  {label('report.outcomes')}: "
                     + ", ".join(f"{n} {outcome}" for outcome, n in stats["outcomes"].items()))
    setup = stats["setup_time"]
    if setup["count"]:
        lines.append("  " + label("report.setup_time", count=setup["count"], min=f"{setup['min']:.3f}",
                                  avg=f"{setup['avg']:.3f}", max=f"{setup['max']:.3f}"))
    for group in linked:
        lines.append(f"  {label('report.linked')}: " + " + ".join(printable(call_id) for call_id in group))
    return lines


def _cut(text: str | None, width: int) -> str:
    text = printable(text or "-")
    return text if len(text) <= width else text[: width - 1] + "~"


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (a Japanese character takes two)."""
    room = " " * max(width - cell_len(text), 0)
    return room + text if right else text + room


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
