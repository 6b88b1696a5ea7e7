"""``sipscope analyze --json``: the analysis as one JSON document, written as the capture is read.

The document's schema is described in docs/analysis-json.md. Messages are written as they come; calls and
transactions go to a temporary file as their calls close (so memory does not grow with the capture) and are
copied into the document, in capture order, at the end.
"""

from __future__ import annotations

import json

from ..analysis.analyzer import finding_order
from ..analysis.metrics import Stats
from ..knowledge import Knowledge
from .collect import count_call
from .guidance import response_context
from .messages import json_line
from .select import Selection
from .spool import Spool, row_key

SCHEMA = "sipscope.analysis/1"


class JsonReport:
    """The sinks of one ``analyze --json`` run, writing to the text stream ``out``.

    Every response names its knowledge-base entry (``"knowledge": "202/REFER"``) and every finding its own; the
    entries themselves are written once each, in the top-level ``knowledge`` object, in ``knowledge``'s language.
    """

    def __init__(self, out, knowledge: Knowledge, selection: Selection | None = None, start_time=None) -> None:
        self.out = out
        self.knowledge = knowledge
        self.selection = selection or Selection()
        self._start_time = start_time or (lambda: None)
        self.used: dict[str, tuple[int, str | None]] = {}  # response entry key -> (code, method) to build it
        self.calls = Spool()
        self.transactions = Spool()
        self.findings: list = []
        """The findings of the selected calls, without the ignored ones."""
        self.stats = Stats()
        """The statistics of the selected calls, when some may be left out."""
        self.count = 0
        self.index = 0
        # With a selection, a call's messages and transactions wait for the call to close and be judged.
        self.selecting = self.selection.active
        self.pending: dict[str, list] = {}
        self.selected_messages = Spool()
        out.write(f'{{"schema":"{SCHEMA}","messages":[')

    def message(self, message) -> None:
        line = json_line(message)[:-1]
        if message.status is not None:
            key = self._response_key(message.status, message.cseq_method)
            if key is not None:
                line = f'{line[:-1]},"knowledge":"{key}"}}'
        if self.selecting:
            if message.call_id is not None:
                self._waiting(message.call_id)[0].append((self.index, line.encode()))
            self.index += 1
            return
        self._write_message(line)

    def _write_message(self, line: str) -> None:
        self.out.write(("\n" if self.count == 0 else ",\n") + line)
        self.count += 1

    def call(self, summary: dict, findings) -> None:
        findings = self.selection.kept(findings)
        messages, transactions = self.pending.pop(summary["call_id"], ((), ()))
        if self.selecting:
            if not self.selection.matches(summary, findings, self._start_time()):
                return
            count_call(self.stats, summary, findings)
        for index, line in messages:
            self.selected_messages.add(index, line)
        for index, data in transactions:
            self.transactions.add(index, data)
        self.findings.extend(findings)
        summary = {key: value for key, value in summary.items() if key not in ("flow", "agents")}
        summary["findings"] = len(findings)
        self.calls.add(row_key(summary["first_frame"], summary["call_id"]), _json(summary).encode())

    def transaction(self, txn, call) -> None:
        data = txn.as_dict()
        for response, fields in zip(txn.responses, data["responses"]):
            fields["knowledge"] = self._response_key(response.status, txn.method)
            context = response_context(txn, response, call, self.knowledge)
            if context is not None:
                fields["context"] = context
        if self.selecting:  # judged with its call, which closes right after its transactions are handed over
            self._waiting(call.call_id)[1].append((txn.index, _json(data).encode()))
        else:
            self.transactions.add(txn.index, _json(data).encode())

    def _waiting(self, call_id: str) -> tuple[list, list]:
        """The messages and transactions of an open call, waiting for the selection's verdict."""
        waiting = self.pending.get(call_id)
        if waiting is None:
            waiting = self.pending[call_id] = ([], [])
        return waiting

    def _response_key(self, status: int, method: str | None) -> str | None:
        key = self.knowledge.response_key(status, method)
        if key is not None and key not in self.used:
            self.used[key] = (status, method)
        return key

    def finish(self, capture: dict, analyzer) -> None:
        out = self.out
        for _index, line in self.selected_messages.sorted_items():
            self._write_message(line.decode())
        self.selected_messages.file.close()
        out.write('\n],"calls":[')
        _write_items(out, self.calls)
        out.write('\n],"transactions":[')
        _write_items(out, self.transactions)
        out.write('\n],"findings":[')
        findings = sorted(self.findings, key=finding_order)
        out.write(",".join("\n" + json.dumps(dict(f.as_dict(), knowledge=f.id), ensure_ascii=True) for f in findings))
        out.write("\n],")
        tail = {"knowledge": self._entries(findings), "linked_calls": analyzer.linked_calls(),
                "stats": (self.stats if self.selecting else analyzer.stats).as_dict(), "capture": capture}
        if self.selecting or self.selection.ignore:
            tail["selection"] = self.selection.as_dict()
        out.write(json.dumps(tail, ensure_ascii=True)[1:] + "\n")


    def _entries(self, findings) -> dict:
        """Each knowledge entry the document names, once: responses by first use, then findings."""
        entries = {}
        for key, (status, method) in self.used.items():
            entry = self.knowledge.response(status, method).as_dict()
            if not entry["registered"]:
                entry["code"] = None  # a class's entry, shared by every unregistered code of the class
            entries[key] = entry
        for finding_id in dict.fromkeys(f.id for f in findings):
            entries[finding_id] = self.knowledge.finding(finding_id).as_dict()
        return entries


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _write_items(out, spool: Spool) -> None:
    """The spooled values as the items of a JSON array (without the brackets), one per line."""
    for n, (_key, text) in enumerate(spool.sorted_items()):
        out.write(("\n" if n == 0 else ",\n") + text.decode())
