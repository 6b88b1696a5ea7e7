"""The HTML report in a real browser (Debian's Chromium driven by Playwright): the ladders, the calls table and the
findings are there, filtering and sorting work, a message opens whole, nothing is fetched from the network,
Arabic runs right to left, and a hostile capture's report runs no script. The Mermaid text is checked by Mermaid's
own parser in the same browser when ``SIPSCOPE_MERMAID_JS`` names its ``mermaid.min.js`` (``.ci/run`` fetches it).

Skipped when Playwright or Chromium is missing; ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sipscope.cli import main

from .captures import HOSTILE_AGENT, HOSTILE_CALL_ID, HOSTILE_DISPLAY, HOSTILE_REASON, hostile, three_calls

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# As the machine's own probe starts it: no sandbox (root in a container), no background network traffic.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class Page:
    """A report opened in a fresh page, with every request it made and every dialog it tried to open."""

    def __init__(self, browser, path: Path):
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())


def html_report(tmp_path: Path, capture: str, *options: str) -> Path:
    out = tmp_path / "report.html"
    main([capture, "--html", str(out), *options])
    return out


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("html") / "three.pcap"
    three_calls(path)
    return str(path)


def test_sample_report_has_its_parts_and_fetches_nothing(browser, tmp_path, capsys):
    report = html_report(tmp_path, str(SAMPLES / "refer-transfer-udp.pcap"))
    capsys.readouterr()
    view = Page(browser, report)
    page = view.page
    assert view.requests == [report.as_uri()]  # the page itself, and nothing else
    assert view.errors == []
    assert page.locator("svg.ladder").count() == 1
    assert page.locator("svg.ladder .msg").count() == 13
    # SVG text has no rendered-text view: its text content, title included.
    assert page.locator("svg.ladder text.endpoint").all_text_contents() == ["127.0.0.1:5170127.0.0.1:5170",
                                                                            "127.0.0.1:5171127.0.0.1:5171"]
    assert page.locator("#calls-table tbody tr").count() == 1
    assert page.locator("#calls-table tbody td").nth(8).inner_text() == "1-7818@127.0.0.1"
    finding = page.locator("details.finding")
    assert finding.count() == 1 and "refer.transfer_failed" in finding.inner_text()
    assert "the NOTIFY reports 486 Busy Here" in finding.inner_text()
    assert page.locator("#knowledge details.card").count() == 7  # 100, 180, 200 x3 methods, 202/REFER, finding
    # A message opens whole in the viewer.
    page.locator("svg.ladder .msg").nth(6).click()
    assert page.locator("#viewer").is_visible()
    assert page.locator("#viewer-text").inner_text().startswith("SIP/2.0 202 Accepted\nVia: SIP/2.0/UDP")
    assert view.requests == [report.as_uri()]


def test_filtering_and_sorting_the_calls_table(browser, tmp_path, three, capsys):
    report = html_report(tmp_path, three)
    capsys.readouterr()
    page = Page(browser, report).page
    rows = page.locator("#calls-table tbody tr")

    def visible_numbers() -> list[str]:
        return [row.locator("td").first.inner_text() for row in rows.all() if row.is_visible()]

    assert visible_numbers() == ["1", "2", "3"]
    page.fill("#filter", "busy")
    assert visible_numbers() == ["2"] and page.inner_text("#shown") == "1"
    page.fill("#filter", "alice answered")
    assert visible_numbers() == ["1", "3"]
    page.fill("#filter", "")
    page.check("#problems")
    assert visible_numbers() == ["3"]
    page.uncheck("#problems")
    page.click("#calls-table th[data-column='6']")  # duration, ascending: busy has none (sorted first)
    assert visible_numbers() == ["2", "1", "3"]
    page.click("#calls-table th[data-column='6']")
    assert visible_numbers() == ["3", "1", "2"]
    assert page.locator("svg.ladder").count() == 3


def test_arabic_report_runs_right_to_left_with_ladders_left_to_right(browser, tmp_path, capsys):
    report = html_report(tmp_path, str(SAMPLES / "missing-ack-udp.pcap"), "--lang", "ar")
    capsys.readouterr()
    page = Page(browser, report).page
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.scroll')).direction") == "ltr"
    assert page.inner_text("h1") == "sipscope: تحليل التقاط SIP"


def test_hostile_capture_report_runs_no_script_and_shows_the_text(browser, tmp_path, capsys):
    capture = tmp_path / "hostile.pcap"
    hostile(capture)
    report = html_report(tmp_path, str(capture))
    capsys.readouterr()
    source = report.read_text(encoding="utf-8")
    assert "<script>window" not in source and "<img src=x" not in source and "<svg onload" not in source
    view = Page(browser, report)
    page = view.page
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert view.dialogs == [] and view.errors == []
    assert page.locator("script").count() == 1  # the page's own
    assert view.requests == [report.as_uri()]
    table = page.inner_text("#calls-table")
    assert HOSTILE_CALL_ID in table
    title = page.inner_text("article.call h3")
    assert HOSTILE_DISPLAY in title  # the display name, script and rich markup alike, as text
    labels = page.locator("svg.ladder text.label").all_text_contents()
    assert labels[1].startswith("486 Busy <img src=x")
    assert page.locator("svg.ladder text.agent title").text_content() == HOSTILE_AGENT.replace("\x1b", "\\x1b") \
        .replace("\x07", "\\x07")
    page.locator("svg.ladder .msg").nth(1).click()
    raw = page.inner_text("#viewer-text")
    assert HOSTILE_REASON.replace("\x1b", "\\x1b") in raw  # the escape shown, not obeyed


@pytest.mark.skipif(not os.environ.get("SIPSCOPE_MERMAID_JS"), reason="SIPSCOPE_MERMAID_JS is not set")
@pytest.mark.parametrize("capture", ["three", "hostile", "sample"])
def test_mermaid_output_parses_with_mermaid(browser, tmp_path, three, capsys, capture):
    if capture == "three":
        path = three
    elif capture == "sample":
        path = str(SAMPLES / "refer-transfer-udp.pcap")
    else:
        path = str(tmp_path / "hostile.pcap")
        hostile(Path(path))
    main([path, "--call", "1", "--mermaid"])
    text = capsys.readouterr().out
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=os.environ["SIPSCOPE_MERMAID_JS"])
    parsed = page.evaluate("async (text) => { try { const r = await mermaid.parse(text); return r.diagramType; }"
                           " catch (e) { return 'error: ' + e.message; } }", text)
    assert parsed == "sequence"
    bad = page.evaluate("async (text) => { try { await mermaid.parse(text); return 'parsed'; }"
                        " catch (e) { return 'rejected'; } }", text.replace("->>", "->>>", 1) + "    E0->>: x\n")
    assert bad == "rejected"  # the parser does reject what is broken
