"""SCTP DATA chunks (RFC 9260 section 3.3.1) turned into user messages, for SIP over SCTP (RFC 4168).

A packet may bundle several DATA chunks; a user message may be fragmented over several chunks (B and E flags),
in TSN order, possibly over several packets. Chunks retransmitted with a TSN already seen are skipped.
Frames that only carry a fragment are "held" here until their message completes or the capture ends.
"""

from __future__ import annotations

import struct

from .. import accounting as acc

DATA, IDATA = 0, 64
FLAG_E, FLAG_B = 0x01, 0x02
SEEN_TSNS = 4096  # per association direction, for spotting retransmissions
MAX_PENDING_BYTES = 1 << 20


class _Association:
    __slots__ = ("seen", "seen_order", "fragments")

    def __init__(self):
        self.seen: set[int] = set()
        self.seen_order: list[int] = []
        self.fragments: dict[int, list] = {}  # stream id -> [(tsn, flags, data, frame, held)]


class SctpReassembler:
    def __init__(self, settle):
        self.settle = settle
        self.associations: dict[tuple, _Association] = {}
        self.held: set[int] = set()  # frames that carry only fragments of messages not yet complete

    def add(self, key, packet: bytes, frames):
        """Returns ``(messages, held, problem)``; messages are ``(frames, earlier_held_frames, payload)``."""
        assoc = self.associations.get(key)
        if assoc is None:
            assoc = self.associations[key] = _Association()
        messages = []
        held = False
        pos = 12
        while pos + 4 <= len(packet):
            ctype, flags, length = struct.unpack_from(">BBH", packet, pos)
            if length < 4 or pos + length > len(packet):
                return messages, held, f"chunk type {ctype} has a bad length {length}"
            if ctype in (DATA, IDATA):
                header = 16 if ctype == DATA else 20
                if length < header:
                    return messages, held, "data chunk shorter than its header"
                tsn, stream = struct.unpack_from(">IH", packet, pos + 4)
                data = packet[pos + header : pos + length]
                if self._seen(assoc, tsn):
                    pass  # a retransmission of a chunk we already have
                elif flags & FLAG_B and flags & FLAG_E:
                    messages.append((tuple(frames), [], data))
                else:
                    pieces = assoc.fragments.setdefault(stream, [])
                    pieces.append((tsn, flags, data, frames[-1]))
                    complete = self._complete(pieces, tsn) if flags & FLAG_E else None
                    if complete is None:
                        held = True
                    else:
                        message_frames, payload = complete
                        earlier = [frame for frame in message_frames if frame in self.held]
                        self.held.difference_update(earlier)
                        messages.append((message_frames, earlier, payload))
                    if sum(len(piece[2]) for piece in pieces) > MAX_PENDING_BYTES:
                        self._drop(pieces, "sctp: fragmented message over 1 MiB")
            pos += (length + 3) & ~3
        if messages:
            held = False  # the frame is settled with its complete messages; as a fragment it is evidence only
        elif held:
            self.held.add(frames[-1])
        return messages, held, None

    @staticmethod
    def _seen(assoc: _Association, tsn: int) -> bool:
        if tsn in assoc.seen:
            return True
        assoc.seen.add(tsn)
        assoc.seen_order.append(tsn)
        if len(assoc.seen_order) > SEEN_TSNS:
            old = assoc.seen_order[: SEEN_TSNS // 2]
            del assoc.seen_order[: SEEN_TSNS // 2]
            assoc.seen.difference_update(old)
        return False

    @staticmethod
    def _complete(pieces: list, end_tsn: int):
        """The message ending at ``end_tsn`` if all its fragments since the B fragment are here."""
        by_tsn = {piece[0]: piece for piece in pieces}
        tsn = end_tsn
        run = []
        while tsn in by_tsn:
            run.append(by_tsn[tsn])
            if by_tsn[tsn][1] & FLAG_B:
                run.reverse()
                for piece in run:
                    pieces.remove(piece)
                frames = tuple(dict.fromkeys(piece[3] for piece in run))
                return frames, b"".join(piece[2] for piece in run)
            tsn = (tsn - 1) & 0xFFFFFFFF
        return None

    def _drop(self, pieces: list, reason: str) -> None:
        frames = sorted({piece[3] for piece in pieces} & self.held)
        self.held.difference_update(frames)
        self.settle(frames, acc.TRUNCATED, reason)
        pieces.clear()

    def flush(self) -> None:
        self.settle(sorted(self.held), acc.TRUNCATED, "sctp: fragmented message never completed")
        self.held.clear()
        self.associations.clear()
