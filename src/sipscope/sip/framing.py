"""Framing SIP messages out of a byte stream (RFC 3261 section 18.3), sans I/O.

Feed the bytes of one direction of a connection with ``feed()``, in order, then call ``next_event()`` until it
returns ``NEED_DATA``. Each event accounts for a run of the bytes fed so far, by absolute offset:

- ``Framed(start, end, data, defects)``: one message, header block plus a body of exactly Content-Length bytes
  (mandatory on streams; a missing one counts as 0 and is a defect).
- ``Skipped(start, end, reason)``: bytes that are not part of any message: CRLF keep-alives (RFC 5626 section
  4.4.1), bytes before the first start line, the rest of a message whose start was lost, a header block or body
  over the limits. After skipping, the framer resynchronises at the next line that is a SIP start line.

Call ``lost()`` when the transport lost bytes (a TCP gap): the message under way cannot complete, so what is
buffered is skipped and the framer resynchronises. Memory is bounded: the buffer never holds more than the
largest allowed message plus what one ``feed()`` brings.
"""

from __future__ import annotations

import re

from .parse import find_header_end

# Reasons for skipped bytes; the pipeline turns them into accounting categories.
KEEPALIVE = "keep-alive"
NOT_SIP = "not sip"
LOST_START = "rest of a message whose start was lost"
LOST_REST = "message cut by lost bytes"
OVER_LIMIT = "header block over the size limit"

# A start line at the beginning of a line: Request-Line or Status-Line (RFC 3261 sections 7.1 and 7.2).
_START_LINE = re.compile(
    rb"(?m)^(?:[A-Za-z0-9.!%*_+`'~-]+[ \t]+[^ \t\r\n]+[ \t]+[Ss][Ii][Pp]/[0-9]+\.[0-9]+[ \t]*\r?$"
    rb"|[Ss][Ii][Pp]/[0-9]+\.[0-9]+[ \t]+[0-9]{3}(?:[ \t\r\n]|$))"
)
_CONTENT_LENGTH = re.compile(rb"\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()


class Framed:
    __slots__ = ("start", "end", "data", "defects")

    def __init__(self, start: int, end: int, data: bytes, defects: list):
        self.start, self.end, self.data, self.defects = start, end, data, defects

    def __repr__(self) -> str:
        return f"Framed({self.start}, {self.end}, {self.data[:30]!r}...)"


class Skipped:
    __slots__ = ("start", "end", "reason")

    def __init__(self, start: int, end: int, reason: str):
        self.start, self.end, self.reason = start, end, reason

    def __repr__(self) -> str:
        return f"Skipped({self.start}, {self.end}, {self.reason!r})"


def is_start_line_at(data, pos: int = 0) -> bool:
    """Whether ``data`` has a complete SIP start line at ``pos``."""
    return _START_LINE.match(data, pos) is not None


def find_start_line(data, pos: int = 0) -> int:
    """Offset of the next line that is a SIP start line, or -1."""
    match = _START_LINE.search(data, pos)
    return match.start() if match else -1


class StreamFramer:
    def __init__(self, max_message: int = 1 << 20, max_header: int = 64 << 10):
        self.max_message = max_message
        self.max_header = max_header
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._resync_reason: str | None = None  # set while looking for a start line after lost or bad bytes

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        self._buf += data

    def lost(self) -> Skipped | None:
        """The transport lost bytes before what comes next: drop the message under way."""
        self._resync_reason = LOST_START
        if self._buf:
            return self._skip(len(self._buf), LOST_REST)
        return None

    def close(self) -> Skipped | None:
        """The stream ended: whatever is buffered is an incomplete message."""
        if self._buf:
            return self._skip(len(self._buf), LOST_REST)
        return None

    def _skip(self, n: int, reason: str) -> Skipped:
        event = Skipped(self._base, self._base + n, reason)
        del self._buf[:n]
        self._base += n
        return event

    def next_event(self):
        buf = self._buf
        if not buf:
            return NEED_DATA
        if buf[0] in (13, 10):
            n = 1
            while n < len(buf) and buf[n] in (13, 10):
                n += 1
            return self._skip(n, KEEPALIVE)
        newline = buf.find(b"\n")
        if newline < 0:
            if len(buf) > self.max_header:
                self._resync_reason = NOT_SIP
                return self._skip(len(buf), OVER_LIMIT)
            return NEED_DATA
        if self._resync_reason is not None or not is_start_line_at(buf):
            reason = self._resync_reason or NOT_SIP
            found = find_start_line(buf)
            if found < 0:
                # Keep the last partial line: it may be the beginning of a start line.
                keep = len(buf) - buf.rfind(b"\n") - 1
                return self._skip(len(buf) - keep, reason) if keep < len(buf) else NEED_DATA
            self._resync_reason = None
            if found > 0:
                return self._skip(found, reason)
        header_end, body_start = find_header_end(buf, newline - 1 if newline else 0)
        if header_end < 0:
            if len(buf) > self.max_header:
                self._resync_reason = NOT_SIP
                return self._skip(len(buf), OVER_LIMIT)
            return NEED_DATA
        defects = []
        match = _CONTENT_LENGTH.search(buf, 0, header_end)
        length = 0
        if match is not None:
            value = match.group(1).strip()
            if value.isdigit():
                length = int(value)
        if body_start + length > self.max_message:
            # No SIP message is that large: frame the header block alone and look for the next message.
            defects.append("sip.content_length.too_large")
            length = 0
            self._resync_reason = NOT_SIP
        end = body_start + length
        if len(buf) < end:
            return NEED_DATA
        data = bytes(buf[:end])
        event = Framed(self._base, self._base + end, data, defects)
        del buf[:end]
        self._base += end
        return event
