"""The two ways in, cross-checked on every capture of ../shared/corpus: sipscope's own reader and tshark
(``--engine tshark``) must find the same SIP messages (frames, start lines, Call-IDs, CSeq) and come to the same
findings. The differences that are expected are listed here, each with why."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from sipscope.capture.files import CaptureError, CaptureFile
from sipscope.cli import main

from .corpus import CAPTURES, corpus_captures

pytest.importorskip("pyshark")
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None or not corpus_captures(),
                                reason="needs tshark and ../shared/corpus")

DIFFERENCES = {
    "hep-wireshark/hep.pcap": "HEP (Homer's encapsulation, UDP port 9060): tshark 4.0 has no HEP dissector, so it "
                              "finds no SIP at all where the native reader finds six messages",
    "sipnab/c07-sip-r2.cap": "a Microsoft Network Monitor 2 file: the native reader reads pcap and pcapng only, "
                             "the tshark engine reads it (frame count and times from capinfos)",
}


def analysis(path, *engine: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(path), "--json", "--strict", "--fail-on", "never", *engine]) == 0
    return json.loads(out.getvalue())


def messages(document: dict) -> list[tuple]:
    return [(tuple(m["frames"]), m.get("method") or m.get("status"), m.get("call_id"), m.get("cseq"))
            for m in document["messages"]]


def findings(document: dict) -> list[tuple]:
    return [(f["id"], f["call_id"], tuple(f["frames"])) for f in document["findings"]]


def name(path) -> str:
    return str(path.relative_to(CAPTURES))


@pytest.mark.parametrize("path", corpus_captures(), ids=name)
def test_both_engines_find_the_same_messages_and_findings(path):
    if name(path) in DIFFERENCES:
        pytest.skip(DIFFERENCES[name(path)])
    try:
        CaptureFile(str(path)).close()
    except CaptureError:
        pytest.fail(f"{name(path)} cannot be read: list it in DIFFERENCES with why")
    ours, theirs = analysis(path), analysis(path, "--engine", "tshark")
    assert messages(theirs) == messages(ours)
    assert findings(theirs) == findings(ours)


def test_a_netmon_file_is_the_tshark_engines_alone(capsys):
    path = CAPTURES / "sipnab" / "c07-sip-r2.cap"
    assert main([str(path)]) == 2  # one line saying how to convert it
    document = analysis(path, "--engine", "tshark")
    assert (document["capture"]["frames"], len(document["messages"])) == (39, 12)
    assert document["capture"]["files"][0]["format"] == "netmon2"
    assert main([str(path), "--engine", "tshark", "--write", "out.pcap"]) == 2  # nothing to copy frames from
    assert "not from a netmon2 file" in capsys.readouterr().err


def test_hep_is_the_native_readers_alone():
    path = CAPTURES / "hep-wireshark" / "hep.pcap"
    assert len(messages(analysis(path))) == 6
    assert messages(analysis(path, "--engine", "tshark")) == []
