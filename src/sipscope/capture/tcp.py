"""TCP reassembly: each direction of each connection turned back into the ordered bytes the application sent.

Segments are placed by sequence number (modulo 2**32). In order, their new bytes go to the direction's consumer
at once; ahead of what is expected, they wait; behind it, they are retransmissions (nothing new: the frame is
settled as such) or overlaps (only the new tail goes on: the bytes seen first win). When bytes are missing for
good (the waiting segments pass the size limit, the direction closes, or the capture ends), the consumer is told
of the gap and given what follows. A capture that starts in the middle of a connection starts the direction at
its first segment. A direction closes on RST, or on FIN once every byte before the FIN is in; a SYN with a new
initial sequence number on the same ports closes the old connection and opens a new one.

A consumer has three methods: ``data(payload, frames, ts)``, ``gap(frame)`` and ``close()``; it settles the frames it
is given. Frames with nothing for a consumer (no payload, retransmissions) are settled here.
"""

from __future__ import annotations

from .. import accounting as acc

FIN, SYN, RST = 0x01, 0x02, 0x04
MASK = 0xFFFFFFFF


def _delta(seq: int, expected: int) -> int:
    """How far ``seq`` is ahead of ``expected`` (negative: behind), in 32-bit sequence space (RFC 793 section 3.3)."""
    d = (seq - expected) & MASK
    return d - 0x100000000 if d & 0x80000000 else d


class _Direction:
    __slots__ = ("isn", "next_seq", "fin_seq", "waiting", "waiting_bytes", "consumer")

    def __init__(self, consumer):
        self.isn: int | None = None  # sequence number of the SYN, when seen
        self.next_seq: int | None = None
        self.fin_seq: int | None = None  # sequence number just past the last byte, once a FIN is seen
        self.waiting: dict[int, tuple[bytes, tuple, int]] = {}  # seq -> (payload, frames, ts)
        self.waiting_bytes = 0
        self.consumer = consumer


class TcpReassembler:
    def __init__(self, new_consumer, settle, accounting, max_streams: int = 20000, max_waiting: int = 1 << 20):
        """``new_consumer(key)`` makes the consumer of a new direction, key ``(src, sport, dst, dport)``."""
        self.new_consumer = new_consumer
        self.settle = settle
        self.accounting = accounting
        self.max_streams = max_streams
        self.max_waiting = max_waiting
        self.directions: dict[tuple, _Direction] = {}

    def segment(self, frames, ts, src, sport, dst, dport, seq, flags, payload, cut) -> None:
        """One segment; ``frames`` is one frame, or every IP fragment it was rebuilt from."""
        frame = frames[-1]  # for events
        key = (src, sport, dst, dport)
        direction = self.directions.get(key)
        if flags & SYN:
            if direction is not None and direction.isn != seq:
                self._close(key, direction)  # a new connection on the same ports
                direction = None
            if direction is None:
                direction = self._open(key, frame)
                direction.isn = seq
                direction.next_seq = (seq + 1) & MASK
            seq = (seq + 1) & MASK  # the SYN takes a sequence number; data on it (TCP Fast Open) follows
        if not payload:
            self.settle(frames, acc.OTHER, "tcp: no payload")
            if direction is None:
                return
        elif cut:
            # The snap length removed part of the payload: those bytes are lost to the consumer.
            self.settle(frames, acc.TRUNCATED, "tcp: segment cut short by the snap length")
            if direction is None:
                return
            if direction.waiting:
                self._skip_gap(direction, frame)
            else:
                self._gap(direction, frame)
                direction.next_seq = None  # the wire length is not known here: the next segment sets it
        else:
            if direction is None:
                direction = self._open(key, frame)
            if direction.next_seq is None:
                direction.next_seq = seq  # the capture started in the middle of this connection
            if _delta(seq, direction.next_seq) > 0:
                self._hold(direction, seq, payload, frames, ts)
            else:
                self._deliver(direction, seq, payload, frames, ts)
                self._drain(direction)
        if flags & RST:
            self._close(key, direction)
            return
        if flags & FIN:
            direction.fin_seq = (seq + len(payload)) & MASK
        if direction.fin_seq is not None and (
            direction.next_seq is None or _delta(direction.fin_seq, direction.next_seq) <= 0
        ):
            self._close(key, direction)  # every byte up to the FIN is in

    def _open(self, key, frame) -> _Direction:
        if len(self.directions) >= self.max_streams:
            oldest = next(iter(self.directions))
            self.accounting.event("limit: open tcp streams", frame)
            self._close(oldest, self.directions[oldest])
        direction = self.directions[key] = _Direction(self.new_consumer(key))
        return direction

    def _hold(self, direction: _Direction, seq: int, payload: bytes, frames: tuple, ts: int) -> None:
        frame = frames[-1]
        """Keep a segment that is ahead of the expected sequence number until the bytes before it arrive."""
        waiting = direction.waiting
        held = waiting.get(seq)
        while held is not None:
            if len(payload) <= len(held[0]):
                self.settle(frames, acc.OTHER, "tcp: retransmission")
                self.accounting.event("tcp: retransmission", frame)
                return
            # A retransmission that carries more: the bytes already held win, the rest waits as well.
            self.accounting.event("tcp: overlap", frame)
            payload = payload[len(held[0]) :]
            seq = (seq + len(held[0])) & MASK
            held = waiting.get(seq)
        waiting[seq] = (payload, frames, ts)
        direction.waiting_bytes += len(payload)
        self.accounting.event("tcp: out of order", frame)
        if direction.waiting_bytes > self.max_waiting:
            self.accounting.event("limit: tcp bytes waiting for a missing segment", frame)
            while direction.waiting_bytes > self.max_waiting:
                self._skip_gap(direction)

    def _deliver(self, direction: _Direction, seq: int, payload: bytes, frames: tuple, ts: int) -> None:
        frame = frames[-1]
        behind = -_delta(seq, direction.next_seq)
        if behind >= len(payload):
            self.settle(frames, acc.OTHER, "tcp: retransmission")
            self.accounting.event("tcp: retransmission", frame)
            return
        if behind > 0:
            # A retransmission with other boundaries: the bytes delivered first win, only the new tail goes on.
            self.accounting.event("tcp: overlap", frame)
            payload = payload[behind:]
        direction.next_seq = (direction.next_seq + len(payload)) & MASK
        direction.consumer.data(payload, frames, ts)

    def _drain(self, direction: _Direction) -> None:
        """Deliver waiting segments that the expected sequence number has now reached."""
        waiting = direction.waiting
        while waiting:
            seq = direction.next_seq
            entry = waiting.pop(seq, None)
            if entry is None:
                # Segments that overlap what was delivered (retransmitted with other boundaries).
                behind = [s for s in waiting if _delta(s, seq) < 0]
                if not behind:
                    return
                seq = min(behind, key=lambda s: _delta(s, direction.next_seq))
                entry = waiting.pop(seq)
            direction.waiting_bytes -= len(entry[0])
            self._deliver(direction, seq, *entry)

    def _skip_gap(self, direction: _Direction, frame: int | None = None) -> None:
        """Give up on the missing bytes: tell the consumer, and go on at the earliest waiting segment."""
        first = min(direction.waiting, key=lambda s: _delta(s, direction.next_seq))
        self._gap(direction, direction.waiting[first][1][-1] if frame is None else frame)
        direction.next_seq = first
        self._drain(direction)

    def _gap(self, direction: _Direction, frame: int) -> None:
        self.accounting.event("tcp: gap", frame)
        direction.consumer.gap(frame)

    def _close(self, key, direction: _Direction) -> None:
        while direction.waiting:
            self._skip_gap(direction)
        direction.consumer.close()
        self.directions.pop(key, None)

    def flush(self) -> None:
        """The capture ended: every direction gives up on missing bytes and closes."""
        for key, direction in list(self.directions.items()):
            self._close(key, direction)
