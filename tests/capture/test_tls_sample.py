"""The TLS sample (samples/tls-call.pcap, recorded by samples/record_tls.py with its session keys): the native
reader counts every frame that carries TLS records as encrypted, and the keys are the right ones (tshark, when
installed, decrypts the seven messages of the call with them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sipscope.pipeline import ENCRYPTED, Ingestion

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CAPTURE, KEYS = SAMPLES / "tls-call.pcap", SAMPLES / "tls-call.keys"


def sip_frames_by_tshark(*options: str) -> list[tuple[str, str]]:
    out = subprocess.run(["tshark", "-n", "-r", str(CAPTURE), *options, "-Y", "sip", "-T", "fields",
                          "-e", "frame.number", "-e", "sip.CSeq"], capture_output=True, text=True, check=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def test_the_native_reader_counts_the_tls_frames_as_encrypted():
    ingestion = Ingestion([str(CAPTURE)], strict=True)
    assert list(ingestion) == []
    summary = ingestion.summary()
    encrypted = next(r for r in summary["reasons"] if (r["category"], r["reason"]) == ENCRYPTED)
    assert encrypted["frames"] == summary["by_category"]["unsupported"] == 12
    assert summary["by_category"]["other"] == 15  # the handshake's bare ACKs, SYNs and FINs: no payload


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_the_keys_decrypt_the_call():
    assert sip_frames_by_tshark() == []  # without the keys, nothing
    found = sip_frames_by_tshark("-o", f"tls.keylog_file:{KEYS}")
    assert [cseq for _frame, cseq in found] == ["1 INVITE", "1 INVITE", "1 INVITE", "1 INVITE", "1 ACK", "2 BYE",
                                                 "2 BYE"]


def test_the_report_says_tshark_might_read_the_encrypted_frames(capsys, monkeypatch):
    from sipscope.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    main([str(CAPTURE)])  # --engine auto, the default
    assert "tshark might read 12 of them (encrypted TLS, link types or tunnels sipscope does not decode): try " \
           "--engine tshark, with --tls-keylog FILE for TLS" in capsys.readouterr().out
    main([str(CAPTURE), "--engine", "native"])
    assert "tshark might" not in capsys.readouterr().out
