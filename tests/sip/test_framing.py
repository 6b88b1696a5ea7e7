"""The sans-I/O SIP stream framer (RFC 3261 section 18.3) on its own: feed bytes, read events until NEED_DATA."""

from __future__ import annotations

from sipscope.sip import framing
from sipscope.sip.framing import NEED_DATA, Framed, Skipped, StreamFramer
from sipscope.sip.parse import parse_message
from sipscope.testing import make_request, make_response

INVITE = make_request("INVITE", call_id="f-1@example.com", body=b"v=0\r\ns=-\r\n")
BYE = make_request("BYE", call_id="f-2@example.com", cseq=2)
OK = make_response(200, call_id="f-1@example.com")


def drain(framer: StreamFramer) -> list:
    events = []
    while (event := framer.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def view(events) -> list[tuple]:
    """Events as plain tuples: ("framed", start, end, data) or ("skipped", start, end, reason)."""
    return [
        ("framed", e.start, e.end, e.data) if isinstance(e, Framed) else ("skipped", e.start, e.end, e.reason)
        for e in events
    ]


def feed_all(data: bytes, chunk: int | None = None, **options) -> list[tuple]:
    framer = StreamFramer(**options)
    events = []
    step = chunk or len(data) or 1
    for i in range(0, len(data), step):
        framer.feed(data[i : i + step])
        events += drain(framer)
    closed = framer.close()
    return view(events + ([closed] if closed else []))


def by_byte(events) -> list:
    """What each byte became, so that feeds cut differently can be compared (skipped runs may split)."""
    out = []
    for kind, start, end, what in events:
        out += [(kind, what if kind == "skipped" else start)] * (end - start)
    return out


def test_need_data_until_the_header_block_and_the_body_are_complete():
    framer = StreamFramer()
    assert framer.next_event() is NEED_DATA
    header_end = INVITE.index(b"\r\n\r\n") + 4
    for cut in (10, 40, header_end - 1, header_end, len(INVITE) - 1):
        framer.feed(INVITE[framer.buffered : cut])
        assert framer.next_event() is NEED_DATA
    framer.feed(INVITE[-1:] + BYE[:20])
    event = framer.next_event()
    assert isinstance(event, Framed)
    assert (event.start, event.end, event.data, event.defects) == (0, len(INVITE), INVITE, ())
    assert framer.next_event() is NEED_DATA
    assert framer.buffered == 20


def test_body_of_exactly_content_length_bytes():
    message = make_request("MESSAGE", call_id="m@example.com", body=b"hello\r\n\r\nINVITE sip:x SIP/2.0\r\n")
    assert feed_all(message + BYE) == [
        ("framed", 0, len(message), message), ("framed", len(message), len(message) + len(BYE), BYE)
    ]


def test_compact_content_length_and_a_bare_lf_header_block():
    message = b"MESSAGE sip:bob@example.com SIP/2.0\nv: SIP/2.0/TCP h;branch=z9hG4bK1\ni: c@h\nl:  5\n\nhello"
    assert feed_all(message + OK) == [("framed", 0, len(message), message),
                                      ("framed", len(message), len(message) + len(OK), OK)]


def test_missing_content_length_counts_as_zero():
    message = INVITE.replace(b"Content-Length: 10\r\n", b"")
    header = message[: message.index(b"\r\n\r\n") + 4]
    events = feed_all(message + BYE)
    # The body is then taken for bytes that are not a message: skipped up to the next start line.
    assert events == [
        ("framed", 0, len(header), header),
        ("skipped", len(header), len(message), framing.NOT_SIP),
        ("framed", len(message), len(message) + len(BYE), BYE),
    ]
    parsed = parse_message(header, stream=True)
    assert "sip.content_length.missing" in parsed.defects
    assert parsed.body == b""


def test_keepalives_between_messages():
    # RFC 5626 section 4.4.1: a double-CRLF ping, a single-CRLF pong.
    stream = b"\r\n\r\n" + INVITE + b"\r\n" + BYE + b"\r\n\r\n"
    n = len(INVITE)
    assert feed_all(stream) == [
        ("skipped", 0, 4, framing.KEEPALIVE),
        ("framed", 4, 4 + n, INVITE),
        ("skipped", 4 + n, 6 + n, framing.KEEPALIVE),
        ("framed", 6 + n, 6 + n + len(BYE), BYE),
        ("skipped", 6 + n + len(BYE), len(stream), framing.KEEPALIVE),
    ]


def test_garbage_then_a_message():
    garbage = b"\x16\x03\x01 binary\nHTTP/1.1 200 OK\r\nnot: sip\r\n\r\n"
    assert feed_all(garbage + OK) == [
        ("skipped", 0, len(garbage), framing.NOT_SIP),
        ("framed", len(garbage), len(garbage) + len(OK), OK),
    ]


def test_start_offset():
    assert feed_all(OK + BYE, start=1000) == [
        ("framed", 1000, 1000 + len(OK), OK), ("framed", 1000 + len(OK), 1000 + len(OK) + len(BYE), BYE)
    ]


def test_lost_bytes_resynchronise_at_the_next_start_line():
    framer = StreamFramer(start=10)
    framer.feed(INVITE[:80])
    assert framer.next_event() is NEED_DATA
    lost = framer.lost()
    assert (lost.start, lost.end, lost.reason) == (10, 90, framing.LOST_REST)
    assert framer.buffered == 0
    tail = INVITE[150:]
    framer.feed(tail + BYE)  # stream offsets go on from where the lost bytes were not counted
    assert view(drain(framer)) == [
        ("skipped", 90, 90 + len(tail), framing.LOST_START),
        ("framed", 90 + len(tail), 90 + len(tail) + len(BYE), BYE),
    ]


def test_lost_bytes_at_a_message_boundary():
    framer = StreamFramer()
    framer.feed(INVITE)
    assert view(drain(framer)) == [("framed", 0, len(INVITE), INVITE)]
    assert framer.lost() is None
    framer.feed(BYE)
    assert view(drain(framer)) == [("framed", len(INVITE), len(INVITE) + len(BYE), BYE)]


def test_lost_bytes_then_crlf_is_not_a_keepalive():
    framer = StreamFramer()
    framer.lost()
    framer.feed(b"a=rtpmap:0 PCMU/8000\r\n\r\n" + OK)
    assert view(drain(framer)) == [("skipped", 0, 24, framing.LOST_START), ("framed", 24, 24 + len(OK), OK)]


def test_close_with_a_partial_message():
    framer = StreamFramer()
    framer.feed(OK + INVITE[:100])
    assert view(drain(framer)) == [("framed", 0, len(OK), OK)]
    closed = framer.close()
    assert (closed.start, closed.end, closed.reason) == (len(OK), len(OK) + 100, framing.INCOMPLETE)
    assert framer.close() is None


def test_close_while_skipping_keeps_the_reason():
    framer = StreamFramer()
    framer.feed(b"not sip\r\nstill not")
    assert view(drain(framer)) == [("skipped", 0, 9, framing.NOT_SIP)]
    closed = framer.close()
    assert (closed.start, closed.end, closed.reason) == (9, 18, framing.NOT_SIP)


def test_a_start_line_candidate_at_the_end_of_the_buffer_is_checked_once_complete():
    framer = StreamFramer()
    framer.feed(b"junk\nINVITE sip:a SIP/2.0")
    assert view(drain(framer)) == [("skipped", 0, 5, framing.NOT_SIP)]
    framer.feed(b"x and more\r\n" + OK)  # the line was not a start line after all
    assert view(drain(framer)) == [
        ("skipped", 5, 37, framing.NOT_SIP), ("framed", 37, 37 + len(OK), OK)
    ]


def test_a_line_too_long_to_be_sip_is_skipped_with_a_bounded_buffer():
    framer = StreamFramer(max_header=1000)
    events = []
    for _ in range(200):
        framer.feed(b"z" * 500)
        events += drain(framer)
        assert framer.buffered < 1000
    framer.feed(b"z\r\n" + BYE)
    events += drain(framer)
    assert [e.limit for e in events if isinstance(e, Skipped)].count(True) == 1
    assert {e.reason for e in events if isinstance(e, Skipped)} == {framing.NOT_SIP}
    assert isinstance(events[-1], Framed) and events[-1].data == BYE
    assert events[-1].start == 100_003


def test_the_tail_of_a_long_line_is_never_a_start_line():
    small = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n"
    framer = StreamFramer(max_header=100)
    framer.feed(b"x" * 100 + b"INVITE sip:a SIP/2.0\r\n\r\n" + small)
    assert view(drain(framer)) == [
        ("skipped", 0, 100, framing.NOT_SIP),
        ("skipped", 100, 122, framing.NOT_SIP),
        ("skipped", 122, 124, framing.NOT_SIP),
        ("framed", 124, 124 + len(small), small),
    ]


def test_a_header_block_that_never_ends():
    framer = StreamFramer(max_header=2000)
    framer.feed(b"INVITE sip:bob@example.com SIP/2.0\r\n")
    events = []
    for i in range(500):
        framer.feed(b"X-Header-%d: padding padding padding\r\n" % i)
        events += drain(framer)
        assert framer.buffered <= 2000 + 40
    framer.feed(b"\r\n" + BYE)
    events += drain(framer)
    skipped = [e for e in events if isinstance(e, Skipped)]
    assert [e.limit for e in skipped] == [True] + [False] * (len(skipped) - 1)
    assert {e.reason for e in skipped} == {framing.HEADER_OVER_LIMIT}
    assert isinstance(events[-1], Framed) and events[-1].data == BYE


def test_absurd_content_length_frames_the_header_block_then_goes_on():
    absurd = make_request("MESSAGE", call_id="a@example.com", content_length=999999999)
    body = b"some body\r\n"
    framer = StreamFramer()
    framer.feed(absurd + body + BYE)
    events = drain(framer)
    assert view(events) == [
        ("framed", 0, len(absurd), absurd),
        ("skipped", len(absurd), len(absurd) + len(body), framing.BODY_OVER_LIMIT),
        ("framed", len(absurd) + len(body), len(absurd) + len(body) + len(BYE), BYE),
    ]
    assert events[0].defects == ["sip.content_length.too_large"]
    assert events[2].defects == ()


def test_content_length_with_thousands_of_digits():
    header = b"MESSAGE sip:b@h SIP/2.0\r\nCall-ID: c\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n"
    framer = StreamFramer()
    framer.feed(header + BYE)
    events = drain(framer)
    assert [(type(e).__name__, e.end) for e in events] == [
        ("Framed", len(header)), ("Framed", len(header) + len(BYE))
    ]
    assert events[0].defects == ["sip.content_length.too_large"]


def test_leading_zeros_and_odd_values_in_content_length():
    zeros = BYE.replace(b"Content-Length: 0", b"Content-Length: " + b"0" * 40 + b"3") + b"abc"
    invalid = OK.replace(b"Content-Length: 0", b"Content-Length: -5")
    assert feed_all(zeros + invalid) == [
        ("framed", 0, len(zeros), zeros), ("framed", len(zeros), len(zeros) + len(invalid), invalid)
    ]


def test_how_the_bytes_are_fed_does_not_matter():
    stream = (
        b"\r\n\r\n" + INVITE + b"garbage line\r\n" + BYE + b"\r\n" + OK
        + make_request("MESSAGE", call_id="m@example.com", content_length=999999999) + b"body\r\n" + BYE
        + b"X" * 300 + b"\r\n" + OK + b"INVITE sip:bob@example.com SIP/2.0\r\nX-A: " + b"a" * 400 + b"\r\n\r\n"
        + OK + BYE[:50]
    )
    whole = feed_all(stream, max_header=300)
    assert [e[3][:3] for e in whole if e[0] == "framed"] == [b"INV", b"BYE", b"SIP", b"MES", b"BYE", b"SIP", b"SIP"]
    for chunk in (1, 2, 3, 7, 64, 255, 256, 257, 1000):
        events = feed_all(stream, chunk, max_header=300)
        assert [e for e in events if e[0] == "framed"] == [e for e in whole if e[0] == "framed"], chunk
        assert by_byte(events) == by_byte(whole), chunk
        assert all(a[2] == b[1] for a, b in zip(events, events[1:]))  # each event starts where the last ended
        assert events[-1][2] == len(stream)
