"""Every displayed field of an attacker's call, in the terminal and in the HTML page: URLs are never made links,
markup stays text, a 3,000-character reason phrase does not break the layout, and bytes that are not UTF-8 are
shown as escapes (never dropped, never raising)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from html.parser import HTMLParser

import pytest
from rich.cells import cell_len

from sipscope.cli import main

from .captures import LONG_REASON, URL_CALLEE, URL_SERVER, URL_USER, hostile_fields

SHOWN_NOT_UTF8 = "\\xff\\xfe\\xc3(bad"  # each byte that is not UTF-8 as an escape, the rest as it is


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("fields") / "fields.pcap"
    hostile_fields(path)
    return path


def test_terminal_report_keeps_its_layout_and_shows_every_field(capture, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = io.StringIO()
    with redirect_stdout(out):
        main([str(capture), "--fail-on", "never"])
    text = out.getvalue()
    assert all(cell_len(line) <= 100 for line in text.splitlines())
    assert SHOWN_NOT_UTF8 in text
    assert URL_CALLEE in text.replace("\n", " ")  # in the ladder's title, wrapped
    assert "486 Busy AAAA" in text and LONG_REASON not in text.replace("\n", "")  # cut in the ladder and table
    assert "\x1b" not in text


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_makes_no_link_handler_or_script_of_packet_text(capture, tmp_path):
    page = tmp_path / "page.html"
    with redirect_stdout(io.StringIO()):
        main([str(capture), "--html", str(page), "--fail-on", "never"])
    parsed = Elements()
    parsed.feed(page.read_text(encoding="utf-8"))
    tags = [tag for tag, _attrs in parsed.tags]
    assert tags.count("script") == 1  # the page's own
    assert not {"iframe", "img", "object", "embed", "form", "base"} & set(tags)
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert all(value is None or "javascript:" not in value for value in attrs.values()), (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith("#"), attrs  # links only within the page
    text = "".join(parsed.text)
    for field in (URL_CALLEE, URL_SERVER, URL_USER, SHOWN_NOT_UTF8, LONG_REASON):
        assert field in text  # as text (the raw message holds the whole reason phrase)


def test_a_long_extension_method_keeps_the_other_call_ids_line_in_the_width(tmp_path, monkeypatch):
    from sipscope.testing import DEFAULT_TS, make_request, udp_frame, write_pcap

    path = tmp_path / "methods.pcap"
    method = "A" * 500  # any token is a method (RFC 3261 section 25.1): it names its Call-ID's kind
    write_pcap(path, [(DEFAULT_TS, udp_frame(make_request(method, call_id="long@x")))])
    monkeypatch.setenv("COLUMNS", "100")
    out = io.StringIO()
    with redirect_stdout(out):
        main([str(path), "--fail-on", "never"])
    text = out.getvalue()
    assert "other Call-IDs: 1 " + "a" * 23 + "~" in text
    assert all(cell_len(line) <= 100 for line in text.splitlines())
