"""``sipscope analyze --json``: the analysis as one JSON document, written as the capture is read.

The document's schema is described in docs/analysis-json.md. Messages are written as they come; calls and
transactions go to a temporary file as their calls close (so memory does not grow with the capture) and are
copied into the document, in capture order, at the end.
"""

from __future__ import annotations

import json
import tempfile
from array import array

from .messages import json_line

SCHEMA = "sipscope.analysis/1"


class Spool:
    """JSON values kept in a temporary file with a sort key each, read back in key order."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.keys = array("q")
        self.offsets = array("q")
        self.lengths = array("l")
        self.size = 0

    def add(self, key: int, value: dict) -> None:
        data = json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()
        self.file.write(data)
        self.keys.append(key)
        self.offsets.append(self.size)
        self.lengths.append(len(data))
        self.size += len(data)

    def write_sorted(self, out) -> None:
        """The values as the items of a JSON array (without the brackets), one per line, in key order."""
        self.file.flush()
        keys, offsets, lengths, read = self.keys, self.offsets, self.lengths, self.file
        order = sorted(range(len(keys)), key=keys.__getitem__)
        for n, i in enumerate(order):
            read.seek(offsets[i])
            out.write(("\n" if n == 0 else ",\n") + read.read(lengths[i]).decode("ascii"))
        self.file.close()


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
        self.calls.add(summary["messages"][0] if summary["messages"] else 0, summary)

    def transaction(self, txn) -> None:
        self.transactions.add(txn.index, txn.as_dict())

    def finish(self, capture: dict, analyzer, findings) -> None:
        out = self.out
        out.write('\n],"calls":[')
        self.calls.write_sorted(out)
        out.write('\n],"transactions":[')
        self.transactions.write_sorted(out)
        out.write('\n],"findings":[')
        out.write(",".join("\n" + json.dumps(f.as_dict(), ensure_ascii=True) for f in findings))
        out.write("\n],")
        tail = {"linked_calls": analyzer.linked_calls(), "stats": analyzer.stats.as_dict(), "capture": capture}
        out.write(json.dumps(tail, ensure_ascii=True)[1:] + "\n")
