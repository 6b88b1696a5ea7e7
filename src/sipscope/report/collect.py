"""The one sink of an analysis that the terminal report, the CSV table, the HTML page and the capture export read.

As each call closes, the collector applies the selection and ``--ignore``, writes the call's row to a spool, keeps
its findings, counts it in the statistics of the selection, and keeps its flow when a ladder may be drawn for it:
every call while there are few (``few``), the calls with problems always (or every call, ``ladders="all"``). What
it keeps is on disk, so memory does not grow with the capture.
"""

from __future__ import annotations

import bisect
import heapq
import marshal
import pickle
from dataclasses import dataclass

from ..analysis.analyzer import SEVERITY_ORDER, finding_order
from ..analysis.findings import SEVERITIES, Finding
from ..analysis.metrics import Stats
from ..text import printable
from .select import Selection
from .spool import Spool, row_key

PROBLEMS = ("error", "warning")


@dataclass
class Row:
    """A line of the calls table."""

    kind: str
    start: float
    """Seconds since the capture's first frame."""
    caller: str
    callee: str
    outcome: str
    status: int | None
    reason: str
    setup_time: float | None
    duration: float | None
    findings: int
    worst: str
    """The most severe finding's severity, or ``""``."""
    call_id: str
    last: float
    """Seconds from the capture's first frame to the call's last message."""
    selected: bool = True
    """False for a call the selection left out: it keeps its place in the numbering."""
    middle: str = ""
    """The terminal table's cells from the caller to the findings, when the collector was given the table."""
    number: int = 0
    """The call's number in the table (1 for the first INVITE call), given when the rows are read back."""

    def encode(self) -> bytes:
        # marshal: the quickest way in and out for plain values, and this runs for every call of the capture.
        return marshal.dumps((self.kind, self.start, self.caller, self.callee, self.outcome, self.status, self.reason,
                              self.setup_time, self.duration, self.findings, self.worst, self.call_id, self.last,
                              self.selected, self.middle))

    @classmethod
    def decode(cls, data: bytes) -> Row:
        return cls(*marshal.loads(data))

    @property
    def is_call(self) -> bool:
        return self.kind == "call"


class FirstN:
    """The ``n`` items with the lowest keys among those added, in memory (a ladder budget, not a spool)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._heap: list[tuple[int, int, bytes]] = []  # (-key, -order, data): the largest key on top
        self._added = 0

    def wants(self, key: int) -> bool:
        """Whether an item of ``key`` would be kept (so that it is worth making)."""
        return len(self._heap) < self.n or -key > self._heap[0][0]

    def add(self, key: int, data: bytes) -> None:
        self._added += 1
        item = (-key, -self._added, data)
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    @property
    def keys(self) -> list[int]:
        return [-key for key, _order, _data in self._heap]

    def sorted_items(self):
        return ((-key, data) for key, _order, data in sorted(self._heap, reverse=True))


class KeptFindings:
    """The findings of a run: every one counted by id and severity, and the first ``keep`` of each id (in finding
    order) kept, which is as many as a report lists. A flood of failing calls makes as many findings as calls; only
    their counts grow."""

    def __init__(self, keep: int = 1_000) -> None:
        self.keep = keep
        self.counts: dict[tuple[str, str], int] = {}
        """(severity, id) -> findings."""
        self._kept: dict[str, list[tuple[tuple, Finding]]] = {}  # id -> (order, finding), sorted

    def extend(self, findings) -> None:
        counts, kept, keep = self.counts, self._kept, self.keep
        for finding in findings:
            key = (finding.severity, finding.id)
            counts[key] = counts.get(key, 0) + 1
            entries = kept.setdefault(finding.id, [])
            order = finding_order(finding)
            if len(entries) < keep or order < entries[-1][0]:
                bisect.insort(entries, (order, finding), key=_first)
                del entries[keep:]

    def merge(self, other: KeptFindings) -> None:
        for (severity, finding_id), count in other.counts.items():
            self.counts[(severity, finding_id)] = self.counts.get((severity, finding_id), 0) + count
        for finding_id, entries in other._kept.items():
            here = self._kept.setdefault(finding_id, [])
            for entry in entries:
                bisect.insort(here, entry, key=_first)
            del here[self.keep:]

    def __len__(self) -> int:
        return sum(self.counts.values())

    def sorted(self) -> list[Finding]:
        """The findings kept, in finding order."""
        return sorted((finding for entries in self._kept.values() for _order, finding in entries), key=finding_order)

    def count(self, finding_id: str) -> int:
        return sum(n for (_severity, found), n in self.counts.items() if found == finding_id)

    def by_severity(self) -> dict[str, int]:
        """Severity -> findings, for every severity (most severe first)."""
        totals = dict.fromkeys(SEVERITIES, 0)
        for (severity, _id), count in self.counts.items():
            totals[severity] += count
        return totals


def _first(entry: tuple) -> tuple:
    return entry[0]


class Collector:
    """``call(summary, findings)`` is the analyzer's ``on_call``; the analyzer must record flows (with their
    bytes for ``raw``).

    ``ladders``: ``auto`` keeps the flows of every call while there are ``few`` and of the first ``first`` calls
    with problems (findings at warning or above), in memory; ``all`` keeps every flow, on disk. ``table``: the
    terminal's ``CallsTable``, which formats part of each selected call's row as the row is made. ``files``: the
    files of the rows and flows spools, when the parent process made them (``parallel.py``).
    """

    def __init__(self, selection: Selection, start_time, ladders: str = "auto", few: int = 5, first: int = 20,
                 frames: bool = False, raw: bool = False, table=None, files=(None, None)) -> None:
        self.selection = selection
        self.table = table
        self.selecting = selection.active
        self.start_time = start_time  # () -> the capture's first frame time in ns (known once reading began)
        self.ladders = ladders
        self.few = few
        self.raw = raw
        self.rows = Spool(files[0])
        self.flows: Spool | FirstN = Spool(files[1]) if ladders == "all" else FirstN(first)
        self.others: FirstN | None = FirstN(few) if ladders == "auto" else None
        """The flows of calls without problems while there are ``few`` calls (None past that)."""
        self.findings = KeptFindings()
        self.stats = Stats()
        """Statistics of the selected calls (equal to the analyzer's when nothing is left out)."""
        self.calls = 0
        """Selected Call-IDs, of every kind."""
        self.other_kinds: dict[str, int] = {}
        """Selected Call-IDs without an INVITE, by kind (``register``, ``options``...)."""
        self.problems = 0
        """Selected Call-IDs with a finding at warning or above."""
        self.left_out = 0
        self.begun = 0
        """Calls that began (``wants_flow``)."""
        self.frames: set[int] | None = set() if frames else None
        """The frames of the selected calls' messages, for ``--write``."""

    def call(self, summary: dict, findings: list) -> None:
        selection = self.selection
        if selection.ignore:
            findings = selection.kept(findings)
        start = self.start_time() or 0
        key = row_key(summary["first_frame"], summary["call_id"])
        worst = worst_severity(findings) if findings else ""
        seconds = start / 1e9
        row = Row(summary["kind"], round(summary["start"] - seconds, 6), _text(summary["caller"]),
                  _text(summary["callee"]), summary["outcome"], summary["status"], _text(summary["reason"]),
                  summary["setup_time"], summary["duration"], len(findings), worst, printable(summary["call_id"]),
                  round(summary["last"] - seconds, 6))
        if self.selecting and not selection.matches(summary, findings, start):
            self.left_out += 1
            if row.is_call:  # it keeps its number: a call is the same call in every selection
                row.selected = False
                self.rows.add(key, row.encode())
            return
        self.calls += 1
        flow = summary.get("flow")
        kind = summary["kind"]
        if kind != "call":
            self.other_kinds[kind] = self.other_kinds.get(kind, 0) + 1
        self.findings.extend(findings)
        if self.table is not None and row.is_call:
            row.middle = self.table.middle(row)
        if self.selecting:  # else the analyzer's statistics are the same
            count_call(self.stats, summary, findings)
        if self.frames is not None:
            for step in flow:
                self.frames.update(step.frames)
        self.rows.add(key, row.encode())
        problem = worst in PROBLEMS
        self.problems += problem
        if self.others is not None and self.calls > self.few:
            self.others = None  # past a few calls, only those with problems get a ladder
        if flow is None:
            return  # it began when no ladder could be drawn for it any more (see wants_flow)
        if self.ladders == "all" or problem:
            if self.flows.wants(key):
                self.flows.add(key, _pickle(summary, findings))
        elif self.others is not None:
            self.others.add(key, _pickle(summary, findings))

    def wants_flow(self, call_id: str, first_frame: int) -> bool:
        """Whether a call beginning now needs its flow recorded: always for a selection, ``--write`` or every
        ladder; else while there are few calls, or while its row key could still be among the first calls with
        problems kept. Calls begin in key order, so once those are found, no later call needs a flow."""
        self.begun += 1
        if self.begun > self.few and not self.selecting:
            self.others = None  # more calls than a few: only those with problems get a ladder
        if self.ladders == "all" or self.selecting or self.frames is not None or self.others is not None:
            return True
        return self.flows.wants(row_key(first_frame, call_id))

    # -- several processes ---------------------------------------------------------------------------------------
    def state(self) -> dict:
        """What a worker process sends: the index of its spools (their files are its parent's), the rest whole."""
        flows = self.flows.index() if isinstance(self.flows, Spool) else list(self.flows.sorted_items())
        return {"rows": self.rows.index(), "flows": flows, "findings": self.findings, "stats": self.stats,
                "calls": self.calls, "kinds": self.other_kinds, "problems": self.problems,
                "left_out": self.left_out, "frames": self.frames,
                "others": None if self.others is None else list(self.others.sorted_items())}

    def add(self, state: dict, files) -> None:
        """Add a worker's state; ``files`` are those of its spools (see ``files``)."""
        self.rows.join(files[0], state["rows"])
        if isinstance(self.flows, Spool):
            self.flows.join(files[1], state["flows"])
        else:
            for key, data in state["flows"]:
                self.flows.add(key, data)
        self.findings.merge(state["findings"])
        self.stats.add(state["stats"])
        self.calls += state["calls"]
        for kind, count in state["kinds"].items():
            self.other_kinds[kind] = self.other_kinds.get(kind, 0) + count
        self.problems += state["problems"]
        self.left_out += state["left_out"]
        if self.frames is not None:
            self.frames.update(state["frames"])
        if state["others"] is None or self.calls > self.few:
            self.others = None
        elif self.others is not None:
            for key, data in state["others"]:
                self.others.add(key, data)

    def narrowed(self, number: int) -> Collector | None:
        """A collector of call ``number`` of the table alone (this one must have kept every flow), or None when
        there is no such call. The other calls keep their places, so the call keeps its number."""
        rows = []
        target = None
        for key, data in self.rows.sorted_items():
            row = Row.decode(data)
            if row.is_call:
                rows.append((key, row))
                if len(rows) == number and row.selected:
                    target = key
        if target is None:
            return None
        only = Collector(self.selection, self.start_time, ladders="all", raw=self.raw,
                         frames=self.frames is not None, table=self.table)
        for key, row in rows:
            if key != target:
                row.selected = False
                only.rows.add(key, row.encode())
        for key, summary, findings in self.kept_flows():
            if key == target:
                only.call(summary, findings)
        return only

    # -- reading back --------------------------------------------------------------------------------------------
    def sorted_rows(self):
        """The selected rows in capture order, numbered (INVITE calls only, counting those left out too: the
        numbers ``--call`` takes)."""
        number = 0
        for key, data in self.rows.sorted_items():
            row = Row.decode(data)
            if row.is_call:
                number += 1
                row.number = number
            if row.selected:
                yield key, row

    def _flow_stores(self) -> list:
        return [self.flows] + ([self.others] if self.others is not None else [])

    def flow_keys(self) -> list[int]:
        """The row keys of the flows kept."""
        return [key for store in self._flow_stores() for key in store.keys]

    def kept_flows(self):
        """``(key, summary, findings)`` of every flow kept, in capture order."""
        stores = self._flow_stores()
        for key, data in heapq.merge(*(store.sorted_items() for store in stores), key=lambda item: item[0]):
            summary, findings = pickle.loads(data)
            yield key, summary, findings


def count_call(stats: Stats, summary: dict, findings: list) -> None:
    """Count a selected call (its flow, outcome, setup time and findings) in ``stats``."""
    for step in summary["flow"]:
        if step.method is not None:
            stats.request(step.method, step.again)
        else:
            stats.response(step.status, step.again)
    stats.call(summary)
    for finding in findings:
        stats.finding(finding.severity)


def worst_severity(findings: list) -> str:
    """The most severe of the findings' severities, or ``""``."""
    return min((f.severity for f in findings), key=SEVERITY_ORDER.__getitem__, default="")


def is_problem(findings: list) -> bool:
    """Whether a call has a finding at warning or above (what ``--problems`` selects)."""
    return worst_severity(findings) in PROBLEMS


def _pickle(summary: dict, findings: list) -> bytes:
    return pickle.dumps((summary, findings), protocol=pickle.HIGHEST_PROTOCOL)


def _text(value) -> str:
    return "" if value is None else printable(str(value))
