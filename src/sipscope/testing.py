"""Builders for tests: SIP messages, capture records and capture files, made in a line.

Packets themselves are best built with scapy (an independent implementation of every layer); these helpers turn
them into records for ``Pipeline.run`` or into files, and write pcap and pcapng variants that scapy cannot
(nanosecond or big-endian pcap, pcapng with several interfaces, simple and obsolete packet blocks).
"""

from __future__ import annotations

import struct
from typing import Iterable

from .pipeline import Pipeline
from .sip.message import SipMessage
from .sip.parse import NOT_SIP, Malformed, parse_message

DEFAULT_TS = 1_700_000_000 * 1_000_000_000
MAC = bytes.fromhex("020000000002020000000001")  # destination, source
A, B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])


def make_request(method: str = "INVITE", uri: str = "sip:bob@example.com", call_id: str = "call-1@example.com",
                 cseq: int = 1, branch: str = "z9hG4bK-1", body: bytes = b"", extra: str = "",
                 content_length: int | None = None, content_type: str = "text/plain") -> bytes:
    """A well-formed request with the mandatory headers of RFC 3261 section 8.1.1 (and a Content-Type when there
    is a body)."""
    length = len(body) if content_length is None else content_length
    if body:
        extra += f"Content-Type: {content_type}\r\n"
    return (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:alice@example.com>;tag=from-1\r\n"
        f"To: <{uri}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        f"Content-Length: {length}\r\n\r\n"
    ).encode() + body


def make_response(status: int = 200, reason: str = "OK", method: str = "INVITE", call_id: str = "call-1@example.com",
                  cseq: int = 1, branch: str = "z9hG4bK-1", body: bytes = b"", extra: str = "",
                  content_type: str = "text/plain") -> bytes:
    if body:
        extra += f"Content-Type: {content_type}\r\n"
    return (
        f"SIP/2.0 {status} {reason}\r\n"
        f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n"
        f"From: <sip:alice@example.com>;tag=from-1\r\n"
        f"To: <sip:bob@example.com>;tag=to-1\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(protocol: int, src: bytes, dst: bytes, payload: bytes) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, protocol, 0, src, dst)
    return MAC + b"\x08\x00" + ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:] + payload


def tcp_frame(seq: int, flags: int, payload: bytes = b"", src=A, dst=B, sport=5060, dport=5060) -> bytes:
    """Ethernet/IPv4/TCP, byte for byte what scapy builds (``tests/test_properties``), in a fraction of its time."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 5 << 4, flags, 8192, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + payload)) + tcp[18:]
    return _ipv4(6, src, dst, tcp + payload)


def udp_frame(payload: bytes, src=A, dst=B, sport=5060, dport=5060) -> bytes:
    """Ethernet/IPv4/UDP without a UDP checksum (zero: none computed, RFC 768), quick enough for floods."""
    return _ipv4(17, src, dst, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def records(packets: Iterable, linktype: int = 1, start_ts: int = DEFAULT_TS, step_ns: int = 1_000_000) -> list:
    """Capture records from scapy packets or raw bytes, one millisecond apart."""
    out = []
    for i, packet in enumerate(packets):
        data = bytes(packet)
        out.append((start_ts + i * step_ns, linktype, data, len(data)))
    return out


def ingest(packets=(), linktype: int = 1, limits=None, recs=None, watch=None) -> tuple[list[SipMessage], Pipeline]:
    """Run packets (or ready records) through a strict pipeline: the messages and the pipeline, after checking that
    every frame was settled exactly once. ``watch(pipeline)`` runs after each frame (to check memory bounds)."""
    pipeline = Pipeline(limits, strict=True)
    recs = records(packets, linktype) if recs is None else recs

    def feed():
        for record in recs:
            yield record
            if watch is not None:
                watch(pipeline)

    messages = list(pipeline.run(feed()))
    accounting = pipeline.accounting
    assert sum(accounting.by_category.values()) == accounting.frames_read == len(recs)
    return messages, pipeline


def reasons(pipeline: Pipeline) -> dict:
    """(category, reason) -> example frames, for the frames settled with a reason (all but plain SIP)."""
    return {key: examples for key, (_count, examples) in pipeline.accounting.reasons.items()}


def categories(pipeline: Pipeline) -> dict:
    """Category -> frames, for the categories that have any."""
    return {category: n for category, n in pipeline.accounting.by_category.items() if n}


def events(pipeline: Pipeline) -> dict:
    """Event -> count."""
    return {name: count for name, (count, _examples) in pipeline.accounting.events.items()}


def write_pcap(path, recs: Iterable, linktype: int = 1, nanoseconds: bool = False, big_endian: bool = False,
               snaplen: int = 262144) -> None:
    """A classic pcap file; ``recs`` are ``(ts_ns, data)`` or ``(ts_ns, data, orig_len)``."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    per_second = 1_000_000_000 if nanoseconds else 1_000_000
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for rec in recs:
            ts, data = rec[0], rec[1]
            orig = rec[2] if len(rec) > 2 else len(data)
            sec, frac = divmod(ts, 1_000_000_000)
            frac = frac * per_second // 1_000_000_000
            f.write(struct.pack(e + "IIII", sec, frac, len(data), orig) + data)


def _block(e: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = len(body) + 12
    return struct.pack(e + "II", btype, length) + body + struct.pack(e + "I", length)


def pcapng_section(big_endian: bool = False) -> bytes:
    e = ">" if big_endian else "<"
    return _block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_interface(linktype: int, tsresol: int | None = None, snaplen: int = 0, big_endian: bool = False) -> bytes:
    """An interface description block; ``tsresol`` is the raw if_tsresol byte (6 = microseconds, 9 = ns)."""
    e = ">" if big_endian else "<"
    body = struct.pack(e + "HHI", linktype, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0" + struct.pack(e + "HH", 0, 0)
    return _block(e, 1, body)


def pcapng_enhanced(interface: int, ts_units: int, data: bytes, orig_len: int | None = None,
                    big_endian: bool = False) -> bytes:
    e = ">" if big_endian else "<"
    orig = len(data) if orig_len is None else orig_len
    return _block(e, 6, struct.pack(e + "IIIII", interface, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data), orig) + data)


def pcapng_simple(data: bytes, big_endian: bool = False) -> bytes:
    e = ">" if big_endian else "<"
    return _block(e, 3, struct.pack(e + "I", len(data)) + data)


def pcapng_obsolete(interface: int, ts_units: int, data: bytes, big_endian: bool = False) -> bytes:
    e = ">" if big_endian else "<"
    return _block(
        e, 2, struct.pack(e + "HHIIII", interface, 0, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data), len(data)) + data
    )


def pcapng_unknown(btype: int = 0x0BAD, payload: bytes = b"ignore me", big_endian: bool = False) -> bytes:
    return _block(">" if big_endian else "<", btype, payload)


# -- every view of a parsed message (the parser's property tests and its fuzzer) ------------------------------------
def touch_value(value) -> None:
    """Read every public attribute and property of a structured value (or URI), and its dict form."""
    for name in dir(value):
        if not name.startswith("_"):
            attribute = getattr(value, name)
            if name == "as_dict":
                attribute()
    assert isinstance(value.raw, str)


def exercise(message: SipMessage) -> None:
    """Every view of a parsed message; none may raise."""
    assert isinstance(message.defects, list)
    repr(message), message.start_line, message.is_request, message.body
    message.via, message.from_header, message.to_header
    message.branch, message.from_tag, message.to_tag, message.agent
    for header in message.headers:
        assert header.key == header.name.lower()
        message.header(header.raw_name), message.header_values(header.name)
        for value in message.values(header.name):
            touch_value(value)
            for inner in ("uri",):
                uri = getattr(value, inner, None)
                if uri is not None:
                    touch_value(uri)
    if message.request_uri is not None:
        touch_value(message.request_uri)
        str(message.request_uri)
    part = message.body_part
    if part is not None:
        for inner in part.walk():
            repr(inner), inner.media_type, inner.header("Content-ID"), inner.sdp, inner.sipfrag
        part.all_defects()
    message.body_defects() if message.body_end > message.body_start else None
    defects = message.check()
    assert defects is message.defects
    assert len(set(defects)) == len(defects), defects
    assert message.check() == defects  # a second call adds nothing


def parse_both(data: bytes):
    """The datagram and the stream readings of ``data``, each exercised."""
    results = []
    for stream in (False, True):
        result = parse_message(data, stream=stream)
        assert result is NOT_SIP or isinstance(result, (Malformed, SipMessage)), result
        if isinstance(result, Malformed):
            assert isinstance(result.reason, str)
        if isinstance(result, SipMessage):
            exercise(result)
        results.append(result)
    return results
