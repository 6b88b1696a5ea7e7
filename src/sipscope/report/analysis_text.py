"""``sipscope analyze``: the analysis as plain text: the capture, the calls, the findings, the statistics.

Every string that came from a packet goes through ``printable`` so the capture cannot drive the terminal.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

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
        head += " (other Call-IDs: " + ", ".join(f"{n} {kind}" for kind, n in sorted(others.items())) + ")"
    yield head + "\n"
    if calls:
        yield (f"  {'time':>10}  {'caller':<28} {'callee':<28} {'outcome':<16} {'setup':>7} "
               f"{'duration':>9} {'finds':>5}  call-id\n")
    yield from rows
    yield "\n" + "\n".join(_findings(findings, knowledge) + _statistics(stats, linked, knowledge)) + "\n"


def _findings(findings, knowledge: Knowledge) -> list[str]:
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    lines = [f"{knowledge.label('report.findings')}: {len(findings)} ("
             + ", ".join(f"{knowledge.label('severity.' + s)}: {n}" for s, n in counts.items()) + ")"]
    advice = {}
    what_to_do = knowledge.label("report.guidance")
    for severity in SEVERITIES:
        for finding in findings:
            if finding.severity != severity:
                continue
            note = "" if finding.conclusive else " [inconclusive]"
            frames = ",".join(map(str, finding.frames[:12])) + (",..." if len(finding.frames) > 12 else "")
            call_id = printable(finding.call_id or "-")
            lines.append(f"  {severity:<7} {finding.id:<28} frames {frames}  call-id {call_id}")
            lines.append(f"          {printable(finding.summary)}{note}")
            if finding.id not in advice:
                advice[finding.id] = knowledge.finding(finding.id).texts["fix"]
            lines.append(f"          {what_to_do}: {advice[finding.id]}")
    return lines + [""]


def _statistics(stats: dict, linked: list[list[str]], knowledge: Knowledge) -> list[str]:
    lines = [knowledge.label("report.statistics")]
    lines.append("  requests:  " + ", ".join(
        f"{printable(method)} {c['count']}" + (f" ({c['retransmissions']} resent)" if c["retransmissions"] else "")
        for method, c in stats["requests"].items()))
    lines.append("  responses: " + ", ".join(
        f"{code} {c['count']}" + (f" ({c['retransmissions']} resent)" if c["retransmissions"] else "")
        for code, c in stats["responses"].items()))
    if stats["outcomes"]:
        lines.append("  calls:     " + ", ".join(f"{n} {outcome}" for outcome, n in stats["outcomes"].items()))
    setup = stats["setup_time"]
    if setup["count"]:
        lines.append(f"  setup time: min {setup['min']:.3f} s, avg {setup['avg']:.3f} s, max {setup['max']:.3f} s "
                     f"over {setup['count']} calls")
    for group in linked:
        lines.append("  linked legs: " + " + ".join(printable(call_id) for call_id in group))
    return lines


def _cut(text: str | None, width: int) -> str:
    text = printable(text or "-")
    return text if len(text) <= width else text[: width - 1] + "~"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
