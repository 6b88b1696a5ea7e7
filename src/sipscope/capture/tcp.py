"""TCP reassembly: each direction of each connection turned back into the ordered bytes the application sent.

Segments are placed by sequence number (modulo 2**32). In order, their new bytes go to the direction's consumer
at once; ahead of what is expected, they wait; behind it, they are retransmissions (nothing new: the frame is
settled as such) or overlaps (only the new tail goes on). When bytes are missing for good (the waiting segments
pass the size limit, the direction closes, or the capture ends), the consumer is told of the gap and given what
follows. A capture that starts in the middle of a connection starts the direction at its first segment.

A consumer has three methods: ``data(payload, frame, ts)``, ``gap(frame)`` and ``close()``; it settles the frames it
is given. Frames with nothing for a consumer (no payload, retransmissions) are settled here.
"""

from __future__ import annotations

from .. import accounting as acc

FIN, SYN, RST = 0x01, 0x02, 0x04


def _delta(seq: int, expected: int) -> int:
    """How far ``seq`` is ahead of ``expected`` (negative: behind), in 32-bit sequence space."""
    d = (seq - expected) & 0xFFFFFFFF
    return d - 0x100000000 if d & 0x80000000 else d


class _Direction:
    __slots__ = ("next_seq", "waiting", "waiting_bytes", "consumer", "fin")

    def __init__(self, consumer):
        self.next_seq: int | None = None
        self.waiting: dict[int, tuple[bytes, int, int]] = {}  # seq -> (payload, frame, ts)
        self.waiting_bytes = 0
        self.consumer = consumer
        self.fin = False


class TcpReassembler:
    def __init__(self, new_consumer, settle, accounting, max_streams: int = 20000, max_waiting: int = 1 << 20):
        """``new_consumer(key)`` makes the consumer of a new direction, key ``(src, sport, dst, dport)``."""
        self.new_consumer = new_consumer
        self.settle = settle
        self.accounting = accounting
        self.max_streams = max_streams
        self.max_waiting = max_waiting
        self.directions: dict[tuple, _Direction] = {}

    def segment(self, frame, ts, src, sport, dst, dport, seq, flags, payload, cut) -> None:
        key = (src, sport, dst, dport)
        direction = self.directions.get(key)
        if flags & SYN:
            if direction is not None and direction.next_seq != (seq + 1) & 0xFFFFFFFF:
                self._close(key, direction)  # a new connection on the same ports
                direction = None
            if direction is None:
                direction = self._open(key, frame)
            direction.next_seq = (seq + 1) & 0xFFFFFFFF
        if not payload:
            self.settle((frame,), acc.OTHER, "tcp: no payload")
            if flags & (FIN | RST) and direction is not None:
                direction.fin = True
                if not direction.waiting or flags & RST:
                    self._close(key, direction)
            return
        if direction is None:
            direction = self._open(key, frame)
        if direction.next_seq is None:
            direction.next_seq = seq  # the capture started in the middle of this connection
        if cut:
            # The snap length removed part of the payload: those bytes are lost to the consumer.
            self.settle((frame,), acc.TRUNCATED, "tcp: segment cut short by the snap length")
            self.accounting.event("tcp: gap", frame)
            direction.consumer.gap(frame)
            direction.next_seq = None  # the wire length is not known here: the next segment sets it
            return
        ahead = _delta(seq, direction.next_seq)
        if ahead > 0:
            if seq in direction.waiting:
                self.settle((frame,), acc.OTHER, "tcp: retransmission")
                self.accounting.event("tcp: retransmission", frame)
            else:
                direction.waiting[seq] = (payload, frame, ts)
                direction.waiting_bytes += len(payload)
                self.accounting.event("tcp: out of order", frame)
                if direction.waiting_bytes > self.max_waiting:
                    self.accounting.event("limit: tcp bytes waiting for a missing segment", frame)
                    self._skip_gap(direction)
        else:
            self._deliver(direction, seq, payload, frame, ts)
            self._drain(direction)
        if flags & (FIN | RST):
            direction.fin = True
        if direction.fin and (not direction.waiting or flags & RST):
            self._close(key, direction)

    def _open(self, key, frame) -> _Direction:
        if len(self.directions) >= self.max_streams:
            oldest = next(iter(self.directions))
            self.accounting.event("limit: open tcp streams", frame)
            self._close(oldest, self.directions[oldest])
        direction = self.directions[key] = _Direction(self.new_consumer(key))
        return direction

    def _deliver(self, direction: _Direction, seq: int, payload: bytes, frame: int, ts: int) -> None:
        behind = -_delta(seq, direction.next_seq)
        if behind >= len(payload):
            self.settle((frame,), acc.OTHER, "tcp: retransmission")
            self.accounting.event("tcp: retransmission", frame)
            return
        if behind > 0:
            self.accounting.event("tcp: overlap", frame)
            payload = payload[behind:]
        direction.next_seq = (direction.next_seq + len(payload)) & 0xFFFFFFFF
        direction.consumer.data(payload, frame, ts)

    def _drain(self, direction: _Direction) -> None:
        """Deliver waiting segments that the expected sequence number has now reached."""
        waiting = direction.waiting
        while waiting:
            ready = [seq for seq in waiting if _delta(seq, direction.next_seq) <= 0]
            if not ready:
                return
            for seq in sorted(ready, key=lambda s: _delta(s, direction.next_seq)):
                payload, frame, ts = waiting.pop(seq)
                direction.waiting_bytes -= len(payload)
                self._deliver(direction, seq, payload, frame, ts)

    def _skip_gap(self, direction: _Direction) -> None:
        """Give up on the missing bytes: continue at the earliest waiting segment."""
        first = min(direction.waiting, key=lambda s: _delta(s, direction.next_seq))
        frame = direction.waiting[first][1]
        self.accounting.event("tcp: gap", frame)
        direction.consumer.gap(frame)
        direction.next_seq = first
        self._drain(direction)

    def _close(self, key, direction: _Direction) -> None:
        while direction.waiting:
            self._skip_gap(direction)
        direction.consumer.close()
        self.directions.pop(key, None)

    def flush(self) -> None:
        """The capture ended: every direction gives up on missing bytes and closes."""
        for key, direction in list(self.directions.items()):
            self._close(key, direction)
