"""``message/sipfrag`` bodies (RFC 3420): a piece of a SIP message, most often the status line of a REFER's NOTIFY.

RFC 3420 section 2 gives the grammar ``sipfrag = [ start-line ] *message-header [ CRLF [ message-body ] ]``: every
piece is optional, so an empty fragment, a status line without its CRLF (``SIP/2.0 200 OK``) and a block of headers
without a start line are all valid. RFC 3515 section 2.4.5 has the NOTIFYs of a REFER carry a fragment that begins
with the status line of the referred request's response, and the analysis reads progress from ``status``.

``read_headers`` (header lines with folding, as in RFC 3261 section 7.3.1) is shared with the MIME part headers of
``body.py``; the message parser's own reader skips a start line and reports nothing, which suits neither.

Nothing here raises on data: what is wrong becomes a defect id, and whatever can be read is kept.
"""

from __future__ import annotations

import re

from .grammar import add_defect
from .message import Header, canonical_name, first_value
from .parse import NOT_SIP, parse_start_line

# A header line: a token, optional white space, a colon (RFC 3261 section 7.3.1). A start line can never match it:
# a request line has a space after the method and a status line a slash after "SIP".
_HEADER_LINE = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+[ \t]*:")
# The end of a header block: the line end of the last header, then an empty line (CRLF, or a bare LF).
_BLANK_LINE = re.compile(rb"\n\r?\n")

_INVALID = "sip.sipfrag.invalid"
_BARE_LF = "sip.headers.bare_lf"


def _text(value: bytes) -> str:
    """Packet bytes as text: UTF-8 where valid, other bytes shown as \\xNN rather than dropped."""
    return value.decode("utf-8", "backslashreplace")


def is_header_line(line: bytes) -> bool:
    """Whether ``line`` begins like a header field (``name:``), so it cannot be a start line or content."""
    return _HEADER_LINE.match(line) is not None


def read_headers(block: bytes) -> tuple[list[Header], bool, bool]:
    """``(headers, all_lines_read, bare_lf)`` for a block of header lines (no empty line inside it).

    Folded lines (a line starting with a space or a tab continues the previous one) are joined with one space.
    ``all_lines_read`` is False when some line is not ``name: value`` (it is then skipped); ``bare_lf`` is True
    when a line ends with LF alone instead of CRLF.
    """
    fields: list[tuple[bytes, list[bytes]]] = []  # (name, value pieces): pieces are joined once, at the end
    ok = True
    bare_lf = False
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()  # the last line's terminator, not an empty line of its own
    for index, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        elif index < len(lines) - 1 or block.endswith(b"\n"):
            bare_lf = True
        if line[:1] in (b" ", b"\t"):
            if fields:
                fields[-1][1].append(line.strip())
            elif line.strip():
                ok = False
            continue
        if not line:
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            ok = False
            continue
        fields.append((line[: match.end() - 1].rstrip(b" \t"), [line[match.end() :].strip()]))
    headers = []
    for name, pieces in fields:
        raw_name = _text(name)
        value = b" ".join(piece for piece in pieces if piece)
        headers.append(Header(raw_name, canonical_name(raw_name), _text(value)))
    return headers, ok, bare_lf


class SipFrag:
    """A parsed ``message/sipfrag``: the start line's fields (None when there is none), headers, body, defects."""

    __slots__ = ("body", "defects", "headers", "method", "reason", "status", "uri", "version")

    def __init__(self):
        self.method: str | None = None
        self.uri: str | None = None
        self.status: int | None = None
        self.reason: str | None = None
        self.version: str | None = None
        self.headers: list[Header] = []
        self.body = b""
        self.defects: list[str] = []

    @property
    def is_request(self) -> bool:
        return self.method is not None

    @property
    def is_final(self) -> bool:
        """Whether the fragment is a final response (RFC 3515 section 2.4.5: the subscription then ends)."""
        return self.status is not None and self.status >= 200

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any spelling, compact or full), or None."""
        return first_value(self.headers, name)

    def __repr__(self) -> str:
        if self.method is not None:
            first = f"{self.method} {self.uri}"
        elif self.status is not None:
            first = f"{self.status} {self.reason}".rstrip()
        else:
            first = "no start line"
        return f"SipFrag({first!r}, {len(self.headers)} headers, {len(self.body)} body bytes)"


def parse_sipfrag(data: bytes) -> SipFrag:
    """The fragment in ``data``; never raises. Defects: the start line's own, and one for an unreadable fragment.

    The first line is a start line, a header, or (RFC 3420's ``[CRLF [message-body]]`` with nothing before it) an
    empty line followed by a body. Anything else is not a fragment: it is flagged and kept whole as the body, so
    nothing the sender wrote is lost.
    """
    frag = SipFrag()
    data = bytes(data)
    if not data:
        return frag
    first_end = data.find(b"\n")
    first_line = data[: first_end if first_end >= 0 else len(data)].rstrip(b"\r")
    pos = 0
    if not first_line:
        # An empty first line: no start line, no headers, the rest is the body.
        frag.body = data[first_end + 1 :]
        return frag
    if not is_header_line(first_line):
        parsed = parse_start_line(data, 0)
        if parsed is NOT_SIP or parsed.__class__ is not tuple:
            # Neither a start line nor a header; a Malformed start line (it names SIP but cannot be read) is
            # skipped so the headers after it are still read.
            add_defect(frag.defects, _INVALID)
            if parsed is NOT_SIP:
                frag.body = data
                return frag
            pos = first_end + 1 if first_end >= 0 else len(data)
        else:
            fields, line_end, defects = parsed
            frag.method, frag.uri, frag.status, frag.reason, frag.version = fields
            for defect in defects:
                add_defect(frag.defects, defect)
            if line_end < len(data) and data[line_end] == 10:
                pos = line_end + 1
                if line_end == 0 or data[line_end - 1] != 13:
                    add_defect(frag.defects, _BARE_LF)
            else:
                pos = line_end  # no line end (the CRLF is optional), or a line too long to be a start line
    # An empty line ends the headers and starts the body; without one, everything left is headers.
    if data.startswith(b"\r\n", pos):
        frag.body = data[pos + 2 :]
        return frag
    if data.startswith(b"\n", pos):
        add_defect(frag.defects, _BARE_LF)
        frag.body = data[pos + 1 :]
        return frag
    blank = _BLANK_LINE.search(data, pos)
    if blank is None:
        block = data[pos:]
    else:
        block, frag.body = data[pos : blank.start() + 1], data[blank.end() :]
        if blank.group() == b"\n\n":
            add_defect(frag.defects, _BARE_LF)
    frag.headers, ok, bare_lf = read_headers(block)
    if not ok:
        add_defect(frag.defects, _INVALID)
    if bare_lf:
        add_defect(frag.defects, _BARE_LF)
    return frag
