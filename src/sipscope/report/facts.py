"""What the terminal report and the HTML page both say, worded once: capture times, how much of the capture was
understood, the statistics lines. Plain text; each report escapes or styles it its own way."""

from __future__ import annotations

from datetime import datetime, timezone

from ..analysis.findings import SEVERITIES
from ..text import printable

UNDERSTOOD = ("sip", "other")
"""The frame categories a report counts as understood: SIP, and traffic known not to be SIP."""


def when(epoch: float) -> str:
    """A capture time, to the millisecond, in UTC."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def understood(capture: dict) -> tuple[int, str, int]:
    """Frames understood, their share in percent (text), and frames not understood."""
    frames = capture["frames"]
    count = sum(capture["by_category"][category] for category in UNDERSTOOD)
    share = f"{100 * count / frames:.1f}" if frames else "100.0"
    return count, share, frames - count


def statistics_rows(stats: dict, label) -> list[tuple[str, str]]:
    """``(name, text)`` per statistics line: requests and responses (``-`` when none), outcomes (empty when
    none), and the setup times when any call had one (without a name: the sentence says it)."""

    def counted(name, count: dict) -> str:
        again = count["retransmissions"]
        return f"{name} {count['count']}" + (f" ({label('report.resent', count=again)})" if again else "")

    rows = [(label("report.requests"), ", ".join(counted(printable(m), c) for m, c in stats["requests"].items())
             or "-"),
            (label("report.responses"), ", ".join(counted(code, c) for code, c in stats["responses"].items()) or "-"),
            (label("report.outcomes"), ", ".join(f"{n} {outcome}" for outcome, n in stats["outcomes"].items()))]
    setup = stats["setup_time"]
    if setup["count"]:
        rows.append(("", label("report.setup_time", count=setup["count"], min=f"{setup['min']:.3f}",
                               avg=f"{setup['avg']:.3f}", max=f"{setup['max']:.3f}")))
    return rows


def seconds(value: float | None) -> str:
    """A duration for a table cell: ``-`` when there is none."""
    return "-" if value is None else f"{value:.3f}"


def grouped(findings: list) -> dict[str, dict[str, list]]:
    """The findings by severity (most severe first; only those with findings), then by id in order of first
    appearance."""
    groups: dict[str, dict[str, list]] = {}
    for severity in SEVERITIES:
        for finding in findings:
            if finding.severity == severity:
                groups.setdefault(severity, {}).setdefault(finding.id, []).append(finding)
    return groups
