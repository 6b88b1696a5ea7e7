"""Framing SIP messages out of a byte stream (RFC 3261 section 18.3), sans I/O.

Feed the bytes of one direction of a connection with ``feed()``, in order, then call ``next_event()`` until it
returns ``NEED_DATA``. Each event accounts for a run of the bytes fed so far, by absolute stream offset (the
framer's ``start`` is the offset of the first byte fed):

- ``Framed(start, end, data, defects)``: one message, header block plus a body of exactly Content-Length bytes
  (mandatory on streams; a missing one counts as 0, which the parser reports as a defect).
- ``Skipped(start, end, reason, limit)``: bytes that are not part of any message: CRLF keep-alives (RFC 5626
  section 4.4.1), bytes before the first start line, the rest of a message whose start was lost, a header block
  or body over the limits (``limit`` is true on the event where a size limit was hit). After skipping, the
  framer resynchronises at the next line that is a SIP start line.

Call ``lost()`` when the transport lost bytes (a TCP gap): the message under way cannot complete, so what is
buffered is skipped and the framer resynchronises. Memory is bounded: the buffer never holds more than the
largest allowed message (or header block) plus what one ``feed()`` brings. The events depend only on the bytes,
not on how they were cut into ``feed()`` calls (up to where runs of skipped bytes are split).
"""

from __future__ import annotations

import re

from .parse import find_header_end

# Reasons for skipped bytes; the pipeline turns them into accounting categories.
KEEPALIVE = "keep-alive"
NOT_SIP = "not sip"
LOST_START = "rest of a message whose start was lost"
LOST_REST = "message cut by lost bytes"
INCOMPLETE = "incomplete message at the end of the stream"
HEADER_OVER_LIMIT = "header block over the size limit"
BODY_OVER_LIMIT = "body over the size limit"

# A start line at the beginning of a line: Request-Line or Status-Line (RFC 3261 sections 7.1 and 7.2).
_START_LINE = re.compile(
    rb"(?m)^(?:[A-Za-z0-9.!%*_+`'~-]+[ \t]+[^ \t\r\n]+[ \t]+[Ss][Ii][Pp]/[0-9]+\.[0-9]+[ \t]*\r?$"
    rb"|[Ss][Ii][Pp]/[0-9]+\.[0-9]+[ \t]+[0-9]{3}(?:[ \t\r\n]|$))"
)
_CONTENT_LENGTH = re.compile(rb"\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_MAX_DIGITS = 15  # longer Content-Length values are over any limit (and int() refuses thousands of digits)


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()


class Framed:
    __slots__ = ("start", "end", "data", "defects")

    def __init__(self, start: int, end: int, data: bytes, defects):
        self.start, self.end, self.data, self.defects = start, end, data, defects

    def __repr__(self) -> str:
        return f"Framed({self.start}, {self.end}, {self.data[:30]!r}...)"


class Skipped:
    __slots__ = ("start", "end", "reason", "limit")

    def __init__(self, start: int, end: int, reason: str, limit: bool = False):
        self.start, self.end, self.reason, self.limit = start, end, reason, limit

    def __repr__(self) -> str:
        return f"Skipped({self.start}, {self.end}, {self.reason!r}{', limit' if self.limit else ''})"


def is_start_line_at(data, pos: int = 0) -> bool:
    """Whether ``data`` has a complete SIP start line at ``pos``."""
    return _START_LINE.match(data, pos) is not None


def find_start_line(data, pos: int = 0) -> int:
    """Offset of the next line that is a SIP start line, or -1."""
    match = _START_LINE.search(data, pos)
    return match.start() if match else -1


class StreamFramer:
    def __init__(self, max_message: int = 1 << 20, max_header: int = 64 << 10, start: int = 0):
        """``start`` is the stream offset of the first byte fed, so that events name offsets in the stream."""
        self.max_message = max_message
        self.max_header = max_header
        self._buf = bytearray()
        self._base = start  # stream offset of _buf[0]
        self._end = 0  # once the header block at the head is read: the length of that message
        self._defects: tuple | list = ()  # defects of the message at the head, found while framing it
        self._resync: str | None = None  # while looking for a start line: the reason for what is skipped
        self._mid_line = False  # the head of the buffer is inside a line too long to be SIP

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        self._buf += data

    def lost(self) -> Skipped | None:
        """The transport lost bytes before what comes next: drop the message under way and resynchronise."""
        event = self._drop(self._resync or LOST_REST)
        self._resync = LOST_START
        self._mid_line = False
        return event

    def close(self) -> Skipped | None:
        """The stream ended: whatever is buffered is an incomplete message (or more of what was being skipped)."""
        return self._drop(self._resync or INCOMPLETE)

    def _drop(self, reason: str) -> Skipped | None:
        self._end = 0
        self._defects = ()
        return self._skip(len(self._buf), reason) if self._buf else None

    def _skip(self, n: int, reason: str, limit: bool = False) -> Skipped:
        event = Skipped(self._base, self._base + n, reason, limit)
        del self._buf[:n]
        self._base += n
        return event

    def next_event(self):
        buf = self._buf
        end = self._end
        if end:
            if len(buf) < end:
                return NEED_DATA
            return self._framed(end)
        if not buf:
            return NEED_DATA
        if self._mid_line:
            newline = buf.find(b"\n")
            if newline < 0:
                return self._skip(len(buf), self._resync)
            self._mid_line = False
            return self._skip(newline + 1, self._resync)
        limit = self.max_header
        reason = self._resync
        if reason is None and buf[0] in (13, 10):
            n = 1
            while n < len(buf) and buf[n] in (13, 10):
                n += 1
            return self._skip(n, KEEPALIVE)
        newline = buf.find(b"\n", 0, limit)
        if newline < 0:
            if len(buf) < limit:
                return NEED_DATA
            # A line longer than any header block: not SIP; skip it to its end.
            self._resync = reason or NOT_SIP
            self._mid_line = True
            return self._skip(limit, self._resync, limit=True)
        if reason is not None or not is_start_line_at(buf):
            found = find_start_line(buf)
            if found != 0:
                self._resync = reason or NOT_SIP
                if found < 0:
                    found = buf.rfind(b"\n") + 1  # keep the last partial line: it may begin a start line
                return self._skip(found, self._resync)
            self._resync = None
        header_end, body_start = find_header_end(buf, newline - 1, limit)
        if header_end < 0:
            if len(buf) < limit:
                return NEED_DATA
            self._resync = HEADER_OVER_LIMIT
            self._mid_line = True
            return self._skip(limit, HEADER_OVER_LIMIT, limit=True)
        length = 0
        match = _CONTENT_LENGTH.search(buf, 0, header_end)
        if match is not None:
            value = match.group(1).strip().lstrip(b"0") or b"0"
            if value.isdigit():
                length = int(value) if len(value) <= _MAX_DIGITS else self.max_message
        self._end = body_start + length
        if self._end > self.max_message:
            # No message is that large: frame the header block alone and skip what follows up to the next one.
            self._defects = ["sip.content_length.too_large"]
            self._end = body_start
            self._resync = BODY_OVER_LIMIT
        if len(buf) < self._end:
            return NEED_DATA
        return self._framed(self._end)

    def _framed(self, end: int) -> Framed:
        buf = self._buf
        event = Framed(self._base, self._base + end, bytes(buf[:end]), self._defects)
        del buf[:end]
        self._base += end
        self._end = 0
        self._defects = ()
        return event
