"""Structured header values: what each header's text means, by its grammar (RFC 3261 section 25.1 and extensions).

Every value keeps ``raw`` (the text as written, unfolded) beside its parsed fields and the ``defects`` found in it.
``PARSERS`` maps a header name to its parser and says whether the header is a comma-separated list; headers it
does not know stay ``Text``. The functions never raise: a value that breaks its grammar is read as far as it can be.

Values may be shared between messages (the message layer caches them by text), so treat them as read-only.
"""

from __future__ import annotations

import datetime
import re

from .grammar import (
    TOKEN,
    Params,
    add_defect,
    parse_int,
    parse_params,
    split_outside,
    unescape_pairs,
    unquote,
)
from .uri import check_host, is_ip_address, parse_uri


class Value:
    """A header value: its text and what was wrong with it. ``as_dict`` gives the parsed fields for reports."""

    __slots__ = ("raw", "defects")

    def __init__(self, raw: str):
        self.raw = raw
        self.defects: list[str] = []

    def as_dict(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.raw!r})"


class Text(Value):
    """A header without a structure of its own (Subject, User-Agent, unknown extension headers)."""

    __slots__ = ()


class Number(Value):
    """A header whose value is a number: Max-Forwards, Expires, Min-Expires, RSeq, Content-Length."""

    __slots__ = ("value",)

    def as_dict(self) -> dict:
        return {"value": self.value}


class Token(Value):
    """One element of a token list: a method in Allow, an option tag in Supported/Require, an encoding."""

    __slots__ = ("value",)

    def as_dict(self) -> dict:
        return {"value": self.value}


class NameAddr(Value):
    """From, To, Contact, Route, Record-Route, Refer-To, Referred-By, P-Asserted-Identity and the like.

    ``Contact: *`` is a NameAddr with ``wildcard`` set and no URI (RFC 3261 section 20.10).
    """

    __slots__ = ("display_name", "uri", "params", "wildcard")

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def expires(self) -> int | None:
        """A Contact's ``expires`` parameter in seconds (None when absent or not a number below 2**32)."""
        return _int_param(self.params, "expires", 2**32 - 1)

    @property
    def q(self) -> float | None:
        """A Contact's ``q`` parameter (None when absent or not a qvalue)."""
        value = self.params.get("q")
        return float(value) if value is not None and _QVALUE.fullmatch(value) else None

    def as_dict(self) -> dict:
        if self.wildcard:
            return {"wildcard": True}
        fields = {"display_name": self.display_name, "uri": self.uri.as_dict() if self.uri else None}
        if self.params:
            fields["params"] = dict(self.params)
        return fields


class Via(Value):
    """One Via hop (RFC 3261 section 20.42, RFC 3581 for rport)."""

    __slots__ = ("protocol", "transport", "host", "port", "params")

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The address the server saw the request come from, without the brackets some servers put around an IPv6
        address (RFC 5118 section 4.5); ``params["received"]`` keeps it as written."""
        value = self.params.get("received")
        if value and value[0] == "[" and value[-1] == "]":
            return value[1:-1]
        return value

    @property
    def rport(self) -> int | None:
        """The rport value a server filled in; ``"rport" in via.params`` says whether the parameter is there."""
        value = self.params.get("rport")
        return int(value) if value and value.isdigit() and len(value) <= 5 else None

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def ttl(self) -> int | None:
        """RFC 3261 section 25.1: ``ttl = 1*3DIGIT ; 0 to 255``."""
        value = self.params.get("ttl")
        return int(value) if value and value.isdigit() and len(value) <= 3 and int(value) <= 255 else None

    @property
    def host_address(self) -> str | None:
        """The sent-by host without IPv6 brackets."""
        if self.host and self.host[0] == "[":
            return self.host[1:-1]
        return self.host

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "transport": self.transport, "host": self.host, "port": self.port,
                "params": dict(self.params)}


class CSeq(Value):
    __slots__ = ("number", "method")

    def as_dict(self) -> dict:
        return {"number": self.number, "method": self.method}


class MediaType(Value):
    """Content-Type, or one media range of Accept: ``type/subtype`` and parameters (RFC 3261 section 20.15)."""

    __slots__ = ("type", "subtype", "params")

    @property
    def media_type(self) -> str:
        """``type/subtype`` in lower case, the form to compare."""
        return f"{self.type}/{self.subtype}".lower()

    def as_dict(self) -> dict:
        return {"type": self.media_type, "params": dict(self.params)}


class Event(Value):
    """Event (RFC 6665 section 8.2.1): the package, its templates (``presence.winfo``), and an ``id``."""

    __slots__ = ("package", "templates", "params")

    @property
    def id(self) -> str | None:
        return self.params.get("id")

    def as_dict(self) -> dict:
        return {"package": self.package, "templates": self.templates, "params": dict(self.params)}


class SubscriptionState(Value):
    """Subscription-State (RFC 6665 section 8.2.3)."""

    __slots__ = ("state", "params")

    @property
    def reason(self) -> str | None:
        return self.params.get("reason")

    @property
    def expires(self) -> int | None:
        return _int_param(self.params, "expires")

    @property
    def retry_after(self) -> int | None:
        return _int_param(self.params, "retry-after")

    def as_dict(self) -> dict:
        return {"state": self.state, "reason": self.reason, "expires": self.expires,
                "retry_after": self.retry_after}


class RAck(Value):
    """RAck (RFC 3262 section 7.2): the RSeq and CSeq of the reliable provisional response acknowledged."""

    __slots__ = ("rseq", "cseq", "method")

    def as_dict(self) -> dict:
        return {"rseq": self.rseq, "cseq": self.cseq, "method": self.method}


class Reason(Value):
    """One Reason value (RFC 3326): the protocol (``SIP``, ``Q.850``), its cause code and text."""

    __slots__ = ("protocol", "params")

    @property
    def cause(self) -> int | None:
        return _int_param(self.params, "cause")

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "cause": self.cause, "text": self.text}


class Warning(Value):  # noqa: A001 - the header's own name
    """One Warning value (RFC 3261 section 20.43): a three-digit code, the agent, and the quoted text."""

    __slots__ = ("code", "agent", "text")

    def as_dict(self) -> dict:
        return {"code": self.code, "agent": self.agent, "text": self.text}


class RetryAfter(Value):
    """Retry-After (RFC 3261 section 20.33): seconds, an optional comment, and a ``duration`` parameter."""

    __slots__ = ("seconds", "comment", "params")

    @property
    def duration(self) -> int | None:
        return _int_param(self.params, "duration")

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "comment": self.comment, "duration": self.duration}


class Interval(Value):
    """Session-Expires and Min-SE (RFC 4028 sections 4 and 5): seconds and, for Session-Expires, the refresher."""

    __slots__ = ("seconds", "params")

    @property
    def refresher(self) -> str | None:
        return self.params.get("refresher")

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "refresher": self.refresher}


class Flag(Value):
    """Refer-Sub (RFC 4488 section 4): ``true`` or ``false``."""

    __slots__ = ("value", "params")

    def as_dict(self) -> dict:
        return {"value": self.value}


class Replaces(Value):
    """Replaces (RFC 3891 section 6.1): the dialog to replace, by Call-ID and tags."""

    __slots__ = ("call_id", "params")

    @property
    def to_tag(self) -> str | None:
        return self.params.get("to-tag")

    @property
    def from_tag(self) -> str | None:
        return self.params.get("from-tag")

    @property
    def early_only(self) -> bool:
        return "early-only" in self.params

    def as_dict(self) -> dict:
        return {"call_id": self.call_id, "to_tag": self.to_tag, "from_tag": self.from_tag,
                "early_only": self.early_only}


class Auth(Value):
    """A challenge (WWW-Authenticate, Proxy-Authenticate) or credentials (Authorization, Proxy-Authorization):
    the scheme and its parameters, quoted values unquoted (RFC 3261 section 25.1, RFC 7616). Only the grammar is
    checked (``name=token`` or ``name="quoted"``), not what the parameters mean; an unknown scheme is fine
    (RFC 4475 section 3.3.7). Basic credentials are one ``token68`` parameter."""

    __slots__ = ("scheme", "params")

    def as_dict(self) -> dict:
        return {"scheme": self.scheme, "params": dict(self.params)}


class Date(Value):
    """Date (RFC 3261 section 20.17): an RFC 1123 date, always in GMT. ``datetime`` is the moment (UTC), or None
    when the value is not a date; a time zone other than GMT is a defect but still read (RFC 4475 section
    3.1.2.12 lets receivers convert it)."""

    __slots__ = ("datetime",)

    def as_dict(self) -> dict:
        return {"datetime": self.datetime.isoformat() if self.datetime else None}


def _int_param(params: Params, name: str, limit: int = 9_999_999_999) -> int | None:
    value = params.get(name)
    if value and value.isdigit() and value.isascii() and len(value) <= 10 and int(value) <= limit:
        return int(value)
    return None


def _new(cls, raw: str):
    value = cls.__new__(cls)
    value.raw = raw
    value.defects = []
    return value


# --- parsers -------------------------------------------------------------------------------------------------


def parse_text(text: str) -> Text:
    return _new(Text, text)


def _number_parser(defect: str, limit: int, too_large: str | None = None):
    """A parser of numbers up to ``limit``: ``defect`` when the value is not one, or ``too_large`` (when given)
    when it is digits, but too many."""

    def parse(text: str) -> Number:
        value = _new(Number, text)
        digits = text.strip()
        wrong = too_large if too_large and digits.isdigit() and digits.isascii() else defect
        value.value = parse_int(text, value.defects, wrong, limit)
        return value

    return parse


def _token_parser(defect: str):
    def parse(text: str) -> Token:
        value = _new(Token, text)
        value.value = text.strip()
        if not TOKEN.fullmatch(value.value):
            value.defects.append(defect)
        return value

    return parse


_QUOTED_PREFIX = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*', re.S)
_DISPLAY_TOKENS = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+(?:[ \t]+[A-Za-z0-9.!%*_+`'~-]+)*")


def parse_name_addr(text: str) -> NameAddr:
    """``[display-name] <uri> *(;param)`` or ``addr-spec *(;param)`` (RFC 3261 section 20.10 and 25.1)."""
    value = _new(NameAddr, text)
    value.display_name = None
    value.uri = None
    value.wildcard = False
    defects = value.defects
    rest = text.strip()
    if rest[:1] == '"':
        match = _QUOTED_PREFIX.match(rest)
        if match is None:
            # RFC 4475 section 3.1.2.6: an unterminated quoted display name; read the URI in the rest anyway.
            defects.append("sip.quoted_string.unterminated")
            rest = rest[1:]
            open_angle = rest.find("<")
            value.display_name = rest[:open_angle].strip() if open_angle >= 0 else rest
            rest = rest[open_angle:] if open_angle >= 0 else ""
        else:
            inner = match.group(1)
            value.display_name = unescape_pairs(inner)
            rest = rest[match.end() :]
            if rest[:1] != "<":
                defects.append("sip.name_addr.invalid")
    open_angle = rest.find("<")
    if open_angle >= 0:
        if value.display_name is None:
            display = rest[:open_angle].strip()
            if display:
                value.display_name = display
                # RFC 3261 section 25.1: an unquoted display name is tokens and white space only
                # (RFC 4475 section 3.1.2.15: "Bell, Alexander" needs quotes).
                if not _DISPLAY_TOKENS.fullmatch(display):
                    defects.append("sip.name_addr.display_name_invalid")
        close = rest.find(">", open_angle)
        if close < 0:
            defects.append("sip.name_addr.invalid")
            close = len(rest)
        inner = rest[open_angle + 1 : close]
        if inner != inner.strip():
            # RFC 4475 section 3.1.2.14: no white space between the angle brackets and the URI.
            defects.append("sip.uri.whitespace")
        value.uri = parse_uri(inner.strip())
        params = rest[close + 1 :]
    else:
        # addr-spec without brackets: parameters after ";" belong to the header, not to the URI, and the URI
        # cannot hold ",", "?" or ";" (RFC 3261 section 20.10).
        uri_text, semicolon, params = rest.partition(";")
        params = semicolon + params
        if "?" in uri_text or "," in uri_text:
            defects.append("sip.name_addr.unbracketed_uri")
        value.uri = parse_uri(uri_text.strip())
    for defect in value.uri.defects:
        add_defect(defects, defect)
    value.params = parse_params(params, defects)
    tag = value.params.get("tag", "")
    if "tag" in value.params and (not tag or not TOKEN.fullmatch(tag)):
        add_defect(defects, "sip.param.invalid")  # tag-param = "tag" EQUAL token: a token, not optional, unquoted
    return value


_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def parse_contact(text: str) -> NameAddr:
    """A Contact value: a name-addr whose ``q`` and ``expires`` parameters have a grammar of their own (RFC 3261
    section 25.1: ``qvalue`` from 0 to 1 with three decimals at most, ``expires`` delta-seconds; section 20.19 and
    RFC 4475 section 3.1.2.4 keep the seconds below 2**32)."""
    star, semicolon, params = text.strip().partition(";")
    if star.strip() == "*":
        # Contact: * (RFC 3261 section 10.2.2, REGISTER with Expires: 0 removes every binding). The grammar gives
        # STAR no parameters; any are read, with a defect.
        value = _new(NameAddr, text)
        value.display_name = value.uri = None
        value.wildcard = True
        value.params = parse_params(semicolon + params, value.defects)
        if semicolon:
            add_defect(value.defects, "sip.name_addr.invalid")
        return value
    value = parse_name_addr(text)
    params = value.params
    q = params.get("q", "0")
    if q is None or not _QVALUE.fullmatch(q):
        add_defect(value.defects, "sip.param.invalid")
    if "expires" in params and value.expires is None:
        add_defect(value.defects, "sip.expires.invalid")
    return value


MAGIC_COOKIE = "z9hG4bK"
_VIA_PROTOCOL = re.compile(r"\s*([^/\s]+)\s*/\s*([^/\s]+)\s*/\s*([^\s;:/]+)\s*")


def parse_via(text: str) -> Via:
    """``SIP / 2.0 / UDP host:port;params`` with white space allowed around the slashes (RFC 3261 section 20.42)."""
    value = _new(Via, text)
    defects = value.defects
    value.protocol = value.transport = value.host = None
    value.port = None
    match = _VIA_PROTOCOL.match(text)
    if match is None:
        defects.append("sip.via.invalid")
        value.params = Params()
        return value
    name, version, transport = match.groups()
    value.protocol = f"{name}/{version}"
    value.transport = transport.upper()
    if not (TOKEN.fullmatch(name) and TOKEN.fullmatch(version) and TOKEN.fullmatch(transport)):
        defects.append("sip.via.invalid")
    rest = text[match.end() :]
    sent_by, semicolon, params = rest.partition(";")
    sent_by = sent_by.strip()
    host, port = _split_hostport(sent_by)
    # sent-by = host [ COLON port ], and COLON = SWS ":" SWS: white space may stand around the colon.
    host = host.strip()
    if port is not None:
        port = port.strip()
        if port.isdigit() and port.isascii() and len(port) <= 5 and int(port) <= 65535:
            value.port = int(port)
        else:
            defects.append("sip.via.invalid")
    if not host or any(char in host for char in " \t"):
        defects.append("sip.via.invalid")
    else:
        host_defects = []
        value.host = check_host(host.lower(), host_defects)
        if "sip.uri.ipv6_three_colons" in host_defects:
            defects.append("sip.uri.ipv6_three_colons")
        elif host_defects:
            defects.append("sip.via.host_invalid")
    value.params = parse_params(semicolon + params, defects)
    received = value.params.get("received")
    # RFC 3261 section 20.42: received is an IPv4 or IPv6 address. RFC 3261's grammar writes the IPv6 address bare,
    # but servers also send it as a bracketed reference, and RFC 5118 section 4.5 asks receivers to accept both.
    if received is not None and not is_ip_address(received) and not (
        received[:1] == "[" and received[-1:] == "]" and ":" in received and is_ip_address(received[1:-1])
    ):
        defects.append("sip.via.received_invalid")
    if "branch" in value.params:
        branch = value.params["branch"]
        if not branch:
            add_defect(defects, "sip.via.invalid")  # via-branch = "branch" EQUAL token: the value is not optional
        elif branch == MAGIC_COOKIE:
            # RFC 3261 section 8.1.1.7: the magic cookie starts the branch and a transaction id must follow it;
            # RFC 4475 section 3.2.1 sends the cookie alone.
            defects.append("sip.via.branch_empty")
    return value


def _split_hostport(text: str) -> tuple[str, str | None]:
    if text[:1] == "[":
        close = text.find("]")
        if close < 0:
            return text, None
        rest = text[close + 1 :]
        return text[: close + 1], (rest[1:] if rest[:1] == ":" else None if not rest else rest)
    host, colon, port = text.partition(":")
    return host, port if colon else None


def parse_cseq(text: str) -> CSeq:
    """``number method``; RFC 3261 section 8.1.1.5 keeps the number below 2**31."""
    value = _new(CSeq, text)
    # CSeq = "CSeq" HCOLON 1*DIGIT LWS Method: any run of spaces and tabs separates the two.
    number, method = (text.split(None, 1) + ["", ""])[:2]
    method = method.strip()
    value.number = parse_int(number, value.defects, "sip.cseq.invalid", 2**31 - 1)
    value.method = method or None
    if not method or not TOKEN.fullmatch(method):
        add_defect(value.defects, "sip.cseq.invalid")
    return value


_MEDIA_TYPE = re.compile(r"\s*([^/\s;]+)\s*/\s*([^\s;]+)\s*")


def _media_type_parser(defect: str):
    def parse(text: str) -> MediaType:
        value = _new(MediaType, text)
        match = _MEDIA_TYPE.match(text)
        if match is None:
            value.type = value.subtype = ""
            value.defects.append(defect)
            value.params = parse_params(text[text.find(";") :] if ";" in text else "", value.defects)
            return value
        value.type, value.subtype = match.groups()
        if not (TOKEN.fullmatch(value.type) and TOKEN.fullmatch(value.subtype)):
            value.defects.append(defect)
        value.params = parse_params(text[match.end() :], value.defects)
        return value

    return parse


parse_content_type = _media_type_parser("sip.content_type.invalid")


def parse_event(text: str) -> Event:
    value = _new(Event, text)
    event_type, semicolon, params = text.strip().partition(";")
    event_type = event_type.strip()
    package, *templates = event_type.split(".")
    value.package, value.templates = package, templates
    if not event_type or not TOKEN.fullmatch(event_type) or not all(templates):
        value.defects.append("sip.event.invalid")
    value.params = parse_params(semicolon + params, value.defects)
    return value


def parse_subscription_state(text: str) -> SubscriptionState:
    value = _new(SubscriptionState, text)
    state, semicolon, params = text.strip().partition(";")
    value.state = state.strip().lower()
    if not TOKEN.fullmatch(value.state):
        value.defects.append("sip.subscription_state.invalid")
    value.params = parse_params(semicolon + params, value.defects)
    for name in ("expires", "retry-after"):
        if name in value.params and _int_param(value.params, name) is None:
            add_defect(value.defects, "sip.subscription_state.invalid")
    return value


def parse_rack(text: str) -> RAck:
    value = _new(RAck, text)
    parts = text.split()
    value.rseq = value.cseq = value.method = None
    if len(parts) != 3:
        value.defects.append("sip.rack.invalid")
        return value
    value.rseq = parse_int(parts[0], value.defects, "sip.rack.invalid")
    value.cseq = parse_int(parts[1], value.defects, "sip.rack.invalid", 2**31 - 1)
    value.method = parts[2]
    if not TOKEN.fullmatch(parts[2]):
        add_defect(value.defects, "sip.rack.invalid")
    return value


def parse_reason(text: str) -> Reason:
    value = _new(Reason, text)
    protocol, semicolon, params = text.strip().partition(";")
    value.protocol = protocol.strip()
    value.params = parse_params(semicolon + params, value.defects)
    if not TOKEN.fullmatch(value.protocol) or "cause" in value.params and value.cause is None:
        add_defect(value.defects, "sip.reason.invalid")
    return value


_WARNING = re.compile(r'\s*([0-9]{3})\s+(\S+)\s+("(?:[^"\\]|\\.)*")\s*', re.S)


def parse_warning(text: str) -> Warning:
    value = _new(Warning, text)
    match = _WARNING.fullmatch(text)
    if match is None:
        value.code = value.agent = value.text = None
        value.defects.append("sip.warning.invalid")
        return value
    value.code = int(match.group(1))
    value.agent = match.group(2)
    value.text = unquote(match.group(3))[0]
    return value


_RETRY_AFTER = re.compile(r"\s*([0-9]+)\s*")


def _comment_end(text: str, start: int) -> int:
    """The position after the comment opening at ``text[start]`` (``(``), or -1 when it does not close. Comments
    nest and hold quoted-pairs (RFC 3261 section 25.1: ``comment = LPAREN *(ctext / quoted-pair / comment)
    RPAREN``)."""
    depth, pos, end = 0, start, len(text)
    while pos < end:
        char = text[pos]
        if char == "\\":
            pos += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


def parse_retry_after(text: str) -> RetryAfter:
    """``delta-seconds [ comment ] *( SEMI retry-param )`` (RFC 3261 section 20.33), the retry-param ``duration``
    being delta-seconds too."""
    value = _new(RetryAfter, text)
    match = _RETRY_AFTER.match(text)
    value.seconds = value.comment = None
    if match is None:
        value.defects.append("sip.retry_after.invalid")
        value.params = Params()
        return value
    value.seconds = parse_int(match.group(1), value.defects, "sip.retry_after.invalid")
    rest = text[match.end() :]
    if rest[:1] == "(":
        end = _comment_end(rest, 0)
        if end < 0:
            add_defect(value.defects, "sip.retry_after.invalid")
            end = len(rest)
        value.comment = rest[1 : end - 1 if rest[end - 1 : end] == ")" else end].strip()
        rest = rest[end:]
    value.params = parse_params(rest, value.defects)
    if "duration" in value.params and value.duration is None:
        add_defect(value.defects, "sip.retry_after.invalid")
    return value


def _interval_parser(defect: str):
    def parse(text: str) -> Interval:
        value = _new(Interval, text)
        seconds, semicolon, params = text.strip().partition(";")
        value.seconds = parse_int(seconds, value.defects, defect)
        value.params = parse_params(semicolon + params, value.defects)
        refresher = value.params.get("refresher")
        if refresher is not None and refresher.lower() not in ("uac", "uas"):
            add_defect(value.defects, defect)
        return value

    return parse


def parse_refer_sub(text: str) -> Flag:
    value = _new(Flag, text)
    word, semicolon, params = text.strip().partition(";")
    word = word.strip().lower()
    value.value = {"true": True, "false": False}.get(word)
    if value.value is None:
        value.defects.append("sip.refer_sub.invalid")
    value.params = parse_params(semicolon + params, value.defects)
    return value


def parse_replaces(text: str) -> Replaces:
    value = _new(Replaces, text)
    call_id, semicolon, params = text.strip().partition(";")
    value.call_id = call_id.strip()
    value.params = parse_params(semicolon + params, value.defects)
    # RFC 3891 section 6.1: both tags are required.
    if not value.call_id or value.to_tag is None or value.from_tag is None:
        add_defect(value.defects, "sip.replaces.invalid")
    return value


_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_AUTH_START = re.compile(r"\s*([A-Za-z0-9.!%*_+`'~-]+)(?:\s+|$)")
_NEW_CHALLENGE = re.compile(r"\s*[A-Za-z0-9.!%*_+`'~-]+\s+[A-Za-z0-9.!%*_+`'~-]+\s*=")


def parse_auth_list(text: str) -> list[Auth]:
    """The challenges or credentials of one header line. Commas separate parameters, so a new value starts only
    where a piece begins with ``scheme name=`` (RFC 7235 section 4.1 allows several challenges in one line)."""
    pieces, balanced = split_outside(text, ",")
    groups: list[list[str]] = []
    for piece in pieces:
        if not groups or _NEW_CHALLENGE.match(piece):
            groups.append([piece])
        else:
            groups[-1].append(piece)
    values = [_parse_auth(",".join(group)) for group in groups]
    if not balanced:
        add_defect(values[0].defects, "sip.quoted_string.unterminated")
    return values


def _parse_auth(text: str) -> Auth:
    value = _new(Auth, text.strip())
    value.params = Params()
    match = _AUTH_START.match(text)
    if match is None:
        value.scheme = None
        value.defects.append("sip.auth.invalid")
        return value
    value.scheme = match.group(1)
    rest = text[match.end() :]
    pieces = split_outside(rest, ",")[0] if rest.strip() else []
    if len(pieces) == 1 and _TOKEN68.fullmatch(pieces[0].strip()):
        # RFC 7235 section 2.1: instead of parameters, one token68 (Basic credentials, which may end with "=").
        value.params["token68"] = pieces[0].strip()
        return value
    for piece in pieces:
        name, equals, param = piece.partition("=")
        name = name.strip()
        if not piece.strip():
            add_defect(value.defects, "sip.header.empty_item")
            continue
        if not equals or not TOKEN.fullmatch(name):
            add_defect(value.defects, "sip.auth.invalid")
            continue
        param = param.strip()
        if param[:1] == '"':
            param, ok = unquote(param)
            if not ok:
                add_defect(value.defects, "sip.quoted_string.unterminated")
        elif not TOKEN.fullmatch(param):
            add_defect(value.defects, "sip.auth.invalid")  # auth-param = name EQUAL ( token / quoted-string )
        value.params[name.lower()] = param
        value.params.names.append(name)
    return value


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# rfc1123-date = wkday "," SP date1 SP time SP "GMT", date1 = 2DIGIT SP month SP 4DIGIT, time = 2DIGIT ":" 2DIGIT
# ":" 2DIGIT. The zone is read more widely, to keep the moment of a date that breaks the rule only there.
_RFC1123_DATE = re.compile(
    r"\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (" + "|".join(_MONTHS) + r") ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (GMT|UTC?|[ECMP][SD]T|Z|[+-][0-9]{4})\s*"
)
_ZONES = {"GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
          "PST": -8, "PDT": -7}


def parse_date(text: str) -> Date:
    """RFC 3261 section 20.17: an RFC 1123 date in GMT only (RFC 4475 section 3.1.2.12 sends EST, a defect, but
    the moment is still read: the RFC 822 zones and numeric offsets are understood)."""
    value = _new(Date, text)
    value.datetime = None
    match = _RFC1123_DATE.fullmatch(text)
    if match is not None:
        day, month, year, hour, minute, second, zone = match.groups()
        if zone in _ZONES:
            offset = datetime.timedelta(hours=_ZONES[zone])
        else:
            offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:])) * (1 if zone[0] == "+" else -1)
        try:
            moment = datetime.datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute),
                                       int(second), tzinfo=datetime.timezone(offset))
        except ValueError:  # 31 Feb, 25:00:00
            match = None
        else:
            value.datetime = moment.astimezone(datetime.timezone.utc)
            if zone != "GMT":
                match = None
    if match is None:
        value.defects.append("sip.date.invalid")
    return value


# callid = word [ "@" word ], a word being these characters:
_WORD_CHARS = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
CALL_ID_PATTERN = _WORD_CHARS + "(?:@" + _WORD_CHARS + ")?"
_CALL_ID = re.compile(CALL_ID_PATTERN)


def parse_call_id(text: str) -> Text:
    """Call-ID (RFC 3261 section 25.1): ``word [ "@" word ]``."""
    value = _new(Text, text)
    if not _CALL_ID.fullmatch(text.strip()):
        value.defects.append("sip.call_id.invalid")
    return value


# Header (lower-case canonical name) -> (parser, whether the header is a comma-separated list).
# Auth headers are lists of a kind of their own (see parse_auth_list) and are handled apart.
PARSERS: dict = {
    "via": (parse_via, True),
    "from": (parse_name_addr, False),
    "to": (parse_name_addr, False),
    "contact": (parse_contact, True),
    "route": (parse_name_addr, True),
    "record-route": (parse_name_addr, True),
    "path": (parse_name_addr, True),
    "service-route": (parse_name_addr, True),
    "refer-to": (parse_name_addr, False),
    "referred-by": (parse_name_addr, False),
    "reply-to": (parse_name_addr, False),
    "p-asserted-identity": (parse_name_addr, True),
    "p-preferred-identity": (parse_name_addr, True),
    "call-id": (parse_call_id, False),
    "cseq": (parse_cseq, False),
    "content-length": (
        _number_parser("sip.content_length.invalid", 9_999_999_999, "sip.content_length.too_large"), False),
    "max-forwards": (_number_parser("sip.max_forwards.invalid", 255), False),
    "expires": (_number_parser("sip.expires.invalid", 2**32 - 1), False),
    "min-expires": (_number_parser("sip.expires.invalid", 2**32 - 1), False),
    "rseq": (_number_parser("sip.rseq.invalid", 2**32 - 1), False),
    "rack": (parse_rack, False),
    "content-type": (parse_content_type, False),
    "accept": (_media_type_parser("sip.accept.invalid"), True),
    "content-encoding": (_token_parser("sip.content_encoding.invalid"), True),
    "event": (parse_event, False),
    "allow-events": (_token_parser("sip.event.invalid"), True),
    "subscription-state": (parse_subscription_state, False),
    "reason": (parse_reason, True),
    "warning": (parse_warning, True),
    "retry-after": (parse_retry_after, False),
    "session-expires": (_interval_parser("sip.session_expires.invalid"), False),
    "min-se": (_interval_parser("sip.session_expires.invalid"), False),
    "allow": (_token_parser("sip.allow.invalid"), True),
    "supported": (_token_parser("sip.option_tag.invalid"), True),
    "require": (_token_parser("sip.option_tag.invalid"), True),
    "proxy-require": (_token_parser("sip.option_tag.invalid"), True),
    "unsupported": (_token_parser("sip.option_tag.invalid"), True),
    "refer-sub": (parse_refer_sub, False),
    "replaces": (parse_replaces, False),
    "date": (parse_date, False),
}
AUTH_HEADERS = frozenset({"www-authenticate", "proxy-authenticate", "authorization", "proxy-authorization"})
# Headers that may appear once (their grammar is not a list, RFC 3261 section 7.3.1).
SINGLE = frozenset(name for name, (_, is_list) in PARSERS.items() if not is_list)


# List headers whose value may be empty: RFC 3261 section 25.1 writes them ``HCOLON [ x *(COMMA x) ]``. Every other
# list needs one element at least (``Via: `` is not a Via).
MAY_BE_EMPTY = frozenset({"accept", "allow", "supported"})


def _parse_contact_list(text: str) -> list[Value]:
    values = _parse_list(parse_contact, "contact", text)
    if len(values) > 1:
        for value in values:
            if value.wildcard:
                # RFC 3261 section 20.10: "*" stands alone, never in a list of addresses.
                add_defect(value.defects, "sip.name_addr.invalid")
    return values


def parse_values(name: str, text: str) -> list[Value]:
    """The values of one header line called ``name`` (lower-case canonical name): one, or one per list element.

    An empty element (``a,,b``, a leading or trailing comma) is dropped with ``sip.header.empty_item``: the list
    grammar of RFC 3261 section 7.3.1 has none (RFC 4475 section 3.1.2.1). A list with no element at all, where
    the header needs one, is read as one empty element, so that its parser says what is missing.
    """
    if name in AUTH_HEADERS:
        return parse_auth_list(text)
    if name == "contact":
        return _parse_contact_list(text)
    parser, is_list = PARSERS.get(name, (parse_text, False))
    if not is_list:
        return [parser(text)]
    return _parse_list(parser, name, text)


def _parse_list(parser, name: str, text: str) -> list[Value]:
    pieces, balanced = split_outside(text, ",")
    elements = [piece.strip() for piece in pieces]
    values = [parser(element) for element in elements if element]
    if len(values) < len(elements):
        if not values and (text.strip() or name not in MAY_BE_EMPTY):
            values = [parser("")]
        if text.strip():
            add_defect(values[0].defects, "sip.header.empty_item")
    if not balanced and values:
        add_defect(values[-1].defects, "sip.quoted_string.unterminated")
    return values

