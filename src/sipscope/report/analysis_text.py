"""``sipscope analyze``: the analysis as plain text: the capture, the calls, the findings, the statistics.

Every string that came from a packet goes through ``printable`` so the capture cannot drive the terminal.
"""

from __future__ import annotations

from ..analysis.findings import SEVERITIES
from ..text import printable
from .messages import summary_text


class TextReport:
    """Keeps one short row per call as calls close, and renders the report at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.others: dict[str, int] = {}

    def call(self, summary: dict) -> None:
        if summary["kind"] != "call":
            self.others[summary["kind"]] = self.others.get(summary["kind"], 0) + 1
            return
        outcome = summary["outcome"] + (f" {summary['status']}" if summary["status"] and
                                        summary["outcome"] != "answered" else "")
        self.rows.append((
            summary["messages"][0] if summary["messages"] else 0, summary["start"], summary["caller"],
            summary["callee"], outcome, summary["setup_time"], summary["duration"], summary["findings"],
            summary["call_id"],
        ))

    def render(self, capture: dict, analyzer, findings, start_ts: int | None) -> str:
        t0 = (start_ts or 0) / 1e9
        lines = [summary_text(capture).strip("\n"), ""]
        lines += self._calls(t0)
        lines += _findings(findings)
        lines += _statistics(analyzer.stats.as_dict(), analyzer.linked_calls())
        return "\n".join(lines) + "\n"

    def _calls(self, t0: float) -> list[str]:
        self.rows.sort()
        lines = [f"Calls: {len(self.rows)}"]
        if self.others:
            lines[0] += " (other Call-IDs: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.others.items())) + ")"
        if self.rows:
            lines.append(f"  {'time':>10}  {'caller':<28} {'callee':<28} {'outcome':<16} {'setup':>7} "
                         f"{'duration':>9} {'finds':>5}  call-id")
        for _index, start, caller, callee, outcome, setup, duration, count, call_id in self.rows:
            lines.append(
                f"  {start - t0:>10.3f}  {_cut(caller, 28):<28} {_cut(callee, 28):<28} {outcome:<16} "
                f"{_number(setup):>7} {_number(duration):>9} {count:>5}  {printable(call_id)}")
        return lines + [""]


def _findings(findings) -> list[str]:
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    lines = [f"Findings: {len(findings)} (" + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")"]
    for severity in SEVERITIES:
        for finding in findings:
            if finding.severity != severity:
                continue
            note = "" if finding.conclusive else " [inconclusive]"
            frames = ",".join(map(str, finding.frames[:12])) + (",..." if len(finding.frames) > 12 else "")
            call_id = printable(finding.call_id or "-")
            lines.append(f"  {severity:<7} {finding.id:<28} frames {frames}  call-id {call_id}")
            lines.append(f"          {printable(finding.summary)}{note}")
    return lines + [""]


def _statistics(stats: dict, linked: list[list[str]]) -> list[str]:
    lines = ["Statistics"]
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
