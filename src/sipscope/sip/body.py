"""Message bodies: undoing Content-Encoding, splitting multipart bodies, and the parsed view of each part.

``parse_body`` turns a message's body (its Content-Type, its Content-Encoding and its bytes) into a ``Part``: the
decoded bytes, the parts of a ``multipart/*`` body (recursively), and, computed on first use, the SDP of an
``application/sdp`` part and the fragment of a ``message/sipfrag`` part.

The bytes come from the network, so they are hostile until proven otherwise: nothing here raises on data, nesting
is limited (``MAX_DEPTH``) and so is the total size inflated from compressed data in one body (``MAX_DECODED``,
against gzip bombs). What is wrong becomes a defect id on the part where it was found; ``Part.all_defects``
gathers them from the whole tree.

Lenient on purpose: multipart delimiters and part headers ending with a bare LF are accepted (many stacks write
them, and a troubleshooter wants to see the parts), but flagged, because a receiver that follows RFC 2046 to the
letter looks for CRLF before each delimiter and will not find those parts.
"""

from __future__ import annotations

import binascii
import re
import zlib

from .grammar import add_defect
from .headers import parse_content_type
from .message import Header, first_value
from .sipfrag import is_header_line, parse_sipfrag, read_headers

MAX_DEPTH = 8
"""How deep multiparts nest before the inner ones are kept whole, unsplit (the top-level body is depth 0)."""
MAX_DECODED = 1 << 20
"""How many bytes decompression may produce for one body, all its parts together (1 MiB)."""

# RFC 2046 section 5.1.1: boundary := 0*69<bchars> bcharsnospace.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
# The end of a part's header block: the line end of the last header, then an empty line (CRLF, or a bare LF).
_BLANK_LINE = re.compile(rb"\n\r?\n")
_NOT_PARSED = object()  # an sdp / sipfrag slot that has not been computed yet

# RFC 2046 section 5.1: a part without Content-Type is text/plain in US-ASCII, except in multipart/digest, where
# it is message/rfc822 (section 5.1.5).
_DEFAULT_TYPE = "text/plain; charset=us-ascii"
_DIGEST_DEFAULT_TYPE = "message/rfc822"

_IDENTITY = frozenset({"", "identity"})
# RFC 2045 section 6.1: these say what the content is like, not how it was transformed; nothing to undo.
_PLAIN_TRANSFER = frozenset({"", "7bit", "8bit", "binary"})


class _Budget:
    """What decompression may still produce for the body being parsed: one allowance shared by all its parts, so
    that many small bombs in many parts cannot add up to a large one."""

    __slots__ = ("remaining",)

    def __init__(self, remaining: int):
        self.remaining = remaining


class Part:
    """A body, or one part of a multipart body, with what its content is and what was wrong with it.

    ``raw`` is the content as on the wire (for a multipart part: after its own headers and the empty line);
    ``data`` is the content once Content-Encoding (and in a part, Content-Transfer-Encoding) is undone. When an
    encoding cannot be undone, ``decoded`` is False, ``data`` is the bytes as far as they could be decoded, and
    the content is not read further (no parts, no SDP).
    """

    __slots__ = ("_sdp", "_sipfrag", "content_type", "data", "decoded", "defects", "headers", "parts", "raw")

    def __init__(self, content_type, headers: list[Header], raw: bytes):
        self.content_type = content_type
        """The ``sip.headers.MediaType`` of the content, or None when the message gave none."""
        self.headers = headers
        """A multipart part's own MIME headers in order; empty for a message's body (those are the message's)."""
        self.raw = raw
        self.data = raw
        self.parts: list[Part] = []
        """The parts of a ``multipart/*`` body, in order; empty for anything else."""
        self.defects: list[str] = []
        """Defect ids found in this part itself (not in its parts, SDP or fragment: see ``all_defects``)."""
        self.decoded = True
        self._sdp = _NOT_PARSED
        self._sipfrag = _NOT_PARSED

    @property
    def media_type(self) -> str | None:
        """``type/subtype`` in lower case, or None when there is no usable Content-Type."""
        if self.content_type is None or not self.content_type.type:
            return None
        return self.content_type.media_type

    def header(self, name: str) -> str | None:
        """The first value of this part's header ``name`` (Content-ID, Content-Disposition...), or None."""
        return first_value(self.headers, name)

    @property
    def sdp(self):
        """The ``sip.sdp.SessionDescription`` of an ``application/sdp`` part, parsed on first use; else None.

        An empty body is None too: a message that names the type but carries nothing makes no offer (RFC 3264), and
        calling nothing at all "not SDP" would only be noise.
        """
        if self._sdp is _NOT_PARSED:
            self._sdp = None
            if self.decoded and self.data and self.media_type == "application/sdp":
                # Imported here: only bodies that are SDP need the SDP parser.
                from .sdp import parse_sdp

                self._sdp = parse_sdp(self.data)
        return self._sdp

    @property
    def sipfrag(self):
        """The ``sip.sipfrag.SipFrag`` of a ``message/sipfrag`` part, parsed on first use; else None."""
        if self._sipfrag is _NOT_PARSED:
            self._sipfrag = None
            if self.decoded and self.media_type == "message/sipfrag":
                self._sipfrag = parse_sipfrag(self.data)
        return self._sipfrag

    def walk(self):
        """This part, then every part inside it, depth first, in the order they appear."""
        yield self
        for part in self.parts:
            yield from part.walk()

    def all_defects(self) -> list[str]:
        """Every defect of this part, its SDP or fragment, and all the parts inside it, each once, in order."""
        found: list[str] = []
        for part in self.walk():
            for source in (part.defects, part.sdp.defects if part.sdp is not None else (),
                           part.sipfrag.defects if part.sipfrag is not None else ()):
                for defect in source:
                    add_defect(found, defect)
        return found

    def __repr__(self) -> str:
        kind = self.media_type or "no type"
        inside = f", {len(self.parts)} parts" if self.parts else ""
        return f"Part({kind}, {len(self.data)} bytes{inside})"


def parse_body(content_type: str | None, content_encoding: str | None, data: bytes) -> Part:
    """The body ``data`` of a message with these Content-Type and Content-Encoding values; never raises.

    Defects about the Content-Type header itself are left to the message's header checks; the part carries only
    what is wrong with the body.
    """
    data = bytes(data)
    media = parse_content_type(content_type) if content_type is not None else None
    part = Part(media, [], data)
    _fill(part, content_encoding, None, 0, _Budget(MAX_DECODED))
    return part


def _fill(part: Part, content_encoding: str | None, transfer_encoding: str | None, depth: int,
          budget: _Budget) -> None:
    """Decode ``part.raw`` into ``part.data``, then split it when it is a multipart."""
    data = part.raw
    if transfer_encoding is not None:
        data, ok = _undo_transfer_encoding(transfer_encoding, data, part.defects)
        if not ok:
            part.data, part.decoded = data, False
            return
    if content_encoding is not None:
        data, ok = _undo_content_encoding(content_encoding, data, part.defects, budget)
        part.data = data
        if not ok:
            part.decoded = False
            return
    part.data = data
    media = part.media_type
    if media is not None and media.startswith("multipart/"):
        _split_multipart(part, depth, budget)


# --- encodings ---------------------------------------------------------------------------------------------------


def _undo_content_encoding(value: str, data: bytes, defects: list, budget: _Budget) -> tuple[bytes, bool]:
    """``(data, ok)`` with the codings of a Content-Encoding value undone (RFC 3261 section 20.12).

    The codings are listed in the order they were applied (RFC 9110 section 8.4), so they are undone from the last.
    gzip and deflate are inflated; identity is nothing. On an unknown coding or corrupt data, ``ok`` is False and
    ``data`` is returned as it came, undecoded. An empty body has nothing to decode: some agents name a coding on
    every message, body or not.
    """
    if not data:
        return data, True
    codings = [coding.strip().lower() for coding in value.split(",")]
    decoded = data
    for coding in reversed(codings):
        if coding in _IDENTITY:
            continue
        if coding in ("gzip", "x-gzip"):
            result = _inflate(decoded, 31, defects, budget)
        elif coding == "deflate":
            # "deflate" is the zlib format (RFC 9110 section 8.4.1.2), but some senders write a raw deflate stream;
            # a zlib stream begins with a two-byte header whose value is a multiple of 31 (RFC 1950 section 2.2).
            is_zlib = len(decoded) >= 2 and decoded[0] & 0x0F == 8 and (decoded[0] << 8 | decoded[1]) % 31 == 0
            result = _inflate(decoded, 15 if is_zlib else -15, defects, budget)
        else:
            add_defect(defects, "sip.body.encoding_unsupported")
            return data, False
        if result is None:
            return data, False
        decoded = result
    return decoded, True


def _inflate(data: bytes, wbits: int, defects: list, budget: _Budget) -> bytes | None:
    """``data`` decompressed (zlib ``wbits`` selects gzip, zlib or raw deflate), or None when it is corrupt.

    Output stops at the budget: what fits is kept, with a defect. Concatenated gzip members are one stream (RFC 1952
    section 2.2); bytes after the end of the stream that are not another member are flagged but do not spoil what
    was decoded.
    """
    pieces: list[bytes] = []
    produced = 0
    rest = data
    try:
        while True:
            inflater = zlib.decompressobj(wbits)
            room = budget.remaining - produced
            out = inflater.decompress(rest, room + 1)
            if len(out) > room:
                pieces.append(out[:room])
                produced += room
                add_defect(defects, "sip.body.too_large")
                break
            pieces.append(out)
            produced += len(out)
            if not inflater.eof:
                add_defect(defects, "sip.body.gzip_invalid")  # the input ended before the stream did
                return None
            rest = inflater.unused_data
            if not rest:
                break
            if wbits != 31 or rest[:2] != b"\x1f\x8b":
                add_defect(defects, "sip.body.gzip_invalid")
                break
    except zlib.error:
        add_defect(defects, "sip.body.gzip_invalid")
        return None
    budget.remaining -= produced
    return b"".join(pieces)


def _undo_transfer_encoding(value: str, data: bytes, defects: list) -> tuple[bytes, bool]:
    """``(data, ok)`` with a part's Content-Transfer-Encoding (RFC 2045 section 6) undone.

    SIP carries 8-bit data, so binary is what senders should use (RFC 5621 section 3), but base64 and
    quoted-printable still turn up and are cheap to undo (neither can grow the data). Other values are unknown:
    the content is left as it is and not read further.
    """
    coding = value.strip().lower()
    if coding in _PLAIN_TRANSFER:
        return data, True
    if coding == "base64":
        try:
            return binascii.a2b_base64(data), True
        except (binascii.Error, ValueError):
            add_defect(defects, "sip.body.transfer_encoding_invalid")
            return data, False
    if coding == "quoted-printable":
        return binascii.a2b_qp(data), True
    add_defect(defects, "sip.body.transfer_encoding_unknown")
    return data, False


# --- multipart ---------------------------------------------------------------------------------------------------


def _split_multipart(part: Part, depth: int, budget: _Budget) -> None:
    """Split ``part.data`` into its body parts (RFC 2046 section 5.1.1); preamble and epilogue are dropped."""
    if depth >= MAX_DEPTH:
        add_defect(part.defects, "sip.multipart.too_deep")
        return
    boundary = part.content_type.params.get("boundary")
    if not boundary:
        # Without a boundary nothing can be split; the body stays one opaque piece of data.
        add_defect(part.defects, "sip.multipart.boundary_missing")
        return
    if _BOUNDARY.fullmatch(boundary) is None:
        add_defect(part.defects, "sip.multipart.boundary_invalid")
    segments, closed, bare_lf = _segments(part.data, boundary.encode("utf-8", "surrogatepass"))
    if bare_lf:
        add_defect(part.defects, "sip.multipart.bare_lf")
    if not segments:
        # RFC 2046 section 5.1.1: a multipart has at least one body part.
        add_defect(part.defects, "sip.multipart.no_parts")
        return
    if not closed:
        add_defect(part.defects, "sip.multipart.unterminated")
    # Parsed once for all the parts that lack a Content-Type; values are read-only, so they may share it.
    default = parse_content_type(_DIGEST_DEFAULT_TYPE if part.media_type == "multipart/digest" else _DEFAULT_TYPE)
    for segment in segments:
        part.parts.append(_read_part(segment, default, depth + 1, budget, part.defects))


def _segments(data: bytes, boundary: bytes) -> tuple[list[bytes], bool, bool]:
    """``(segments, closed, bare_lf)``: the bytes between the delimiters of a multipart body.

    A delimiter is ``--boundary`` at the start of a line, then optional transport padding (spaces and tabs), then
    the line end; the line end before it belongs to it, not to the part above (RFC 2046 section 5.1.1). The close
    delimiter has ``--`` right after the boundary. A line that merely begins with ``--boundary`` and goes on with
    other text is content. ``closed`` is False when the close delimiter never comes: the last segment then runs to
    the end of the data, and is dropped only when it is empty (the data was cut right after a delimiter).
    """
    dash = b"--" + boundary
    segments: list[bytes] = []
    bare_lf = False
    content_start = -1  # where the current segment began; -1 before the first delimiter
    pos = 0
    end = len(data)
    while True:
        found = data.find(dash, pos)
        if found < 0:
            break
        if found == 0:
            delimiter_start = 0
        elif data[found - 1] == 10:
            if found >= 2 and data[found - 2] == 13:
                delimiter_start = found - 2
            else:
                delimiter_start = found - 1
        else:
            pos = found + 1
            continue
        after = found + len(dash)
        if data.startswith(b"--", after):
            if delimiter_start != found - 2 and found:
                bare_lf = True
            if content_start >= 0:
                segments.append(data[content_start:delimiter_start])
            return segments, True, bare_lf
        line_end = after
        while line_end < end and data[line_end] in (32, 9):
            line_end += 1
        if data.startswith(b"\r\n", line_end):
            line_end += 2
        elif data.startswith(b"\n", line_end):
            line_end += 1
            bare_lf = True
        elif line_end < end:
            pos = found + 1  # "--boundary" followed by other text on the line: content, not a delimiter
            continue
        if delimiter_start != found - 2 and found:
            bare_lf = True
        if content_start >= 0:
            segments.append(data[content_start:delimiter_start])
        content_start = line_end
        pos = line_end
    if content_start >= 0 and content_start < end:
        segments.append(data[content_start:])
    return segments, False, bare_lf


def _read_part(segment: bytes, default_type, depth: int, budget: _Budget, parent_defects: list) -> Part:
    """One body part: MIME headers, an empty line, the content (RFC 2046 section 5.1.1 ``body-part``)."""
    defects: list[str] = []
    if not segment:
        headers, content = [], segment  # an empty part: no headers, no content (both are optional)
    elif segment.startswith(b"\r\n"):
        headers, content = [], segment[2:]
    elif segment.startswith(b"\n"):
        add_defect(parent_defects, "sip.multipart.bare_lf")
        headers, content = [], segment[1:]
    else:
        blank = _BLANK_LINE.search(segment)
        if blank is not None:
            block, content = segment[: blank.start() + 1], segment[blank.end() :]
            if blank.group() == b"\n\n":
                add_defect(parent_defects, "sip.multipart.bare_lf")
        elif is_header_line(segment):
            block, content = segment, b""  # headers and no content: the empty line is optional
        else:
            # Content with neither headers nor the empty line in front of it: readable, but not a body part.
            add_defect(defects, "sip.multipart.part_invalid")
            block, content = b"", segment
        headers, ok, bare_lf = read_headers(block)
        if not ok:
            add_defect(defects, "sip.multipart.part_invalid")
        if bare_lf:
            add_defect(parent_defects, "sip.multipart.bare_lf")
    type_text = content_encoding = transfer_encoding = None
    for header in headers:
        if header.key == "content-type" and type_text is None:
            type_text = header.value
        elif header.key == "content-encoding" and content_encoding is None:
            content_encoding = header.value
        elif header.key == "content-transfer-encoding" and transfer_encoding is None:
            transfer_encoding = header.value
    if type_text is None:
        media = default_type
    else:
        media = parse_content_type(type_text)
        for defect in media.defects:
            add_defect(defects, defect)  # a part's Content-Type is checked nowhere else
    part = Part(media, headers, content)
    part.defects = defects
    _fill(part, content_encoding, transfer_encoding, depth, budget)
    return part
