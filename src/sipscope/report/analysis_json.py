"""``sipscope analyze --json``: the analysis as one JSON document, written as the capture is read.

The document's schema is described in docs/analysis-json.md. Messages are written as they come; calls and
transactions go to a temporary file as their calls close (so memory does not grow with the capture) and are
copied into the document, in capture order, at the end.
"""

from __future__ import annotations

import json

from .messages import json_line
from .spool import Spool, row_key

SCHEMA = "sipscope.analysis/1"


class JsonReport:
    """The sinks of one ``analyze --json`` run, writing to the text stream ``out``."""

    def __init__(self, out) -> None:
        self.out = out
        self.calls = Spool()
        self.transactions = Spool()
        self.count = 0
        out.write(f'{{"schema":"{SCHEMA}","messages":[')

    def message(self, message) -> None:
        self.out.write(("\n" if self.count == 0 else ",\n") + json_line(message)[:-1])
        self.count += 1

    def call(self, summary: dict) -> None:
        self.calls.add(row_key(summary["first_frame"], summary["call_id"]), _json(summary))

    def transaction(self, txn) -> None:
        self.transactions.add(txn.index, _json(txn.as_dict()))

    def finish(self, capture: dict, analyzer, findings) -> None:
        out = self.out
        out.write('\n],"calls":[')
        _write_items(out, self.calls)
        out.write('\n],"transactions":[')
        _write_items(out, self.transactions)
        out.write('\n],"findings":[')
        out.write(",".join("\n" + json.dumps(f.as_dict(), ensure_ascii=True) for f in findings))
        out.write("\n],")
        tail = {"linked_calls": analyzer.linked_calls(), "stats": analyzer.stats.as_dict(), "capture": capture}
        out.write(json.dumps(tail, ensure_ascii=True)[1:] + "\n")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _write_items(out, spool: Spool) -> None:
    """The spooled values as the items of a JSON array (without the brackets), one per line."""
    for n, (_key, text) in enumerate(spool.sorted_items()):
        out.write(("\n" if n == 0 else ",\n") + text)
