"""SIP, SIPS and tel URIs (RFC 3261 sections 19.1 and 25.1, RFC 3966, RFC 5118); other schemes stay opaque.

``parse_uri`` never raises. The parts are unescaped (``%75se%72`` is ``user``) once, as RFC 3261 section 19.1.2
describes; ``raw`` keeps the text as written. A URI that breaks the grammar is still split as well as it can be,
with defect ids saying what is wrong.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_to_bytes

from .grammar import Params, add_defect

_ESCAPED = r"%[0-9A-Fa-f]{2}"
# The whole sip/sips URI in one expression, for the common case; each group is checked against its own rule.
# user = 1*( unreserved / escaped / user-unreserved ), password = *( unreserved / escaped / "&" "=" "+" "$" "," )
_USERINFO = re.compile(
    r"(?P<user>(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|" + _ESCAPED + r")+)"
    r"(?::(?P<password>(?:[A-Za-z0-9\-_.!~*'()&=+$,]|" + _ESCAPED + r")*))?@"
)
_HOSTPORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:;?\[\]]*)(?::(?P<port>[^;?]*))?")
_HOSTNAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?")
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
# uri-parameter: pname / pvalue = 1*paramchar; header: hname = 1*hnv-char, hvalue = *hnv-char
_PARAM_CHARS = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|" + _ESCAPED + r")+")
_HEADER_CHARS = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|" + _ESCAPED + r")*")
# RFC 3966 section 3: a global number starts with "+"; digits and visual separators; a local one may add * # A-F.
_TEL_NUMBER = re.compile(r"\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_URIC = re.compile(r"(?:[A-Za-z0-9;/?:@&=+$,\-_.!~*'()]|" + _ESCAPED + r")+")


def unescape(text: str) -> str:
    """``%HH`` sequences decoded (as UTF-8, undecodable bytes shown as ``\\xNN``); other text unchanged."""
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "backslashreplace")


class Uri:
    """A URI. For sip/sips: user, password, host, port, params, headers; for tel: number and params; otherwise
    only ``scheme`` and ``opaque`` (the text after the colon)."""

    __slots__ = ("raw", "scheme", "user", "password", "host", "port", "number", "params", "headers", "opaque",
                 "defects")

    def __init__(self, raw: str, scheme: str):
        self.raw = raw
        self.scheme = scheme
        """Lower-case scheme; empty when the text has none."""
        self.user: str | None = None
        self.password: str | None = None
        self.host: str | None = None
        """As written, lower-cased; an IPv6 reference keeps its brackets (RFC 3261 section 19.1.1)."""
        self.port: int | None = None
        self.number: str | None = None
        self.params = Params()
        self.headers: dict[str, str] = {}
        self.opaque: str | None = None
        self.defects: list[str] = []

    @property
    def is_sip(self) -> bool:
        return self.scheme in ("sip", "sips")

    @property
    def host_address(self) -> str | None:
        """The host without IPv6 brackets, as an address literal or a name."""
        if self.host and self.host[0] == "[":
            return self.host[1:-1]
        return self.host

    def as_dict(self) -> dict:
        fields = {"scheme": self.scheme}
        if self.is_sip:
            fields.update(user=self.user, password=self.password, host=self.host, port=self.port)
        elif self.scheme == "tel":
            fields["number"] = self.number
        else:
            fields["opaque"] = self.opaque
        if self.params:
            fields["params"] = dict(self.params)
        if self.headers:
            fields["headers"] = self.headers
        return fields

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return f"Uri({self.raw!r})"


_WHITESPACE = re.compile(r"[ \t\r\n]+")
_SPACED_DELIMITER = re.compile(r"[ \t\r\n]*([;?&=@:<>])[ \t\r\n]*")


def parse_uri(text: str) -> Uri:
    """The URI ``text`` (without angle brackets); defects ``sip.uri.*`` name what breaks the grammar.

    Two mistakes are read liberally, as RFC 4475 lets a receiver do where the meaning is plain: white space next to
    a delimiter is left out (section 3.1.2.8, ``sip:user@example.com; lr``), and angle brackets around a URI that
    should stand bare are taken off (section 3.1.2.7, a Request-URI ``<sip:user@example.com>``). Each still
    leaves its defect. White space elsewhere (inside a user name or a host) is kept, and breaks the grammar there.
    ``raw`` keeps the text as given.
    """
    raw = text
    defects = []
    if _WHITESPACE.search(text):
        # RFC 3261 section 19.1.1: no white space inside a URI (RFC 4475 sections 3.1.2.8 and 3.1.2.14).
        defects.append("sip.uri.whitespace")
        text = _SPACED_DELIMITER.sub(r"\1", text.strip())
    if text[:1] == "<" and text[-1:] == ">":
        defects.append("sip.uri.bracketed")
        text = text[1:-1]
    colon = text.find(":")
    scheme = text[:colon]
    if colon <= 0 or not _SCHEME.fullmatch(scheme):
        uri = Uri(raw, "")
        uri.opaque = text
        uri.defects.append("sip.uri.invalid")
    else:
        uri = Uri(raw, scheme.lower())
        rest = text[colon + 1 :]
        if uri.scheme in ("sip", "sips"):
            _parse_sip(uri, rest)
        elif uri.scheme == "tel":
            _parse_tel(uri, rest)
        else:
            # absoluteURI = scheme ":" ( hier-part / opaque-part ), all of it uric characters (RFC 3261 section
            # 25.1); the scheme is not understood, so the rest is kept whole (RFC 4475 sections 3.3.2 to 3.3.4).
            uri.opaque = rest
            if not _URIC.fullmatch(rest):
                uri.defects.append("sip.uri.invalid")
    for defect in defects:
        add_defect(uri.defects, defect)
    return uri


def _parse_sip(uri: Uri, rest: str) -> None:
    defects = uri.defects
    # The user part may hold ";" and "?" (RFC 4475 section 3.1.1.10) but never a bare "@", which ends it.
    at = rest.rfind("@")
    if at >= 0:
        userinfo = rest[: at + 1]
        match = _USERINFO.fullmatch(userinfo)
        if match is None:
            add_defect(defects, "sip.uri.invalid")
            user, _, password = userinfo[:-1].partition(":")
            uri.user, uri.password = unescape(user), unescape(password) if password else None
        else:
            uri.user = unescape(match.group("user"))
            password = match.group("password")
            uri.password = None if password is None else unescape(password)
        rest = rest[at + 1 :]
    rest, question, headers = rest.partition("?")
    hostport, semicolon, params = rest.partition(";")
    match = _HOSTPORT.fullmatch(hostport)
    if match is None:
        host, port = hostport, None
        add_defect(defects, "sip.uri.invalid")
    else:
        host, port = match.group("host"), match.group("port")
    uri.host = check_host(host.lower(), defects)
    if port is not None:
        if port.isdigit() and port.isascii() and len(port) <= 5 and int(port) <= 65535:
            uri.port = int(port)
        else:
            add_defect(defects, "sip.uri.port_invalid")
    if semicolon:
        _uri_params(uri.params, params, defects)
    if question:
        # headers = "?" header *( "&" header ), header = hname "=" hvalue, hname = 1*hnv-char
        for header in headers.split("&"):
            name, equals, value = header.partition("=")
            if not equals or not name or not _HEADER_CHARS.fullmatch(name) or not _HEADER_CHARS.fullmatch(value):
                add_defect(defects, "sip.uri.invalid")
            if name:
                uri.headers[unescape(name)] = unescape(value)


def check_host(host: str, defects: list) -> str:
    """The host as given; notes ``sip.uri.host_invalid`` when it is no hostname, IPv4 address or IPv6 reference."""
    if host[:1] == "[":
        inner = host[1:-1] if host[-1:] == "]" else host[1:]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            # RFC 5118 section 4.10: a bug in RFC 3261's ABNF let "::" be followed by another ":" before an
            # IPv4 part; such addresses are tolerated, and say so.
            if ":::" in inner and _is_ipv6(inner.replace(":::", "::", 1)):
                add_defect(defects, "sip.uri.ipv6_three_colons")
            else:
                add_defect(defects, "sip.uri.host_invalid")
        return host
    if _IPV4.fullmatch(host):
        if not _is_ipv4(host):
            add_defect(defects, "sip.uri.host_invalid")
    elif not _HOSTNAME.fullmatch(host):
        add_defect(defects, "sip.uri.host_invalid" if host else "sip.uri.host_missing")
    return host


def is_ip_address(text: str) -> bool:
    """Whether ``text`` is an IPv4 address or an IPv6 address without brackets."""
    if ":" in text:
        return _is_ipv6(text)
    return _IPV4.fullmatch(text) is not None and _is_ipv4(text)


def _is_ipv4(text: str) -> bool:
    return all(len(part) <= 3 and int(part) <= 255 for part in text.split("."))


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _uri_params(params: Params, text: str, defects: list) -> None:
    """``uri-parameters`` (RFC 3261 section 19.1.1): unescaped names and values; a name given twice is a defect."""
    for piece in text.split(";"):
        name, equals, value = piece.partition("=")
        if not name or not _PARAM_CHARS.fullmatch(name) or (equals and not _PARAM_CHARS.fullmatch(value)):
            add_defect(defects, "sip.uri.invalid")
            if not name:
                continue
        key = unescape(name).lower()
        if key in params:
            add_defect(defects, "sip.uri.param_duplicate")
            continue
        params[key] = unescape(value) if equals else None
        params.names.append(unescape(name))


def _parse_tel(uri: Uri, rest: str) -> None:
    number, semicolon, params = rest.partition(";")
    uri.number = number
    if not _TEL_NUMBER.fullmatch(number):
        add_defect(uri.defects, "sip.uri.invalid")
    if semicolon:
        _uri_params(uri.params, params, uri.defects)
    # RFC 3966 section 5.1.5: a local number needs a phone-context parameter.
    if number[:1] != "+" and "phone-context" not in uri.params:
        add_defect(uri.defects, "sip.uri.tel_context_missing")
