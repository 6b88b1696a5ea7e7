"""``sipscope analyze`` in the terminal: the capture, the calls table, the ladders, the findings, the statistics.

Everything is rendered from the ``Collector`` and the capture's summary. Colors come from rich and only when the
output is a terminal that wants them (rich honours ``NO_COLOR``); otherwise lines are written as plain text, which
is also much faster on reports of many calls. Text from packets is made printable before it gets here and is
placed in ``Text`` objects, never read as markup.
"""

from __future__ import annotations

import os

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ..knowledge import Knowledge
from ..text import fit, printable
from . import ladder, ladder_text
from .collect import Collector, Row, is_problem
from .facts import UNDERSTOOD, grouped, seconds, statistics_rows, understood, when
from .select import party_address

DEFAULT_WIDTH = 100
KIND_WIDTH = 24  # cells of a Call-ID kind (the first request's method) in the list of other Call-IDs
FINDINGS_PER_ID = 10  # instances listed under each finding id; the JSON and HTML reports list them all
OUTCOME_STYLES = {"answered": "green", "completed": "green", "busy": "yellow", "no_answer": "yellow",
                  "cancelled": "yellow", "redirected": "cyan", "open": "magenta", "rejected": "red", "failed": "red",
                  "unanswered": "red"}
SEVERITY_STYLES = ladder_text.SEVERITY_STYLES


def make_console(file, width: int | None = None) -> Console:
    """A console for ``file``: the terminal's width, else ``COLUMNS``, else 100 columns."""
    console = Console(file=file, highlight=False, emoji=False, markup=False)
    if width is None:
        width = console.width if console.is_terminal else _columns()
    console.width = width
    return console


def _columns() -> int:
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return DEFAULT_WIDTH


class Writer:
    """Lines to a console: styled through rich when it shows colors, else written as plain text."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.styled = console.color_system is not None and not console.no_color
        self.width = console.width
        self._pending: list[str] = []

    def line(self, text: Text | str = "") -> None:
        if self.styled and isinstance(text, Text):
            self.flush()
            self.console.print(text, overflow="ignore", crop=False, soft_wrap=True)
        else:
            self._pending.append((text.plain if isinstance(text, Text) else text) + "\n")
            if len(self._pending) >= 4096:
                self.flush()

    def flush(self) -> None:
        if self._pending:
            self.console.file.write("".join(self._pending))
            self._pending.clear()
        self.console.file.flush()


def render(writer: Writer, capture: dict, collector: Collector, knowledge: Knowledge, *, ladders: str = "auto",
           few: int = 5, max_ladders: int = 20, analyzer_stats=None, linked: list[list[str]] = (),
           tshark_hint: bool = False) -> None:
    """The whole report. ``ladders``: ``auto`` (every call when there are ``few`` or fewer, else those with
    problems, at most ``max_ladders``) or ``all`` (every flow the collector kept). The statistics are the
    analyzer's unless calls were left out. ``tshark_hint``: say how many frames tshark might read that were not."""
    label = knowledge.label
    _header(writer, capture, collector, label, tshark_hint)
    span = capture["last_time"] - capture["first_time"] if capture.get("first_time") is not None else 0.0
    numbers = _calls_table(writer, collector, label, span)  # by Call-ID (for the findings) and by row key (ladders)
    _ladders(writer, collector, numbers, knowledge, few, max_ladders if ladders == "auto" else 0)
    _findings(writer, collector, numbers, knowledge)
    stats = collector.stats if collector.selection.active or analyzer_stats is None else analyzer_stats
    _statistics(writer, stats.as_dict(), linked, label, collector.selection.active)
    writer.flush()


# -- the capture -------------------------------------------------------------------------------------------------
def _header(writer: Writer, capture: dict, collector: Collector, label, tshark_hint: bool) -> None:
    writer.line(Text(label("report.title"), style="bold"))
    for f in capture["files"]:
        kind = f["format"] + (", gzip" if f["compressed"] else "")
        writer.line(f"  {printable(f['name'])} ({kind})")
        for note in f["notes"]:
            writer.line(Text(f"    {label('report.note')}: {printable(note)}", style="yellow"))
    frames = capture["frames"]
    first, last = capture.get("first_time"), capture.get("last_time")
    if first is not None:
        writer.line(f"  {label('report.span', start=when(first), end=when(last), seconds=f'{last - first:.3f}')}")
    writer.line(f"  {label('report.frames_messages', frames=frames, messages=capture['sip_messages'])}")
    categories = capture["by_category"]
    count, share, not_understood = understood(capture)
    writer.line(f"  {label('report.understood', frames=count, share=share)} "
                f"(sip {categories['sip']}, {label('report.other_traffic')} {categories['other']})")
    style = "yellow" if not_understood else "green"
    writer.line(Text(f"  {label('report.not_understood', frames=not_understood)}", style=style))
    for entry in capture["reasons"]:
        if entry["category"] in UNDERSTOOD:
            continue
        _wrapped(writer, f"{entry['category']}: {printable(entry['reason'])}: {entry['frames']} "
                         f"({label('report.frames')} {_frames(entry['examples'], entry['frames'])})", 4)
    for entry in capture["events"]:
        examples = f" ({label('report.frames')} {_frames(entry['examples'], entry['count'])})" \
            if entry["examples"] else ""
        _wrapped(writer, f"{printable(entry['event'])}: {entry['count']}{examples}", 4)
    unsupported = capture["by_category"].get("unsupported", 0)
    if tshark_hint and unsupported:  # encrypted TLS, link types and tunnels the native decoder does not know
        _wrapped(writer, label("report.tshark_might", frames=unsupported), 4, "yellow")
    for error in capture["internal_errors"]:
        writer.line(Text(f"    {label('report.internal_error', frame=error['frame'])}: {printable(error['error'])}",
                         style="bold red"))
    if collector.selection.active:
        writer.line(f"  {label('report.selected', calls=collector.calls, left_out=collector.left_out)}")
    writer.line()


def _frames(examples: list[int], count: int) -> str:
    return ", ".join(map(str, examples)) + (", ..." if count > len(examples) else "")


# -- the calls table ---------------------------------------------------------------------------------------------
class CallsTable:
    """The calls table's layout for a width.

    The cells from the caller to the findings depend only on the row and the width: they are formatted as each row
    is made (``Collector(table=CallsTable(width))``, which runs in every worker process), so a table of many
    calls costs the end of the run little. The number and the time are formatted as the table is written, when the
    number of calls and the capture's length size their columns; the Call-ID, last, takes the width left.
    """

    MIDDLE = (("caller", 0, False), ("callee", 0, False), ("outcome", 14, False), ("setup", 7, True),
              ("duration", 9, True), ("findings", 5, True))
    NUMBER, TIME = 4, 9  # the narrowest number and time columns
    CALL_ID = 6  # the narrowest Call-ID column

    def __init__(self, width: int) -> None:
        fixed = self.NUMBER + self.TIME + sum(w for _n, w, _r in self.MIDDLE) + len(self.MIDDLE) + 2
        rest = max(width - fixed, 36)
        party = max(12, rest * 3 // 10)
        self.widths = [party, party] + [w for _n, w, _r in self.MIDDLE[2:]]
        self.right = [right for _n, _w, right in self.MIDDLE]
        self.call_id = rest - 2 * party
        self._template = " ".join(f"{{:{'>' if right else '<'}{width}}}"
                                  for width, right in zip(self.widths, self.right))

    def middle(self, row: Row) -> str:
        """The cells of ``row`` from the caller to the findings, as one string."""
        values = _middle_values(row)
        if "".join(values).isascii():  # a cell per character: the common case, kept quick for tables of many calls
            return self._template.format(*[text if len(text) <= width else text[: width - 1] + "~"
                                           for text, width in zip(values, self.widths)])
        return " ".join(_cells(values, self.widths, self.right))

    def outer(self, rows: int, span: float) -> tuple[int, int, int]:
        """The widths of the number, time and Call-ID columns for a table of ``rows`` over ``span`` seconds, so that
        neither a number nor a time is ever cut."""
        number = max(self.NUMBER, len(str(rows)))
        time = max(self.TIME, len(f"{span:.3f}"))
        return number, time, max(self.CALL_ID, self.call_id - (number - self.NUMBER) - (time - self.TIME))

    def header(self, widths: tuple[int, int, int], label) -> str:
        number, time, call_id = widths
        cells = _cells(["#", label("report.col.time"), *(label(f"report.col.{name}") for name, _w, _r in self.MIDDLE),
                        label("report.col.call_id")],
                       [number, time, *self.widths, call_id], [True, True, *self.right, False])
        return " ".join(cells).rstrip()


def _middle_values(row: Row) -> list[str]:
    outcome = row.outcome + (f" {row.status}" if row.status and row.outcome != "answered" else "")
    return [party_address(row.caller) or "-", party_address(row.callee) or "-", outcome, seconds(row.setup_time),
            seconds(row.duration), str(row.findings) if row.findings else "-"]


def _cells(values: list[str], widths: list[int], right: list[bool]) -> list[str]:
    """Each value cut or padded to its column's width in terminal cells."""
    cells = []
    for text, width, to_right in zip(values, widths, right):
        text = fit(text, width)
        room = " " * (width - cell_len(text))
        cells.append(room + text if to_right else text + room)
    return cells


def _calls_table(writer: Writer, collector: Collector, label, span: float) -> dict:
    """Write the table (``span``: the capture's length in seconds); returns the number of each call a finding names
    (by Call-ID) or a ladder draws (by row key)."""
    table = collector.table or CallsTable(writer.width)
    widths = table.outer(len(collector.rows), span)
    calls = 0
    wanted = {printable(f.call_id) for f in collector.findings.sorted() if f.call_id}
    drawn = set(collector.flow_keys())
    numbers: dict = {}
    for key, row in collector.sorted_rows():
        if row.number:
            if row.call_id in wanted:
                numbers.setdefault(row.call_id, row.number)
            if key in drawn:
                numbers[key] = row.number
        if not row.is_call:
            continue
        calls += 1
        if calls == 1:
            writer.line(Text(f"{label('report.calls')}: {collector.calls - sum(collector.other_kinds.values())}",
                             style="bold"))
            writer.line(Text(table.header(widths, label), style="bold"))
        _call_row(writer, table, widths, row)
    if calls == 0:
        writer.line(Text(f"{label('report.calls')}: 0", style="bold"))
    if collector.other_kinds:
        kinds = ", ".join(f"{n} {fit(printable(kind), KIND_WIDTH)}"
                          for kind, n in sorted(collector.other_kinds.items()))
        _wrapped(writer, f"{label('report.other_call_ids')}: {kinds}", 0)  # a method is any token, of any length
    writer.line()
    return numbers


def _call_row(writer: Writer, table: CallsTable, widths: tuple[int, int, int], row: Row) -> None:
    number, time, call_id_width = widths
    call_id = fit(row.call_id, call_id_width)
    if not writer.styled:
        writer.line(f"{row.number:>{number}} {row.start:>{time}.3f} {row.middle or table.middle(row)} {call_id}"
                    .rstrip())
        return
    head = f"{row.number:>{number}} {row.start:>{time}.3f} "
    middle = _cells(_middle_values(row), table.widths, table.right)
    text = Text(head + " ".join(middle) + " " + call_id)
    # Characters, not cells, place the styles: the outcome is the third cell of the middle, the findings the last.
    outcome = len(head) + len(middle[0]) + len(middle[1]) + 2
    text.stylize(OUTCOME_STYLES.get(row.outcome, ""), outcome, outcome + len(middle[2]))
    if row.worst:
        findings = len(head) + sum(map(len, middle[:-1])) + len(middle) - 1
        text.stylize(SEVERITY_STYLES[row.worst], findings, findings + len(middle[-1]))
    writer.line(text)


# -- ladders -----------------------------------------------------------------------------------------------------
def _ladders(writer: Writer, collector: Collector, numbers: dict[str, int], knowledge: Knowledge, few: int,
             limit: int) -> None:
    """Draw the kept flows: every call when there are ``few`` or fewer (other Call-IDs only with problems, when
    there are calls), else the calls with problems (at most ``limit``; 0 draws every flow kept)."""
    label = knowledge.label
    few = collector.calls <= few
    has_calls = collector.calls > sum(collector.other_kinds.values())
    drawn = 0
    for key, summary, findings in collector.kept_flows():
        if limit and not is_problem(findings) and (not few or (has_calls and summary["kind"] != "call")):
            continue  # beside calls, an OPTIONS ping or a REGISTER that went well is not worth a ladder
        if limit and drawn >= limit:
            break
        if drawn == 0:
            writer.line(Text(label("report.ladders"), style="bold"))
            _wrapped(writer, label("report.ladder_legend"), 0, "dim")
            writer.line()
        drawn += 1
        draw_ladder(writer, summary, findings, numbers.get(key), knowledge)
    more = 0 if few or not limit else collector.problems - drawn
    if more > 0:
        _wrapped(writer, label("report.more_ladders", count=more), 0, "dim")
        writer.line()


def draw_ladder(writer: Writer, summary: dict, findings: list, number: int | None, knowledge: Knowledge) -> None:
    """One call's ladder with a title line: its number, Call-ID, parties, outcome and findings."""
    label = knowledge.label
    title = Text()
    title.append(f"{label('report.call')} {number}" if number else printable(summary["kind"]).upper(),
                 style="bold")
    title.append(f"  {label('report.col.call_id')} {printable(summary['call_id'])}")
    if summary.get("caller") or summary.get("callee"):
        title.append(f"  {printable(summary['caller'] or '-')} → {printable(summary['callee'] or '-')}")
    status = f" {summary['status']}" if summary["status"] else ""
    title.append(f"  {summary['outcome']}{status}", style=OUTCOME_STYLES.get(summary["outcome"], ""))
    _wrapped(writer, title, 0)
    drawing = ladder.build(summary, findings, knowledge)
    for line in ladder_text.draw(drawing, writer.width, lambda s: label("severity." + s)):
        writer.line(line)
    writer.line()


# -- findings ----------------------------------------------------------------------------------------------------
def _findings(writer: Writer, collector: Collector, numbers: dict[str, int], knowledge: Knowledge) -> None:
    label = knowledge.label
    kept = collector.findings
    counts = kept.by_severity()
    writer.line(Text(f"{label('report.findings')}: {len(kept)} ("
                     + ", ".join(f"{label('severity.' + s)} {n}" for s, n in counts.items()) + ")", style="bold"))
    for severity, by_id in grouped(kept.sorted()).items():
        style = SEVERITY_STYLES[severity]
        writer.line()
        writer.line(Text(f"{label('severity.' + severity).upper()} ({counts[severity]})", style=style + " bold"))
        for finding_id, group in by_id.items():
            entry = knowledge.finding(finding_id)
            head = Text("  ")
            head.append(finding_id, style=style)
            total = kept.counts[(severity, finding_id)]
            head.append(f"  {entry.title}  ×{total}")
            writer.line(head)
            for finding in group[:FINDINGS_PER_ID]:
                _wrapped(writer, _instance(finding, numbers, label), 4)
            if total > FINDINGS_PER_ID:
                writer.line(Text(f"      {label('report.more_findings', count=total - FINDINGS_PER_ID)}",
                                 style="dim"))
            _wrapped(writer, f"{label('report.guidance')}: {entry.texts['fix']}", 4, "italic")
    writer.line()


def _wrapped(writer: Writer, text: str | Text, indent: int, style: str = "") -> None:
    """``text`` wrapped to the width, each line indented (rich wraps by cells, so CJK text wraps too)."""
    text = Text(text, style=style) if isinstance(text, str) else text
    for line in text.wrap(writer.console, max(writer.width - indent, 20)):
        line.rstrip()
        writer.line(Text(" " * indent) + line)


def _instance(finding, numbers: dict[str, int], label) -> Text:
    number = numbers.get(printable(finding.call_id or ""))
    where = f"{label('report.call')} {number}" if number else printable(finding.call_id or "-")
    frames = ",".join(map(str, finding.frames[:12])) + (",..." if len(finding.frames) > 12 else "")
    line = Text(f"{where}, {label('report.frames')} {frames}: ")
    line.append(printable(finding.summary))
    if not finding.conclusive:
        line.append(f" [{label('report.inconclusive')}]", style="dim")
    return line


# -- statistics --------------------------------------------------------------------------------------------------
def _statistics(writer: Writer, stats: dict, linked, label, selected: bool) -> None:
    writer.line(Text(label("report.statistics_selected" if selected else "report.statistics"), style="bold"))
    for name, text in statistics_rows(stats, label):  # wrapped: a method is any token, of any length
        if text:
            _wrapped(writer, f"{name}: {text}" if name else text, 2)
    for group in linked:
        _wrapped(writer, f"{label('report.linked')}: " + " + ".join(printable(call_id) for call_id in group), 2)
