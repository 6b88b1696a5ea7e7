"""SIP over WebSocket (RFC 7118): the HTTP upgrade handshake, masked client frames and unmasked server frames,
messages fragmented over continuation frames, control frames, the three payload length forms, captures that start
after the handshake, lost bytes and the size limits; and the sans-I/O WebSocketDecoder on its own. Frames are
built here (masking included) independently of sipscope's decoder."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from sipscope import accounting as acc
from sipscope.capture.websocket import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, TooLarge, WebSocketDecoder
from sipscope.pipeline import Limits, Pipeline
from sipscope.sip.framing import NEED_DATA
from sipscope.testing import events, ingest, make_request, make_response, reasons, records

CLIENT, SERVER = "192.0.2.1", "192.0.2.2"
KEY = b"\x37\xfa\x21\x3d"
HANDSHAKE = (acc.OTHER, "websocket: handshake")
CONTROL = (acc.OTHER, "websocket: control frame")
NO_PAYLOAD = (acc.OTHER, "tcp: no payload")

INVITE = make_request(
    "INVITE", uri="sip:bob@example.com", call_id="ws-1@example.com", body=b"v=0\r\ns=-\r\n",
    extra="Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n",
)
TRYING = make_response(100, "Trying", call_id="ws-1@example.com")
OK = make_response(200, call_id="ws-1@example.com")

# RFC 7118 section 2.1 and RFC 6455 section 1.3: the client asks for the "sip" subprotocol, the server agrees.
UPGRADE = (
    b"GET / HTTP/1.1\r\n"
    b"Host: sip-ws.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://www.example.com\r\n"
    b"Sec-WebSocket-Protocol: sip\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
SWITCHING = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: sip\r\n\r\n"
)


def ws_frame(payload: bytes, opcode: int = TEXT, fin: bool = True, key: bytes | None = None, form: int = 0) -> bytes:
    """One frame (RFC 6455 section 5.2); ``form`` forces the 7-, 16- or 64-bit payload length."""
    n = len(payload)
    form = form or (7 if n < 126 else 16 if n < 65536 else 64)
    first = bytes([(0x80 if fin else 0) | opcode])
    mask = 0x80 if key else 0
    if form == 7:
        header = first + bytes([mask | n])
    elif form == 16:
        header = first + bytes([mask | 126]) + struct.pack(">H", n)
    else:
        header = first + bytes([mask | 127]) + struct.pack(">Q", n)
    if key:
        header += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return header + payload


def client_frame(payload: bytes, opcode: int = TEXT, fin: bool = True, form: int = 0) -> bytes:
    """Client frames are masked (RFC 6455 section 5.3)."""
    return ws_frame(payload, opcode, fin, KEY, form)


class Direction:
    """The segments of one direction, placed one after the other."""

    def __init__(self, src, dst, sport, dport, isn):
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.isn = isn
        self.offset = 0

    def syn(self):
        return self._segment(b"", self.isn, "S")

    def send(self, payload: bytes):
        packet = self._segment(payload, self.isn + 1 + self.offset, "PA")
        self.offset += len(payload)
        return packet

    def skip(self, n: int) -> None:
        """Bytes that the capture misses."""
        self.offset += n

    def _segment(self, payload, seq, flags):
        return (
            Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / IP(src=self.src, dst=self.dst)
            / TCP(sport=self.sport, dport=self.dport, seq=seq & 0xFFFFFFFF, flags=flags)
            / payload
        )


def connection():
    return Direction(CLIENT, SERVER, 51000, 80, 1000), Direction(SERVER, CLIENT, 80, 51000, 7000)








def summary(messages):
    return [(m.start_line, m.call_id, m.frames, m.transport, m.src) for m in messages]


def test_handshake_then_masked_client_and_unmasked_server_frames():
    client, server = connection()
    packets = [
        client.syn(), server.syn(),
        client.send(UPGRADE), server.send(SWITCHING),
        client.send(client_frame(INVITE)), server.send(ws_frame(TRYING)), server.send(ws_frame(OK, BINARY)),
    ]
    messages, pipeline = ingest(packets)
    assert summary(messages) == [
        ("INVITE sip:bob@example.com SIP/2.0", "ws-1@example.com", (5,), "ws", "192.0.2.1:51000"),
        ("SIP/2.0 100 Trying", "ws-1@example.com", (6,), "ws", "192.0.2.2:80"),
        ("SIP/2.0 200 OK", "ws-1@example.com", (7,), "ws", "192.0.2.2:80"),
    ]
    assert [m.raw for m in messages] == [INVITE, TRYING, OK]
    assert messages[0].body == b"v=0\r\ns=-\r\n"
    assert reasons(pipeline) == {NO_PAYLOAD: [1, 2], HANDSHAKE: [3, 4]}
    assert events(pipeline) == {}


def test_handshake_and_first_frame_in_one_segment():
    client, server = connection()
    packets = [client.send(UPGRADE + client_frame(INVITE)), server.send(SWITCHING + ws_frame(OK))]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames, m.transport) for m in messages] == [
        ("INVITE sip:bob@example.com SIP/2.0", (1,), "ws"), ("SIP/2.0 200 OK", (2,), "ws")
    ]
    assert pipeline.accounting.by_category[acc.SIP] == 2


def test_handshake_split_over_segments():
    client, _server = connection()
    packets = [client.send(UPGRADE[:40]), client.send(UPGRADE[40:]), client.send(client_frame(INVITE))]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.transport) for m in messages] == [("INVITE", (3,), "ws")]
    assert reasons(pipeline) == {HANDSHAKE: [1, 2]}


def test_one_frame_over_three_segments_and_frames_cut_anywhere():
    client, _server = connection()
    stream = client_frame(INVITE) + client_frame(INVITE.replace(b"ws-1@", b"ws-2@"))
    first = len(client_frame(INVITE))
    # cuts inside the first frame's payload, in the second frame's header and in its masking key
    cuts = [100, 200, first + 1, first + 4, len(stream) - 10]
    packets = [client.send(UPGRADE)]
    for a, b in zip([0, *cuts], [*cuts, len(stream)]):
        packets.append(client.send(stream[a:b]))
    messages, pipeline = ingest(packets)
    assert [(m.call_id, m.frames) for m in messages] == [
        ("ws-1@example.com", (2, 3, 4)), ("ws-2@example.com", (4, 5, 6, 7))
    ]
    assert pipeline.accounting.by_category[acc.SIP] == 6


def test_message_fragmented_over_two_frames():
    client, server = connection()
    packets = [
        client.send(UPGRADE),
        client.send(client_frame(INVITE[:120], TEXT, fin=False)),
        client.send(client_frame(INVITE[120:], CONTINUATION)),
        server.send(ws_frame(OK[:50], BINARY, fin=False) + ws_frame(OK[50:], CONTINUATION)),
    ]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames, m.raw) for m in messages] == [
        ("INVITE sip:bob@example.com SIP/2.0", (2, 3), INVITE), ("SIP/2.0 200 OK", (4,), OK)
    ]


def test_control_frames_are_other():
    client, server = connection()
    packets = [
        client.send(UPGRADE), server.send(SWITCHING),
        client.send(client_frame(b"are you there", PING)), server.send(ws_frame(b"are you there", PONG)),
        client.send(client_frame(INVITE)),
        client.send(client_frame(struct.pack(">H", 1000) + b"bye", CLOSE)), server.send(ws_frame(b"\x03\xe8", CLOSE)),
    ]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (5,))]
    assert reasons(pipeline) == {HANDSHAKE: [1, 2], CONTROL: [3, 4, 6, 7]}


def test_control_frame_between_fragments():
    # RFC 6455 section 5.4: control frames may come between the fragments of a message.
    client, _server = connection()
    packets = [
        client.send(UPGRADE),
        client.send(client_frame(INVITE[:120], TEXT, fin=False)),
        client.send(client_frame(b"", PING)),
        client.send(client_frame(INVITE[120:200], CONTINUATION, fin=False) + client_frame(b"", PING)),
        client.send(client_frame(INVITE[200:], CONTINUATION)),
    ]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames, m.raw) for m in messages] == [("INVITE", (2, 4, 5), INVITE)]
    assert reasons(pipeline) == {HANDSHAKE: [1], CONTROL: [3]}


@pytest.mark.parametrize("form", [16, 64])
def test_extended_payload_lengths_forced(form):
    client, _server = connection()
    messages, pipeline = ingest([client.send(UPGRADE), client.send(client_frame(INVITE, form=form))])
    assert [(m.method, m.frames, m.raw) for m in messages] == [("INVITE", (2,), INVITE)]


def test_16_and_64_bit_payload_lengths():
    client, server = connection()
    medium = make_request("MESSAGE", call_id="medium@example.com", body=b"m" * 1000)  # 126: 16-bit length
    large = make_request("MESSAGE", call_id="large@example.com", body=b"L" * 70000)  # 127: 64-bit length
    assert client_frame(medium)[1] & 0x7F == 126 and client_frame(large)[1] & 0x7F == 127
    stream = client_frame(medium) + client_frame(large)
    packets = [client.send(UPGRADE), server.send(SWITCHING)]
    packets += [client.send(stream[i : i + 1400]) for i in range(0, len(stream), 1400)]
    packets.append(server.send(ws_frame(make_response(200, method="MESSAGE", body=b"r" * 300))))
    messages, pipeline = ingest(packets)
    assert [(m.call_id, len(m.body)) for m in messages] == [
        ("medium@example.com", 1000), ("large@example.com", 70000), ("call-1@example.com", 300)
    ]
    assert messages[0].frames == (3,)
    assert messages[1].frames == tuple(range(3, len(packets)))
    assert pipeline.accounting.by_category[acc.SIP] == len(packets) - 2


def test_capture_starts_after_the_handshake():
    client, server = connection()
    client.skip(len(UPGRADE))
    server.skip(len(SWITCHING))
    packets = [client.send(client_frame(INVITE)), server.send(ws_frame(TRYING)), server.send(ws_frame(OK))]
    messages, pipeline = ingest(packets)
    assert [(m.start_line, m.frames, m.transport) for m in messages] == [
        ("INVITE sip:bob@example.com SIP/2.0", (1,), "ws"),
        ("SIP/2.0 100 Trying", (2,), "ws"),
        ("SIP/2.0 200 OK", (3,), "ws"),
    ]
    assert pipeline.accounting.by_category == {**pipeline.accounting.by_category, acc.SIP: 3}


def test_capture_starts_after_the_handshake_with_a_long_request_line():
    uri = "sip:" + "a" * 100 + "@example.com;transport=ws"
    invite = make_request("INVITE", uri=uri, call_id="long@example.com")
    client, _server = connection()
    frame = client_frame(invite)
    messages, _pipeline = ingest([client.send(frame[:100]), client.send(frame[100:])])
    assert [(m.uri, m.frames) for m in messages] == [(uri, (1, 2))]


def test_lost_bytes_resume_at_a_frame_that_starts_a_segment():
    client, _server = connection()
    second = make_request("BYE", call_id="ws-2@example.com")
    frame = client_frame(INVITE)
    packets = [client.send(UPGRADE), client.send(frame[:100])]
    client.skip(len(frame) - 100)  # the rest of the frame is lost
    packets.append(client.send(client_frame(second)))
    messages, pipeline = ingest(packets)
    assert [(m.method, m.call_id, m.frames, m.transport) for m in messages] == [
        ("BYE", "ws-2@example.com", (3,), "ws")
    ]
    assert reasons(pipeline) == {HANDSHAKE: [1], (acc.TRUNCATED, "websocket: frame or message cut short"): [2]}
    assert events(pipeline) == {"tcp: out of order": 1, "tcp: gap": 1}


def test_continuation_without_its_start():
    client, _server = connection()
    packets = [client.send(UPGRADE), client.send(client_frame(b"tail of a lost message", CONTINUATION)),
               client.send(client_frame(INVITE))]
    messages, pipeline = ingest(packets)
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (3,))]
    assert reasons(pipeline) == {
        HANDSHAKE: [1], (acc.TRUNCATED, "websocket: continuation of a message not followed"): [2]
    }


def test_websocket_that_does_not_carry_sip():
    client, _server = connection()
    upgrade = UPGRADE.replace(b"Sec-WebSocket-Protocol: sip", b"Sec-WebSocket-Protocol: chat")
    messages, pipeline = ingest([client.send(upgrade), client.send(client_frame(b'{"hello": "world"}'))])
    assert messages == []
    assert reasons(pipeline) == {HANDSHAKE: [1], (acc.OTHER, "websocket: not sip"): [2]}


def test_frame_over_the_size_limit():
    limits = Limits(max_message=4000)
    client, _server = connection()
    big = client_frame(b"x" * 10000, BINARY)
    packets = [client.send(UPGRADE)]
    packets += [client.send(big[i : i + 1400]) for i in range(0, len(big), 1400)]
    packets.append(client.send(client_frame(INVITE)))
    messages, pipeline = ingest(packets, limits=limits)
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (len(packets),))]
    assert events(pipeline) == {"limit: websocket frame size": 1}
    assert reasons(pipeline)[(acc.MALFORMED, "websocket: frame over the size limit")] == [2]
    assert pipeline.accounting.by_category[acc.OTHER] == len(packets) - 2  # the rest of the big frame, and more


def test_fragmented_message_over_the_size_limit():
    limits = Limits(max_message=4000)
    client, _server = connection()
    packets = [client.send(UPGRADE), client.send(client_frame(b"INVITE " + b"x" * 1500, fin=False))]
    packets += [client.send(client_frame(b"x" * 1500, CONTINUATION, fin=False)) for _ in range(3)]
    packets += [client.send(client_frame(b"x", CONTINUATION)), client.send(client_frame(INVITE))]
    messages, pipeline = ingest(packets, limits=limits)
    assert [(m.method, m.frames) for m in messages] == [("INVITE", (7,))]
    assert events(pipeline) == {"limit: websocket message size": 1}
    assert reasons(pipeline) == {
        HANDSHAKE: [1],
        (acc.TRUNCATED, "websocket: message over the size limit"): [2, 3, 4],
        (acc.TRUNCATED, "websocket: continuation of a message not followed"): [5, 6],
    }


def test_endless_control_frames_between_fragments_stay_bounded():
    limits = Limits(max_message=4000)
    client, _server = connection()
    packets = [client.send(UPGRADE), client.send(client_frame(INVITE[:100], fin=False))]
    packets += [client.send(client_frame(b"", PING) * 100) for _ in range(10)]  # 600 bytes each
    packets.append(client.send(client_frame(INVITE[100:], CONTINUATION)))
    spans = []
    pipeline = Pipeline(limits, strict=True)

    def feed():
        for record in records(packets):
            yield record
            spans.extend(len(d.consumer.spans) for d in pipeline.tcp.directions.values())

    assert list(pipeline.run(feed())) == []
    assert max(spans) <= 8
    assert events(pipeline) == {"limit: websocket message size": 1}
    assert reasons(pipeline) == {
        HANDSHAKE: [1],
        (acc.TRUNCATED, "websocket: message over the size limit"): [2, 3, 4, 5, 6, 7, 8],
        CONTROL: [9, 10, 11, 12],
        (acc.TRUNCATED, "websocket: continuation of a message not followed"): [13],
    }


# -- the decoder on its own ------------------------------------------------------------------------------------
def test_decoder_byte_by_byte_with_a_start_offset():
    stream = UPGRADE + client_frame(b"hello", TEXT, fin=False) + client_frame(b" world", CONTINUATION)
    decoder = WebSocketDecoder(start=500)
    events_seen = []
    handshake_end = -1
    for i in range(len(stream)):
        decoder.feed(stream[i : i + 1])
        if handshake_end < 0:
            handshake_end = decoder.skip_handshake()
            continue
        while (frame := decoder.next_frame()) is not NEED_DATA:
            events_seen.append((frame.start, frame.end, frame.opcode, frame.fin, frame.payload))
        assert decoder.buffered <= 16
    first = 500 + len(UPGRADE)
    assert handshake_end == first
    assert events_seen == [
        (first, first + 11, TEXT, False, b"hello"),
        (first + 11, first + 23, CONTINUATION, True, b" world"),
    ]


def test_decoder_frame_over_the_limit():
    decoder = WebSocketDecoder(max_payload=100, start=10)
    decoder.feed(ws_frame(b"x" * 200)[:50])
    event = decoder.next_frame()
    assert isinstance(event, TooLarge)
    assert (event.start, event.end, event.length) == (10, 60, 200)
    assert decoder.buffered == 0
    assert decoder.next_frame() is NEED_DATA


def test_decoder_64_bit_length_beyond_any_limit():
    decoder = WebSocketDecoder()
    decoder.feed(b"\x82\x7f" + struct.pack(">Q", 2**63 + 5) + b"data")
    event = decoder.next_frame()
    assert isinstance(event, TooLarge) and event.length == 2**63 + 5
