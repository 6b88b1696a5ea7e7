"""The passive observer: SIP messages in, calls, transactions and findings out, as the capture goes.

Memory follows what is still open, not the capture's size: a call that has been quiet for 64*T1 and expects
nothing more (no ringing INVITE, no call up, no live subscription) is closed there and then. Its findings are
judged, and its summary and transactions go to the sinks the caller gave, so a report can write them out and let
them go. Whatever is still open when the capture ends is closed at its last frame's time.

A call is judged at the time it was due to be looked at, not when some later message happened to come: what
becomes of a call depends only on its own messages, so analyzers that each see only some Call-IDs of a capture
(``parallel.py``) reach exactly the conclusions one analyzer seeing all of them would.
"""

from __future__ import annotations

import heapq

from .calls import DEFAULT_LIMITS, Call, CallLimits
from .findings import SEVERITIES, Finding
from .metrics import Stats
from .transactions import TIMEOUT, Transaction

SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
OPEN_CALLS_LIMIT = "limit: open calls (the first closed early)"


class Analyzer:
    """Feed it every message in capture order with ``feed``, then call ``finish``.

    ``on_call(summary, findings)`` receives each call's summary (a dict, see ``Call.summary``; with its
    ``details``, and its ``flow`` and ``agents``, when asked for) and the call's findings, and
    ``on_transaction(transaction, call)`` each ``Transaction`` when its call is closed; findings are kept (they are
    few) and returned by ``finish``. ``flow`` records each call's messages (``flow.Step``): for every call, or for
    the calls for which ``flow(call_id, first_frame)`` says so as they begin; ``raw`` keeps their bytes too.
    """

    def __init__(self, on_call=None, on_transaction=None, details: bool = False, flow=False, raw: bool = False,
                 max_calls: int = 0, call_limits: CallLimits | None = None, keep_findings: bool = True):
        self.calls: dict[str, Call] = {}
        self.keep_findings = keep_findings
        """Keep the findings for ``finish`` (a sink that takes them from ``on_call`` does not need it)."""
        self.max_calls = max_calls
        """Calls open at once (0: no bound): past it, the call that began first is closed early (a flood)."""
        self.call_limits = call_limits or DEFAULT_LIMITS
        self.stats = Stats()
        self.findings: list[Finding] = []
        self.messages = 0
        self.now = 0
        self._queue: list[tuple[int, int, Call]] = []  # (when to look at the call again, tie-break, call)
        self._pushed = 0
        self.links = Links()
        self.on_call = on_call
        self.on_transaction = on_transaction
        self.details = details
        self.flow = flow if callable(flow) else (lambda _call_id, _frame, wanted=bool(flow): wanted)
        self.raw = raw

    def feed(self, message) -> None:
        # The message's place in the capture's list, which only the details name (an analyzer that sees some of
        # the Call-IDs does not know it); 0 otherwise, which costs no memory.
        index = self.messages if self.details else 0
        self.messages += 1
        time = message.time
        if time > self.now:
            self.now = time
        call_id = message.call_id
        if call_id is None:
            self.stats.uncorrelated += 1
            return
        if self._queue and self._queue[0][0] <= time:
            self._look_at_due(time)
        call = self.calls.get(call_id)
        if call is None:
            if self.max_calls and len(self.calls) >= self.max_calls:
                self._close_first(message.frames[0])
            call = self.calls[call_id] = Call(call_id, self.stats, self.details,
                                              self.flow(call_id, message.frames[0]), self.raw, self.call_limits)
            self._push(time + TIMEOUT, call)
        elif call.parked:
            call.parked = False
            self._push(time + TIMEOUT, call)
        call.feed(message, index)

    def finish(self, end_time: int | None = None) -> list[Finding]:
        """Close every call still open at ``end_time`` (the capture's last frame); the findings, in order."""
        now = max(self.now, end_time or 0)
        self._look_at_due(now)
        for call in sorted(self.calls.values(), key=lambda c: c.first_time):
            self._close(call, now)
        self._queue.clear()
        self.findings.sort(key=finding_order)
        return self.findings

    def linked_calls(self) -> list[list[str]]:
        return self.links.groups()

    # -- closing calls -------------------------------------------------------------------------------------
    def _push(self, when: int, call: Call) -> None:
        self._pushed += 1
        heapq.heappush(self._queue, (when, self._pushed, call))

    def _look_at_due(self, until: int) -> None:
        """Look at every call due by ``until``, each at its own due time."""
        queue = self._queue
        while queue and queue[0][0] <= until:
            when, _n, call = heapq.heappop(queue)
            self._look_at(call, when)

    def _look_at(self, call: Call, now: int) -> None:
        if self.calls.get(call.call_id) is not call:
            return  # closed already
        due = call.last_time + TIMEOUT
        if due > now:
            self._push(due, call)
            return
        free = call.closing_time()
        if free is None:
            call.parked = True  # until its next message
        elif free <= now:
            self._close(call, now)
        else:
            self._push(free, call)

    def _close_first(self, frame: int) -> None:
        """Make room for one more call: close the call that began first, as the end of the capture would."""
        self._close(next(iter(self.calls.values())), self.now)
        self.call_limits.hit(OPEN_CALLS_LIMIT, frame)
        queue, calls = self._queue, self.calls
        if len(queue) > 2 * len(calls) + 1024:  # mostly closed calls' turns: drop them, and the calls with them
            queue[:] = [entry for entry in queue if calls.get(entry[2].call_id) is entry[2]]
            heapq.heapify(queue)

    def _close(self, call: Call, now: int) -> None:
        del self.calls[call.call_id]
        findings = call.findings(now)
        for finding in findings:
            self.stats.finding(finding.severity)
        if self.keep_findings:
            self.findings.extend(findings)
        summary = call.summary(now, findings, self.details)
        self.stats.call(summary)
        for other in call.links:
            self.links.union(call.call_id, other)
        if self.on_transaction is not None:
            for txn in call.transactions.values():
                self.on_transaction(txn, call)
        if self.on_call is not None:
            self.on_call(summary, findings)


def finding_order(finding: Finding) -> tuple:
    """Time, then severity, then Call-ID: a total order over calls, so that it does not depend on which call
    closed first (the findings of one call keep the order the call gave them)."""
    return finding.time, SEVERITY_ORDER[finding.severity], finding.call_id or ""


class Links:
    """Which Call-IDs are legs of one call (X-CID, X-Call-ID, a shared Session-ID): a union-find over Call-IDs
    and ``session:`` ids."""

    def __init__(self) -> None:
        self.parents: dict[str, str] = {}

    def union(self, a: str, b: str) -> None:
        for node in (a, b):
            self.parents.setdefault(node, node)
        root_a, root_b = self._root(a), self._root(b)
        if root_a != root_b:
            self.parents[root_b] = root_a

    def add(self, other: Links) -> None:
        for node, parent in other.parents.items():
            self.union(node, parent)

    def groups(self) -> list[list[str]]:
        """The groups of two or more Call-IDs, each sorted."""
        groups: dict[str, list[str]] = {}
        for node in self.parents:
            if not node.startswith("session:"):
                groups.setdefault(self._root(node), []).append(node)
        return sorted(sorted(group) for group in groups.values() if len(group) > 1)

    def _root(self, node: str) -> str:
        parents = self.parents
        while parents[node] != node:
            parents[node] = parents[parents[node]]
            node = parents[node]
        return node


class Analysis:
    """A whole analysis held in memory (for small captures, tests and library use)."""

    def __init__(self, calls: list[dict], transactions: list[Transaction], findings: list[Finding], stats: Stats,
                 linked_calls: list[list[str]]):
        self.calls = calls
        self.transactions = transactions
        self.findings = findings
        self.stats = stats
        self.linked_calls = linked_calls
        self.capture: dict | None = None
        """Where the frames went (``Ingestion.summary()``), when the analysis was made from capture files."""

    def call(self, call_id: str) -> dict | None:
        return next((c for c in self.calls if c["call_id"] == call_id), None)

    def finding_ids(self, at_least: str = "info") -> list[str]:
        """The ids of the findings at ``at_least`` severity or above, in order."""
        rank = SEVERITY_ORDER[at_least]
        return [f.id for f in self.findings if SEVERITY_ORDER[f.severity] <= rank]


def analyze_messages(messages, end_time: int | None = None) -> Analysis:
    """Correlate ``messages`` (in capture order) and keep everything."""
    calls: list[dict] = []
    transactions: list[Transaction] = []
    analyzer = Analyzer(on_call=lambda summary, _findings: calls.append(summary),
                        on_transaction=lambda txn, _call: transactions.append(txn),
                        details=True)
    for message in messages:
        analyzer.feed(message)
    findings = analyzer.finish(end_time)
    calls.sort(key=lambda c: (c["start"], c["first_frame"]))
    transactions.sort(key=lambda t: t.index)
    return Analysis(calls, transactions, findings, analyzer.stats, analyzer.linked_calls())
