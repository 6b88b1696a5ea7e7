"""WebSocket frames (RFC 6455 section 5.2) out of one direction of a TCP stream, for SIP over WebSocket (RFC 7118).

Sans I/O like the SIP framer: ``feed()`` bytes, then ``next_frame()`` until NEED_DATA. Each frame comes with its
byte range in the stream, its opcode, its FIN bit and its unmasked payload. A stream followed from its start
begins with the HTTP upgrade handshake (RFC 6455 section 4), which ``skip_handshake()`` passes over. RFC 7118 section 5 puts each SIP message
in one WebSocket message (text or binary), which may span several frames (continuations); joining them is the
caller's job.
"""

from __future__ import annotations

import struct

from ..sip.framing import NEED_DATA
from ..sip.parse import find_header_end

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WsFrame:
    __slots__ = ("start", "end", "opcode", "fin", "payload")

    def __init__(self, start: int, end: int, opcode: int, fin: bool, payload: bytes):
        self.start, self.end, self.opcode, self.fin, self.payload = start, end, opcode, fin, payload

    def __repr__(self) -> str:
        return f"WsFrame({self.start}, {self.end}, opcode={self.opcode}, fin={self.fin}, {self.payload[:20]!r})"


class TooLarge:
    """A frame announces a payload over the limit: what is buffered is dropped, and where frames go on is lost."""

    __slots__ = ("start", "end", "length")

    def __init__(self, start: int, end: int, length: int):
        self.start, self.end, self.length = start, end, length


def unmask(payload: bytes, key: bytes) -> bytes:
    """XOR the payload with the 4-byte masking key, repeated (RFC 6455 section 5.3)."""
    if not payload:
        return payload
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def frame_header(data, pos: int = 0):
    """``(opcode, fin, masked, payload_length, header_length)`` of the frame at ``pos``, or None if incomplete."""
    if len(data) - pos < 2:
        return None
    b0, b1 = data[pos], data[pos + 1]
    length = b1 & 0x7F
    header = 2
    if length == 126:
        if len(data) - pos < 4:
            return None
        length = struct.unpack_from(">H", data, pos + 2)[0]
        header = 4
    elif length == 127:
        if len(data) - pos < 10:
            return None
        length = struct.unpack_from(">Q", data, pos + 2)[0]
        header = 10
    masked = bool(b1 & 0x80)
    if masked:
        header += 4
    return b0 & 0x0F, bool(b0 & 0x80), masked, length, header


class WebSocketDecoder:
    def __init__(self, max_payload: int = 1 << 20, start: int = 0):
        """``start`` is the stream offset of the first byte fed, so that frames name offsets in the stream."""
        self.max_payload = max_payload
        self._buf = bytearray()
        self._base = start  # stream offset of _buf[0]

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def skip_handshake(self) -> int:
        """Drop the HTTP request or response at the head of the buffer, up to its empty line.

        Returns the stream offset where frames begin, or -1 while the empty line has not arrived.
        """
        _end, body = find_header_end(self._buf, 0)
        if body < 0:
            return -1
        self._drop(body)
        return self._base

    def _drop(self, n: int) -> None:
        del self._buf[:n]
        self._base += n

    def next_frame(self):
        buf = self._buf
        header = frame_header(buf)
        if header is None:
            return NEED_DATA
        opcode, fin, masked, length, header_length = header
        if length > self.max_payload:
            event = TooLarge(self._base, self._base + len(buf), length)
            self._drop(len(buf))
            return event
        end = header_length + length
        if len(buf) < end:
            return NEED_DATA
        payload = bytes(buf[header_length:end])
        if masked:
            payload = unmask(payload, bytes(buf[header_length - 4 : header_length]))
        frame = WsFrame(self._base, self._base + end, opcode, fin, payload)
        self._drop(end)
        return frame
