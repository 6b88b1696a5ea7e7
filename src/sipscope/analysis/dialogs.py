"""Dialogs (RFC 3261 section 12), seen from the wire: early, confirmed, ended; the ACK each 2xx needs.

A dialog is named by its Call-ID and the two tags. The observer does not know which end it stands at, so a dialog
is looked up by the pair of tags in either order (``dialog_key``). Its states are those of RFC 4235 section 3.7.1
(early, confirmed, terminated), with ``terminating`` for a BYE sent but not yet answered.
"""

from __future__ import annotations

EARLY, CONFIRMED, TERMINATING, TERMINATED = "early", "confirmed", "terminating", "terminated"

# Events
EARLY_RESPONSE = "1xx with a To tag"  # to the INVITE that creates the dialog
ANSWER = "2xx to an INVITE"  # the initial INVITE or a re-INVITE
REJECT = "3xx-6xx to the initial INVITE"
ACK = "ACK of a 2xx"
BYE = "BYE"
BYE_DONE = "final response to BYE"
GONE = "481 or 408 to a request inside the dialog"
REQUEST = "another request inside the dialog"

AWAIT_ACK = "await ACK"
UNEXPECTED = "unexpected"

# RFC 3261 sections 12.1, 13.3.1.4 and 15, as RFC 4235 figure 3 draws the dialog's life:
#
#   1xx+tag          2xx (needs an ACK)            BYE                    final response to BYE
#  ---------> early ------------------> confirmed -----> terminating ------------------------> terminated
#               |  \_________________________________BYE (the caller may end an early dialog)_^   ^
#               +-- 3xx-6xx to the INVITE ----------------------------------------------------------+
#  481 or 408 to any request inside the dialog ends it too (section 12.2.1.2).
DIALOG_TABLE: dict[tuple[str, str], tuple[str, str | None]] = {
    (EARLY, EARLY_RESPONSE): (EARLY, None),
    (EARLY, ANSWER): (CONFIRMED, AWAIT_ACK),
    (EARLY, REJECT): (TERMINATED, None),
    (EARLY, REQUEST): (EARLY, None),  # PRACK (RFC 3262), UPDATE (RFC 3311), INFO, NOTIFY in an early dialog
    (EARLY, BYE): (TERMINATING, None),
    (EARLY, GONE): (TERMINATED, None),
    (CONFIRMED, ANSWER): (CONFIRMED, AWAIT_ACK),  # a re-INVITE answered, or another 2xx of the first INVITE
    (CONFIRMED, ACK): (CONFIRMED, None),
    (CONFIRMED, REQUEST): (CONFIRMED, None),
    (CONFIRMED, BYE): (TERMINATING, None),
    (CONFIRMED, GONE): (TERMINATED, None),
    (CONFIRMED, EARLY_RESPONSE): (CONFIRMED, None),  # a 1xx that left before the 2xx and arrived after it
    (TERMINATING, BYE): (TERMINATING, None),  # both ends hung up at once
    (TERMINATING, BYE_DONE): (TERMINATED, None),
    (TERMINATING, ACK): (TERMINATING, None),  # an ACK that crossed the BYE
    (TERMINATING, ANSWER): (TERMINATING, AWAIT_ACK),
    (TERMINATING, REQUEST): (TERMINATING, None),  # a request that crossed the BYE
    (TERMINATING, GONE): (TERMINATED, None),
    (TERMINATED, ACK): (TERMINATED, None),  # late copies and the answers to a crossing BYE
    (TERMINATED, BYE_DONE): (TERMINATED, None),
    (TERMINATED, GONE): (TERMINATED, None),
}


def dialog_key(tag_a: str | None, tag_b: str | None) -> tuple:
    """The key of the dialog between two tags, the same whichever end sent the message."""
    if tag_a is None or tag_b is None or tag_a <= tag_b:
        return (tag_a, tag_b)
    return (tag_b, tag_a)


class PendingAck:
    """A 2xx to an INVITE inside this dialog (the transaction's ``Response``, with its copies), and the ACK it
    needs (RFC 3261 section 13.2.2.4)."""

    __slots__ = ("cseq", "answer", "ack")

    def __init__(self, cseq: int, answer):
        self.cseq = cseq
        self.answer = answer
        self.ack: tuple[int, int, int] | None = None  # (index, frame, time)

    status = property(lambda self: self.answer.status)
    reason = property(lambda self: self.answer.reason)
    frame = property(lambda self: self.answer.frame)
    time = property(lambda self: self.answer.time)
    copies = property(lambda self: self.answer.copies)


class Dialog:
    """One dialog of a call: the tag of the end that created it (``local_tag``: the From tag of the creating
    request) and of the other end (``remote_tag``)."""

    __slots__ = ("local_tag", "remote_tag", "state", "method", "created_frame", "confirmed_time",
                 "acks", "bye_frame", "bye_time", "bye_tag", "ended_time", "unexpected", "requests_after")

    def __init__(self, local_tag, remote_tag, method: str, frame: int, time: int, state: str = EARLY):
        self.local_tag = local_tag
        self.remote_tag = remote_tag
        self.state = state
        self.method = method
        """The request that created the dialog: INVITE, SUBSCRIBE, REFER or NOTIFY."""
        self.created_frame = frame
        self.confirmed_time: int | None = time if state == CONFIRMED else None
        self.acks: dict[int, PendingAck] = {}
        """CSeq number of each answered INVITE -> its 2xx and ACK."""
        self.bye_frame: int | None = None
        self.bye_time: int | None = None
        self.bye_tag: str | None = None
        """The From tag of the first BYE: which end hung up."""
        self.ended_time: int | None = None
        self.unexpected: list[tuple[str, int, int]] | tuple = ()
        """(event, frame, time) of each event the table has no entry for (a list once there is one)."""
        self.requests_after = 0
        """Requests (other than BYE) seen after the 2xx: the dialog went on."""

    def apply(self, event: str, frame: int, time: int) -> str | None:
        step = DIALOG_TABLE.get((self.state, event))
        if step is None:
            if not self.unexpected:
                self.unexpected = []
            self.unexpected.append((event, frame, time))
            return UNEXPECTED
        state, action = step
        if state != self.state:
            if state == CONFIRMED:
                self.confirmed_time = time
            elif state == TERMINATED:
                self.ended_time = time
            self.state = state
        return action

    # -- what the call tells the dialog --------------------------------------------------------------------
    def answered(self, cseq: int, answer) -> str | None:
        """A 2xx (``answer``, a ``transactions.Response``) to the INVITE with this CSeq."""
        action = self.apply(ANSWER, answer.frame, answer.time)
        if action == AWAIT_ACK and cseq not in self.acks:
            self.acks[cseq] = PendingAck(cseq, answer)
        return action

    def acked(self, cseq: int, index: int, frame: int, time: int) -> bool:
        """An ACK for the 2xx with this CSeq; False when no 2xx with that CSeq is known."""
        self.apply(ACK, frame, time)
        pending = self.acks.get(cseq)
        if pending is None:
            return False
        if pending.ack is None:
            pending.ack = (index, frame, time)
        return True

    def bye(self, from_tag, frame: int, time: int) -> str | None:
        if self.bye_frame is None:
            self.bye_frame, self.bye_time, self.bye_tag = frame, time, from_tag
        return self.apply(BYE, frame, time)

    def request(self, frame: int, time: int) -> str | None:
        if self.state in (CONFIRMED, TERMINATING):
            self.requests_after += 1
        return self.apply(REQUEST, frame, time)

    def as_dict(self, start: int) -> dict:
        from .transactions import seconds

        return {
            "local_tag": self.local_tag, "remote_tag": self.remote_tag, "state": self.state, "method": self.method,
            "created_frame": self.created_frame,
            "confirmed_after": None if self.confirmed_time is None else seconds(self.confirmed_time - start),
            "bye_frame": self.bye_frame,
            "ended_after": None if self.ended_time is None else seconds(self.ended_time - start),
            "acks": [{"cseq": p.cseq, "status": p.status, "frame": p.frame,
                      "ack_frame": None if p.ack is None else p.ack[1]} for p in self.acks.values()],
        }
