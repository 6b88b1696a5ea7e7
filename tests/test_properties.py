"""Property tests (hypothesis): however a TCP stream of SIP messages is cut into segments and in whatever order they
arrive, the same messages come out with the same accounting; arbitrary frames never make the pipeline or the
analysis raise, and every frame is settled once; arbitrary bytes never make the parser or the stream framer raise."""

from __future__ import annotations

import random
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import GRE, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment
from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1Q, Ether, Loopback

from sipscope import accounting as acc
from sipscope.analysis.analyzer import Analyzer
from sipscope.pipeline import KEEPALIVE_REASON, Limits, Pipeline
from sipscope.sip.framing import NEED_DATA, Framed, StreamFramer
from sipscope.sip.parse import NOT_SIP, Malformed, parse_message
from sipscope.testing import DEFAULT_TS, make_request, records, tcp_frame, udp_frame

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SYN, PSH_ACK, FIN_ACK = 0x02, 0x18, 0x11


def test_the_fast_builder_builds_what_scapy_builds():
    packet = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2")
              / TCP(sport=5060, dport=5060, seq=2**32 - 3, flags="PA") / b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    assert tcp_frame(2**32 - 3, PSH_ACK, b"OPTIONS sip:x SIP/2.0\r\n\r\n") == bytes(packet)
    syn = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(
        sport=5060, dport=5060, seq=7, flags="S")
    assert tcp_frame(7, SYN) == bytes(syn)
    datagram = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2")
                / UDP(sport=5060, dport=5060, chksum=0) / b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    assert udp_frame(b"OPTIONS sip:x SIP/2.0\r\n\r\n") == bytes(datagram)


# -- (a) any cutting and any order of a TCP stream gives the same messages -----------------------------------
TOKEN = string.ascii_letters + string.digits + "-.!%*_+`'~"
METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "MESSAGE", "INFO", "NOTIFY", "PRACK"]


@st.composite
def sip_messages(draw) -> bytes:
    """A message with the mandatory headers, in full or compact form (RFC 3261 section 7.3.3), and a body."""
    compact = draw(st.booleans())
    method = draw(st.sampled_from(METHODS))
    call_id = draw(st.text(TOKEN + "@", min_size=1, max_size=24))
    body = draw(st.binary(max_size=160))
    if draw(st.booleans()):
        start = f"{method} sip:{draw(st.text(TOKEN, min_size=1, max_size=12))}@example.com SIP/2.0"
    else:
        start = f"SIP/2.0 {draw(st.integers(100, 699))} {draw(st.text(TOKEN + ' ', max_size=12))}"
    names = ("v", "f", "t", "i", "l") if compact else ("Via", "From", "To", "Call-ID", "Content-Length")
    lines = [
        start,
        f"{names[0]}: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK{draw(st.integers(0, 10**9))}",
        f"{names[1]}: <sip:alice@example.com>;tag=a",
        f"{names[2]}: <sip:bob@example.com>",
        f"{names[3]}: {call_id}",
        f"CSeq: {draw(st.integers(0, 2**31))} {method}",
        f"{names[4]}: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


KEEPALIVES = st.sampled_from([b"", b"", b"\r\n", b"\r\n\r\n"])  # RFC 5626 section 4.4.1: pong, ping


@st.composite
def sip_streams(draw) -> tuple[bytes, list[bytes]]:
    """A stream of messages with keep-alives between them, and the messages."""
    messages = draw(st.lists(sip_messages(), min_size=1, max_size=5))
    stream = draw(KEEPALIVES)
    for message in messages:
        stream += message + draw(KEEPALIVES)
    return stream, messages


def cuts_of(draw, length: int) -> list[int]:
    return sorted(draw(st.sets(st.integers(1, max(1, length - 1)), max_size=12)) - {length})


def run_stream(stream: bytes, cuts: list[int], order: list[int] | None = None, isn: int = 1000):
    """The stream's segments (after a SYN), in ``order`` (segment indexes; the FIN is the last index).

    Returns the messages, the pipeline and, for each frame number, the segment index it carried (-1: the SYN).
    """
    bounds = [0, *cuts, len(stream)]
    segments = [tcp_frame(isn + 1 + a, PSH_ACK, stream[a:b]) for a, b in zip(bounds, bounds[1:])]
    segments.append(tcp_frame(isn + 1 + len(stream), FIN_ACK))
    order = list(range(len(segments))) if order is None else order
    frames = [tcp_frame(isn, SYN)] + [segments[i] for i in order]
    pipeline = Pipeline(strict=True)
    messages = list(pipeline.run(records(frames)))
    accounting = pipeline.accounting
    assert sum(accounting.by_category.values()) == accounting.frames_read == len(frames)
    segment_of = {1: -1, **{n + 2: i for n, i in enumerate(order)}}
    return messages, pipeline, segment_of


def views(messages) -> list[tuple]:
    return [(m.raw, m.start_line, m.call_id, m.transport) for m in messages]


def expected_views(messages: list[bytes]) -> list[tuple]:
    out = []
    for raw in messages:
        parsed = parse_message(raw, stream=True)
        out.append((raw, parsed.start_line, parsed.call_id, "tcp"))
    return out


def totals(pipeline) -> tuple:
    accounting = pipeline.accounting
    return dict(accounting.by_category), {key: count for key, (count, _frames) in accounting.reasons.items()}


@SETTINGS
@given(st.data(), sip_streams(), st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_any_cutting_and_order_gives_the_same_messages(data, sip_stream, isn, rnd):
    stream, messages = sip_stream
    cuts = cuts_of(data.draw, len(stream))
    expected = expected_views(messages)

    in_order, pipeline, segment_of = run_stream(stream, cuts, isn=isn)
    assert views(in_order) == expected
    by_category, reasons = totals(pipeline)
    assert {category for category, n in by_category.items() if n} <= {acc.SIP, acc.OTHER}
    assert set(reasons) <= {(acc.OTHER, "tcp: no payload"), (acc.OTHER, KEEPALIVE_REASON)}
    in_order_segments = [tuple(segment_of[f] for f in m.frames) for m in in_order]

    order = list(range(len(cuts) + 2))
    rnd.shuffle(order)
    shuffled, pipeline, segment_of = run_stream(stream, cuts, order, isn=isn)
    assert views(shuffled) == expected
    assert totals(pipeline) == (by_category, reasons)
    assert [tuple(segment_of[f] for f in m.frames) for m in shuffled] == in_order_segments
    assert pipeline.tcp.directions == {}


@settings(max_examples=40, deadline=None)
@given(sip_streams(), st.integers(0, 2**32 - 1))
def test_byte_by_byte_gives_the_same_messages(sip_stream, isn):
    stream, messages = sip_stream
    delivered, pipeline, _segment_of = run_stream(stream, list(range(1, len(stream))), isn=isn)
    assert views(delivered) == expected_views(messages)
    assert pipeline.accounting.by_category[acc.SIP] == sum(len(m) for m in messages)
    assert pipeline.accounting.by_category[acc.SIP] + pipeline.accounting.by_category[acc.OTHER] == len(stream) + 2


# -- (b) arbitrary frames never make the pipeline raise ------------------------------------------------------
LINKTYPES = (0, 1, 12, 101, 113, 228, 229, 276)
_SIP = make_request("INVITE", call_id="prop@example.com", body=b"v=0\r\n")
_IP4 = IP(src="192.0.2.1", dst="192.0.2.2")
_IP6 = IPv6(src="2001:db8::1", dst="2001:db8::2")
_ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")  # given, or scapy asks the network
_TEMPLATES = {
    0: [Loopback(type=2) / _IP4 / UDP(sport=5060, dport=5060) / _SIP],
    1: [
        _ETH / _IP4 / UDP(sport=5060, dport=5060) / _SIP,
        _ETH / _IP4 / TCP(sport=5060, dport=5060, seq=10, flags="PA") / _SIP,
        _ETH / Dot1Q(vlan=7) / _IP6 / UDP(sport=5060, dport=5060) / _SIP,
        _ETH / _IP4 / GRE() / _IP4 / UDP(sport=5060, dport=5060) / _SIP,
        _ETH / _IP6 / IPv6ExtHdrFragment(m=1, id=5) / UDP(sport=5060, dport=5060) / _SIP[:64],
        _ETH / IP(src="192.0.2.1", dst="192.0.2.2", flags="MF", id=9) / UDP(sport=5060, dport=5060) / _SIP[:64],
        _ETH / _IP4 / TCP(sport=80, dport=51000, seq=10, flags="PA") / (b"\x81\x7e\x01\x00" + _SIP),
        _ETH / _IP4 / UDP(sport=9060, dport=9060) / (b"HEP3\x00\x20" + _SIP[:26]),
    ],
    12: [_IP4 / TCP(sport=5060, dport=5060, seq=10, flags="S")],
    101: [_IP4 / UDP(sport=5060, dport=5060) / _SIP],
    113: [CookedLinux(proto=0x0800) / _IP4 / UDP(sport=5060, dport=5060) / _SIP],
    228: [_IP4 / UDP(sport=5060, dport=5060) / _SIP],
    229: [_IP6 / TCP(sport=5060, dport=5060, seq=10, flags="PA") / _SIP],
    276: [CookedLinuxV2(proto=0x86DD) / _IP6 / UDP(sport=5060, dport=5060) / _SIP],
}
_TEMPLATE_BYTES = {linktype: [bytes(p) for p in packets] for linktype, packets in _TEMPLATES.items()}


@st.composite
def frames(draw) -> tuple[int, bytes, int]:
    """(linktype, data, original length): random bytes, or a valid frame with bytes changed and cut short."""
    linktype = draw(st.sampled_from(LINKTYPES))
    if draw(st.booleans()):
        data = draw(st.binary(max_size=300))
    else:
        data = bytearray(draw(st.sampled_from(_TEMPLATE_BYTES[linktype])))
        for _ in range(draw(st.integers(0, 6))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data[: draw(st.integers(0, len(data)))])
    orig_len = len(data) + draw(st.sampled_from([0, 0, 0, 1, 1000]))
    return linktype, data, orig_len


@SETTINGS
@given(st.lists(frames(), min_size=1, max_size=8))
def test_arbitrary_frames_never_raise_and_every_frame_is_settled(frame_list):
    recs = [(DEFAULT_TS + i, linktype, data, orig) for i, (linktype, data, orig) in enumerate(frame_list)]
    pipeline = Pipeline(strict=True)
    messages = list(pipeline.run(recs))
    analyzer = Analyzer(details=True, flow=True)  # and the analysis of whatever came out
    for message in messages:
        analyzer.feed(message)
    analyzer.finish(pipeline.end_ts)
    accounting = pipeline.accounting
    assert sum(accounting.by_category.values()) == accounting.frames_read == len(recs)
    assert pipeline.errors == []
    for message in messages:
        assert set(message.frames) <= set(range(1, len(recs) + 1))


@SETTINGS
@given(st.lists(st.binary(max_size=400), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_arbitrary_tcp_payloads_never_raise(payloads, seq):
    limits = Limits(max_message=600, max_header=200, max_tcp_waiting=500, max_tcp_streams=2)
    frames_out = [tcp_frame(seq, SYN)]
    rng = random.Random(seq)
    offset = 0
    for payload in payloads:
        sport = rng.choice([5060, 5061, 5062])
        frames_out.append(tcp_frame(seq + 1 + offset + rng.choice([0, 0, 0, -5, 7, 2**31]), PSH_ACK, payload,
                                    sport=sport))
        offset += len(payload)
    pipeline = Pipeline(limits, strict=True)
    list(pipeline.run(records(frames_out)))
    accounting = pipeline.accounting
    assert sum(accounting.by_category.values()) == accounting.frames_read == len(frames_out)


# -- (c) arbitrary bytes never make the parser or the framer raise -------------------------------------------
SIPISH = st.lists(
    st.one_of(
        st.sampled_from([b"INVITE sip:a@b SIP/2.0", b"SIP/2.0 200 OK", b"Content-Length: ", b"l:", b"i: x",
                         b"CSeq: 1 INVITE", b"Via: SIP/2.0/TCP h", b"\r\n", b"\n", b"\r\n\r\n", b" ", b"\t",
                         b":", b"9", b"99999999999999999999", b"SIP/", b"\xff", b"\x00"]),
        st.binary(max_size=20),
    ),
    max_size=40,
).map(b"".join)
ANY_BYTES = st.one_of(st.binary(max_size=600), SIPISH)


@SETTINGS
@given(ANY_BYTES, st.booleans())
def test_parse_message_never_raises(data, stream):
    message = parse_message(data, stream=stream)
    if message is NOT_SIP or isinstance(message, Malformed):
        return
    # The views computed on first use must not raise either.
    assert isinstance(message.start_line, str)
    message.headers
    message.body
    message.branch
    message.from_tag
    message.to_tag
    message.header("Contact")


@SETTINGS
@given(st.lists(st.tuples(ANY_BYTES, st.sampled_from(["feed", "feed", "feed", "lost"])), max_size=12),
       st.integers(0, 10**6))
def test_stream_framer_never_raises_and_accounts_for_every_byte(steps, start):
    framer = StreamFramer(max_message=500, max_header=120, start=start)
    fed = bytearray()
    events = []
    for data, action in steps:
        if action == "lost":
            skipped = framer.lost()
            events += [skipped] if skipped else []
        framer.feed(data)
        fed += data
        while (event := framer.next_event()) is not NEED_DATA:
            events.append(event)
        assert framer.buffered < 500
    closed = framer.close()
    events += [closed] if closed else []
    position = start
    for event in events:
        assert event.start == position < event.end
        if isinstance(event, Framed):
            assert event.data == bytes(fed[event.start - start : event.end - start])
        position = event.end
    assert position == start + len(fed)


@SETTINGS
@given(st.data(), st.lists(st.one_of(sip_messages(), KEEPALIVES, SIPISH), max_size=8).map(b"".join))
def test_stream_framer_events_do_not_depend_on_how_bytes_are_fed(data, stream):
    def run(cuts):
        framer = StreamFramer(max_message=400, max_header=150)
        out = []
        bounds = [0, *cuts, len(stream)]
        for a, b in zip(bounds, bounds[1:]):
            framer.feed(stream[a:b])
            while (event := framer.next_event()) is not NEED_DATA:
                out.append(event)
        closed = framer.close()
        out += [closed] if closed else []
        framed = [(e.start, e.end, e.data) for e in out if isinstance(e, Framed)]
        per_byte = []
        for e in out:
            per_byte += [None if isinstance(e, Framed) else e.reason] * (e.end - e.start)
        return framed, per_byte

    whole = run([])
    assert run(cuts_of(data.draw, len(stream))) == whole
    assert run(list(range(1, len(stream)))) == whole
