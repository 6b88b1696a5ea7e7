"""The tshark engine (``capture/tshark.py``) against the native reader: the same messages, with the same frames,
times, addresses and transports, on the samples and on a TCP stream whose messages are pipelined and split; and
the SIP over TLS that only it can read, with the session keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sipscope.capture import tshark
from sipscope.pipeline import Ingestion
from sipscope.testing import DEFAULT_TS, make_request, make_response, tcp_frame, write_pcap

pytest.importorskip("pyshark")
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PLAIN = sorted(p for p in SAMPLES.glob("*.pcap") if p.stem != "tls-call")
SYN, PSH_ACK = 0x02, 0x18


def native(path) -> list[tuple]:
    return [facts(m) for m in Ingestion([str(path)], strict=True)]


def by_tshark(path, options: tshark.Options | None = None) -> list[tuple]:
    return [facts(m) for m in tshark.read(str(path), options)]


def facts(message) -> tuple:
    return (message.frames, message.time, message.src, message.dst, message.transport, message.start_line,
            message.call_id, message.cseq_number, message.raw)


@pytest.mark.parametrize("path", PLAIN, ids=lambda p: p.stem)
def test_samples_give_the_messages_of_the_native_reader(path):
    assert by_tshark(path) == native(path)


def test_pipelined_and_split_messages_get_the_frames_of_their_own_bytes(tmp_path):
    first, second = make_request("OPTIONS", cseq=1, branch="z9hG4bK-a"), make_request("OPTIONS", cseq=2,
                                                                                        branch="z9hG4bK-b")
    third = make_response(200, "OK", method="OPTIONS", cseq=2, branch="z9hG4bK-b", body=b"x" * 900)
    stream = first + second + third
    # Frame 2 holds the first message and the start of the second; frame 3 the rest of it and the start of the
    # third, which ends in frames 4 and 5.
    cuts = [0, len(first) + 40, len(first) + len(second) + 100, len(stream) - 300, len(stream)]
    frames = [tcp_frame(999, SYN)] + [tcp_frame(1000 + a, PSH_ACK, stream[a:b]) for a, b in zip(cuts, cuts[1:])]
    path = tmp_path / "pipelined.pcap"
    write_pcap(path, [(DEFAULT_TS + i * 1_000_000, frame) for i, frame in enumerate(frames)])
    found = by_tshark(path)
    assert [f[0] for f in found] == [(2,), (2, 3), (3, 4, 5)]
    assert found == native(path)


def test_sip_over_tls_is_read_with_the_keys_only():
    capture, keys = SAMPLES / "tls-call.pcap", SAMPLES / "tls-call.keys"
    assert by_tshark(capture) == [] == native(capture)
    found = by_tshark(capture, tshark.Options(keylog=str(keys)))
    assert [(f[0], f[4], f[5].split(" ")[0 if f[5][0] != "S" else 1]) for f in found] == [
        ((10,), "tls", "INVITE"), ((13,), "tls", "100"), ((15,), "tls", "180"), ((17,), "tls", "200"),
        ((19,), "tls", "ACK"), ((21,), "tls", "BYE"), ((23,), "tls", "200")]
    assert {f[2] for f in found} == {"127.0.0.1:5161", "127.0.0.1:5061"}


def test_a_missing_key_log_or_tshark_is_a_clear_error(monkeypatch):
    with pytest.raises(tshark.TsharkError, match="no such key log file"):
        list(tshark.read(str(SAMPLES / "tls-call.pcap"), tshark.Options(keylog="/nonexistent/keys")))
    from pyshark.tshark import tshark as pyshark_tshark

    def missing():
        raise pyshark_tshark.TSharkNotFoundException("no tshark")

    monkeypatch.setattr(pyshark_tshark, "get_process_path", missing)
    with pytest.raises(tshark.TsharkError, match="apt-get install tshark"):
        list(tshark.read(str(SAMPLES / "basic-call-udp.pcap")))


def analysis(capsys, *arguments: str) -> dict:
    import json

    from sipscope.cli import main

    assert main([*arguments, "--json", "--fail-on", "never"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("sample", ["basic-call-tcp", "refer-transfer-udp", "register-digest-udp"])
def test_both_engines_give_the_same_analysis(capsys, sample):
    path = str(SAMPLES / f"{sample}.pcap")
    ours, theirs = analysis(capsys, path), analysis(capsys, path, "--engine", "tshark")
    for part in ("messages", "calls", "transactions", "findings", "stats"):
        assert theirs[part] == ours[part], part
    assert theirs["capture"]["by_category"]["sip"] == ours["capture"]["by_category"]["sip"]


def test_the_command_reads_sips_with_the_keys(capsys):
    capture, keys = str(SAMPLES / "tls-call.pcap"), str(SAMPLES / "tls-call.keys")
    assert analysis(capsys, capture)["calls"] == []
    [call] = analysis(capsys, capture, "--engine", "tshark", "--tls-keylog", keys)["calls"]
    assert (call["call_id"], call["outcome"], call["first_frame"]) == ("tls-call-1@127.0.0.1", "answered", 10)


def test_engine_options_are_checked_in_one_line(capsys):
    from sipscope.cli import main

    capture = str(SAMPLES / "tls-call.pcap")
    for arguments, said in (([capture, "--tls-keylog", "k"], "--tls-keylog needs --engine tshark"),
                            ([capture, capture, "--engine", "tshark"], "reads one capture file"),
                            ([capture, "--engine", "tshark", "--tls-keylog", "/nonexistent"], "no such key log")):
        assert main(arguments) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1


def test_decode_as_reads_sips_on_a_port_wireshark_does_not_try(tmp_path):
    from scapy.all import TCP, rdpcap, wrpcap

    packets = rdpcap(str(SAMPLES / "tls-call.pcap"))
    for packet in packets:  # the callee moves from 5061 to 5071, checksums recomputed
        tcp = packet[TCP]
        tcp.sport, tcp.dport = (5071 if port == 5061 else port for port in (tcp.sport, tcp.dport))
        del tcp.chksum
    moved = tmp_path / "tls-5071.pcap"
    wrpcap(str(moved), packets)
    keys = str(SAMPLES / "tls-call.keys")
    assert by_tshark(moved, tshark.Options(keylog=keys)) == []  # decrypted, but not taken for SIP
    found = by_tshark(moved, tshark.Options(keylog=keys, decode_as=("tls.port==5071,sip",)))
    assert [f[0] for f in found] == [(10,), (13,), (15,), (17,), (19,), (21,), (23,)]


def test_a_display_filter_keeps_only_the_frames_it_matches():
    path = SAMPLES / "basic-call-udp.pcap"
    found = by_tshark(path, tshark.Options(display_filter='sip.Method == "INVITE" || sip.Status-Code == 200'))
    assert [f[5].split(" ")[0 if f[5][0] != "S" else 1] for f in found] == ["INVITE", "200", "200"]
