"""The calls table's columns: numbers and times are never cut, however many calls and however long the capture;
packet text is cut to its column with a visible mark, by terminal cells, so every line fits the width."""

from __future__ import annotations

from rich.cells import cell_len

from sipscope.report.terminal import _Columns

ROW = ["7", "12.345", "alice@example.com", "bob@example.com", "answered", "0.120", "31.000", "-", "a84b4c76e66710"]


def test_a_short_capture_of_few_calls_keeps_the_default_layout():
    line = _Columns(100).line(ROW)
    assert line == ("   7    12.345 alice@exampl~ bob@example.~ answered         0.120    31.000     - "
                    "a84b4c76e66710")


def test_call_numbers_and_times_widen_their_columns_instead_of_being_cut():
    columns = _Columns(100, rows=123456, span=250000.0)
    line = columns.line(["123456", "249999.125", *ROW[2:]])
    # The caller and callee columns give up the width.
    assert line == ("123456 249999.125 alice@examp~ bob@example~ answered         0.120    31.000     - "
                    "a84b4c76e66710")


def test_wide_characters_are_cut_by_cells_with_a_mark():
    columns = _Columns(100)
    line = columns.line(ROW[:2] + ["発信者発信者発信者発信者@example.jp", *ROW[3:]])
    assert "発信者発信者~" in line
    assert cell_len(line) <= 100
    # The Call-ID column starts at the same cell as in an ASCII line.
    ascii_line = columns.line(ROW)
    assert cell_len(line[: line.index("a84b")]) == ascii_line.index("a84b")
