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

_CACHE_MAX = 8192
LINE_VERDICTS: dict[bytes, tuple] = {}
_VALUES: dict[tuple, tuple] = {}
_URIS: dict[str, tuple] = {}
_BODIES: dict[tuple, tuple] = {}
# A tag or branch whose value is a plain token (made only of characters that are valid both in a token and in a
# URI parameter): the value is replaced by one letter before the cache lookup.
_VOLATILE = re.compile(rb"(;[ \t]*(?:tag|branch)[ \t]*=[ \t]*)[A-Za-z0-9.!*_+~'-]+(?=[;, \t>]|$)", re.I)
_CALL_ID = re.compile(CALL_ID_PATTERN.encode())


def _text(value: bytes) -> str:
    return value.strip().decode("utf-8", "backslashreplace")


def _remember(cache: dict, key, verdict):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = verdict
    return verdict


def line_verdict(line: bytes, name: bytes, value: bytes) -> tuple:
    """``(defects, key)`` for a header line that is not a key header: what is wrong with its value, and its
    lower-case name when the header may appear only once (else None). Cached by the line."""
    key = canonical_name(_text(name)).lower()
    defects: list[str] = []
    if key in PARSERS or key in AUTH_HEADERS:
        for parsed in parse_values(key, _text(value)):
            for defect in parsed.defects:
                add_defect(defects, defect)
    return _remember(LINE_VERDICTS, line, (tuple(defects), key if key in SINGLE else None))


def value_defects(key: str, value: bytes) -> tuple:
    """The defects of a From, To or Via value (``key`` is its lower-case name), cached by its shape."""
    shape = (key, _VOLATILE.sub(rb"\1x", value))
    verdict = _VALUES.get(shape)
    if verdict is None:
        defects: list[str] = []
        for parsed in parse_values(key, _text(value)):
            for defect in parsed.defects:
                add_defect(defects, defect)
        verdict = _remember(_VALUES, shape, tuple(defects))
    return verdict


def call_id_defects(value: bytes) -> tuple:
    """RFC 3261 section 25.1: ``word [ "@" word ]``."""
    return () if _CALL_ID.fullmatch(value.strip()) else ("sip.call_id.invalid",)


def check(message) -> None:
    """The checks that wait until a message's defects are asked for: the Request-URI and the body."""
    defects = message._defects
    if message.uri is not None:
        verdict = _URIS.get(message.uri)
        if verdict is None:
            verdict = _remember(_URIS, message.uri, _request_uri_defects(message.request_uri))
        for defect in verdict:
            add_defect(defects, defect)


def _request_uri_defects(uri) -> tuple:
    defects = list(uri.defects)
    # RFC 3261 section 19.1.1 (the table of where URI components may appear): no headers in a Request-URI
    # (RFC 4475 section 3.1.2.11).
    if uri.headers:
        add_defect(defects, "sip.request_uri.headers")
    return tuple(defects)
