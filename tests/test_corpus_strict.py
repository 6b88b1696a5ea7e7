"""Every capture of ../shared/corpus, and every message file in it, through the whole ``sipscope analyze`` with
``--strict`` (an internal error raises instead of being counted): the terminal report, the HTML page and the JSON
document, with no traceback."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from sipscope.capture.files import CaptureError, CaptureFile
from sipscope.cli import main
from sipscope.testing import DEFAULT_TS, udp_frame, write_pcap

from .corpus import MESSAGES, corpus_captures

UDP_PAYLOAD = 65_507  # the most a UDP datagram over IPv4 holds


def analyze(path, tmp_path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(path), "--strict", "--jobs", "1", "--html", str(tmp_path / "report.html"),
                     "--fail-on", "never"])
    return code, out.getvalue()


def readable(path) -> bool:
    try:
        CaptureFile(str(path)).close()
    except CaptureError:
        return False
    return True


@pytest.mark.skipif(not corpus_captures(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", corpus_captures(), ids=lambda p: p.name)
def test_corpus_capture_analyzes_strictly(path, tmp_path, capsys):
    if not readable(path):  # a format sipscope does not read (see test_corpus_parity): one line, exit code 2
        assert analyze(path, tmp_path)[0] == 2
        assert capsys.readouterr().err.count("\n") == 1
        return
    code, report = analyze(path, tmp_path)
    assert code == 0
    assert report.startswith("sipscope: SIP capture analysis\n")
    assert (tmp_path / "report.html").read_text(encoding="utf-8").endswith("</html>\n")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main([str(path), "--strict", "--json", "--fail-on", "never"]) == 0
    assert json.loads(out.getvalue())["capture"]["frames"] > 0


@pytest.mark.skipif(not MESSAGES.is_dir(), reason="../shared/corpus is not present")
def test_every_message_file_analyzes_strictly(tmp_path):
    files = sorted(p for p in MESSAGES.rglob("*") if p.is_file() and p.suffix in (".dat", ".sip", ".msg", ""))
    datagrams = [path.read_bytes()[:UDP_PAYLOAD] for path in files]
    capture = tmp_path / "messages.pcap"
    write_pcap(capture, [(DEFAULT_TS + i * 1_000_000, udp_frame(data)) for i, data in enumerate(datagrams)])
    code, report = analyze(capture, tmp_path)
    assert code == 0
    assert f"{len(files)} frames" in report
