"""``--csv FILE``: the calls table as CSV, one row per selected Call-ID (INVITE calls numbered as in the report).

A cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) gets a leading apostrophe: the text comes from packets, and opening the file must not run it.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone

from .collect import Collector

COLUMNS = ("number", "kind", "start", "time", "caller", "callee", "outcome", "status", "reason", "setup_time",
           "duration", "findings", "worst", "call_id")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def write_csv(path: str, collector: Collector, capture: dict) -> None:
    first = capture.get("first_time") or 0.0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for _key, row in collector.sorted_rows():
            start = datetime.fromtimestamp(first + row.start, timezone.utc).isoformat(timespec="microseconds")
            writer.writerow([
                row.number or "", row.kind, start, f"{row.start:.6f}", _cell(row.caller), _cell(row.callee),
                row.outcome, row.status or "", _cell(row.reason), _number(row.setup_time), _number(row.duration),
                row.findings, row.worst, _cell(row.call_id),
            ])


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
