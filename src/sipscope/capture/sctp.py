"""SCTP DATA chunks (RFC 9260 section 3.3.1) and I-DATA chunks (RFC 8260 section 2.1) turned into user
messages, for SIP over SCTP (RFC 4168).

A packet may bundle several chunks; a user message may be fragmented over several chunks (B and E flags),
possibly over several packets that may arrive out of order. DATA fragments of a message have consecutive TSNs
(RFC 9260 section 6.9); I-DATA fragments are numbered by their message's fragment sequence number (FSN), the B
fragment being number 0, because I-DATA lets messages interleave. Chunks retransmitted with a TSN already seen
are skipped. Frames that carry only fragments are "held" here until their message completes or the capture
ends.
"""

from __future__ import annotations

import struct

from .. import accounting as acc

DATA, IDATA = 0, 64
FLAG_E, FLAG_B, FLAG_U = 0x01, 0x02, 0x04
SEEN_TSNS = 4096  # per association direction, for spotting retransmissions
MAX_PENDING_BYTES = 1 << 20  # per message being reassembled


class _Association:
    __slots__ = ("seen", "seen_order", "messages")

    def __init__(self):
        self.seen: set[int] = set()
        self.seen_order: list[int] = []
        # DATA: stream id -> pieces; I-DATA: (stream id, U flag, message id) -> pieces. Pieces are
        # {position: (flags, data, frames)}, the position being the TSN (DATA) or the FSN (I-DATA).
        self.messages: dict = {}


class SctpReassembler:
    def __init__(self, settle):
        self.settle = settle
        self.associations: dict[tuple, _Association] = {}
        self.held: set[int] = set()  # frames that carry only fragments of messages not yet complete

    def add(self, key, packet: bytes, frames):
        """Returns ``(messages, held, problem, retransmitted)``.

        ``messages`` are ``(frames, earlier_held_frames, payload)``: the earlier held frames are the message's
        frames now released, which the caller settles with it; ``held`` says that ``frames`` wait for a message
        to complete; ``problem`` names a damaged chunk; ``retransmitted`` says some data chunk was a repeat.
        """
        assoc = self.associations.get(key)
        if assoc is None:
            assoc = self.associations[key] = _Association()
        frames = tuple(frames)
        messages = []
        problem = None
        retransmitted = False
        pos = 12
        while pos + 4 <= len(packet):
            ctype, flags, length = struct.unpack_from(">BBH", packet, pos)
            if length < 4 or pos + length > len(packet):
                problem = f"chunk type {ctype} has a bad length {length}"
                break
            if ctype in (DATA, IDATA):
                header = 16 if ctype == DATA else 20
                if length < header:
                    problem = "data chunk shorter than its header"
                    break
                tsn, stream = struct.unpack_from(">IH", packet, pos + 4)
                data = packet[pos + header : pos + length]
                if self._seen(assoc, tsn):
                    retransmitted = True
                elif flags & FLAG_B and flags & FLAG_E:
                    messages.append((frames, [], data))
                else:
                    if ctype == DATA:
                        group, position = stream, tsn
                    else:
                        mid, ppid_or_fsn = struct.unpack_from(">II", packet, pos + 12)
                        group, position = (stream, flags & FLAG_U, mid), 0 if flags & FLAG_B else ppid_or_fsn
                    self.held.update(frames)
                    message = self._fragment(assoc, group, position, flags, data, frames)
                    if message is not None:
                        messages.append(message)
            pos += (length + 3) & ~3
        if messages:
            # The frame is settled with its complete messages; as a fragment of another it is evidence only.
            self.held.difference_update(frames)
        return messages, frames[-1] in self.held, problem, retransmitted

    def _fragment(self, assoc: _Association, group, position: int, flags: int, data: bytes, frames: tuple):
        """Add a fragment; returns the message it completes as ``(frames, earlier_held, payload)``, or None."""
        pieces = assoc.messages.setdefault(group, {})
        pieces[position] = (flags, data, frames)
        first = last = position
        while not pieces[first][0] & FLAG_B:
            first = (first - 1) & 0xFFFFFFFF
            if first not in pieces or pieces[first][0] & FLAG_E:  # a gap, or the end of an earlier message
                return self._bound(assoc, group, pieces, frames)
        while not pieces[last][0] & FLAG_E:
            last = (last + 1) & 0xFFFFFFFF
            if last not in pieces or pieces[last][0] & FLAG_B:
                return self._bound(assoc, group, pieces, frames)
        run = []
        position = first
        while True:
            run.append(pieces.pop(position))
            if position == last:
                break
            position = (position + 1) & 0xFFFFFFFF
        if not pieces:
            del assoc.messages[group]
        message_frames = tuple(sorted({frame for piece in run for frame in piece[2]}))
        earlier = [frame for frame in message_frames if frame in self.held and frame not in frames]
        self.held.difference_update(earlier)
        return message_frames, earlier, b"".join(piece[1] for piece in run)

    def _bound(self, assoc: _Association, group, pieces: dict, frames: tuple) -> None:
        """Give up on a fragmented message past ``MAX_PENDING_BYTES``; the current frames stay held."""
        if sum(len(piece[1]) for piece in pieces.values()) > MAX_PENDING_BYTES:
            dropped = sorted({frame for piece in pieces.values() for frame in piece[2]} & self.held - set(frames))
            self.held.difference_update(dropped)
            self.settle(dropped, acc.TRUNCATED, "sctp: fragmented message over 1 MiB")
            del assoc.messages[group]
        return None

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

    def flush(self) -> None:
        self.settle(sorted(self.held), acc.TRUNCATED, "sctp: fragmented message never completed")
        self.held.clear()
        self.associations.clear()
