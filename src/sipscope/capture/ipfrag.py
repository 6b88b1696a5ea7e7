"""IP fragment reassembly for IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5).

Fragments are kept per datagram key until the pieces cover the datagram from offset 0 to the end given by the
fragment without "more fragments". Pieces may come in any order and may overlap; where they overlap, the piece
that arrived first wins (what most stacks do), and an overlap with different bytes is counted, because it is
either damage or an evasion attempt. Memory is bounded: a datagram that stays incomplete for ``timeout_ns`` of
capture time, or that is pushed out because too many are pending, gives up its frames to the accounting as
truncated.
"""

from __future__ import annotations

from .. import accounting as acc

MAX_DATAGRAM = 65535 + 40  # an IPv4 total length, or an IPv6 payload plus a jumbo-less header


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

    def add(self, key, offset: int, more: bool, data: bytes, frames, ts: int, protocol=None):
        """Add a fragment; returns ``(payload, frames, protocol)`` when it completes its datagram, else None."""
        entry = self.pending.get(key)
        if entry is None:
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
        if entry.end is None or not self._covered(entry):
            if len(self.pending) > 64 and ts - next(iter(self.pending.values())).first_ts > self.timeout_ns:
                self._expire(ts)
            return None
        del self.pending[key]
        return self._assemble(entry), entry.frames, entry.protocol

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
