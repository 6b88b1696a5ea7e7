"""IP fragment reassembly for IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5).

Fragments are kept per datagram key until the pieces cover the datagram from offset 0 to the end given by the
fragment without "more fragments". Pieces may come in any order and may overlap; where they overlap, the piece
that arrived first wins (what most stacks do), and an overlap with different bytes is counted, because it is
either damage or an evasion attempt. A fragment that arrives again after its datagram was rebuilt (a capture
that sees a packet twice) is recognised by its bytes and not left waiting for a datagram that will never come.
Memory is bounded: a datagram that stays incomplete for ``timeout_ns`` of capture time, or that is pushed out
because too many are pending, gives up its frames to the accounting as truncated; the pieces held for one
datagram may not exceed twice its largest size, however much they overlap.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import accounting as acc

MAX_DATAGRAM = 65535 + 40  # an IPv4 total length, or an IPv6 payload plus a jumbo-less header
RECENT = 64  # rebuilt datagrams remembered for spotting late duplicate fragments
DUPLICATE_REASON = "ip fragment: duplicate of a reassembled datagram"


class _Pending:
    __slots__ = ("pieces", "end", "frames", "first_ts", "size", "protocol")

    def __init__(self, ts: int, protocol):
        self.pieces: list[tuple[int, bytes]] = []
        self.end: int | None = None
        self.frames: list[int] = []
        self.first_ts = ts
        self.size = 0
        self.protocol = protocol


class FragmentStore:
    def __init__(self, settle, accounting, max_pending: int = 4096, timeout_ns: int = 60 * 1_000_000_000):
        self.settle = settle
        self.accounting = accounting
        self.max_pending = max_pending
        self.timeout_ns = timeout_ns
        self.pending: dict[tuple, _Pending] = {}
        self.recent: OrderedDict[tuple, tuple[bytes, int]] = OrderedDict()  # key -> (payload, completion time)

    def add(self, key, offset: int, more: bool, data: bytes, frames, ts: int, protocol=None):
        """Add a fragment; returns ``(payload, frames, protocol)`` when it completes its datagram, else None."""
        entry = self.pending.get(key)
        if entry is None:
            if key in self.recent and self._duplicate(key, offset, data, ts):
                self.settle(frames, acc.OTHER, DUPLICATE_REASON)
                return None
            if len(self.pending) >= self.max_pending:
                self._expire(ts, force=True)
            entry = self.pending[key] = _Pending(ts, protocol)
        entry.frames.extend(frames)
        if offset == 0 and protocol is not None:
            entry.protocol = protocol  # IPv6: the first fragment's next header names the upper layer
        if offset + len(data) > MAX_DATAGRAM:
            del self.pending[key]
            self.settle(entry.frames, acc.MALFORMED, "ip fragment: datagram larger than 64 KiB")
            return None
        if not more:
            if entry.end is not None and entry.end != offset + len(data):
                self.accounting.event("ip fragment: conflicting ends", frames[0])
            entry.end = offset + len(data)
        entry.pieces.append((offset, data))
        entry.size += len(data)
        if entry.size > 2 * MAX_DATAGRAM:
            del self.pending[key]
            self.settle(entry.frames, acc.MALFORMED, "ip fragments: overlapping pieces over twice the largest datagram")
            return None
        if entry.end is None or not self._covered(entry):
            if len(self.pending) > 64 and ts - next(iter(self.pending.values())).first_ts > self.timeout_ns:
                self._expire(ts)
            return None
        del self.pending[key]
        payload = self._assemble(entry)
        self.recent[key] = (payload, ts)
        if len(self.recent) > RECENT:
            self.recent.popitem(last=False)
        return payload, entry.frames, entry.protocol

    def _duplicate(self, key, offset: int, data: bytes, ts: int) -> bool:
        """Whether a fragment repeats part of the datagram rebuilt lately under its key (else the id was reused)."""
        payload, done = self.recent.pop(key)
        if ts - done <= self.timeout_ns and offset + len(data) <= len(payload) and \
                payload[offset : offset + len(data)] == data:
            self.recent[key] = (payload, done)
            return True
        return False

    @staticmethod
    def _covered(entry: _Pending) -> bool:
        reach = 0
        for offset, data in sorted(entry.pieces, key=lambda piece: piece[0]):
            if offset > reach:
                return False
            reach = max(reach, offset + len(data))
        return reach >= entry.end

    def _assemble(self, entry: _Pending) -> bytes:
        pieces = [(offset, data[: max(0, entry.end - offset)]) for offset, data in entry.pieces]
        out = bytearray(entry.end)
        for offset, data in reversed(pieces):  # written last to first, so the first arrival wins
            out[offset : offset + len(data)] = data
        if any(out[offset : offset + len(data)] != data for offset, data in pieces):
            self.accounting.event("ip fragment: overlap with different bytes", entry.frames[-1])
        return bytes(out)

    def _expire(self, now: int, force: bool = False) -> None:
        """Give up on datagrams that waited too long (or the oldest, when the table is full)."""
        for key, entry in list(self.pending.items()):
            if force or now - entry.first_ts > self.timeout_ns:
                del self.pending[key]
                self.settle(entry.frames, acc.TRUNCATED, "ip fragments: datagram never completed")
                if force:
                    self.accounting.event("limit: pending ip datagrams", entry.frames[0])
                    return

    def flush(self) -> None:
        for entry in self.pending.values():
            self.settle(entry.frames, acc.TRUNCATED, "ip fragments: datagram never completed")
        self.pending.clear()
