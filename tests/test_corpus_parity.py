"""Every capture of the shared corpus: the SIP messages sipscope finds agree with tshark's (frame, method or status,
Call-ID, CSeq), except where tshark is blind or wrong; each exception says why and what sipscope finds instead.

tshark reports a message at the frame that completed it (the last TCP segment or IP fragment), so a message is
compared at its highest frame number. Every frame must also be accounted for.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sipscope.capture.files import CaptureError
from sipscope.pipeline import Ingestion

from .corpus import CAPTURES, corpus_captures, expected_rows

# capture -> (why tshark differs, what sipscope finds instead: the rows it reports)
EXCEPTIONS = {
    "hep-wireshark/hep.pcap": (
        "tshark 4.0 has no HEP dissector; sipscope decodes the HEP3 chunks (frames 5 and 8 carry a log line and "
        "an RTCP report, not SIP)",
        [
            (1, "INVITE", "", "qgf3dm9rudi@127.0.0.1", "1", "INVITE"),
            (2, "", "100", "qgf3dm9rudi@127.0.0.1", "1", "INVITE"),
            (3, "", "407", "qgf3dm9rudi@127.0.0.1", "1", "INVITE"),
            (4, "OPTIONS", "", "qgf3dm9rudi@127.0.0.1", "9999", "OPTIONS"),
            (6, "", "200", "qgf3dm9rudi@127.0.0.1", "9999", "OPTIONS"),
            (7, "PUBLISH", "", "qgf3dm9rudi@127.0.0.1", "1", "PUBLISH"),
        ],
    ),
    "nDPI/http_on_sip_port.pcap": (
        "HTTP on port 5060: tshark labels frames 3 and 4 'SIP Continuation' by port; they hold no SIP start line",
        [],
    ),
}

# Captures sipscope refuses, with the reason it must give.
REFUSED = {
    "sipnab/c07-sip-r2.cap": "Microsoft Network Monitor 2.x",
}


def _ours(path):
    ingestion = Ingestion([str(path)], strict=True)
    rows = [
        (max(m.frames), m.method or "", "" if m.status is None else str(m.status), m.call_id or "",
         "" if m.cseq_number is None else str(m.cseq_number), m.cseq_method or "")
        for m in ingestion
    ]
    return sorted(rows), ingestion.summary()


CAPTURE_PATHS = corpus_captures()


@pytest.mark.skipif(not CAPTURE_PATHS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", CAPTURE_PATHS, ids=lambda p: str(p.relative_to(CAPTURES)))
def test_messages_agree_with_tshark(path):
    name = str(path.relative_to(CAPTURES))
    if name in REFUSED:
        with pytest.raises(CaptureError, match=REFUSED[name]):
            _ours(path)
        return
    rows, summary = _ours(path)
    if name in EXCEPTIONS:
        _why, instead = EXCEPTIONS[name]
        assert rows == sorted(instead)
    else:
        assert rows == sorted(expected_rows(path))
    assert sum(summary["by_category"].values()) == summary["frames"]
    assert summary["internal_errors"] == []


@pytest.mark.skipif(not CAPTURE_PATHS, reason="../shared/corpus is not present")
def test_every_exception_names_a_corpus_file():
    names = {str(p.relative_to(CAPTURES)) for p in CAPTURE_PATHS}
    assert set(EXCEPTIONS) <= names
    assert set(REFUSED) <= names


SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TSHARK = shutil.which("tshark")


def _tshark_rows(path: Path) -> list[tuple]:
    fields = ["frame.number", "sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.CSeq.seq", "sip.CSeq.method"]
    command = [TSHARK, "-n", "-r", str(path), "-Y", "sip", "-T", "fields", "-o", "tcp.desegment_tcp_streams:TRUE"]
    for field in fields:
        command += ["-e", field]
    output = subprocess.run(command, capture_output=True, check=True, text=True, timeout=120).stdout
    rows = []
    for line in output.splitlines():
        frame, *values = (line.split("\t") + [""] * 6)[:6]
        rows.append((int(frame), *values))
    return sorted(rows)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.pcap")), ids=lambda p: p.name)
def test_samples_agree_with_live_tshark(path):
    rows, summary = _ours(path)
    assert rows == _tshark_rows(path)
    assert summary["by_category"]["sip"] == len({row[0] for row in rows})
