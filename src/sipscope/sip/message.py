"""``SipMessage``: one SIP message as it was on the wire, with the views of it that later stages need.

The message keeps its exact bytes and the frames they came from. The start line and a handful of key headers
(Call-ID, CSeq, top Via, From, To, Content-Length) are read when the message is made, because every consumer
needs them; the full header list and the derived values (branch, tags) are computed on first use.
"""

from __future__ import annotations

import re

# Slots of the key header values a message is made with (parse.py fills them in this order).
CALL_ID, CSEQ, FROM, TO, VIA, CONTENT_LENGTH, CONTENT_TYPE, CONTENT_ENCODING, AGENT = range(9)

# Compact forms from the IANA SIP header registry (RFC 3261 section 7.3.3 and the RFCs that added the rest).
COMPACT_FORMS = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

# Canonical spelling of common headers, so lookups and displays agree whatever case the sender used.
_CANONICAL = {name.lower(): name for name in COMPACT_FORMS.values()}
_CANONICAL.update(
    {
        name.lower(): name
        for name in (
            "CSeq", "Max-Forwards", "Route", "Record-Route", "Expires", "Allow", "Require", "Proxy-Require",
            "Unsupported", "User-Agent", "Server", "Authorization", "Proxy-Authorization", "WWW-Authenticate",
            "Proxy-Authenticate", "Subscription-State", "RSeq", "RAck", "Reason", "Warning", "Retry-After",
            "Min-SE", "Refer-Sub", "Replaces", "P-Asserted-Identity", "Accept", "Date", "Timestamp",
        )
    }
)

# Read from the raw bytes: the analysis asks for these three of every message, and decoding whole values first
# costs more than the search.
_TAG = re.compile(rb";\s*tag\s*=\s*([^;,\s>]+)", re.I)
_BRANCH = re.compile(rb";\s*branch\s*=\s*([^;,\s]+)", re.I)


def canonical_name(raw_name: str) -> str:
    """The header's full name in its usual spelling: ``i`` -> ``Call-ID``, ``cseq`` -> ``CSeq``."""
    if len(raw_name) == 1:
        full = COMPACT_FORMS.get(raw_name.lower())
        if full:
            return full
    return _CANONICAL.get(raw_name.lower(), raw_name)


def first_value(headers: list, name: str) -> str | None:
    """The value of the first of ``headers`` called ``name`` (any spelling, compact or full), or None."""
    wanted = canonical_name(name).lower()
    for header in headers:
        if header.key == wanted:
            return header.value
    return None


class Header:
    """One header field: its name as written, its canonical name, and its value (unfolded, trimmed)."""

    __slots__ = ("raw_name", "name", "key", "value")

    def __init__(self, raw_name: str, name: str, value: str):
        self.raw_name = raw_name
        self.name = name
        self.key = name.lower()
        """The canonical name in lower case: what lookups compare."""
        self.value = value

    def __repr__(self) -> str:
        return f"Header({self.raw_name!r}: {self.value!r})"


class SipMessage:
    """A SIP request or response; ``method`` is set for a request, ``status`` for a response."""

    __slots__ = (
        "raw", "frames", "time", "src", "dst", "transport",
        "method", "uri", "status", "reason", "version",
        "call_id", "cseq_number", "cseq_method", "content_length",
        "body_start", "body_end", "defects", "_checked", "_key_values", "_headers", "_values", "_request_uri",
        "_body_part", "max_headers",
    )

    def __init__(self, raw: bytes, start_line: tuple, key_values: list, body_start: int, body_end: int,
                 defects: list):
        self.raw = raw
        """The message's bytes as captured (for a datagram: the whole datagram, trailing bytes included)."""
        self.frames: tuple[int, ...] = ()
        """Wireshark frame numbers of every frame that carried a part of the message."""
        self.time = 0
        """Capture time of the frame that completed the message, in nanoseconds since the epoch."""
        self.src = self.dst = ""
        self.transport = ""
        self.method, self.uri, self.status, self.reason, self.version = start_line
        self.call_id: str | None = None
        self.cseq_number: int | None = None
        self.cseq_method: str | None = None
        self.content_length: int | None = None
        self.defects: list[str] = defects
        """Ids from ``sip.defects.DEFECTS``, in the order found, each once; complete after ``check()``."""
        self._checked = False
        self.body_start = body_start
        self.body_end = body_end
        self._key_values = key_values  # raw bytes of the key headers by slot (see parse), decoded when asked for
        self._headers: list[Header] | None = None
        self._values: dict[str, list] | None = None
        self._request_uri = None
        self._body_part = None

    def check(self) -> list[str]:
        """Check every header value against its grammar, and the body; return ``defects``, now complete.

        Parsing finds the problems of the start line (Request-URI included), of the header block's shape and of
        the key headers; the rest costs more than parsing the whole message does, so it waits for this call.
        """
        if not self._checked:
            self._checked = True
            from .validate import check

            check(self)
        return self.defects

    def body_defects(self) -> tuple:
        """What is wrong with the body (SDP, multipart, message/sipfrag, Content-Encoding), or with its absence of
        a Content-Type (RFC 3261 section 7.4.1)."""
        from .validate import body_defects

        return body_defects(self._key_values[CONTENT_TYPE], self._key_values[CONTENT_ENCODING], self.body)

    @property
    def body_part(self):
        """The body as a ``sip.body.Part``: decoded, split into parts, with SDP and sipfrag views; None if empty."""
        if self._body_part is None and self.body_end > self.body_start:
            from .body import parse_body

            content_type, encoding = self._key_text(CONTENT_TYPE), self._key_text(CONTENT_ENCODING)
            self._body_part = parse_body(content_type, encoding, self.body)
        return self._body_part

    def add_defect(self, defect: str) -> None:
        """Note a defect found outside the parser (the capture cut the message, framing found a problem)."""
        if defect not in self.defects:
            self.defects.append(defect)

    @property
    def is_request(self) -> bool:
        return self.method is not None

    @property
    def start_line(self) -> str:
        if self.method is not None:
            return f"{self.method} {self.uri} {self.version}"
        return f"{self.version} {self.status} {self.reason}".rstrip()

    @property
    def body(self) -> bytes:
        return self.raw[self.body_start : self.body_end]

    @property
    def headers(self) -> list[Header]:
        """Every header in order, folded lines joined, compact names mapped to canonical ones."""
        if self._headers is None:
            from .parse import parse_headers

            self._headers = parse_headers(self.raw, self.body_start, self.max_headers)
        return self._headers

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any spelling, compact or full), or None."""
        return first_value(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        """The text of every header line called ``name``, in order."""
        wanted = canonical_name(name).lower()
        return [header.value for header in self.headers if header.key == wanted]

    def values(self, name: str) -> list:
        """The structured values (``sip.headers.Value``) of header ``name``: every line, every list element."""
        wanted = canonical_name(name).lower()
        if self._values is None:
            self._values = {}
        found = self._values.get(wanted)
        if found is None:
            from .headers import parse_values

            found = []
            for header in self.headers:
                if header.key == wanted:
                    found.extend(parse_values(wanted, header.value))
            self._values[wanted] = found
        return found

    def value(self, name: str):
        """The first structured value of header ``name``, or None."""
        found = self.values(name)
        return found[0] if found else None

    @property
    def request_uri(self):
        """The Request-URI as a ``sip.uri.Uri`` (None for a response)."""
        if self._request_uri is None and self.uri is not None:
            from .uri import parse_uri

            self._request_uri = parse_uri(self.uri)
        return self._request_uri

    def _key_text(self, slot: int) -> str | None:
        value = self._key_values[slot]
        return None if value is None else value.strip().decode("utf-8", "backslashreplace")

    @property
    def via(self) -> str | None:
        """The top Via header value (the first Via line; a line may hold several comma-separated hops)."""
        return self._key_text(VIA)

    @property
    def branch(self) -> str | None:
        """The top Via's branch parameter (RFC 3261 section 8.1.1.7)."""
        via = self._key_values[VIA]
        if via is None:
            return None
        comma = via.find(b",")
        match = _BRANCH.search(via, 0, len(via) if comma < 0 else comma)
        return match.group(1).decode("utf-8", "backslashreplace") if match else None

    @property
    def agent(self) -> str | None:
        """The first User-Agent or Server value: the software that sent the message (RFC 3261 sections 20.41 and
        20.35)."""
        return self._key_text(AGENT)

    @property
    def from_header(self) -> str | None:
        return self._key_text(FROM)

    @property
    def to_header(self) -> str | None:
        return self._key_text(TO)

    @property
    def from_tag(self) -> str | None:
        return _tag(self._key_values[FROM])

    @property
    def to_tag(self) -> str | None:
        return _tag(self._key_values[TO])

    def __repr__(self) -> str:
        return f"<SipMessage {self.start_line!r} frames={list(self.frames)}>"


def _tag(value: bytes | None) -> str | None:
    """The tag parameter of a From/To value, outside the angle brackets of its URI."""
    if not value:
        return None
    close = value.rfind(b">")
    match = _TAG.search(value, close + 1 if close >= 0 else 0)
    return match.group(1).decode("utf-8", "backslashreplace") if match else None
