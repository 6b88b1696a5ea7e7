"""HEP, the Homer encapsulation protocol: a capture agent's copy of a packet, sent over UDP or TCP.

Version 3 is a sequence of typed chunks (vendor 0 types from the HEP3 specification); versions 1 and 2 are a
fixed header. Either way the result is the original packet's view: its addresses, ports, transport, timestamp
and payload. Compressed payload chunks (type 16) are zlib or gzip streams.
"""

from __future__ import annotations

import struct
import zlib

TRANSPORTS = {6: "tcp", 17: "udp", 132: "sctp"}
PROTO_SIP = 1
MAX_DECOMPRESSED = 1 << 20

# HEP3 chunk types of vendor 0 that we use.
IP_PROTOCOL, IPV4_SRC, IPV4_DST, IPV6_SRC, IPV6_DST = 2, 3, 4, 5, 6
SRC_PORT, DST_PORT, TS_SEC, TS_USEC, PROTO_TYPE, PAYLOAD, COMPRESSED = 7, 8, 9, 10, 11, 15, 16

HepPacket = tuple  # (ts_ns, src, sport, dst, dport, transport, payload)


def decode_hep(data: bytes, frame_ts: int) -> HepPacket | str | None:
    """The encapsulated packet; None when it carries no SIP; a string saying what is wrong when it is damaged."""
    if data[:4] == b"HEP3":
        return _decode_v3(data, frame_ts)
    if data[0] in (1, 2):
        return _decode_v1_v2(data, frame_ts)
    return "unknown version"


def _decode_v3(data: bytes, frame_ts: int):
    if len(data) < 6:
        return "header cut short"
    total = struct.unpack_from(">H", data, 4)[0]
    if total < 6:
        return f"length {total} below the 6-byte header"
    if total > len(data):
        return f"length {total} beyond the packet ({len(data)} bytes)"
    chunks: dict[int, bytes] = {}
    pos = 6
    while pos + 6 <= total:
        vendor, ctype, length = struct.unpack_from(">HHH", data, pos)
        if length < 6 or pos + length > total:
            return f"chunk type {ctype} has a bad length {length}"
        if vendor == 0:
            chunks.setdefault(ctype, data[pos + 6 : pos + length])
        pos += length
    proto_type = chunks.get(PROTO_TYPE, b"\x01")
    if proto_type[:1] != bytes([PROTO_SIP]):
        return None
    payload = chunks.get(PAYLOAD)
    if payload is None and COMPRESSED in chunks:
        payload = _inflate(chunks[COMPRESSED])
        if payload is None:
            return "compressed payload cannot be inflated"
    if not payload:
        return None
    src = chunks.get(IPV4_SRC) or chunks.get(IPV6_SRC) or b""
    dst = chunks.get(IPV4_DST) or chunks.get(IPV6_DST) or b""
    sport = _uint(chunks.get(SRC_PORT))
    dport = _uint(chunks.get(DST_PORT))
    transport = TRANSPORTS.get(_uint(chunks.get(IP_PROTOCOL)), "udp")
    ts = frame_ts
    if TS_SEC in chunks:
        ts = _uint(chunks[TS_SEC]) * 1_000_000_000 + _uint(chunks.get(TS_USEC)) * 1000
    return ts, src, sport, dst, dport, transport, payload


def _decode_v1_v2(data: bytes, frame_ts: int):
    # version, header length, family, protocol, sport, dport, addresses; v2 adds seconds, microseconds, agent id.
    version, hlen, family, protocol = data[0], data[1], data[2], data[3]
    addr_len = 4 if family == 2 else 16 if family == 10 else 0
    fixed = 8 + 2 * addr_len + (12 if version == 2 else 0)
    if not addr_len or hlen != fixed or len(data) <= hlen:
        return "not a valid hep v1/v2 header"
    sport, dport = struct.unpack_from(">HH", data, 4)
    src = data[8 : 8 + addr_len]
    dst = data[8 + addr_len : 8 + 2 * addr_len]
    ts = frame_ts
    if version == 2:
        # Agents write the time fields in their own (in practice little-endian) byte order.
        sec, usec = struct.unpack_from("<II", data, 8 + 2 * addr_len)
        ts = sec * 1_000_000_000 + usec * 1000
    return ts, src, sport, dst, dport, TRANSPORTS.get(protocol, "udp"), data[hlen:]


def _uint(value: bytes | None) -> int:
    return int.from_bytes(value, "big") if value else 0


def _inflate(data: bytes) -> bytes | None:
    """zlib or gzip, bounded so a compression bomb cannot take the memory."""
    for wbits in (zlib.MAX_WBITS | 32, -zlib.MAX_WBITS):  # auto-detect zlib/gzip header, then raw deflate
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(data, MAX_DECOMPRESSED)
            if out:
                return out
        except zlib.error:
            continue
    return None
