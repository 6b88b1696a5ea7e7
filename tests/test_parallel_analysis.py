"""Several processes analysing shares of the Call-IDs must give exactly the report one process gives, and every
datagram must reach the process of its Call-ID."""

from __future__ import annotations

import functools

import io
from pathlib import Path

import pytest
from scapy.all import IP, TCP, UDP, Ether, fragment

from sipscope.capture.decode import fast_udp
from sipscope.capture.files import CaptureFile
from sipscope.knowledge import Knowledge
from sipscope.parallel import analyze_calls
from sipscope.report import terminal
from sipscope.report.collect import Collector
from sipscope.report.select import Selection
from sipscope.sip.message import SipMessage
from sipscope.sip.parse import parse_message
from sipscope.sip.shard import shard, sniff_shard
from sipscope.testing import make_request, make_response, write_pcap

from .corpus import MESSAGES, corpus_captures

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples").glob("*.pcap"))
A, B = "192.0.2.1", "192.0.2.2"
SECOND = 1_000_000_000


def analyze(path: Path, workers: int, **options):
    return analyze_calls([CaptureFile(path)], functools.partial(Collector, Selection(), **options), workers,
                         strict=True)


def report(path: Path, workers: int, ladders: str = "auto") -> str:
    """The terminal report of ``workers`` processes, ladders of problem calls (or of every call) included, the
    calls table's cells formatted as the rows are made, as the command line does."""
    result, collector = analyze(path, workers, ladders=ladders, table=terminal.CallsTable(100))
    out = io.StringIO()
    terminal.render(terminal.Writer(terminal.make_console(out, 100)), result.capture, collector, Knowledge("en"),
                    ladders=ladders, analyzer_stats=result.stats, linked=result.links.groups())
    return out.getvalue()


def udp(src: str, dst: str, payload: bytes) -> bytes:
    return bytes(Ether() / IP(src=src, dst=dst) / UDP(sport=5060, dport=5060) / payload)


def in_dialog(method: str, **fields) -> bytes:
    """A request inside the dialog ``make_request`` and ``make_response`` set up (From tag from-1, To tag to-1)."""
    return make_request(method, **fields).replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=to-1")


NOT_ACKED = [i for i in range(300) if i % 7 and i % 11 == 0]
BUSY = [i for i in range(300) if i % 7 == 0]


@pytest.fixture(scope="module")
def mixed_capture(tmp_path_factory) -> Path:
    """Calls over UDP (answered, busy, never ACKed), calls whose messages come over TCP and UDP both, datagrams in
    fragments, Call-IDs in the compact form and in messages the sniffer cannot be sure of (bare LFs), and noise."""
    frames: list[tuple[int, bytes]] = []
    clock = [1_700_000_000 * SECOND]

    def add(data: bytes, gap: float = 0.01) -> None:
        clock[0] += int(gap * SECOND)
        frames.append((clock[0], data))

    seq = 1000
    for i in range(300):
        call = f"call-{i}@example.com"
        branch = f"z9hG4bK-{i}"
        add(udp(A, B, make_request(call_id=call, branch=branch)))
        add(udp(B, A, make_response(180, "Ringing", call_id=call, branch=branch)))
        if i % 7 == 0:
            add(udp(B, A, make_response(486, "Busy Here", call_id=call, branch=branch)))
            add(udp(A, B, make_request("ACK", call_id=call, branch=branch)))
            continue
        add(udp(B, A, make_response(call_id=call, branch=branch)))
        if i % 11 == 0:
            continue  # never ACKed: ack.missing once 64*T1 has passed
        if i % 5 == 0:  # the ACK over TCP, in two segments
            ack = in_dialog("ACK", call_id=call, branch=f"{branch}-ack")
            half = len(ack) // 2
            add(bytes(Ether() / IP(src=A, dst=B) / TCP(sport=40000, dport=5060, seq=seq, flags="A") / ack[:half]))
            add(bytes(Ether() / IP(src=A, dst=B) / TCP(sport=40000, dport=5060, seq=seq + half, flags="PA")
                      / ack[half:]))
            seq += len(ack)
        else:
            add(udp(A, B, in_dialog("ACK", call_id=call, branch=f"{branch}-ack")))
        if i % 17 == 0:  # the compact form, which the sniffer reads, and bare LFs, which make it unsure
            add(udp(A, B, in_dialog("INFO", call_id=call, cseq=2, branch=f"{branch}-info").replace(b"Call-ID:", b"i:")))
            add(udp(B, A, make_response(call_id=call, cseq=2, method="INFO", branch=f"{branch}-info")
                    .replace(b"\r\n", b"\n")))
        if i % 13 == 0:  # a BYE in fragments
            bye = in_dialog("BYE", call_id=call, cseq=3, branch=f"{branch}-bye", body=b"x" * 2500)
            for part in fragment(Ether() / IP(src=A, dst=B, id=i) / UDP(sport=5060, dport=5060) / bye, 1000):
                add(bytes(part))
            add(udp(B, A, make_response(call_id=call, cseq=3, method="BYE", branch=f"{branch}-bye")))
        if i % 40 == 0:
            add(udp(A, B, b"\x80\x00" + bytes(160)))
    add(udp(A, B, make_request("OPTIONS", call_id="keepalive@example.com", branch="z9hG4bK-o")), gap=40)
    path = tmp_path_factory.mktemp("shards") / "mixed.pcap"
    write_pcap(path, frames)
    return path


def test_shares_of_the_call_ids_give_the_report_of_one_process(mixed_capture):
    one = report(mixed_capture, 1)
    assert report(mixed_capture, 2) == one
    assert report(mixed_capture, 3) == one
    assert "Calls: 300\n" in one and "other Call-IDs: 1 options\n" in one
    assert f"  ack.missing  ACK missing  ×{len(NOT_ACKED)}\n" in one
    assert one.count(" busy 486 ") == len(BUSY)
    assert one.count(" answered       ") == 300 - len(BUSY)  # the outcome column, 14 wide
    assert one.count("▲ error ack.missing") == 20  # the ladders of the first 20 calls with problems
    assert f"{len(NOT_ACKED) - 20} more calls with problems" in one


def test_shares_give_every_ladder_of_one_process(mixed_capture):
    one = report(mixed_capture, 1, ladders="all")
    assert report(mixed_capture, 2, ladders="all") == one
    assert one.count("\ncall ") == 300  # a ladder's title line for every call


def test_shares_account_for_every_frame_once(mixed_capture):
    single, _collector = analyze(mixed_capture, 1)
    shared, _collector = analyze(mixed_capture, 2)
    assert shared.capture == single.capture
    assert sum(single.capture["by_category"].values()) == single.capture["frames"]
    assert shared.stats.as_dict() == single.stats.as_dict()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_give_the_same_report_in_shares(path):
    assert report(path, 2) == report(path, 1)


@pytest.mark.skipif(not corpus_captures(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", corpus_captures(), ids=lambda p: p.name)
def test_corpus_captures_give_the_same_report_in_shares(path):
    try:
        CaptureFile(path).close()
    except Exception:  # noqa: BLE001 - not a capture sipscope reads (see test_corpus_parity)
        pytest.skip("not a capture sipscope reads")
    assert report(path, 2) == report(path, 1)


# -- the sniffer -------------------------------------------------------------------------------------------------
def _agrees(payload: bytes) -> int:
    """The sniffer's answer, checked against the parser's Call-ID for several numbers of workers. (What is not a
    SIP message is one datagram's business, handled by whichever worker the sniffer names: nothing to agree on.)"""
    parsed = parse_message(payload)
    answers = []
    for workers in (2, 3, 5, 8):
        sniffed = sniff_shard(payload, workers)
        if isinstance(parsed, SipMessage):
            assert sniffed == -1 or sniffed == shard(parsed.call_id, workers), (payload[:200], parsed.call_id)
        answers.append(sniffed)
    return answers[-1]


@pytest.mark.parametrize("payload, sure", [
    (make_request(call_id="plain@x"), True),
    (make_request(call_id="plain@x").replace(b"Call-ID:", b"i:"), True),
    (make_request(call_id="plain@x").replace(b"Call-ID:", b"CALL-id  :"), True),
    (make_request(call_id="second@x", extra="i: first@x\r\n").replace(b"Max-Forwards", b"i: first@x\r\nX"), True),
    (make_request(call_id="after@x").replace(b"Max-Forwards: 70", b"Max-Forwards: 70\r\n Call-ID: folded@x"), True),
    (make_request(call_id="plain@x").replace(b"Call-ID: plain@x", b"Call-ID: pla\r\n in@x"), False),
    (make_request(call_id="plain@x").replace(b"\r\n", b"\n"), False),
    (make_request(call_id="caf\xc3\xa9@x".encode("latin-1").decode("utf-8")), False),
    (make_request(call_id="x").replace(b"Call-ID: x\r\n", b"") + b"Call-ID: in-body@x\r\n", False),
    (make_request(call_id="plain@x").replace(b"Call-ID:", b"\x0bCall-ID:"), True),
])
def test_the_sniffer_reads_the_call_id_the_parser_reads_or_says_it_is_not_sure(payload, sure):
    assert (_agrees(payload) >= 0) == sure


@pytest.mark.skipif(not MESSAGES.exists(), reason="../shared/corpus is not present")
def test_the_sniffer_agrees_with_the_parser_on_the_corpus_messages():
    checked = 0
    for path in sorted(p for p in MESSAGES.rglob("*") if p.is_file()):
        _agrees(path.read_bytes())
        checked += 1
    assert checked > 50


@pytest.mark.skipif(not corpus_captures(), reason="../shared/corpus is not present")
def test_the_sniffer_agrees_with_the_parser_on_every_corpus_datagram():
    sip = sure = 0
    for path in corpus_captures():
        try:
            records = list(CaptureFile(path).records())
        except Exception:  # noqa: BLE001 - not a capture sipscope reads
            continue
        for _ts, linktype, data, _orig in records:
            fast = fast_udp(linktype, data)
            if fast is not None:
                answer = _agrees(fast[4])
                if isinstance(parse_message(fast[4]), SipMessage):
                    sip += 1
                    sure += answer >= 0
    assert sip > 400 and sure >= 0.95 * sip  # unsure is always right, but costs a parse in every worker
