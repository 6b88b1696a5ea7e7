"""Rows of a report kept in a temporary file as the calls close, and read back in capture order at the end.

A long capture has as many rows as calls; holding them all until the report is written would make memory grow
with the capture. Only a key, an offset and a length per row stay in memory. A worker process writes its rows to a
file its parent made, and sends only the index, which the parent's spool joins to its own (``parallel.py``).
"""

from __future__ import annotations

import heapq
import mmap
import tempfile
import zlib
from array import array
from operator import itemgetter
from typing import Iterator


RELEASE_EVERY = 4096  # items read between two releases of the pages read


class Spool:
    """Byte strings with an integer sort key each; ``sorted_items`` gives them back in key order (ties in the order
    they were added), as often as asked."""

    def __init__(self, file=None) -> None:
        self.file = file or tempfile.TemporaryFile()
        self._keys = array("q")
        self._offsets = array("q")
        self._lengths = array("l")
        self.size = 0
        self.joined: list[Spool] = []

    def __len__(self) -> int:
        return len(self._keys) + sum(map(len, self.joined))

    @property
    def keys(self) -> list[int]:
        return [*self._keys, *(key for spool in self.joined for key in spool._keys)]

    def wants(self, key: int) -> bool:
        """A spool keeps everything (see ``collect.FirstN``)."""
        return True

    def add(self, key: int, data: bytes) -> None:
        self.file.write(data)
        self._keys.append(key)
        self._offsets.append(self.size)
        self._lengths.append(len(data))
        self.size += len(data)

    def index(self) -> tuple:
        """What a process sharing the file needs to read the items (see ``join``)."""
        self.file.flush()
        return self._keys, self._offsets, self._lengths, self.size

    def join(self, file, index: tuple) -> None:
        """Take in the items another process wrote to ``file`` (which both share) and described by ``index``; they
        come after this spool's own when keys tie."""
        other = Spool(file)
        other._keys, other._offsets, other._lengths, other.size = index
        self.joined.append(other)

    def sorted_items(self) -> Iterator[tuple[int, bytes]]:
        if not self.joined:
            return self._sorted_own()
        return heapq.merge(self._sorted_own(), *(spool._sorted_own() for spool in self.joined), key=itemgetter(0))

    def _sorted_own(self) -> Iterator[tuple[int, bytes]]:
        if not self.size:
            return
        self.file.flush()
        keys, offsets, lengths = self._keys, self._offsets, self._lengths
        # A map of the file: a slice costs much less than a read. The pages read are let go now and then, so that
        # they do not stay in the process's memory.
        with mmap.mmap(self.file.fileno(), self.size, access=mmap.ACCESS_READ) as view:
            for n, i in enumerate(sorted(range(len(keys)), key=keys.__getitem__), 1):
                offset = offsets[i]
                yield keys[i], view[offset : offset + lengths[i]]
                if not n % RELEASE_EVERY:
                    view.madvise(mmap.MADV_DONTNEED)


def row_key(first_frame: int, call_id: str) -> int:
    """Capture order of a call's row: its first frame, then (for calls starting in the same frame) a number made
    from the Call-ID, so that the order does not depend on which call closed first."""
    return (first_frame << 20) | (zlib.crc32(call_id.encode("utf-8", "surrogatepass")) & 0xFFFFF)
