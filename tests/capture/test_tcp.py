"""SIP over TCP: per-direction reassembly (order, retransmissions, overlaps, losses, wrap-around, SYN/FIN/RST, port
reuse, captures that start mid-stream), what a stream carries (SIP or not), and the memory bounds (streams, bytes
waiting, unframeable bytes). Segments are built with scapy; every test checks the messages (start line, Call-ID,
frames) and where every frame went."""

from __future__ import annotations

import random

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from sipscope import accounting as acc
from sipscope.pipeline import KEEPALIVE_REASON, Limits, Pipeline
from sipscope.testing import categories, events, ingest, make_request, make_response, reasons, records

A, B = "192.0.2.1", "192.0.2.2"
NOT_SIP = (acc.OTHER, "tcp: not sip")
NO_PAYLOAD = (acc.OTHER, "tcp: no payload")
RETRANSMISSION = (acc.OTHER, "tcp: retransmission")
LOST_START = (acc.TRUNCATED, "tcp: rest of a message whose start was lost")
LOST_REST = (acc.TRUNCATED, "tcp: message cut by lost bytes")
INCOMPLETE = (acc.TRUNCATED, "tcp: incomplete sip message at the end of the stream")
KEEPALIVE = (acc.OTHER, KEEPALIVE_REASON)

INVITE = make_request("INVITE", call_id="inv@example.com", body=b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n")
BYE = make_request("BYE", call_id="bye@example.com", cseq=2)
OK = make_response(200, call_id="inv@example.com")


def segment(payload=b"", seq=0, flags="PA", src=A, dst=B, sport=5060, dport=5060):
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src=src, dst=dst)
        / TCP(sport=sport, dport=dport, seq=seq & 0xFFFFFFFF, flags=flags)
        / payload
    )


class Conn:
    """One direction of a connection: segments placed by stream offset after a SYN with ``isn``."""

    def __init__(self, isn=1000, **addresses):
        self.isn = isn
        self.addresses = addresses

    def syn(self):
        return segment(seq=self.isn, flags="S", **self.addresses)

    def at(self, offset, payload, flags="PA"):
        return segment(payload, self.isn + 1 + offset, flags, **self.addresses)

    def split(self, stream, cuts):
        """Segments of ``stream`` cut at the offsets ``cuts``."""
        bounds = [0, *cuts, len(stream)]
        return [self.at(a, stream[a:b]) for a, b in zip(bounds, bounds[1:])]

    def fin(self, offset):
        return self.at(offset, b"", "FA")










def framer_sizes(pipeline):
    return [d.consumer.framer.buffered for d in pipeline.tcp.directions.values() if d.consumer.framer]


def summary(messages):
    return [(m.start_line, m.call_id, m.frames, m.transport) for m in messages]


# -- reassembly --------------------------------------------------------------------------------------------------
def test_message_over_three_segments_names_all_three_frames():
    c = Conn()
    messages, pipeline = ingest([c.syn(), *c.split(INVITE, [100, 200]), c.fin(len(INVITE))])
    assert summary(messages) == [("INVITE sip:bob@example.com SIP/2.0", "inv@example.com", (2, 3, 4), "tcp")]
    assert messages[0].raw == INVITE
    assert messages[0].body == b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
    assert (messages[0].src, messages[0].dst) == ("192.0.2.1:5060", "192.0.2.2:5060")
    assert categories(pipeline) == {acc.SIP: 3, acc.OTHER: 2}
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 5]}
    assert events(pipeline) == {}
    assert pipeline.tcp.directions == {}


def test_several_messages_in_one_segment_and_one_message_over_many():
    c = Conn()
    stream = INVITE + BYE + INVITE
    cuts = [len(INVITE) + len(BYE) + n for n in range(10, len(INVITE), 10)]  # the last INVITE in 10-byte pieces
    packets = [c.syn(), *c.split(stream, cuts)]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.call_id) for m in messages] == [
        ("INVITE", "inv@example.com"), ("BYE", "bye@example.com"), ("INVITE", "inv@example.com")
    ]
    assert messages[0].frames == messages[1].frames == (2,)
    assert messages[2].frames == tuple(range(2, len(packets) + 1))
    assert [m.raw for m in messages] == [INVITE, BYE, INVITE]
    assert categories(pipeline) == {acc.SIP: len(packets) - 1, acc.OTHER: 1}


def test_both_directions_of_a_connection():
    client, server = Conn(1000), Conn(5000, src=B, dst=A)
    packets = [client.syn(), server.syn(), client.at(0, INVITE), server.at(0, OK), client.fin(len(INVITE)),
               server.fin(len(OK))]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames, m.src) for m in messages] == [
        ("INVITE sip:bob@example.com SIP/2.0", (3,), "192.0.2.1:5060"),
        ("SIP/2.0 200 OK", (4,), "192.0.2.2:5060"),
    ]
    assert categories(pipeline) == {acc.SIP: 2, acc.OTHER: 4}


def test_out_of_order_segments():
    c = Conn()
    first, second, third = c.split(INVITE, [100, 200])
    messages, pipeline = ingest([c.syn(), third, second, first])
    assert summary(messages) == [("INVITE sip:bob@example.com SIP/2.0", "inv@example.com", (4, 3, 2), "tcp")]
    assert messages[0].raw == INVITE
    assert categories(pipeline) == {acc.SIP: 3, acc.OTHER: 1}
    assert events(pipeline) == {"tcp: out of order": 2}


def test_full_retransmission():
    c = Conn()
    first, second = c.split(INVITE + BYE, [len(INVITE) - 5])
    messages, pipeline = ingest([c.syn(), first, first, second, second])
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (2, 4)), ("BYE", (4,))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], RETRANSMISSION: [3, 5]}
    assert events(pipeline) == {"tcp: retransmission": 2}


def test_retransmission_of_a_segment_still_waiting():
    c = Conn()
    first, second, third = c.split(INVITE, [100, 200])
    messages, pipeline = ingest([c.syn(), third, third, second, first])
    assert [(m.method, m.frames, m.raw == INVITE) for m in messages] == [("INVITE", (5, 4, 2), True)]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], RETRANSMISSION: [3]}
    assert events(pipeline) == {"tcp: out of order": 2, "tcp: retransmission": 1}


def test_partial_overlap_delivers_only_the_new_tail():
    c = Conn()
    packets = [c.syn(), c.at(0, INVITE[:100]), c.at(50, INVITE[50:150]), c.at(150, INVITE[150:])]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.raw == INVITE) for m in messages] == [("INVITE", (2, 3, 4), True)]
    assert events(pipeline) == {"tcp: overlap": 1}
    assert categories(pipeline) == {acc.SIP: 3, acc.OTHER: 1}


def test_retransmission_with_different_bytes_first_wins():
    c = Conn()
    forged = INVITE[:40].replace(b"INVITE", b"CANCEL") + b"X" * 40  # same sequence numbers, other bytes
    packets = [c.syn(), c.at(0, INVITE[:80]), c.at(0, forged), c.at(80, INVITE[80:])]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.raw == INVITE) for m in messages] == [("INVITE", (2, 4), True)]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], RETRANSMISSION: [3]}


def test_retransmission_with_different_bytes_while_waiting_first_wins():
    c = Conn()
    packets = [c.syn(), c.at(80, INVITE[80:]), c.at(80, b"Z" * (len(INVITE) - 80)), c.at(0, INVITE[:80])]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.raw == INVITE) for m in messages] == [("INVITE", (4, 2), True)]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], RETRANSMISSION: [3]}


def test_longer_retransmission_of_a_waiting_segment_keeps_its_new_tail():
    # The sender repacketized: the second copy of the held segment carries more bytes than the first.
    c = Conn()
    packets = [c.syn(), c.at(100, INVITE[100:150]), c.at(100, INVITE[100:]), c.at(0, INVITE[:100])]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.raw == INVITE) for m in messages] == [("INVITE", (4, 2, 3), True)]
    assert events(pipeline) == {"tcp: out of order": 2, "tcp: overlap": 1}
    assert categories(pipeline) == {acc.SIP: 3, acc.OTHER: 1}


def test_lost_segment_resynchronises_at_the_next_start_line():
    c = Conn()
    stream = INVITE + BYE
    s1, _lost, s3, s4, s5 = c.split(stream, [100, 200, len(INVITE) - 10, len(INVITE) + 30])
    messages, pipeline = ingest([c.syn(), s1, s3, s4, s5, c.fin(len(stream))])
    # frame 2: the start of the INVITE (its rest is lost); frame 3: the end of the INVITE, not a message start;
    # frames 4 and 5: the BYE.
    assert summary(messages) == [("BYE sip:bob@example.com SIP/2.0", "bye@example.com", (4, 5), "tcp")]
    assert messages[0].raw == BYE
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 6], LOST_REST: [2], LOST_START: [3]}
    assert categories(pipeline) == {acc.SIP: 2, acc.OTHER: 2, acc.TRUNCATED: 2}
    assert events(pipeline) == {"tcp: out of order": 3, "tcp: gap": 1}


def test_lost_segment_in_the_middle_of_a_segment_that_holds_the_next_message():
    c = Conn()
    stream = INVITE + BYE
    s1, _lost, s3 = c.split(stream, [100, len(INVITE) - 20])
    messages, pipeline = ingest([c.syn(), s1, s3])
    assert summary(messages) == [("BYE sip:bob@example.com SIP/2.0", "bye@example.com", (3,), "tcp")]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], LOST_REST: [2]}
    assert events(pipeline) == {"tcp: out of order": 1, "tcp: gap": 1}


def test_crlf_keepalives_between_messages():
    # RFC 5626 section 4.4.1: the client pings with CRLF CRLF, the server pongs with a single CRLF.
    client, server = Conn(1000), Conn(5000, src=B, dst=A)
    stream = INVITE + b"\r\n\r\n" + BYE
    packets = [
        client.syn(), server.syn(),
        client.at(0, INVITE), client.at(len(INVITE), b"\r\n\r\n"), server.at(0, b"\r\n"),
        client.at(len(INVITE) + 4, BYE), server.at(2, OK), server.at(2 + len(OK), b"\r\n"),
    ]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames) for m in messages] == [
        ("INVITE sip:bob@example.com SIP/2.0", (3,)),
        ("BYE sip:bob@example.com SIP/2.0", (6,)),
        ("SIP/2.0 200 OK", (7,)),
    ]
    assert [m.raw for m in messages] == [INVITE, BYE, OK]
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 2], KEEPALIVE: [4, 5, 8]}
    assert len(stream) == len(INVITE) + 4 + len(BYE)


def test_keepalive_ahead_of_the_first_message_and_inside_a_segment():
    c = Conn()
    stream = b"\r\n\r\n" + INVITE + b"\r\n" + BYE + b"\r\n\r\n"
    messages, pipeline = ingest([c.syn(), *c.split(stream, [2, 30])])
    assert [(m.method, m.frames, m.raw) for m in messages] == [("INVITE", (3, 4), INVITE), ("BYE", (4,), BYE)]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], KEEPALIVE: [2]}


def test_sequence_numbers_wrap_around():
    c = Conn(isn=2**32 - 120)
    stream = INVITE + BYE
    parts = c.split(stream, [60, 110, 160, len(INVITE) + 5])  # the wrap falls inside the second segment
    messages, pipeline = ingest([c.syn(), parts[0], parts[2], parts[1], parts[4], parts[3], c.fin(len(stream))])
    assert [(m.method, m.frames, m.raw) for m in messages] == [("INVITE", (2, 4, 3, 6), INVITE), ("BYE", (6, 5), BYE)]
    assert categories(pipeline) == {acc.SIP: 5, acc.OTHER: 2}
    assert events(pipeline) == {"tcp: out of order": 2}
    assert pipeline.tcp.directions == {}


def test_syn_on_the_wrapped_sequence_number():
    c = Conn(isn=2**32 - 1)  # the first data byte has sequence number 0
    messages, pipeline = ingest([c.syn(), c.at(0, INVITE)])
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (2,))]


# -- where a capture starts ------------------------------------------------------------------------------------
def test_capture_starts_mid_stream_in_the_middle_of_a_message():
    c = Conn()
    stream = INVITE + BYE
    packets = c.split(stream, [150, len(INVITE)])[1:]  # no SYN, and the INVITE's start is not in the capture
    messages, pipeline = ingest(packets)
    assert summary(messages) == [("BYE sip:bob@example.com SIP/2.0", "bye@example.com", (2,), "tcp")]
    assert reasons(pipeline) == {LOST_START: [1]}


def test_capture_starts_mid_stream_with_a_message_starting_inside_the_first_segment():
    c = Conn()
    stream = INVITE + BYE + OK
    packets = c.split(stream, [150, len(INVITE) + 50])[1:]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames) for m in messages] == [
        ("BYE sip:bob@example.com SIP/2.0", (1, 2)), ("SIP/2.0 200 OK", (2,))
    ]
    assert categories(pipeline) == {acc.SIP: 2}


def test_capture_starts_mid_stream_at_a_message_boundary():
    c = Conn()
    messages, pipeline = ingest(c.split(INVITE + BYE, [len(INVITE)])[1:])
    assert [(m.method, m.frames) for m in messages] == [("BYE", (1,))]
    assert categories(pipeline) == {acc.SIP: 1}


def test_syn_with_data_tcp_fast_open():
    # RFC 7413: the data on a SYN follows the SYN's own sequence number.
    c = Conn()
    messages, pipeline = ingest([segment(INVITE[:100], seq=c.isn, flags="S"), c.at(100, INVITE[100:])])
    assert [(m.method, m.frames, m.raw) for m in messages] == [("INVITE", (1, 2), INVITE)]
    assert events(pipeline) == {}


# -- connection state --------------------------------------------------------------------------------------------
def closed_after_each_frame(packets, limits=None):
    """Number of directions followed after each frame."""
    counts = []
    messages, pipeline = ingest(packets, limits=limits, watch=lambda p: counts.append(len(p.tcp.directions)))
    return counts, messages, pipeline


def test_fin_closes_the_direction_once_every_byte_is_in():
    c = Conn()
    first, second = c.split(INVITE, [100])
    # The FIN is seen before the last segment: the direction stays open until that segment arrives.
    counts, messages, pipeline = closed_after_each_frame([c.syn(), first, c.fin(len(INVITE)), second])
    assert counts == [1, 1, 1, 0]
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (2, 4))]


def test_rst_closes_the_direction_and_settles_its_partial_message():
    c = Conn()
    packets = [c.syn(), c.at(0, INVITE[:100]), c.at(100, b"", "R")]
    counts, messages, pipeline = closed_after_each_frame(packets)
    assert counts == [1, 1, 0]
    assert messages == []
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 3], INCOMPLETE: [2]}


def test_rst_gives_up_on_missing_bytes():
    c = Conn()
    s1, _lost, s3 = c.split(INVITE + BYE, [100, len(INVITE)])
    counts, messages, pipeline = closed_after_each_frame([c.syn(), s1, s3, c.at(len(INVITE + BYE), b"", "R")])
    assert counts == [1, 1, 1, 0]
    assert [(m.method, m.frames) for m in messages] == [("BYE", (3,))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 4], LOST_REST: [2]}
    assert events(pipeline) == {"tcp: out of order": 1, "tcp: gap": 1}


def test_retransmitted_syn_is_the_same_connection():
    c = Conn()
    messages, pipeline = ingest([c.syn(), c.syn(), c.at(0, INVITE[:100]), c.syn(), c.at(100, INVITE[100:])])
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (3, 5))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 2, 4]}


def test_port_reuse_with_a_new_syn():
    old, new = Conn(1000), Conn(900_000)
    packets = [old.syn(), old.at(0, INVITE[:100]), new.syn(), new.at(0, BYE)]
    counts, messages, pipeline = closed_after_each_frame(packets)
    assert [(m.method, m.frames) for m in messages] == [("BYE", (4,))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 3], INCOMPLETE: [2]}
    assert counts == [1, 1, 1, 1]


def test_port_reuse_after_fin():
    old, new = Conn(1000), Conn(900_000)
    packets = [old.syn(), old.at(0, INVITE), old.fin(len(INVITE)), new.syn(), new.at(0, BYE)]
    counts, messages, pipeline = closed_after_each_frame(packets)
    assert counts == [1, 1, 0, 1, 1]
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (2,)), ("BYE", (5,))]


def test_data_after_the_connection_closed_is_followed_as_a_new_stream():
    c = Conn()
    packets = [c.syn(), c.at(0, INVITE), c.fin(len(INVITE)), c.at(0, INVITE)]  # a late retransmission
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (2,)), ("INVITE", (4,))]


# -- streams that are not SIP ------------------------------------------------------------------------------------
def test_http_on_the_sip_port_is_not_sip():
    client, server = Conn(1000, dport=5060), Conn(5000, src=B, dst=A, sport=5060)
    request = b"GET / HTTP/1.1\r\nHost: 192.0.2.2:5060\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>hello</html>\r\n"
    packets = [client.syn(), server.syn(), client.at(0, request), server.at(0, response),
               client.fin(len(request)), server.fin(len(response))]
    messages, pipeline = ingest(packets)
    assert messages == []
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 2, 5, 6], NOT_SIP: [3, 4]}


def test_a_stream_starting_with_a_tls_record_is_encrypted_to_its_end():
    from sipscope.pipeline import ENCRYPTED

    rng = random.Random(5061)
    stream = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(rng.randrange(256) for _ in range(20000))
    c = Conn(dport=5061)
    packets = [c.syn(), *c.split(stream, range(1400, len(stream), 1400)), c.fin(len(stream))]
    messages, pipeline = ingest(packets)
    assert messages == []
    assert categories(pipeline) == {acc.OTHER: 2, acc.UNSUPPORTED: len(packets) - 2}  # SYN and FIN: no payload
    assert pipeline.accounting.reasons[ENCRYPTED][0] == len(packets) - 2


def test_a_direction_with_only_keepalive_pongs():
    server = Conn(5000, src=B, dst=A)
    messages, pipeline = ingest([server.syn(), server.at(0, b"\r\n"), server.at(2, b"\r\n")])
    assert messages == []
    assert reasons(pipeline) == {NO_PAYLOAD: [1], KEEPALIVE: [2, 3]}


def test_snap_length_cut_segment_is_a_gap():
    c = Conn()
    packet = bytes(c.at(0, INVITE))
    cut = (records([packet])[0][0], 1, packet[:120], len(packet))
    recs = [*records([c.syn()]), cut, *records([c.at(len(INVITE), BYE)])]
    pipeline = Pipeline(strict=True)
    messages = list(pipeline.run(recs))
    assert [(m.method, m.frames) for m in messages] == [("BYE", (3,))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], (acc.TRUNCATED, "tcp: segment cut short by the snap length"): [2]}
    assert events(pipeline) == {"tcp: gap": 1}
    assert sum(pipeline.accounting.by_category.values()) == pipeline.accounting.frames_read == 3


def test_snap_length_cut_segment_while_others_wait():
    c = Conn()
    s1, s2, s3 = c.split(INVITE + BYE, [100, len(INVITE)])
    cut_packet = bytes(s1)
    recs = records([c.syn(), s2, s1, s3])
    recs[2] = (recs[2][0], 1, cut_packet[:80], len(cut_packet))
    pipeline = Pipeline(strict=True)
    messages = list(pipeline.run(recs))
    assert [(m.method, m.frames) for m in messages] == [("BYE", (4,))]
    assert reasons(pipeline) == {
        NO_PAYLOAD: [1], (acc.TRUNCATED, "tcp: segment cut short by the snap length"): [3], LOST_START: [2]
    }
    assert sum(pipeline.accounting.by_category.values()) == pipeline.accounting.frames_read == 4


# -- bounded memory ----------------------------------------------------------------------------------------------
def test_megabytes_of_garbage_without_a_line_end_stay_bounded():
    limits = Limits(max_header=8192)
    rng = random.Random(1)
    garbage = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 :;/") for _ in range(1 << 16)) * 32  # 2 MiB
    stream = INVITE + garbage + b"\r\n" + BYE
    c = Conn()
    size = 30000
    packets = [c.syn(), *c.split(stream, range(size, len(stream), size))]
    buffered = []

    def watch(pipeline):
        for direction in pipeline.tcp.directions.values():
            consumer = direction.consumer
            buffered.append(consumer.framer.buffered if consumer.framer else len(consumer.pending))
            assert len(consumer.spans) <= limits.max_header // size + 2

    messages, pipeline = ingest(packets, limits=limits, watch=watch)
    assert max(buffered) <= limits.max_header + size
    assert [(m.method, m.raw) for m in messages] == [("INVITE", INVITE), ("BYE", BYE)]
    assert messages[1].frames == (len(packets),)
    assert events(pipeline) == {"limit: sip header block size": 1}
    assert categories(pipeline) == {acc.SIP: 2, acc.OTHER: len(packets) - 2}
    assert pipeline.accounting.reasons[NOT_SIP][0] == len(packets) - 3


def test_megabytes_of_lines_without_a_start_line_stay_bounded():
    line = b"this is not sip at all, just text\r\n"
    stream = INVITE + line * 60000 + BYE  # 2 MiB
    c = Conn()
    size = 30000
    packets = [c.syn(), *c.split(stream, range(size, len(stream), size))]
    buffered = []
    messages, pipeline = ingest(
        packets, watch=lambda p: buffered.extend(framer_sizes(p))
    )
    assert max(buffered) < len(line)
    assert [m.method for m in messages] == ["INVITE", "BYE"]
    assert events(pipeline) == {}


def test_a_header_block_that_never_ends():
    limits = Limits(max_header=4096)
    header = b"INVITE sip:bob@example.com SIP/2.0\r\n" + b"X-Padding: " + b"p" * 60 + b"\r\n"
    stream = header + b"X-Padding: more padding, the header block never ends\r\n" * 2000 + b"\r\n" + BYE
    c = Conn()
    packets = [c.syn(), *c.split(stream, range(1400, len(stream), 1400))]
    buffered = []
    messages, pipeline = ingest(
        packets, limits=limits, watch=lambda p: buffered.extend(framer_sizes(p))
    )
    assert max(buffered) <= limits.max_header + 1400
    assert [(m.method, m.call_id) for m in messages] == [("BYE", "bye@example.com")]
    assert events(pipeline) == {"limit: sip header block size": 1}
    over = (acc.TRUNCATED, "tcp: header block over the size limit")
    assert pipeline.accounting.reasons[over][0] == len(packets) - 2
    assert categories(pipeline) == {acc.SIP: 1, acc.OTHER: 1, acc.TRUNCATED: len(packets) - 2}


def test_absurd_content_length_frames_the_header_block_and_goes_on():
    absurd = make_request("MESSAGE", call_id="absurd@example.com", content_length=999999999)
    body = b"this is the body, far shorter than announced\r\n"
    c = Conn()
    packets = [c.syn(), c.at(0, absurd), c.at(len(absurd), body), c.at(len(absurd + body), BYE)]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.call_id, m.frames) for m in messages] == [
        ("MESSAGE", "absurd@example.com", (2,)), ("BYE", "bye@example.com", (4,))
    ]
    assert "sip.content_length.too_large" in messages[0].defects
    assert messages[0].raw == absurd
    assert reasons(pipeline) == {NO_PAYLOAD: [1], (acc.TRUNCATED, "tcp: body over the size limit"): [3]}
    assert events(pipeline) == {"limit: sip message size": 1}


def test_content_length_over_the_message_limit():
    limits = Limits(max_message=2000)
    big = make_request("MESSAGE", call_id="big@example.com", body=(b"x" * 98 + b"\r\n") * 30)
    c = Conn()
    messages, pipeline = ingest([c.syn(), *c.split(big + BYE, [1000, 2000, 3000])], limits=limits)
    assert [(m.method, m.frames) for m in messages] == [("MESSAGE", (2,)), ("BYE", (5,))]
    assert reasons(pipeline) == {NO_PAYLOAD: [1], (acc.TRUNCATED, "tcp: body over the size limit"): [3, 4]}


def test_out_of_order_bytes_over_the_limit_declare_a_gap():
    limits = Limits(max_tcp_waiting=4000)
    c = Conn()
    stream = INVITE + b"".join(make_request("OPTIONS", call_id=f"o{i}@example.com", cseq=i) for i in range(20))
    parts = c.split(stream, [100, len(INVITE) - 20, *range(len(INVITE) + 480, len(stream), 500)])
    waiting = []
    # The first segment is lost: everything after it waits, until the limit says to give up on it.
    messages, pipeline = ingest(
        [c.syn(), *parts[1:]], limits=limits,
        watch=lambda p: waiting.extend(d.waiting_bytes for d in p.tcp.directions.values()),
    )
    assert max(waiting) <= limits.max_tcp_waiting
    assert [m.call_id for m in messages] == [f"o{i}@example.com" for i in range(20)]
    assert events(pipeline)["limit: tcp bytes waiting for a missing segment"] == 1
    assert events(pipeline)["tcp: gap"] == 1
    assert pipeline.accounting.reasons[LOST_START][1] == [2]
    assert categories(pipeline) == {acc.SIP: len(parts) - 2, acc.OTHER: 1, acc.TRUNCATED: 1}


def test_more_streams_than_the_limit_close_the_oldest():
    limits = Limits(max_tcp_streams=3)
    conns = [Conn(1000 * i, sport=40000 + i) for i in range(5)]
    packets = [conn.at(0, INVITE[:100]) for conn in conns]  # five partial messages, on five connections
    packets += [conns[4].at(100, INVITE[100:])]
    counts, messages, pipeline = closed_after_each_frame(packets, limits)
    assert max(counts) == 3
    assert [(m.method, m.frames, m.src) for m in messages] == [("INVITE", (5, 6), "192.0.2.1:40004")]
    assert events(pipeline) == {"limit: open tcp streams": 2}
    assert reasons(pipeline) == {INCOMPLETE: [1, 2, 3, 4]}


def test_a_tls_stream_is_counted_as_encrypted_not_as_other_traffic():
    from sipscope.pipeline import ENCRYPTED
    from sipscope.testing import A, B, tcp_frame

    def record(content_type: int, body: bytes, version: bytes = b"\x03\x03") -> bytes:
        return bytes([content_type]) + version + len(body).to_bytes(2, "big") + body

    hello = record(22, b"\x01" + bytes(60), b"\x03\x01")  # a ClientHello (RFC 8446 section 4.1.2)
    answer = record(22, b"\x02" + bytes(80)) + record(20, b"\x01")
    secret = record(23, bytes(range(200)))  # application data: a SIP message nobody can read without the keys
    frames = [tcp_frame(1000, 0x02, sport=40000, dport=5061), tcp_frame(1001, 0x18, hello, sport=40000, dport=5061),
              tcp_frame(5001, 0x18, answer, B, A, 5061, 40000), tcp_frame(1001 + len(hello), 0x18, secret + secret,
                                                                          sport=40000, dport=5061)]
    messages, pipeline = ingest(frames)
    assert messages == []
    assert reasons(pipeline)[ENCRYPTED] == [2, 3, 4]
    assert categories(pipeline) == {acc.OTHER: 1, acc.UNSUPPORTED: 3}  # the SYN has no payload
