"""SDP bodies (RFC 8866): the addresses, ports, codecs and directions each side of a call offers and answers.

``parse_sdp`` never raises. A body is untrusted packet content, so it is decoded as UTF-8 with undecodable bytes
shown as ``\\xNN``, and whatever breaks the grammar becomes a defect id in ``SessionDescription.defects`` (in the
order found, each id once) while the parse goes on: a troubleshooter needs the broken offer most of all.

Liberal reading, as RFC 8866 section 5 asks of parsers: lines may end with a bare LF; trailing empty lines are
ignored; lines out of order are read where they stand (and noted); a line type SDP does not define is ignored (and
noted). Several session descriptions one after another (a ``v=`` line after the first starts the next one, RFC 8866
section 5) are parsed each on its own; the first is returned and the rest are in its ``following`` list.

Speed: this may run on every SDP body of a large capture, so it is one pass over the lines with
``str.partition`` and ``str.split``, no regular expression per line. Before it, ``is_clean_sdp`` says in one
regular expression match whether a body has the common well-formed shape, for which ``parse_sdp`` finds no defect:
callers that only need the defects can then skip the parse.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

DIRECTIONS = frozenset(("sendrecv", "sendonly", "recvonly", "inactive"))
"""The direction attributes of RFC 3264 section 5.1 (RFC 8866 section 6.7)."""

DEFAULT_DIRECTION = "sendrecv"
"""RFC 3264 section 5.1: with no direction attribute at either level, sendrecv is assumed."""


class RtpMap(NamedTuple):
    """One ``a=rtpmap`` (RFC 8866 section 6.6): what a dynamic RTP payload type number stands for.

    ``channels`` is None when the line does not give it (one channel, for audio)."""

    encoding: str
    clock_rate: int | None
    channels: int | None


# RFC 3551 section 6, tables 4 and 5: payload types with a fixed meaning in the RTP/AVP profile (and the profiles
# built on it), which offers often list without an rtpmap. Channels as in rtpmap: None means one (or n/a for video).
STATIC_PAYLOAD_TYPES: dict[str, RtpMap] = {
    "0": RtpMap("PCMU", 8000, None),
    "3": RtpMap("GSM", 8000, None),
    "4": RtpMap("G723", 8000, None),
    "5": RtpMap("DVI4", 8000, None),
    "6": RtpMap("DVI4", 16000, None),
    "7": RtpMap("LPC", 8000, None),
    "8": RtpMap("PCMA", 8000, None),
    "9": RtpMap("G722", 8000, None),
    "10": RtpMap("L16", 44100, 2),
    "11": RtpMap("L16", 44100, None),
    "12": RtpMap("QCELP", 8000, None),
    "13": RtpMap("CN", 8000, None),
    "14": RtpMap("MPA", 90000, None),
    "15": RtpMap("G728", 8000, None),
    "16": RtpMap("DVI4", 11025, None),
    "17": RtpMap("DVI4", 22050, None),
    "18": RtpMap("G729", 8000, None),
    "26": RtpMap("JPEG", 90000, None),
    "31": RtpMap("H261", 90000, None),
    "32": RtpMap("MPV", 90000, None),
    "33": RtpMap("MP2T", 90000, None),
    "34": RtpMap("H263", 90000, None),
}


class Origin:
    """The ``o=`` line (RFC 8866 section 5.2): who made the description and which version of it this is.

    ``session_id`` stays text (an identifier, possibly wider than 64 bits); ``session_version`` is a number
    because an answerer must raise it by one on each change (RFC 3264 section 8), so it gets compared."""

    __slots__ = ("username", "session_id", "session_version", "nettype", "addrtype", "address", "raw")

    def __init__(self, username: str, session_id: str, session_version: int | None, nettype: str, addrtype: str,
                 address: str, raw: str):
        self.username = username
        self.session_id = session_id
        self.session_version = session_version
        self.nettype = nettype
        self.addrtype = addrtype
        self.address = address
        self.raw = raw

    def __repr__(self) -> str:
        return f"Origin({self.raw!r})"


class Connection:
    """A ``c=`` line (RFC 8866 section 5.7): where media goes. ``address`` is without the ``/ttl/count`` suffix.

    For IPv4 multicast the suffix is the TTL then the count of addresses; IPv6 has no TTL, so its one number is
    the count. ``0.0.0.0`` is valid (the RFC 2543 way to put a call on hold, RFC 3264 section 8.4) and kept as
    it is. For network types other than IN the address is kept as written, unchecked."""

    __slots__ = ("nettype", "addrtype", "address", "ttl", "count", "raw")

    def __init__(self, nettype: str, addrtype: str, address: str, ttl: int | None, count: int | None, raw: str):
        self.nettype = nettype
        self.addrtype = addrtype
        self.address = address
        self.ttl = ttl
        self.count = count
        self.raw = raw

    @property
    def is_multicast(self) -> bool:
        if self.addrtype == "IP4":
            return _is_ipv4(self.address) and 224 <= int(self.address.partition(".")[0]) <= 239
        return self.addrtype == "IP6" and self.address[:2].lower() == "ff"

    @property
    def is_unspecified(self) -> bool:
        """``0.0.0.0`` or ``::``: no address, which old (RFC 2543) endpoints send to hold a call."""
        return self.address in ("0.0.0.0", "::")

    def __repr__(self) -> str:
        return f"Connection({self.raw!r})"


class Media:
    """One media description: an ``m=`` line and the lines after it up to the next ``m=``.

    ``direction`` is the effective one: the section's own direction attribute, else the session's, else
    sendrecv (RFC 3264 section 5.1). ``connection`` is the effective address: the first ``c=`` of the section,
    else the session's. A port of 0 means the stream is rejected or disabled (RFC 3264 sections 6 and 8.2)."""

    __slots__ = ("media", "port", "port_count", "proto", "formats", "raw", "information", "connections",
                 "bandwidths", "attributes", "rtpmap", "fmtp", "direction", "candidates", "_session_connection")

    def __init__(self, raw: str):
        self.raw = raw
        """The ``m=`` line's value as written."""
        self.media = ""
        self.port: int | None = None
        self.port_count: int | None = None
        self.proto = ""
        self.formats: list[str] = []
        self.information: str | None = None
        self.connections: list[Connection] = []
        self.bandwidths: list[tuple[str, int]] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.rtpmap: dict[str, RtpMap] = {}
        self.fmtp: dict[str, str] = {}
        self.direction: str | None = None
        self.candidates: list[str] = []
        """ICE ``a=candidate`` values (RFC 8839 section 5.1), as text."""
        self._session_connection: Connection | None = None

    @property
    def connection(self) -> Connection | None:
        return self.connections[0] if self.connections else self._session_connection

    @property
    def is_rejected(self) -> bool:
        return self.port == 0

    def codec(self, payload_type: str) -> RtpMap | None:
        """What a format of an RTP stream stands for: its rtpmap, else the static RFC 3551 assignment."""
        found = self.rtpmap.get(payload_type)
        if found is None and "RTP/" in self.proto:
            found = STATIC_PAYLOAD_TYPES.get(payload_type)
        return found

    def attribute_values(self, name: str) -> list[str | None]:
        """The values of this section's attributes of that name, in order (None for a flag like ``a=rtcp-mux``)."""
        return [value for attribute, value in self.attributes if attribute == name]

    def __repr__(self) -> str:
        return f"Media({self.raw!r})"


class SessionDescription:
    """A parsed SDP body: the session-level fields, the media descriptions in order, and what was wrong.

    ``direction`` is the session-level direction attribute only (None when absent); each ``Media.direction``
    has the effective value. ``following`` holds further session descriptions concatenated in the same body."""

    __slots__ = ("version", "origin", "session_name", "information", "connection", "bandwidths", "times",
                 "attributes", "direction", "media", "defects", "following")

    def __init__(self) -> None:
        self.version: int | None = None
        self.origin: Origin | None = None
        self.session_name: str | None = None
        self.information: str | None = None
        self.connection: Connection | None = None
        self.bandwidths: list[tuple[str, int]] = []
        self.times: list[tuple[int, int]] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.direction: str | None = None
        self.media: list[Media] = []
        self.defects: list[str] = []
        self.following: list[SessionDescription] = []

    def attribute_values(self, name: str) -> list[str | None]:
        """The values of the session-level attributes of that name, in order (None for a flag attribute)."""
        return [value for attribute, value in self.attributes if attribute == name]

    def __repr__(self) -> str:
        return f"SessionDescription(origin={self.origin!r}, media={self.media!r}, defects={self.defects!r})"


# Where each line type may stand (RFC 8866 section 5): a line whose rank is below the previous line's is out of
# order. RFC 8866 moved z= into the time descriptions, so t=, r= and z= share a rank.
_SESSION_RANK = {"v": 0, "o": 1, "s": 2, "i": 3, "u": 4, "e": 5, "p": 6, "c": 7, "b": 8, "t": 9, "r": 9, "z": 9,
                 "k": 10, "a": 11}
_MEDIA_RANK = {"m": 0, "i": 1, "c": 2, "b": 3, "k": 4, "a": 5}
# Lines that may appear once in their section (c= may repeat in a media section: several multicast groups).
_SESSION_ONCE = frozenset("osiuck")
_MEDIA_ONCE = frozenset("ik")
_KNOWN = frozenset("vosiuepcbtrzkam")
_FQDN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")


def _add(defects: list[str], defect: str) -> None:
    if defect not in defects:
        defects.append(defect)


def _uint(text: str) -> int | None:
    """A decimal number of ASCII digits, else None (``int`` alone would take signs, spaces, other scripts' digits
    and raise on thousands of digits)."""
    if text.isdigit() and text.isascii() and len(text) <= 40:
        return int(text)
    return None


def _is_ipv4(text: str) -> bool:
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not (part.isdigit() and part.isascii() and len(part) <= 3 and int(part) <= 255):
            return False
    return True


def _is_ipv6(text: str) -> bool:
    if ":" not in text or "%" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_fqdn(text: str) -> bool:
    """A host name (RFC 8866 allows one in c= and o=): letters, digits, dashes and dots, with a letter somewhere
    (so a mistyped IPv4 address is not taken for a name)."""
    return _FQDN_CHARS.issuperset(text) and text.strip("0123456789.-") != ""


def _parse_connection(value: str) -> tuple[Connection | None, bool]:
    """The connection of a ``c=`` value and whether it is valid; None when it has fewer than three fields."""
    parts = value.split()
    if len(parts) < 3:
        return None, False
    nettype, addrtype, text = parts[0], parts[1], parts[2]
    valid = len(parts) == 3
    if nettype != "IN":  # other network types (RFC 8866 section 5.7) have their own address forms
        return Connection(nettype, addrtype, text, None, None, value), valid
    address, slash, suffix = text.partition("/")
    numbers = [_uint(n) for n in suffix.split("/")] if slash else []
    if None in numbers:
        valid = False
    ttl = count = None
    if addrtype == "IP4":
        if numbers:
            ttl = numbers[0]
            count = numbers[1] if len(numbers) > 1 else None
        if _is_ipv4(address):
            if 224 <= int(address.partition(".")[0]) <= 239:
                # multicast: the TTL must be there (RFC 8866 section 5.7), then an optional count
                if not 1 <= len(numbers) <= 2 or (ttl is not None and ttl > 255) or count == 0:
                    valid = False
            elif numbers:
                valid = False
        elif numbers or not _is_fqdn(address):
            valid = False
    elif addrtype == "IP6":
        if numbers:
            count = numbers[0]
        if _is_ipv6(address):
            if numbers and (len(numbers) > 1 or address[:2].lower() != "ff" or count == 0):
                valid = False
        elif numbers or not _is_fqdn(address):
            valid = False
    else:
        valid = False
    return Connection(nettype, addrtype, address, ttl, count, value), valid


def _parse_media(value: str) -> tuple[Media, bool]:
    """``m=<media> <port>[/<number of ports>] <proto> <fmt> ...`` (RFC 8866 section 5.14)."""
    media = Media(value)
    parts = value.split()
    valid = len(parts) >= 4
    if parts:
        media.media = parts[0]
    if len(parts) > 1:
        port_text, slash, count_text = parts[1].partition("/")
        media.port = port = _uint(port_text)
        if port is None or port > 65535:
            valid = False
        if slash:
            media.port_count = count = _uint(count_text)
            if not count:
                valid = False
    if len(parts) > 2:
        media.proto = parts[2]
        media.formats = parts[3:]
    return media, valid


def _parse_origin(value: str) -> tuple[Origin | None, bool]:
    """``o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`` (RFC 8866 section 5.2).

    A username with spaces (a common mistake) is taken whole: the last five fields are the fixed ones."""
    parts = value.split()
    if len(parts) < 6:
        return None, False
    session_id, version_text, nettype, addrtype, address = parts[-5:]
    version = _uint(version_text)
    valid = len(parts) == 6 and version is not None and _uint(session_id) is not None
    return Origin(" ".join(parts[:-5]), session_id, version, nettype, addrtype, address, value), valid


def _parse_rtpmap(value: str) -> tuple[str | None, RtpMap | None, bool]:
    """``a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`` (RFC 8866 section 6.6).

    A line without its clock rate (``31 LPC``) still maps the payload type, with the rate None."""
    payload_type, _, rest = value.strip().partition(" ")
    pieces = rest.strip().split("/")
    encoding = pieces[0].strip()
    if _uint(payload_type) is None or not encoding:
        return None, None, False
    clock_rate = _uint(pieces[1].strip()) if len(pieces) > 1 else None
    channels = _uint(pieces[2].strip()) if len(pieces) > 2 else None
    valid = clock_rate is not None and len(pieces) <= 3 and (len(pieces) < 3 or channels is not None)
    return payload_type, RtpMap(encoding, clock_rate, channels), valid


def _finish(session: SessionDescription, seen: set[str], looks_like_sdp: bool) -> None:
    """What can only be checked once the whole description is read, and the media's effective values."""
    defects = session.defects
    if looks_like_sdp:
        if "v" not in seen:
            _add(defects, "sip.sdp.version_missing")
        if "o" not in seen:
            _add(defects, "sip.sdp.origin_missing")
        if "s" not in seen:
            _add(defects, "sip.sdp.session_name_missing")
        if "t" not in seen:
            _add(defects, "sip.sdp.time_missing")
    connection = session.connection
    direction = session.direction or DEFAULT_DIRECTION
    for media in session.media:
        media._session_connection = connection
        if media.direction is None:
            media.direction = direction
        if connection is None and not media.connections:
            _add(defects, "sip.sdp.connection_missing")


def parse_sdp(data: bytes) -> SessionDescription:
    """The session description in an SDP body, with its defects; never raises."""
    text = data if isinstance(data, str) else bytes(data).decode("utf-8", "backslashreplace")
    first = session = SessionDescription()
    defects = session.defects
    if "\n" in text:
        lines = text.split("\n")
        # every LF after a CR and every CR before an LF: a bare CR among CRLF lines is a line ending too
        if text.count("\r\n") != len(lines) - 1 or text.count("\r") != len(lines) - 1:
            _add(defects, "sip.sdp.line_ending")
    elif "\r" in text:
        lines = text.split("\r")
        _add(defects, "sip.sdp.line_ending")
    else:
        lines = [text]
    while lines and not lines[-1].strip():
        lines.pop()

    # The first line that is not empty says whether this is SDP at all.
    for line in lines:
        if line and line != "\r":
            if line[1:2] != "=" or line[0] not in _KNOWN:
                _add(defects, "sip.sdp.not_sdp")
            break
    else:
        _add(defects, "sip.sdp.not_sdp")

    media: Media | None = None
    rank = -1
    seen: set[str] = set()  # the session-level line types met so far
    media_seen: set[str] = set()
    looks_like_sdp = False
    for line in lines:
        if line[-1:] == "\r":
            line = line[:-1]
        if line[1:2] != "=":
            _add(defects, "sip.sdp.line_invalid")
            continue
        kind = line[0]
        value = line[2:]

        if kind == "a":  # most lines; a= ranks last at both levels, so it is never out of order
            looks_like_sdp = True
            name, colon, attr_value = value.partition(":")
            if name[-1:] == " " or name[:1] == " ":
                name = name.strip()
            if not name:
                _add(defects, "sip.sdp.line_invalid")
                continue
            if not colon:
                attr_value = None
            if media is None:
                rank = 11
                session.attributes.append((name, attr_value))
                if name in DIRECTIONS:
                    if session.direction is not None:
                        _add(defects, "sip.sdp.direction_conflict")
                    session.direction = name
                continue
            rank = 5
            media.attributes.append((name, attr_value))
            if name == "rtpmap":
                payload_type, rtpmap, valid = _parse_rtpmap(attr_value or "")
                if rtpmap is not None:
                    media.rtpmap[payload_type] = rtpmap
                if not valid:
                    _add(defects, "sip.sdp.rtpmap_invalid")
            elif name == "fmtp":
                payload_type, _, params = (attr_value or "").strip().partition(" ")
                if payload_type:
                    media.fmtp[payload_type] = params.strip()
            elif name == "candidate":
                media.candidates.append(attr_value or "")
            elif name in DIRECTIONS:
                if media.direction is not None:
                    _add(defects, "sip.sdp.direction_conflict")
                media.direction = name
            continue

        if kind == "m":
            looks_like_sdp = True
            media, valid = _parse_media(value)
            session.media.append(media)
            if not valid:
                _add(defects, "sip.sdp.media_invalid")
            rank = 0
            media_seen = set()
            continue

        if kind == "v":
            looks_like_sdp = True
            if "v" in seen:
                # A new session description starts here (RFC 8866 section 5).
                _finish(session, seen, looks_like_sdp)
                _add(first.defects, "sip.sdp.concatenated")
                session = SessionDescription()
                first.following.append(session)
                defects = session.defects
                media = None
                seen = set()
            elif rank >= 0:
                _add(defects, "sip.sdp.order")
            seen.add("v")
            rank = 0
            session.version = version = _uint(value.strip())
            if version != 0:
                _add(defects, "sip.sdp.version_unsupported")
            continue

        # The other known types, at media level when they belong there, else at session level.
        if media is not None and kind in _MEDIA_RANK:
            looks_like_sdp = True
            line_rank = _MEDIA_RANK[kind]
            if line_rank < rank:
                _add(defects, "sip.sdp.order")
            rank = line_rank
            if kind in _MEDIA_ONCE:
                if kind in media_seen:
                    _add(defects, "sip.sdp.line_repeated")
                    continue
                media_seen.add(kind)
            if kind == "c":
                connection, valid = _parse_connection(value)
                if connection is not None:
                    media.connections.append(connection)
                if not valid:
                    _add(defects, "sip.sdp.connection_invalid")
            elif kind == "b":
                _bandwidth(value, media.bandwidths, defects)
            elif kind == "i":
                media.information = value
            continue

        if kind not in _SESSION_RANK:
            if "a" <= kind <= "z" or "A" <= kind <= "Z":
                _add(defects, "sip.sdp.line_unknown")  # RFC 8866 section 5 drops such a description; we read on
            else:
                _add(defects, "sip.sdp.line_invalid")
            continue
        looks_like_sdp = True
        if media is not None:
            _add(defects, "sip.sdp.order")  # a session-level line inside a media description
        else:
            line_rank = _SESSION_RANK[kind]
            if line_rank < rank:
                _add(defects, "sip.sdp.order")
            rank = line_rank
        if kind in _SESSION_ONCE and kind in seen:
            _add(defects, "sip.sdp.line_repeated")
            continue
        seen.add(kind)
        if kind == "o":
            session.origin, valid = _parse_origin(value)
            if not valid:
                _add(defects, "sip.sdp.origin_invalid")
        elif kind == "s":
            session.session_name = value
            if not value:
                _add(defects, "sip.sdp.session_name_empty")
        elif kind == "c":
            session.connection, valid = _parse_connection(value)
            if not valid:
                _add(defects, "sip.sdp.connection_invalid")
        elif kind == "t":
            parts = value.split()
            start = _uint(parts[0]) if len(parts) == 2 else None
            stop = _uint(parts[1]) if start is not None else None
            if stop is None:
                _add(defects, "sip.sdp.time_invalid")
            else:
                session.times.append((start, stop))
        elif kind == "b":
            _bandwidth(value, session.bandwidths, defects)
        elif kind == "i":
            session.information = value
        # u=, e=, p=, r=, z=, k=: read for their order only

    _finish(session, seen, looks_like_sdp)
    if not looks_like_sdp:
        # Nothing in it is an SDP line: saying so once says it all (each line would be invalid, or unknown).
        first.defects[:] = ["sip.sdp.not_sdp"]
    return first


def _bandwidth(value: str, bandwidths: list[tuple[str, int]], defects: list[str]) -> None:
    """``b=<bwtype>:<bandwidth>`` (RFC 8866 section 5.8), in kilobits per second for CT and AS."""
    bwtype, colon, amount = value.partition(":")
    number = _uint(amount.strip())
    if not colon or not bwtype or number is None:
        _add(defects, "sip.sdp.bandwidth_invalid")
    else:
        bandwidths.append((bwtype, number))


# -- the fast path ------------------------------------------------------------------------------------------
#
# ``is_clean_sdp`` matches the common well-formed shape of a body with one regular expression. Each line type it
# admits is checked at least as strictly as ``parse_sdp`` checks it, and the shape rules out every defect:
#   line_ending: every line ends with CRLF and there is no CR or LF elsewhere (the last line may go without);
#   not_sdp, line_invalid, line_unknown: the first line is v=0, every line is one of the types below, no empty
#     line but at the end (which parse_sdp drops);
#   order, line_repeated, concatenated: the lines stand in RFC 8866 section 5 order, once each where they may be
#     once, with v= only first, and no k= (obsolete, RFC 8866 section 5.12);
#   version_*, origin_*, session_name_*, time_*: v=0, o= six fields with a numeric id and version, a non-empty
#     s=, at least one t= of two numbers;
#   connection_invalid, connection_missing: c=IN IP4 <unicast dotted quad> only, at session level or else in
#     every media description;
#   bandwidth_invalid, media_invalid, rtpmap_invalid: b=, m= and a=rtpmap in their RFC 8866 grammar (sections
#     5.8, 5.14, 6.6), numbers in range;
#   direction_conflict: at most one direction attribute at session level and in each media description.
# The rest (IPv6, host names, multicast, text that is not printable ASCII, rarer line types) is left to
# ``parse_sdp``. The quantifiers are possessive (``*+``, Python 3.11): the grammar never needs to give back what
# a repetition took, and not keeping backtracking state saves a third of the time (and rules out slow matches).
# Possessive quantifiers can only make a pattern match less, never more, so soundness does not rest on them.

_TOKEN = rb"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]++"  # RFC 8866 section 9: no space, colon, slash or control
_TEXT = rb"[\x20-\x7e]"  # printable ASCII and space
_NUMBER = rb"[0-9]{1,20}+"  # parse_sdp takes up to 40 digits
# 0-255 without leading zeros, each form decided by its first digit; the first octet of a unicast address is
# not 224-239 (IPv4 multicast, which needs a TTL: RFC 8866 section 5.7). An octet is always followed by "." or
# CR, so taking the longest run of digits is right.
_OCTET = rb"(?:1(?:[0-9][0-9]?+)?+|2(?:[0-4][0-9]?+|5[0-5]?+|[6-9])?+|[3-9][0-9]?+|0)"
_FIRST_OCTET = rb"(?:1(?:[0-9][0-9]?+)?+|2(?:[01][0-9]?+|2[0-3]?+|3|4[0-9]?+|5[0-5]?+|[6-9])?+|[3-9][0-9]?+|0)"
_UNICAST_IP4 = _FIRST_OCTET + (rb"\." + _OCTET) * 3
_PORT = rb"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}+|0)"
_DIRECTION_NAMES = rb"sendrecv|sendonly|recvonly|inactive"

_ORIGIN = rb"o=[\x21-\x7e]++ " + _NUMBER + rb" " + _NUMBER + rb" IN IP4 " + _UNICAST_IP4 + rb"\r\n"
_CONNECTION = rb"c=IN IP4 " + _UNICAST_IP4 + rb"\r\n"
_BANDWIDTH = rb"b=" + _TOKEN + rb":[0-9]{1,20}+\r\n"
_TIME = rb"t=" + _NUMBER + rb" " + _NUMBER + rb"\r\n"
_REPEAT_OR_ZONE = rb"[rz]=" + _TEXT + rb"++\r\n"  # RFC 8866 sections 5.10, 5.11: parse_sdp reads them for order
_MEDIA = (rb"m=" + _TOKEN + rb" " + _PORT + rb"(?:/[1-9][0-9]{0,8}+)?+ " + _TOKEN + rb"(?:/" + _TOKEN + rb")*+(?: "
          + _TOKEN + rb")++\r\n")
_DIRECTION = rb"a=(?:" + _DIRECTION_NAMES + rb")\r\n"
# The value of an attribute line other than a direction (counted apart) and rtpmap (checked apart): parse_sdp
# takes the name up to the first colon, and checks nothing else.
_OTHER_ATTRIBUTE = rb"(?!(?:rtpmap|" + _DIRECTION_NAMES + rb")[:\r])" + _TOKEN + rb"(?::" + _TEXT + rb"*+)?+"
_RTPMAP = rb"rtpmap:[0-9]{1,3}+ " + _TOKEN + rb"/[0-9]{1,9}+(?:/[0-9]{1,9}+)?+"


def _attributes(*values: bytes) -> bytes:
    """a= lines with at most one direction attribute among them (RFC 8866 section 6.7: one per level, else
    parse_sdp notes a conflict)."""
    others = rb"(?:a=(?:" + rb"|".join(values) + rb")\r\n)*+"
    return others + rb"(?:" + _DIRECTION + others + rb")?+"


def _media_descriptions(connection: bytes) -> bytes:
    """m= sections, each m=, i=, c=, b=, a= in the order of RFC 8866 section 5, with the c= part given."""
    return (rb"(?:" + _MEDIA + rb"(?:i=" + _TEXT + rb"++\r\n)?+" + connection + rb"(?:" + _BANDWIDTH + rb")*+"
            + _attributes(_RTPMAP, _OTHER_ATTRIBUTE) + rb")*+")


_SESSION_TAIL = (rb"(?:" + _BANDWIDTH + rb")*+" + _TIME + rb"(?:" + _TIME + rb"|" + _REPEAT_OR_ZONE + rb")*+"
                 + _attributes(_OTHER_ATTRIBUTE))
_CLEAN_SDP = re.compile(
    rb"v=0\r\n" + _ORIGIN + rb"s=" + _TEXT + rb"++\r\n(?:i=" + _TEXT + rb"++\r\n)?+(?:u=[\x21-\x7e]++\r\n)?+(?:e="
    + _TEXT + rb"++\r\n)*+(?:p=" + _TEXT + rb"++\r\n)*+"
    # a session c= serves every media description; without one, each needs its own (RFC 8866 section 5.7)
    + rb"(?:" + _CONNECTION + _SESSION_TAIL + _media_descriptions(rb"(?:" + _CONNECTION + rb")?+")
    + rb"|" + _SESSION_TAIL + _media_descriptions(_CONNECTION) + rb")(?:\r\n)*+"
)
_match_clean_sdp = _CLEAN_SDP.fullmatch


def is_clean_sdp(data: bytes) -> bool:
    """True only if ``parse_sdp(data).defects`` would be empty, in a tenth of the time; False says nothing.

    For callers that only need to know whether a body has defects: one match of the common well-formed shape
    (see the rules above) on bytes, a bytearray or a memoryview. A body whose last line has no line end is
    matched with a CRLF added, which changes nothing for ``parse_sdp``."""
    if data[-1:] != b"\n":
        data = bytes(data) + b"\r\n"
    return _match_clean_sdp(data) is not None
