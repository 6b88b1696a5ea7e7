"""A ladder drawn with box characters for the terminal, fitted to a width (readable at 100 columns).

Each line is a row of terminal cells, so that a wide character (CJK) takes two cells and the lifelines stay
straight. Text from packets arrives here already printable (``ladder.build``); it is placed as plain text, never
read as markup.
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text

from ..text import fit, printable
from .ladder import Arrow, Ladder

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MAX_SPACING = 30  # cells between two lifelines, at most
MIN_SPACING = 9


class Canvas:
    """One line of ``width`` cells with styled runs."""

    def __init__(self, width: int) -> None:
        self.cells = [" "] * width
        self.spans: list[tuple[int, int, str]] = []

    def put(self, x: int, text: str, style: str | None = None) -> int:
        """Write ``text`` from cell ``x``, cut with ``~`` at the line's end; returns the cell after it."""
        cells = self.cells
        start = x
        for char in fit(text, len(cells) - x):
            size = get_character_cell_size(char)
            if size == 0:
                continue  # a combining mark or a zero-width character: dropped rather than shifting the grid
            cells[x] = char
            if size == 2:
                cells[x + 1] = ""
            x += size
        if style and x > start:
            self.spans.append((start, x, style))
        return x

    def text(self) -> Text:
        offsets = [0]
        for cell in self.cells:
            offsets.append(offsets[-1] + len(cell))
        line = Text("".join(self.cells).rstrip())
        for start, stop, style in self.spans:
            line.stylize(style, offsets[start], offsets[stop])
        return line


def draw(ladder: Ladder, width: int, severity_label=lambda severity: severity) -> list[Text]:
    """The ladder's lines: endpoint names, then an arrow per message with its frame and time, the knowledge
    note of each first response of a code, and the findings on the arrow they are about."""
    arrows = ladder.arrows
    frame_width = max([len(str(a.frame)) for a in arrows] + [5])
    time_width = max([len(f"{a.after:.3f}") for a in arrows] + [5])
    gutter = frame_width + time_width + 3
    count = max(len(ladder.endpoints), 1)
    spacing = max(MIN_SPACING, min(MAX_SPACING, (width - gutter) // count))
    line_width = max(width, gutter + count * spacing)
    lifelines = [gutter + i * spacing + spacing // 2 for i in range(count)]

    def blank() -> Canvas:
        canvas = Canvas(line_width)
        for x in lifelines:
            canvas.cells[x] = "│"
        return canvas

    lines = []
    for row, attribute, style in ((0, "address", "bold"), (1, "agent", "dim")):
        canvas = Canvas(line_width)
        for x, endpoint in zip(lifelines, ladder.endpoints):
            name = getattr(endpoint, attribute) or ""
            name = fit(name, spacing - 1)
            canvas.put(x - cell_len(name) // 2, name, style)
        if row == 0 or any(e.agent for e in ladder.endpoints):
            lines.append(canvas.text())
    for arrow in arrows:
        canvas = blank()
        canvas.put(0, f"{arrow.frame:>{frame_width}} {arrow.after:>{time_width}.3f}", "dim")
        _arrow(canvas, arrow, lifelines)
        lines.append(canvas.text())
        text_from = lifelines[0] + 2
        if arrow.note:
            canvas = blank()
            canvas.put(text_from, arrow.note, "dim italic")
            lines.append(canvas.text())
        for finding in arrow.findings:
            lines.append(_finding_line(blank(), text_from, finding, severity_label))
    for finding in ladder.unplaced:
        lines.append(_finding_line(blank(), lifelines[0] + 2, finding, severity_label))
    return lines


def _arrow(canvas: Canvas, arrow: Arrow, lifelines: list[int]) -> None:
    style = "dim" if arrow.again else ("green" if arrow.is_request else _response_style(arrow.label))
    label = ("↻ " if arrow.again else "") + arrow.label
    start, end = lifelines[arrow.source], lifelines[arrow.target]
    if start == end:  # a message to itself (a loop, or two ends behind one address)
        canvas.put(start + 1, "─↺ " + label, style)
        return
    line = "╌" if arrow.again else "─"
    low, high = min(start, end), max(start, end)
    for x in range(low + 1, high):
        canvas.cells[x] = line
    if end > start:
        canvas.cells[high - 1] = "▶"
    else:
        canvas.cells[low + 1] = "◀"
    canvas.spans.append((low + 1, high, style))
    room = high - low - 4  # a line cell and the head on either side
    text = " " + fit(label, room - 2) + " "
    canvas.put(low + 2 + max(0, (room - cell_len(text)) // 2), text, style + " bold" if not arrow.again else style)


def _finding_line(canvas: Canvas, x: int, finding, severity_label) -> Text:
    style = SEVERITY_STYLES.get(finding.severity, "")
    end = canvas.put(x, f"▲ {severity_label(finding.severity)} {finding.id}", style)
    canvas.put(end, ": " + printable(finding.summary))
    return canvas.text()


def _response_style(label: str) -> str:
    code = label[:1]
    return {"1": "blue", "2": "green", "3": "cyan", "4": "red", "5": "red", "6": "red"}.get(code, "")
