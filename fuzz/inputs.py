"""How the fuzz targets read their input bytes, and how the seeds are written in the same shapes.

A frames input: a byte choosing the link type, then frames, each a 2-byte big-endian length and its bytes. The
length's top bit marks a frame cut short (its original length is longer than what was captured).

A TCP input: a byte choosing the limits, then segments, each a control byte (bit 0 and 1: which of four directions,
bits 2 and 3: SYN, FIN, RST or data, bit 4: a jump far out of the window), a 2-byte signed shift of the sequence
number from where the direction's data should continue, a 2-byte length and the payload.
"""

from __future__ import annotations

import struct

from sipscope.pipeline import Limits
from sipscope.testing import A, B, DEFAULT_TS, tcp_frame

LINKTYPES = (1, 0, 12, 101, 113, 228, 229, 276)  # Ethernet, null, raw, raw, Linux SLL, IPv4, IPv6, Linux SLL2
CUT = 0x8000
SYN, FIN_ACK, RST, PSH_ACK = 0x02, 0x11, 0x04, 0x18
TCP_FLAGS = (PSH_ACK, SYN, FIN_ACK, RST)
MAX_SEGMENT = 0xFFFF - 40  # what fits in an IPv4 datagram after the IP and TCP headers
DIRECTIONS = ((A, B, 5060, 5060), (B, A, 5060, 5060), (A, B, 5062, 5060), (B, A, 5060, 5062))
# Small limits make every limit reachable by a short input; the default ones are what users run with.
TCP_LIMITS = (Limits(max_message=600, max_header=200, max_tcp_waiting=500, max_tcp_streams=2), Limits())


def frames_records(data: bytes) -> list[tuple[int, int, bytes, int]]:
    """The capture records a frames input describes, one millisecond apart."""
    if not data:
        return []
    linktype = LINKTYPES[data[0] % len(LINKTYPES)]
    records, pos = [], 1
    while pos + 2 <= len(data):
        (length,) = struct.unpack_from("!H", data, pos)
        frame = data[pos + 2 : pos + 2 + (length & ~CUT)]
        pos += 2 + len(frame)
        records.append((DEFAULT_TS + len(records) * 1_000_000, linktype, frame,
                        len(frame) + (1000 if length & CUT else 0)))
    return records


def frames_input(linktype: int, frames: list[tuple[bytes, int]]) -> bytes:
    """A frames input for ``(data, original length)`` frames of a link type in ``LINKTYPES``."""
    out = bytearray([LINKTYPES.index(linktype)])
    for frame, orig_len in frames:
        frame = frame[: ~CUT & 0xFFFF]
        out += struct.pack("!H", len(frame) | (CUT if orig_len > len(frame) else 0)) + frame
    return bytes(out)


def tcp_records(data: bytes) -> tuple[Limits, list[tuple[int, int, bytes, int]]]:
    """The limits and the Ethernet/IPv4/TCP records a TCP input describes."""
    if not data:
        return TCP_LIMITS[0], []
    limits = TCP_LIMITS[data[0] % len(TCP_LIMITS)]
    next_seq = [1000, 5000, 9000, 13000]
    frames, pos = [], 1
    while pos + 5 <= len(data):
        control, shift, length = struct.unpack_from("!BhH", data, pos)
        payload = data[pos + 5 : pos + 5 + min(length, MAX_SEGMENT)]
        pos += 5 + len(payload)
        direction = control & 3
        flags = TCP_FLAGS[(control >> 2) & 3]
        seq = next_seq[direction] + shift + (1 << 31 if control & 16 else 0)
        src, dst, sport, dport = DIRECTIONS[direction]
        frames.append(tcp_frame(seq, flags, payload if flags in (PSH_ACK, FIN_ACK) else b"", src, dst, sport, dport))
        next_seq[direction] = seq + len(payload) + (1 if flags in (SYN, FIN_ACK) else 0)
    return limits, [(DEFAULT_TS + i * 1_000_000, 1, frame, len(frame)) for i, frame in enumerate(frames)]


def tcp_input(segments: list[tuple[int, bytes]]) -> bytes:
    """A TCP input of data segments ``(direction, payload)``, each continuing its direction where it left off, after
    a SYN in each direction used."""
    out = bytearray([0])
    for direction in sorted({direction for direction, _payload in segments}):
        out += struct.pack("!BhH", direction | 4, -1, 0)  # SYN: the data then starts at the direction's base
    for direction, payload in segments:
        payload = payload[:MAX_SEGMENT]
        out += struct.pack("!BhH", direction, 0, len(payload)) + payload
    return bytes(out)
