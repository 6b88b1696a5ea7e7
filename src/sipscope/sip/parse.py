"""Parsing one SIP message from its bytes (RFC 3261 section 7 and the grammar of section 25).

``parse_message`` is the only entry point the other stages need. It never raises on data: it returns a
``SipMessage`` (with defects when something is wrong), ``NOT_SIP`` when the bytes do not begin with a SIP start
line, or a ``Malformed`` value when they look like SIP but the start line cannot be read.

Speed matters here, because every message of a capture passes through: the start line is matched with one
regular expression and the key headers are found with one scan of the header block; the full header list is
parsed only when someone asks for it.
"""

from __future__ import annotations

import re

from .message import (
    AGENT,
    CALL_ID,
    CONTENT_ENCODING,
    CONTENT_LENGTH,
    CONTENT_TYPE,
    CSEQ,
    FROM,
    TO,
    VIA,
    Header,
    SipMessage,
    canonical_name,
)
from .validate import call_id_defects, request_uri_defects

MAX_START_LINE = 16384

# RFC 3261 section 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~");
# the SIP literal is case-insensitive like every ABNF string.
_TOKEN_FIRST = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~")
_REQUEST_LINE = re.compile(rb"([A-Za-z0-9.!%*_+`'~-]+)[ \t]+([^ \t]+)[ \t]+([Ss][Ii][Pp]/[0-9]+\.[0-9]+)[ \t]*")
_STATUS_LINE = re.compile(rb"([Ss][Ii][Pp]/[0-9]+\.[0-9]+)[ \t]+([0-9]{1,10})(?:[ \t]([^\r\n]*))?")
# A request line whose Request-URI holds white space (RFC 4475 section 3.1.2.8): still read, as a defect.
_REQUEST_LINE_SPACED = re.compile(rb"([A-Za-z0-9.!%*_+`'~-]+)[ \t]+(.+?)[ \t]+([Ss][Ii][Pp]/[0-9]+\.[0-9]+)[ \t]*")
# A header that every SIP message has, at the start of a line: bytes that hold one are SIP even when their first
# line cannot be read as a start line.
_KEY_HEADER_LINE = re.compile(rb"(?im)^(?:via|call-id|cseq|from|to|[vift])[ \t]*:")
_VERSION_ANYWHERE = re.compile(rb"[Ss][Ii][Pp]/[0-9]")
_TOKEN = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+")
# Start lines already read -> (fields, defects). Responses repeat endlessly ("SIP/2.0 200 OK"), and so do the
# requests of many user agents. Request-URIs are often all different, so this one is kept small: memory.
_START_LINE_CACHE: dict[bytes, tuple] = {}
_START_LINE_CACHE_MAX = 512
# CSeq and Content-Length values as written -> their parsed form; they repeat from message to message too.
_CSEQ_CACHE: dict[bytes, tuple] = {}
_LENGTH_CACHE: dict[bytes, int] = {}

# The headers read at once, by their lower-case full or compact name (RFC 3261 section 7.3.3), each with its slot
# in the list of key values: the five headers every message needs (RFC 3261 section 8.1.1), Content-Length, the
# body's type and encoding, and the sender's software (User-Agent or Server, for the ladders' columns).

_MANDATORY = ("sip.call_id.missing", "sip.cseq.missing", "sip.from.missing", "sip.to.missing", "sip.via.missing")
_KEY_NAMES = {
    b"call-id": CALL_ID, b"i": CALL_ID, b"cseq": CSEQ, b"from": FROM, b"f": FROM, b"to": TO, b"t": TO,
    b"via": VIA, b"v": VIA, b"content-length": CONTENT_LENGTH, b"l": CONTENT_LENGTH,
    b"content-type": CONTENT_TYPE, b"c": CONTENT_TYPE, b"content-encoding": CONTENT_ENCODING, b"e": CONTENT_ENCODING,
    b"user-agent": AGENT, b"server": AGENT,
}
_OTHER = -1  # a well-formed name that is not a key header
# Header names as spelled on the wire -> slot, _OTHER, or None for a name that is not a token. Filled as spellings
# are met; bounded, since a hostile capture can spell names endlessly.
_NAME_CACHE: dict[bytes, int | None] = {}
_NAME_CACHE_MAX = 4096
_FOLD = re.compile(rb"\r?\n[ \t]+")
_HEADER_NAME = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")


class _NotSip:
    def __repr__(self) -> str:
        return "NOT_SIP"


NOT_SIP = _NotSip()


class Malformed:
    """Bytes that claim to be SIP but whose start line cannot be read; ``reason`` says why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Malformed({self.reason!r})"


def _text(value: bytes) -> str:
    """Packet bytes as text: UTF-8 where valid, invalid bytes shown as \\xNN rather than dropped."""
    return value.decode("utf-8", "backslashreplace")


def skip_crlf(data: bytes, pos: int = 0) -> int:
    """Position after any CRLFs at ``pos`` (RFC 3261 section 7.5: ignore CRLFs before a start line)."""
    end = len(data)
    while pos < end and data[pos] in (13, 10):
        pos += 1
    return pos


def find_header_end(data, start: int, end: int = -1) -> tuple[int, int]:
    """``(end of the last header line, start of the body)``, or ``(-1, -1)`` when the empty line is not there yet.

    The block ends at the first empty line: CRLF CRLF, or a bare LF LF from lenient senders.
    """
    if end < 0:
        end = len(data)
    crlf = data.find(b"\r\n\r\n", start, end)
    lf = data.find(b"\n\n", start, crlf if crlf >= 0 else end)
    if lf >= 0:
        return lf, lf + 2
    if crlf >= 0:
        return crlf, crlf + 4
    return -1, -1


def parse_start_line(data: bytes, start: int = 0):
    """``((method, uri, status, reason, version), line_end, defects)``, or NOT_SIP / Malformed."""
    if start >= len(data) or data[start] not in _TOKEN_FIRST:
        return NOT_SIP
    eol = data.find(b"\n", start, start + MAX_START_LINE)
    if eol < 0:
        eol = min(len(data), start + MAX_START_LINE)
    line_end = eol
    if eol > start and data[eol - 1] == 13:
        eol -= 1
    line = data[start:eol]
    cached = _START_LINE_CACHE.get(line)
    if cached is not None:
        return cached[0], line_end, list(cached[1])
    parsed = _read_start_line(data, start, eol, line)
    if parsed.__class__ is tuple and len(_START_LINE_CACHE) < _START_LINE_CACHE_MAX:
        _START_LINE_CACHE[line] = (parsed[0], tuple(parsed[1]))
    return parsed if parsed.__class__ is not tuple else (parsed[0], line_end, parsed[1])


def _read_start_line(data: bytes, start: int, eol: int, line: bytes):
    """``(fields, defects)`` for the start line ``data[start:eol]`` (which is ``line``), or NOT_SIP / Malformed."""
    defects = []
    # Fast paths for the common forms: "SIP/2.0 200 OK" and "METHOD uri SIP/2.0", single spaces.
    if line[:8] == b"SIP/2.0 " and len(line) >= 11 and line[8:11].isdigit() and line[11:12] in (b"", b" "):
        status = int(line[8:11])
        if not 100 <= status <= 699:
            defects.append("sip.status.invalid")
        return (None, None, status, _text(line[12:]).strip(), "SIP/2.0"), defects
    parts = line.split(b" ")
    if len(parts) == 3 and parts[2] == b"SIP/2.0" and parts[1] and _TOKEN.fullmatch(parts[0]):
        return (parts[0].decode("ascii"), _text(parts[1]), None, None, "SIP/2.0"), list(request_uri_defects(parts[1]))
    if data[start : start + 4].upper() == b"SIP/":
        match = _STATUS_LINE.fullmatch(data, start, eol)
        if match is None:
            return Malformed("status line cannot be read")
        version, code, reason = match.groups()
        status = int(code)
        # RFC 3261 section 25.1: Status-Code = 3DIGIT (RFC 4475 section 3.1.2.19 sends ten digits).
        if not (len(code) == 3 and 100 <= status <= 699):
            defects.append("sip.status.invalid")
        parsed = (None, None, status, _text(reason or b"").strip(), version.decode("ascii"))
        if data[match.end(1) : match.start(2)] != b" ":
            defects.append("sip.start_line.whitespace")
    else:
        match = _REQUEST_LINE.fullmatch(data, start, eol) or _REQUEST_LINE_SPACED.fullmatch(data, start, eol)
        if match is None:
            return _not_a_start_line(data, start, eol)
        method, uri, version = match.groups()
        parsed = (method.decode("ascii"), _text(uri), None, None, version.decode("ascii"))
        defects.extend(request_uri_defects(uri))
        # RFC 3261 section 7.1: the three parts are separated by single SP characters.
        if match.end() - match.start() != len(method) + len(uri) + len(version) + 2:
            defects.append("sip.start_line.whitespace")
    if parsed[4] != "SIP/2.0":
        defects.append("sip.version.unknown")
    return parsed, defects


def _not_a_start_line(data: bytes, start: int, eol: int):
    """NOT_SIP, or Malformed when the bytes are SIP all the same: the line names the SIP version, or the lines
    after it (or the line itself) are headers every SIP message has."""
    if _KEY_HEADER_LINE.match(data, start):
        return Malformed("no start line")
    if _VERSION_ANYWHERE.search(data, start, eol) or _KEY_HEADER_LINE.search(data, start, start + 2048):
        return Malformed("start line cannot be read")
    return NOT_SIP


MAX_HEADERS = 1_000  # header lines read one by one (``SipMessage.headers``); the key headers are read in any case


def parse_message(data: bytes, stream: bool = False, max_headers: int = MAX_HEADERS):
    """Parse one message; on a stream (``stream=True``) Content-Length is mandatory and ``data`` is exact. A header
    block of more than ``max_headers`` lines is noted (``sip.headers.too_many``), and only that many are made into
    ``Header`` objects when asked for.

    On a datagram the datagram bounds the message: a body shorter than Content-Length is a defect, and bytes
    after the body are a defect too (RFC 3261 section 18.3), not another message.
    """
    first = parse_start_line(data, skip_crlf(data) if data[:1] in (b"\r", b"\n") else 0)
    if first.__class__ is not tuple:
        return first
    start_line, line_end, defects = first
    header_end = -1
    if line_end < len(data) and data[line_end - 1] == 13:
        # CRLF lines, as RFC 3261 section 7 requires: the block ends at the first CRLF CRLF.
        header_end = data.find(b"\r\n\r\n", line_end - 1)
        body_start = header_end + 4
    if header_end < 0:
        header_end, body_start = find_header_end(data, line_end)
        if header_end < 0:
            defects.append("sip.headers.unterminated")
            header_end = body_start = len(data)
    block = data[line_end + 1 : header_end]
    lines = block.split(b"\r\n")
    if block.count(b"\n") != len(lines) - 1:  # some lines end with a bare LF
        defects.append("sip.headers.bare_lf")
        lines = [line.rstrip(b"\r") for line in block.split(b"\n")]
    values = _key_headers(lines, defects)
    if values is None:
        # A line starting with white space continues the previous one (RFC 3261 section 7.3.1): unfold, again.
        defects.append("sip.header.folded")
        lines = [line.rstrip(b"\r") for line in _FOLD.sub(b" ", block).split(b"\n")]
        values = _key_headers(lines, defects, unfolded=True)
    if len(lines) > max_headers:
        defects.append("sip.headers.too_many")
    message = SipMessage(data, start_line, values, body_start, len(data), defects)
    message.max_headers = max_headers
    call_id, cseq, _from, _to, _via, length = values[:CONTENT_TYPE]
    if None in values[:CONTENT_LENGTH]:
        defects.extend(defect for defect, value in zip(_MANDATORY, values) if value is None)
    if call_id is not None:
        message.call_id = call_id.strip().decode("utf-8", "backslashreplace")
        _extend(defects, call_id_defects(call_id))
    if cseq is not None:
        parsed = _CSEQ_CACHE.get(cseq) or _read_cseq(cseq)
        if parsed[0] is None:
            defects.append("sip.cseq.invalid")
        else:
            message.cseq_number, message.cseq_method = parsed
            # RFC 3261 section 8.1.1.5: the CSeq method matches the request's method.
            if parsed[1] != message.method and message.method is not None:
                defects.append("sip.cseq.method_mismatch")
    if "sip.content_length.conflicting" in defects:
        pass  # no length to trust: on a datagram the body is the rest of it; a stream's framer chose already
    elif length is None:
        if stream:
            defects.append("sip.content_length.missing")
            message.body_end = body_start
    else:
        size = _LENGTH_CACHE.get(length)
        if size is None:
            size = _read_length(length)
        if size >= 0:
            message.content_length = size
            if body_start + size > len(data):
                defects.append("sip.content_length.mismatch")
            elif body_start + size < len(data):
                message.body_end = body_start + size
                if not stream:
                    defects.append("sip.datagram.trailing_bytes")
        else:
            defects.append("sip.content_length.invalid" if size == -1 else "sip.content_length.too_large")
    return message


def _read_cseq(value: bytes) -> tuple:
    """``(number, method)`` of a CSeq value, or ``(None, None)`` when it is not a number and a method."""
    parts = value.split(None, 1)  # LWS between the two: spaces or tabs (RFC 3261 section 25.1)
    number, method = (parts[0], parts[1].strip()) if len(parts) == 2 else (b"", b"")
    # RFC 3261 section 8.1.1.5: the number is below 2**31.
    valid = number.isdigit() and len(number) <= 10 and int(number) < 2**31 and _TOKEN.fullmatch(method)
    parsed = (int(number), _text(method)) if valid else (None, None)
    if len(_CSEQ_CACHE) < _NAME_CACHE_MAX:
        _CSEQ_CACHE[value] = parsed
    return parsed


def _read_length(value: bytes) -> int:
    """The Content-Length value as a number, -1 when it is not one, -2 when it is one too large for any message."""
    digits = value.strip()
    size = -1 if not digits.isdigit() else -2 if len(digits) > 10 else int(digits)
    if len(_LENGTH_CACHE) < _NAME_CACHE_MAX:
        _LENGTH_CACHE[value] = size
    return size


def _key_headers(lines: list[bytes], defects: list, unfolded: bool = False) -> list | None:
    """The raw values of the key headers by slot (the first of each; the top Via line), noting bad header lines.

    Returns None when a line is folded (starts with white space): the caller unfolds and asks again, ``unfolded``;
    a line that still starts with white space then had nothing to continue and is a bad line. Names starting with
    white space are never cached, so a folded line always reaches that check.
    """
    values = [None, None, None, None, None, None, None, None, None]
    cache = _NAME_CACHE
    for line in lines:
        name, colon, value = line.partition(b":")
        slot = cache.get(name) if colon else None
        if slot is None:
            if line[:1] in (b" ", b"\t"):
                if not unfolded:
                    return None
                if "sip.header.bad_name" not in defects:
                    defects.append("sip.header.bad_name")
                continue
            if not colon:
                if line and "sip.header.no_colon" not in defects:
                    defects.append("sip.header.no_colon")
                continue
            slot = _classify_name(name) if name not in cache else None
            if slot is None:
                if "sip.header.bad_name" not in defects:
                    defects.append("sip.header.bad_name")
                continue
        if slot >= 0:
            if values[slot] is None:
                values[slot] = value
            elif slot != VIA and slot != CONTENT_ENCODING and slot != AGENT:  # lists, or left to validate
                if "sip.header.duplicate_single" not in defects:
                    defects.append("sip.header.duplicate_single")
                # RFC 4475 section 3.3.9: two lengths that differ leave the body's extent unknown.
                if slot == CONTENT_LENGTH and value.strip() != values[slot].strip():
                    if "sip.content_length.conflicting" not in defects:
                        defects.append("sip.content_length.conflicting")
    return values


def _extend(defects: list, found: tuple) -> None:
    for defect in found:
        if defect not in defects:
            defects.append(defect)


def _classify_name(name: bytes) -> int | None:
    stripped = name.strip()
    slot = _KEY_NAMES.get(stripped.lower(), _OTHER) if _TOKEN.fullmatch(stripped) else None
    if len(_NAME_CACHE) < _NAME_CACHE_MAX:
        _NAME_CACHE[name] = slot
    return slot


def parse_headers(data: bytes, body_start: int, limit: int = MAX_HEADERS) -> list[Header]:
    """The header lines of the message (the first ``limit``), in order, with folded continuation lines joined."""
    start = skip_crlf(data)
    line_end = data.find(b"\n", start, body_start)
    if line_end < 0:
        return []
    block = _FOLD.sub(b" ", data[line_end + 1 : body_start])
    headers = []
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        raw_name = _text(name.strip())
        if not _HEADER_NAME.fullmatch(raw_name):
            continue
        headers.append(Header(raw_name, canonical_name(raw_name), _text(value.strip())))
        if len(headers) >= limit:
            break
    return headers
