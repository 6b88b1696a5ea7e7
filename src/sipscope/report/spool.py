"""Rows of a report kept in a temporary file as the calls close, and read back in capture order at the end.

A long capture has as many rows as calls; holding them all until the report is written would make memory grow
with the capture. Only a key, an offset and a length per row stay in memory.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from array import array
from typing import Iterator


class Spool:
    """Byte strings with an integer sort key each; ``sorted_items`` gives them back in key order (ties in the order
    they were added), as often as asked."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.keys = array("q")
        self.offsets = array("q")
        self.lengths = array("l")
        self.size = 0

    def wants(self, key: int) -> bool:
        """A spool keeps everything (see ``collect.FirstN``)."""
        return True

    def add(self, key: int, data: bytes) -> None:
        self.file.write(data)
        self.keys.append(key)
        self.offsets.append(self.size)
        self.lengths.append(len(data))
        self.size += len(data)

    def sorted_items(self) -> Iterator[tuple[int, bytes]]:
        # Read item by item: a map of the file would be quicker, but its pages would count as the process's memory.
        self.file.flush()
        keys, offsets, lengths = self.keys, self.offsets, self.lengths
        fd = self.file.fileno()
        for i in sorted(range(len(keys)), key=keys.__getitem__):
            yield keys[i], os.pread(fd, lengths[i], offsets[i])


def row_key(first_frame: int, call_id: str) -> int:
    """Capture order of a call's row: its first frame, then (for calls starting in the same frame) a number made
    from the Call-ID, so that the order does not depend on which call closed first."""
    return (first_frame << 20) | (zlib.crc32(call_id.encode("utf-8", "surrogatepass")) & 0xFFFFF)
