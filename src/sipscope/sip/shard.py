"""Which of several workers analyses a Call-ID (see ``parallel.py``), and reading that from a datagram's bytes.

A worker parses only the datagrams of its own Call-IDs, so it must tell whose a datagram is before parsing it.
``sniff_shard`` reads the Call-ID straight from the bytes, and answers only when it is sure to read exactly what
``parse_message`` would (the first Call-ID or ``i`` header, RFC 3261 sections 7.3.3 and 20.8); otherwise it
answers -1 and the datagram is parsed by every worker, which then look at the parsed Call-ID.
"""

from __future__ import annotations

import re
import zlib

# Any line that parse_message could read as a Call-ID header, including forms the sniffer will not trust (a line
# starting with white space is folded into the one before it, RFC 3261 section 7.3.1).
_CALL_ID_LINE = re.compile(rb"\n([ \t\x0b\x0c\r]*)(?:call-id|i)[ \t\x0b\x0c\r]*:", re.I)


def shard(call_id: str | None, workers: int) -> int:
    """The worker of a parsed message's Call-ID; messages without one go to worker 0."""
    if call_id is None:
        return 0
    return zlib.crc32(call_id.encode("utf-8", "surrogatepass")) % workers


def sniff_shard(payload: bytes, workers: int) -> int:
    """``shard`` of the Call-ID ``parse_message(payload)`` would find, or -1 when that is not certain."""
    first_line = payload.find(b"\n")
    header_end = payload.find(b"\r\n\r\n")
    if header_end < 0 or first_line <= 0 or payload[first_line - 1] != 13:
        return -1  # no end to the headers, or lines ended by bare LFs: where the headers end is the parser's call
    found = _CALL_ID_LINE.search(payload, first_line, header_end)
    if found is None or found.group(1):
        return -1
    line_end = payload.find(b"\n", found.end())
    value = payload[found.end() : line_end].strip()
    if not value or not value.isascii() or payload[line_end + 1 : line_end + 2] in (b" ", b"\t"):
        return -1  # empty, not ASCII (the parser decodes it), or continued on the next line
    return zlib.crc32(value) % workers
