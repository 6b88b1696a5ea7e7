"""Checking header values, Request-URIs and bodies against their grammar, fast enough for every message.

The structured parsers (headers.py, uri.py, the body parsers) find the defects, but they are too slow to run on
every header of every message. Captures repeat themselves, though: most header lines recur byte for byte, and the
rest differ only in a tag or a branch, whose value never changes the verdict as long as it is a plain token. So
the verdicts are cached: by the whole line for ordinary headers, by the value with tags and branches blanked for
From, To and Via, and by the bytes for bodies (parse.py caches Request-URIs with their start line). A value is
parsed once per shape.

The caches are bounded; when one is full it starts again, so a hostile capture costs time, never memory.
"""

from __future__ import annotations

import re

from .grammar import add_defect
from .headers import AUTH_HEADERS, CALL_ID_PATTERN, PARSERS, SINGLE, parse_values
from .message import canonical_name
from .uri import parse_uri

_CACHE_MAX = 16384
LINE_VERDICTS: dict[bytes, tuple] = {}
_VALUES: dict[tuple, tuple] = {}
_KEYS: dict[bytes, str] = {}
_SEEN: dict[str, dict[bytes, tuple]] = {"from": {}, "to": {}, "via": {}, "call-id": {}}
_BODIES: dict[tuple, tuple] = {}
# A tag or branch whose value is a plain token (made only of characters that are valid both in a token and in a
# URI parameter): the value is replaced by one letter before the cache lookup.
_VOLATILE = re.compile(
    rb"(;[ \t]*(?:tag|branch)[ \t]*=[ \t]*)(?!z9hG4bK(?=[;, \t>]|$))[A-Za-z0-9.!*_+~'-]+(?=[;, \t>]|$)", re.I
)
_CALL_ID = re.compile(CALL_ID_PATTERN.encode())
_SDP = re.compile(rb"[ \t]*application/sdp[ \t]*", re.I)

# Recognizers: regular expressions for the usual shapes of the values that change from message to message (From,
# To, Via, Contact, Request-URIs, credentials). Each accepts only values the full parsers find nothing wrong with
# (tests/sip/test_parser_properties.py holds them to that), so a match settles the check at C speed; anything they do not
# accept, valid or not, goes to the full parser. IPv6 references, escapes in hosts and user parts with ";" or "?"
# are left to the parser.
# Possessive quantifiers (Python 3.11) keep them linear: nothing is given back once matched.
_TOKEN = rb"[A-Za-z0-9.!%*_+`'~-]++"
_QUOTED = rb'"(?:[^"\\\r\n]++|\\[^\r\n])*+"'
_ESCAPE = rb"%[0-9A-Fa-f]{2}"
_OCTET = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = _OCTET + rb"(?:\." + _OCTET + rb"){3}"
# A host name's labels are runs of letters and digits joined by hyphens; the last one starts with a letter.
_LABEL = rb"[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+"
_HOSTNAME = rb"(?:" + _LABEL + rb"\.)*+[A-Za-z][A-Za-z0-9]*+(?:-++[A-Za-z0-9]++)*+"
_PORT = rb"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})(?![0-9]))?"
_HOST = rb"(?>" + _IPV4 + rb"(?![0-9A-Za-z.-])|" + _HOSTNAME + rb")" + _PORT
_USER = (rb"(?:(?:[A-Za-z0-9\-_.!~*'()&=+$/]++|" + _ESCAPE + rb")++(?::(?:[A-Za-z0-9\-_.!~*'()&=+$]++|" + _ESCAPE
         + rb")*+)?@)?")
_PCHARS = rb"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]++|" + _ESCAPE + rb")++"
_HCHARS = rb"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]++|" + _ESCAPE + rb")"
_URI = rb"[Ss][Ii][Pp][Ss]?:" + _USER + _HOST
# Parameter names without escapes: the parser compares names unescaped, this test compares them as written.
_URI_PARAMS = rb"(?:;[A-Za-z0-9\-_.!~*'()\[\]/:&+$]++(?:=" + _PCHARS + rb")?)*+"
_URI_HEADERS = rb"(?:\?" + _HCHARS + rb"++=" + _HCHARS + rb"*+(?:&" + _HCHARS + rb"++=" + _HCHARS + rb"*+)*+)?"
_WORD = rb"[A-Za-z0-9.!%*_+`'~:\[\]-]++"
_END_OF_TOKEN = rb"(?![A-Za-z0-9.!%*_+`'~-])"
_PARAM_VALUE = rb"[ \t]*+=[ \t]*+(?:" + _WORD + rb"|" + _QUOTED + rb")"
# tag-param = "tag" EQUAL token: a tag must have a value (RFC 3261 section 25.1).
_END_OF_WORD = rb"(?![A-Za-z0-9.!%*_+`'~:\[\]-])"
# A Contact's q is a qvalue and its expires a number below 2**32 (RFC 3261 section 20.10); shorter here.
_Q_OR_EXPIRES = (rb"(?i:q)" + _END_OF_TOKEN + rb"[ \t]*+=[ \t]*+(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)" + _END_OF_WORD
                 + rb"|(?i:expires)" + _END_OF_TOKEN + rb"[ \t]*+=[ \t]*+[0-9]{1,9}" + _END_OF_WORD)
_PARAMS = (rb"(?:[ \t]*+;[ \t]*+(?:(?i:tag)" + _END_OF_TOKEN + rb"[ \t]*+=[ \t]*+" + _TOKEN + _END_OF_WORD
           + rb"|" + _Q_OR_EXPIRES
           + rb"|(?!(?i:tag|q|expires)" + _END_OF_TOKEN + rb")" + _TOKEN + rb"(?:" + _PARAM_VALUE + rb")?))*+[ \t]*+")
_DISPLAY = rb"(?:" + _QUOTED + rb"[ \t]*+|" + _TOKEN + rb"(?:[ \t]++" + _TOKEN + rb")*+[ \t]*+)?"
_NAME_ADDR = re.compile(
    rb"[ \t]*+(?:" + _DISPLAY + rb"<" + _URI + _URI_PARAMS + _URI_HEADERS + rb">|" + _URI + rb")" + _PARAMS
)
# Via parameters: received is an IPv4 address here (IPv6 goes to the parser); branch has a value that is more
# than the magic cookie (RFC 3261 section 8.1.1.7, RFC 4475 section 3.2.1).
_VIA = re.compile(
    rb"[ \t]*+SIP/2\.0/" + _TOKEN + rb"[ \t]++" + _HOST + rb"(?:[ \t]*+;[ \t]*+(?:(?i:received)=" + _IPV4
    + rb"(?![0-9A-Za-z.:])|(?i:branch)=(?!z9hG4bK" + _END_OF_TOKEN + rb")" + _WORD + rb"|(?!(?i:received|branch)"
    + _END_OF_TOKEN + rb")" + _TOKEN + rb"(?:=" + _WORD + rb")?))*+[ \t]*+"
)
_REQUEST_URI = re.compile(_URI + _URI_PARAMS)
_CREDENTIALS = re.compile(
    rb"[ \t]*+" + _TOKEN + rb"[ \t]++" + _TOKEN + rb"[ \t]*+=[ \t]*+(?:" + _TOKEN + rb"|" + _QUOTED
    + rb")(?:[ \t]*+,[ \t]*+" + _TOKEN + rb"[ \t]*+=[ \t]*+(?:" + _TOKEN + rb"|" + _QUOTED + rb"))*+[ \t]*+"
)
_PARAM_NAME = re.compile(rb";[ \t]*([^=;,>? \t]+)")
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


def _key(name: bytes) -> str:
    """The lower-case canonical name of a header name as written."""
    key = _KEYS.get(name)
    if key is None:
        key = _remember(_KEYS, name, canonical_name(_text(name)).lower())
    return key


def _parsed_defects(key: str, value: bytes) -> tuple:
    """Every defect the full parser of header ``key`` finds in ``value``, each once."""
    defects: list[str] = []
    for parsed in parse_values(key, _text(value)):
        for defect in parsed.defects:
            add_defect(defects, defect)
    return tuple(defects)


def line_verdict(line: bytes, key: str, value: bytes) -> tuple:
    """``(defects, key)`` for a header line: what is wrong with its value, and its lower-case name ``key`` when
    the header may appear only once (else None). Cached by the line, unless a recognizer settles it: those lines
    are the ones that rarely repeat."""
    single = key if key in SINGLE else None
    pattern = _RECOGNIZERS.get(key)
    if pattern is not None and _recognized(pattern, value):
        return (), single
    found = _parsed_defects(key, value) if key in PARSERS or key in AUTH_HEADERS else ()
    return _remember(LINE_VERDICTS, line, (found, single))


def value_defects(key: str, value: bytes) -> tuple:
    """The defects of a From, To or Via value (``key`` is its lower-case name).

    A dialog repeats its From and To, a transaction its Via, so values are first looked up as they are; a new one
    is tried on its recognizer, then looked up by its shape, then parsed.
    """
    seen = _SEEN[key]
    verdict = seen.get(value)
    if verdict is None:
        if _recognized(_RECOGNIZERS[key], value):
            verdict = ()
        else:
            shape = (key, _VOLATILE.sub(rb"\1x", value))
            verdict = _VALUES.get(shape)
            if verdict is None:
                verdict = _remember(_VALUES, shape, _parsed_defects(key, value))
        _remember(seen, value, verdict)
    return verdict


def request_uri_defects(uri: bytes) -> tuple:
    """What is wrong with a Request-URI (RFC 3261 section 19.1.1: the table of where URI parts may appear
    forbids headers there, RFC 4475 section 3.1.2.11)."""
    if _recognized(_REQUEST_URI, uri):
        return ()
    parsed = parse_uri(uri.decode("utf-8", "backslashreplace"))  # unstripped: the start line kept it all
    defects = list(parsed.defects)
    if parsed.headers:
        add_defect(defects, "sip.request_uri.headers")
    return tuple(defects)


def call_id_defects(value: bytes) -> tuple:
    """RFC 3261 section 25.1: ``word [ "@" word ]``."""
    seen = _SEEN["call-id"]
    verdict = seen.get(value)
    if verdict is None:
        verdict = _remember(seen, value, () if _CALL_ID.fullmatch(value.strip()) else ("sip.call_id.invalid",))
    return verdict


def body_defects(content_type: bytes | None, encoding: bytes | None, body: bytes) -> tuple:
    """The defects of a non-empty body, cached by the body and the two headers that say how to read it."""
    shape = (content_type, encoding, body)
    verdict = _BODIES.get(shape)
    if verdict is None:
        from .body import parse_body
        from .sdp import is_clean_sdp

        if content_type is None:
            verdict = ("sip.content_type.missing",)
        elif encoding is None and _SDP.fullmatch(content_type) and is_clean_sdp(body):
            verdict = ()
        else:
            verdict = tuple(parse_body(_text(content_type), None if encoding is None else _text(encoding), body)
                            .all_defects())
        verdict = _remember(_BODIES, shape, verdict)
    return verdict


# The first of each is checked when the message is parsed (parse.py); the full check checks the repeats.
_PARSED = frozenset({"call-id", "cseq", "content-length"})
_BY_SHAPE = frozenset({"from", "to", "via"})


def check(message) -> None:
    """Every header value against its grammar, repeated single headers, and the body (``SipMessage.check``)."""
    from .parse import _FOLD, skip_crlf

    defects = message.defects
    raw = message.raw
    block = raw[raw.find(b"\n", skip_crlf(raw)) + 1 : message.body_start]
    if "sip.header.folded" in defects:
        block = _FOLD.sub(b" ", block)
    singles: set[str] = set()
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if not colon or not name or name[:1] in b" \t":
            continue  # reported by the parser
        key = _key(name)
        if key in _BY_SHAPE:
            found, single = value_defects(key, value), key if key in SINGLE else None
        elif key in _PARSED and key not in singles:
            found, single = (), key  # the first one was read and checked by the parser; a repeat is not
        else:
            found, single = LINE_VERDICTS.get(line) or line_verdict(line, key, value)
        for defect in found:
            add_defect(defects, defect)
        if single is not None:
            if single in singles:
                add_defect(defects, "sip.header.duplicate_single")
            singles.add(single)
    if message.body_end > message.body_start:
        for defect in message.body_defects():
            add_defect(defects, defect)
