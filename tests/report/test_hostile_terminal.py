"""Packet text in the terminal report: escape sequences are shown, not obeyed; rich markup prints as it is; the
layout holds at 100 columns. The same hostile capture is checked in the browser by ``test_html_browser``."""

from __future__ import annotations

import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from sipscope.capture.files import CaptureFile
from sipscope.cli import main
from sipscope.knowledge import Knowledge
from sipscope.parallel import analyze_calls
from sipscope.report import terminal
from sipscope.report.collect import Collector
from sipscope.report.select import Selection

from .captures import HOSTILE_DISPLAY, hostile

SGR = re.compile(r"\x1b\[[0-9;]*m")  # what rich itself writes for colors


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.pcap"
    hostile(path)
    return path


def test_plain_report_shows_escapes_and_markup_as_text(capture, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    main([str(capture)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert HOSTILE_DISPLAY in out.replace("\n", " ")  # [bold red] and <script> as written (the title wraps)
    assert "486 Busy <img src=x onerror=\"window.pwned=2\"> \\x1b[31mRED\\x1b[0m to INVITE" in out
    assert all(cell_len(line) <= 100 for line in out.splitlines())


def test_colored_report_writes_only_its_own_color_codes(capture):
    result, collector = analyze_calls([CaptureFile(capture)], lambda start: Collector(Selection(), start), 1,
                                      strict=True)
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system="truecolor", highlight=False,
                      markup=False, emoji=False)
    writer = terminal.Writer(console)
    assert writer.styled
    terminal.render(writer, result.capture, collector, Knowledge("en"), analyzer_stats=result.stats)
    text = out.getvalue()
    assert SGR.search(text)  # it is colored...
    bare = SGR.sub("", text)
    assert "\x1b" not in bare and "\x07" not in bare  # ...and nothing else reaches the terminal
    assert HOSTILE_DISPLAY in bare.replace("\n", " ")
    assert "\\x1b[31mRED\\x1b[0m" in bare
