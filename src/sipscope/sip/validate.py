"""Checking header values, Request-URIs and bodies against their grammar, fast enough for every message.

The structured parsers (headers.py, uri.py, the body parsers) find the defects, but they are too slow to run on
every header of every message. Captures repeat themselves, though: most header lines recur byte for byte, and the
rest differ only in a tag or a branch, whose value never changes the verdict as long as it is a plain token. So
the verdicts are cached: by the whole line for ordinary headers, by the value with tags and branches blanked for
From, To and Via, by the text for Request-URIs and by the bytes for bodies. A value is parsed once per shape.

The caches are bounded; when one is full it starts again, so a hostile capture costs time, never memory.
"""

from __future__ import annotations

import re

from .grammar import add_defect
from .headers import AUTH_HEADERS, CALL_ID_PATTERN, PARSERS, SINGLE, parse_values
from .message import canonical_name
from .uri import parse_uri

_CACHE_MAX = 8192
LINE_VERDICTS: dict[bytes, tuple] = {}
_VALUES: dict[tuple, tuple] = {}
SLOT_VERDICTS: dict[bytes, tuple] = {}
_KEYS: dict[bytes, str] = {}
_BODIES: dict[tuple, tuple] = {}
# A tag or branch whose value is a plain token (made only of characters that are valid both in a token and in a
# URI parameter): the value is replaced by one letter before the cache lookup.
_VOLATILE = re.compile(rb"(;[ \t]*(?:tag|branch)[ \t]*=[ \t]*)[A-Za-z0-9.!*_+~'-]+(?=[;, \t>]|$)", re.I)
_CALL_ID = re.compile(CALL_ID_PATTERN.encode())

# Recognizers: regular expressions for the usual shapes of the values that change from message to message (From,
# To, Via, Contact, Request-URIs, credentials). Each accepts only values the full parsers find nothing wrong with
# (tests/sip/test_validate.py holds them to that), so a match settles the check at C speed; anything they do not
# accept, valid or not, goes to the full parser. IPv6 references, escapes in hosts and user parts with ";" or "?"
# are left to the parser.
_TOKEN = rb"[A-Za-z0-9.!%*_+`'~-]+"
_QUOTED = rb'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_ESCAPE = rb"%[0-9A-Fa-f]{2}"
_HOST = (
    rb"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?"
    rb"|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))"
    rb"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
)
_USER = rb"(?:(?:[A-Za-z0-9\-_.!~*'()&=+$/]|" + _ESCAPE + rb")+(?::(?:[A-Za-z0-9\-_.!~*'()&=+$]|" + _ESCAPE + rb")*)?@)?"
_PCHARS = rb"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|" + _ESCAPE + rb")+"
_HCHARS = rb"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|" + _ESCAPE + rb")"
_URI = rb"[Ss][Ii][Pp][Ss]?:" + _USER + _HOST
# Parameter names without escapes: the parser compares names unescaped, this test compares them as written.
_URI_PARAMS = rb"(?:;[A-Za-z0-9\-_.!~*'()\[\]/:&+$]+(?:=" + _PCHARS + rb")?)*"
_URI_HEADERS = rb"(?:\?" + _HCHARS + rb"+=" + _HCHARS + rb"*(?:&" + _HCHARS + rb"+=" + _HCHARS + rb"*)*)?"
_PARAMS = (rb"(?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:[A-Za-z0-9.!%*_+`'~:\[\]-]+|" + _QUOTED
           + rb"))?)*[ \t]*")
_DISPLAY = rb"(?:" + _QUOTED + rb"[ \t]*|" + _TOKEN + rb"(?:[ \t]+" + _TOKEN + rb")*[ \t]*)?"
_NAME_ADDR = re.compile(
    rb"[ \t]*(?:" + _DISPLAY + rb"<" + _URI + _URI_PARAMS + _URI_HEADERS + rb">|" + _URI + rb")" + _PARAMS
)
_OCTET = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_VIA = re.compile(
    rb"[ \t]*SIP/2\.0/" + _TOKEN + rb"[ \t]+" + _HOST + rb"(?:[ \t]*;[ \t]*(?:(?i:received)=" + _OCTET + rb"(?:\."
    + _OCTET + rb"){3}|(?!(?i:received)[ \t]*=)" + _TOKEN + rb"(?:=[A-Za-z0-9.!%*_+`'~:\[\]-]+)?))*[ \t]*"
)
_REQUEST_URI = re.compile(_URI + _URI_PARAMS)
_CREDENTIALS = re.compile(
    rb"[ \t]*" + _TOKEN + rb"[ \t]+" + _TOKEN + rb"[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb")(?:[ \t]*,[ \t]*"
    + _TOKEN + rb"[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb"))*[ \t]*"
)
_PARAM_NAME = re.compile(rb";[ \t]*([^=;,> \t]+)")
_RECOGNIZERS = {
    "from": _NAME_ADDR, "to": _NAME_ADDR, "contact": _NAME_ADDR, "route": _NAME_ADDR, "record-route": _NAME_ADDR,
    "refer-to": _NAME_ADDR, "referred-by": _NAME_ADDR, "p-asserted-identity": _NAME_ADDR, "via": _VIA,
    "authorization": _CREDENTIALS, "proxy-authorization": _CREDENTIALS, "www-authenticate": _CREDENTIALS,
    "proxy-authenticate": _CREDENTIALS,
}


def _recognized(pattern, value: bytes) -> bool:
    """Whether ``pattern`` accepts the whole value and no parameter name repeats in one parameter list."""
    if pattern.fullmatch(value) is None:
        return False
    if value.count(b";") < 2:
        return True
    # A URI's parameters and the header's are separate lists; the URI ends at ">".
    for part in value.split(b">"):
        names = [name.lower() for name in _PARAM_NAME.findall(part)]
        if len(set(names)) != len(names):
            return False
    return True


def _text(value: bytes) -> str:
    return value.strip().decode("utf-8", "backslashreplace")


def _remember(cache: dict, key, verdict):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = verdict
    return verdict


def line_verdict(line: bytes, name: bytes, value: bytes, cache: dict = LINE_VERDICTS) -> tuple:
    """``(defects, key)`` for a header line that is not a key header: what is wrong with its value, and its
    lower-case name when the header may appear only once (else None). Cached by the line in ``cache``, unless a
    recognizer settles it: those lines are the ones that rarely repeat.

    The parser looks lines up in LINE_VERDICTS before it looks at their names, so lines it must see (Content-Type,
    Content-Encoding) are cached elsewhere, in ``SLOT_VERDICTS``.
    """
    key = _KEYS.get(name)
    if key is None:
        key = _remember(_KEYS, name, canonical_name(_text(name)).lower())
    single = key if key in SINGLE else None
    pattern = _RECOGNIZERS.get(key)
    if pattern is not None and _recognized(pattern, value):
        return (), single
    defects: list[str] = []
    if key in PARSERS or key in AUTH_HEADERS:
        for parsed in parse_values(key, _text(value)):
            for defect in parsed.defects:
                add_defect(defects, defect)
    return _remember(cache, line, (tuple(defects), single))


def value_defects(key: str, value: bytes) -> tuple:
    """The defects of a From, To or Via value (``key`` is its lower-case name): recognized, or cached by shape."""
    if _recognized(_RECOGNIZERS[key], value):
        return ()
    shape = (key, _VOLATILE.sub(rb"\1x", value))
    verdict = _VALUES.get(shape)
    if verdict is None:
        defects: list[str] = []
        for parsed in parse_values(key, _text(value)):
            for defect in parsed.defects:
                add_defect(defects, defect)
        verdict = _remember(_VALUES, shape, tuple(defects))
    return verdict


def request_uri_defects(uri: bytes) -> tuple:
    """What is wrong with a Request-URI (RFC 3261 section 19.1.1: the table of where URI parts may appear
    forbids headers there, RFC 4475 section 3.1.2.11)."""
    if _recognized(_REQUEST_URI, uri):
        return ()
    parsed = parse_uri(_text(uri))
    defects = list(parsed.defects)
    if parsed.headers:
        add_defect(defects, "sip.request_uri.headers")
    return tuple(defects)


def call_id_defects(value: bytes) -> tuple:
    """RFC 3261 section 25.1: ``word [ "@" word ]``."""
    return () if _CALL_ID.fullmatch(value.strip()) else ("sip.call_id.invalid",)




def body_defects(content_type: bytes | None, encoding: bytes | None, body: bytes) -> tuple:
    """The defects of a non-empty body, cached by the body and the two headers that say how to read it."""
    shape = (content_type, encoding, body)
    verdict = _BODIES.get(shape)
    if verdict is None:
        from .body import parse_body

        if content_type is None:
            verdict = ("sip.content_type.missing",)
        else:
            verdict = tuple(parse_body(_text(content_type), None if encoding is None else _text(encoding), body)
                            .all_defects())
        verdict = _remember(_BODIES, shape, verdict)
    return verdict
