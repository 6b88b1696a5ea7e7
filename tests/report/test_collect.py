"""The collector keeps the flows a report may draw and no more: the first calls with problems, every call while
there are few, and it stops asking for flows once no later call could be drawn."""

from __future__ import annotations

from sipscope.analysis.findings import Finding
from sipscope.report.collect import Collector, FirstN
from sipscope.report.select import Selection
from sipscope.report.spool import row_key


def summary(n: int, kind: str = "call") -> dict:
    return {"call_id": f"call-{n}", "kind": kind, "caller": "a@x", "callee": "b@y", "outcome": "answered",
            "status": 200, "reason": "OK", "start": float(n), "last": n + 1.0, "first_frame": n,
            "setup_time": 0.1, "duration": 1.0, "flow": [], "agents": {}}


def problem(n: int) -> list:
    return [Finding("ack.missing", f"call-{n}", [n], "no ACK", n)]


def test_first_n_keeps_the_lowest_keys_whatever_the_order():
    kept = FirstN(3)
    for key in (50, 10, 40, 30, 20, 60):
        if kept.wants(key):
            kept.add(key, str(key).encode())
    assert [key for key, _data in kept.sorted_items()] == [10, 20, 30]
    assert kept.wants(25) and not kept.wants(35)


def test_flows_are_asked_for_until_the_first_problem_calls_are_found():
    collector = Collector(Selection(), lambda: 0, few=2, first=2)
    assert collector.wants_flow("call-1", 1)
    for n in (1, 2, 3):  # three calls without problems: past "few", their flows are let go
        collector.call(summary(n), [])
    assert collector.others is None
    assert collector.wants_flow("call-4", 4)  # it may turn out to be one of the first two with problems
    for n in (4, 5):
        collector.call(summary(n), problem(n))
    assert not collector.wants_flow("call-6", 6)  # calls begin in key order: it can never be among them
    collector.call(dict(summary(6), flow=None), problem(6))  # recorded without its flow, it still has its row
    assert [s["call_id"] for _key, s, _f in collector.kept_flows()] == ["call-4", "call-5"]
    assert [row.number for _key, row in collector.sorted_rows()] == [1, 2, 3, 4, 5, 6]
    assert collector.problems == 3


def test_a_selection_or_every_ladder_needs_every_flow():
    selected = Collector(Selection(problems=True), lambda: 0, few=0, first=0)
    every = Collector(Selection(), lambda: 0, ladders="all")
    assert selected.wants_flow("x", 10 ** 6) and every.wants_flow("x", 10 ** 6)
    assert row_key(5, "x") < row_key(6, "x")


def test_past_a_few_calls_begun_no_call_without_problems_records_a_flow():
    collector = Collector(Selection(), lambda: 0, few=2, first=2)
    for n in (1, 2):
        assert collector.wants_flow(f"call-{n}", n)
    assert collector.others is not None  # two calls may be all there are: each gets its ladder
    assert collector.wants_flow("call-3", 3)  # a third: only the first two calls with problems get theirs
    assert collector.others is None
    selecting = Collector(Selection(call_ids=["call-9"]), lambda: 0, few=2, first=2)
    for n in range(1, 10):
        selecting.wants_flow(f"call-{n}", n)
    assert selecting.others is not None  # the selected calls may be few, whatever the capture holds


def test_findings_are_counted_all_and_kept_first_by_id():
    from sipscope.report.collect import KeptFindings

    findings = [Finding("ack.missing", f"call-{n}", [n], "no ACK", n * 10) for n in (5, 3, 9, 1, 7)]
    findings.append(Finding("invite.failed", "call-2", [2], "486", 20))
    kept = KeptFindings(keep=2)
    kept.extend(findings)
    assert len(kept) == 6 and kept.counts == {("error", "ack.missing"): 5, ("warning", "invite.failed"): 1}
    assert [(f.id, f.time) for f in kept.sorted()] == [("ack.missing", 10), ("invite.failed", 20),
                                                       ("ack.missing", 30)]
    # Two workers' halves merged keep what one would have kept.
    first, second = KeptFindings(keep=2), KeptFindings(keep=2)
    first.extend(findings[:3])
    second.extend(findings[3:])
    first.merge(second)
    assert first.counts == kept.counts and first.sorted() == kept.sorted()
