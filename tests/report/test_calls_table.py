"""The calls table: numbers and times are never cut, however many calls and however long the capture; packet text
is cut to its column with a visible mark, by terminal cells, so that every line fits the width; the cells the
collector formats as rows are made give the same table as formatting them at the end."""

from __future__ import annotations

import io

from rich.cells import cell_len

from sipscope.knowledge import Knowledge
from sipscope.report import terminal
from sipscope.report.collect import Collector
from sipscope.report.select import Selection

WIDTH = 100


def summary(n: int, start: float, caller: str = "alice@example.com") -> dict:
    return {"call_id": f"a84b4c76e667{n}", "first_frame": 2 * n + 1, "kind": "call", "start": start,
            "last": start + 31.2, "caller": caller, "callee": "bob@example.com", "outcome": "answered",
            "status": 200, "reason": "OK", "setup_time": 0.12, "duration": 31.0}


def table_lines(summaries: list[dict], span: float, formatted_early: bool = True) -> list[str]:
    """The calls table's lines for calls of these summaries, in a capture of ``span`` seconds."""
    table = terminal.CallsTable(WIDTH) if formatted_early else None
    collector = Collector(Selection(), lambda: 0, table=table)
    for one in summaries:
        collector.call(one, [])
    capture = {"files": [], "frames": 0, "first_time": 0.0, "last_time": span, "sip_messages": 0,
               "by_category": {"sip": 0, "other": 0}, "reasons": [], "events": [], "internal_errors": []}
    out = io.StringIO()
    terminal.render(terminal.Writer(terminal.make_console(out, WIDTH)), capture, collector, Knowledge("en"))
    lines = out.getvalue().splitlines()
    start = lines.index(next(line for line in lines if line.startswith("Calls:")))
    return lines[start + 1: start + 2 + len(summaries)]


def test_a_short_capture_of_few_calls():
    header, row = table_lines([summary(7, 12.345)], span=60.0)
    assert header == ("   #      time caller        callee        outcome          setup  duration finds call-id")
    assert row == ("   1    12.345 alice@exampl~ bob@example.~ answered         0.120    31.000     - "
                   "a84b4c76e6677")


def test_call_numbers_and_times_widen_their_columns_and_the_call_id_gives_up_the_width():
    lines = table_lines([summary(n, 249999.125 * n / 12345) for n in range(1, 12346)], span=250000.0)
    assert lines[1].startswith("    1     20.251 alice@exampl~")
    assert lines[-1] == ("12345 249999.125 alice@exampl~ bob@example.~ answered         0.120    31.000     - "
                         "a84b4c76e667123~")
    assert all(len(line) <= WIDTH for line in lines)


def test_wide_characters_are_cut_by_cells_with_a_mark():
    header, ascii_row, wide_row = table_lines([summary(1, 1.0), summary(2, 2.0, "発信者発信者発信者@example.jp")],
                                              span=10.0)
    assert " 発信者発信者~ bob@" in wide_row  # 13 cells: six wide characters and the mark
    assert cell_len(wide_row) <= WIDTH
    # Every column after it starts at the same cell as in an ASCII row.
    assert cell_len(wide_row[: wide_row.index("a84b")]) == ascii_row.index("a84b")


def test_cells_formatted_as_rows_are_made_give_the_table_formatted_at_the_end():
    calls = [summary(1, 0.5), summary(2, 3.25, "\"Bob\" <発信者@example.jp>"), summary(3, 9.0, "")]
    assert table_lines(calls, span=10.0) == table_lines(calls, span=10.0, formatted_early=False)
