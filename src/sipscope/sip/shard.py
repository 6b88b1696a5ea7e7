"""Which of several workers analyses a Call-ID (see ``parallel.py``), and reading that from a datagram's bytes.

A worker parses only the datagrams of its own Call-IDs, so it must tell whose a datagram is before parsing it.
``sniff_shard`` reads the Call-ID straight from the bytes, and answers only when it is sure to read exactly what
``parse_message`` would (the first Call-ID or ``i`` header, RFC 3261 sections 7.3.3 and 20.8); otherwise it
answers -1 and the datagram is parsed by every worker, which then look at the parsed Call-ID.
"""

from __future__ import annotations

import re
import zlib

# A line parse_message reads as a Call-ID header, with its value. A line starting with a space or a tab is not one:
# it continues the line before it (RFC 3261 section 7.3.1); other white space before the name is stripped.
_CALL_ID_LINE = re.compile(rb"\n[\x0b\x0c\r]*(?:call-id|i)[ \t\x0b\x0c\r]*:([^\n]*)\n", re.I)


def shard(call_id: str | None, workers: int) -> int:
    """The worker of a parsed message's Call-ID; messages without one go to worker 0."""
    if call_id is None:
        return 0
    return zlib.crc32(call_id.encode("utf-8", "surrogatepass")) % workers


def sniff_shard(payload: bytes, workers: int) -> int:
    """``shard`` of the Call-ID ``parse_message(payload)`` would find, or -1 when that is not certain."""
    found = _CALL_ID_LINE.search(payload)
    if found is None:
        return -1
    first_line = payload.find(b"\n")
    if payload[first_line - 1] != 13 or payload.find(b"\r\n\r\n", first_line - 1, found.start() + 1) >= 0:
        return -1  # lines ended by bare LFs (where the headers end is the parser's call), or the line is in the body
    value = found.group(1).strip()
    if not value.isascii() or payload.startswith((b" ", b"\t"), found.end()):
        return -1  # not ASCII (the parser decodes it), or continued on the next line
    return zlib.crc32(value) % workers
