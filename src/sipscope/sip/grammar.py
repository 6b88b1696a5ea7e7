"""Lexical pieces of the SIP grammar shared by the header and URI parsers (RFC 3261 section 25.1).

Header values arrive here already unfolded (a folded line is one space). The helpers split text on delimiters that
are outside quoted strings and angle brackets, read ``;name=value`` parameter lists, and unquote quoted strings.
They never raise; what is wrong is returned as defect ids for the caller to keep.
"""

from __future__ import annotations

import re

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
# quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; a quoted-pair is a backslash and any character.
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
# Where a delimiter scan has to look closer: a quote, a backslash or an angle bracket.
_NEEDS_SCAN = re.compile(r'["<]')
# gen-value = token / host / quoted-string; a host may be an IPv6 reference in brackets.
_WORD = re.compile(r"[A-Za-z0-9.!%*_+`'~:\[\]-]+")


def add_defect(defects: list, defect: str) -> None:
    """Note ``defect`` once: a message reports each kind of problem once, however often it occurs."""
    if defect not in defects:
        defects.append(defect)


def unquote(text: str) -> tuple[str, bool]:
    """``(content, ok)`` of a quoted string such as ``"a \\"b\\""``; ``ok`` is False when it is not one."""
    match = _QUOTED.fullmatch(text)
    if match is None:
        return text, False
    return unescape_pairs(match.group(1)), True


def unescape_pairs(inner: str) -> str:
    """The content of a quoted string with its quoted-pairs (``\\x``) undone."""
    return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner


def split_outside(text: str, separator: str) -> tuple[list[str], bool]:
    """``(pieces, balanced)``: ``text`` split at ``separator`` where it is outside quotes and ``<...>``.

    ``balanced`` is False when a quoted string or an angle bracket is left open; the split is then done as well as
    it can be (everything after the opening is one piece).
    """
    if _NEEDS_SCAN.search(text) is None:
        return text.split(separator), True
    pieces, start, pos, end = [], 0, 0, len(text)
    in_quote = in_angle = False
    while pos < end:
        char = text[pos]
        if in_quote:
            if char == "\\":
                pos += 1
            elif char == '"':
                in_quote = False
        elif char == '"':
            in_quote = True
        elif in_angle:
            if char == ">":
                in_angle = False
        elif char == "<":
            in_angle = True
        elif char == separator:
            pieces.append(text[start:pos])
            start = pos + 1
        pos += 1
    pieces.append(text[start:])
    return pieces, not (in_quote or in_angle)


class Params(dict):
    """Parameters by lower-case name (RFC 3261 section 7.3.1: names are case-insensitive), values as written.

    A parameter without a value maps to None; a quoted value is unquoted. ``names`` keeps the names as written, in
    order, for display.
    """

    __slots__ = ("names",)

    def __init__(self):
        super().__init__()
        self.names: list[str] = []


def parse_params(text: str, defects: list) -> Params:
    """Parameters from ``;a=1;b;c="x"`` (the text after the value they belong to, leading ``;`` included).

    Defects: ``sip.param.invalid`` for a name that is not a token or a value that is neither a token-like word
    nor a quoted string, ``sip.param.empty`` for a ``;`` with no parameter after it (``;;``, a trailing ``;``:
    RFC 3261 section 25.1 has ``*( SEMI generic-param )`` and a generic-param is never empty; RFC 4475 section
    3.1.2.1), ``sip.param.duplicate`` for a name given twice (the first is kept).
    """
    params = Params()
    text = text.strip()
    if not text:
        return params
    if text[0] != ";":
        add_defect(defects, "sip.param.invalid")
        text = ";" + text
    pieces = split_outside(text[1:], ";")[0] if '"' in text else text[1:].split(";")
    for piece in pieces:
        name, equals, value = piece.partition("=")
        name = name.strip()
        if not name and not equals:
            add_defect(defects, "sip.param.empty")  # ";;" or a trailing ";"
            continue
        if not TOKEN.fullmatch(name):
            add_defect(defects, "sip.param.invalid")
            continue
        key = name.lower()
        if key in params:
            add_defect(defects, "sip.param.duplicate")
            continue
        if equals:
            value = value.strip()
            if value[:1] == '"':
                value, ok = unquote(value)
                if not ok:
                    add_defect(defects, "sip.quoted_string.unterminated")
            elif not value or not _WORD.fullmatch(value):
                add_defect(defects, "sip.param.invalid")
        else:
            value = None
        params[key] = value
        params.names.append(name)
    return params


def parse_int(text: str, defects: list, defect: str, limit: int = 2**32 - 1) -> int | None:
    """A decimal number of at most ``limit``; None with ``defect`` when the text is not one."""
    text = text.strip()
    if text.isdigit() and text.isascii() and len(text) <= 10:
        number = int(text)
        if number <= limit:
            return number
    add_defect(defects, defect)
    return None

