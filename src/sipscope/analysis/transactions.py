"""Transactions (RFC 3261 section 17), seen from the wire: a request, its retransmissions, its responses, its ACK.

A capture shows both ends of a transaction at once, so the observer follows one state machine per transaction that
merges the client's and the server's (figures 5 to 8 of RFC 3261, with the Accepted state of RFC 6026 for an
INVITE answered with a 2xx). It never rejects a message: an event the table has no entry for is recorded as
unexpected, and the checks turn it into a finding.

Matching (RFC 3261 section 17.1.3): the top Via's branch and the method, where an ACK belongs to its INVITE.
The server side's rule (section 17.2.3) adds the Via's sent-by, but a NAT or an ALG on the path may rewrite it
in the response, so the observer leaves it out. The CSeq number is part of the key: a stack that reuses a branch
for a new request then gets two transactions instead of one confused one. A branch without the RFC 3261 magic
cookie (RFC 2543 peers) is not unique, so the From tag is added, which is what section 17.2.3's fallback
comparison amounts to for messages that all share the Call-ID (transactions live inside their call, see
``calls.py``).
"""

from __future__ import annotations

T1 = 500_000_000
"""RFC 3261 section 17.1.1.1: the round-trip estimate, 500 ms unless configured otherwise (in ns)."""
TIMEOUT = 64 * T1
"""Timers B, F, H and J, and RFC 6026's Timer L: how long either end waits before giving up (32 s)."""

MAGIC_COOKIE = "z9hG4bK"  # RFC 3261 section 8.1.1.7

# Observed states. Client and server share a vocabulary (figures 5-8); ACCEPTED is RFC 6026 section 7.1.
CALLING, TRYING, PROCEEDING, COMPLETED, CONFIRMED, ACCEPTED = (
    "calling", "trying", "proceeding", "completed", "confirmed", "accepted")

# Events: a message and how it relates to what the transaction already holds. "_AGAIN" is a copy of one seen.
REQUEST_AGAIN = "request again"
PROVISIONAL, PROVISIONAL_AGAIN = "1xx", "1xx again"
SUCCESS, SUCCESS_AGAIN = "2xx", "2xx again"
FAILURE, FAILURE_AGAIN = "3xx-6xx", "3xx-6xx again"
ACK, ACK_AGAIN = "ACK", "ACK again"

# Actions: what the analysis notes besides the state change.
RETRANSMITTED = "request retransmitted"
RESENT = "response resent"
UNEXPECTED = "unexpected"

# RFC 3261 figure 5 (INVITE client) and figure 7 (INVITE server), with RFC 6026 figure 5's Accepted state:
#
#          INVITE                     1xx                         300-699                   ACK
#   ------------------> Calling ------------> Proceeding ----------------------> Completed -----> Confirmed
#                         |  \                   |                                   ^  |  final again
#                         |   \------- 300-699 --+-----------------------------------+  +-- (Timer G, no ACK yet)
#                         |                      | 2xx
#                         +---------- 2xx -------+---------> Accepted (2xx again and more 2xx: forks, lost ACKs;
#                                                             the ACK for a 2xx belongs to the dialog)
INVITE_TABLE: dict[tuple[str, str], tuple[str, str | None]] = {
    (CALLING, REQUEST_AGAIN): (CALLING, RETRANSMITTED),  # Timer A
    (CALLING, PROVISIONAL): (PROCEEDING, None),
    (CALLING, SUCCESS): (ACCEPTED, None),
    (CALLING, FAILURE): (COMPLETED, None),
    (PROCEEDING, REQUEST_AGAIN): (PROCEEDING, RETRANSMITTED),  # the server answers it with its last 1xx
    (PROCEEDING, PROVISIONAL): (PROCEEDING, None),
    (PROCEEDING, PROVISIONAL_AGAIN): (PROCEEDING, RESENT),
    (PROCEEDING, SUCCESS): (ACCEPTED, None),
    (PROCEEDING, FAILURE): (COMPLETED, None),
    (COMPLETED, REQUEST_AGAIN): (COMPLETED, RETRANSMITTED),  # answered by the final response again
    (COMPLETED, FAILURE_AGAIN): (COMPLETED, RESENT),  # Timer G: the ACK has not arrived
    (COMPLETED, ACK): (CONFIRMED, None),
    (CONFIRMED, ACK_AGAIN): (CONFIRMED, None),  # one ACK per final response copy (section 17.1.1.2)
    (CONFIRMED, FAILURE_AGAIN): (CONFIRMED, RESENT),  # a copy that crossed the ACK
    (CONFIRMED, REQUEST_AGAIN): (CONFIRMED, RETRANSMITTED),
    (ACCEPTED, REQUEST_AGAIN): (ACCEPTED, RETRANSMITTED),
    (ACCEPTED, SUCCESS): (ACCEPTED, None),  # another fork answered too (section 13.2.2.4)
    (ACCEPTED, SUCCESS_AGAIN): (ACCEPTED, RESENT),  # section 13.3.1.4: resent until the ACK comes
    (ACCEPTED, PROVISIONAL): (ACCEPTED, None),  # a 1xx from another fork, late
    (ACCEPTED, PROVISIONAL_AGAIN): (ACCEPTED, RESENT),
}

# RFC 3261 figure 6 (non-INVITE client) and figure 8 (non-INVITE server):
#
#       request             1xx                  200-699
#   -------------> Trying -------> Proceeding -----------> Completed  (request again: the final is resent)
#                    |                                        ^
#                    +--------------- 200-699 ----------------+
NON_INVITE_TABLE: dict[tuple[str, str], tuple[str, str | None]] = {
    (TRYING, REQUEST_AGAIN): (TRYING, RETRANSMITTED),  # Timer E
    (TRYING, PROVISIONAL): (PROCEEDING, None),
    (TRYING, SUCCESS): (COMPLETED, None),
    (TRYING, FAILURE): (COMPLETED, None),
    (PROCEEDING, REQUEST_AGAIN): (PROCEEDING, RETRANSMITTED),
    (PROCEEDING, PROVISIONAL): (PROCEEDING, None),
    (PROCEEDING, PROVISIONAL_AGAIN): (PROCEEDING, RESENT),
    (PROCEEDING, SUCCESS): (COMPLETED, None),
    (PROCEEDING, FAILURE): (COMPLETED, None),
    (COMPLETED, REQUEST_AGAIN): (COMPLETED, RETRANSMITTED),
    (COMPLETED, SUCCESS_AGAIN): (COMPLETED, RESENT),
    (COMPLETED, FAILURE_AGAIN): (COMPLETED, RESENT),
}

def transaction_key(method: str, cseq_number, branch: str | None, from_tag: str | None) -> tuple:
    """The key a request or response is matched on; ``method`` is the request's or the CSeq's."""
    if method == "ACK":
        method = "INVITE"
    if branch is not None and branch.startswith(MAGIC_COOKIE):
        return (branch, method, cseq_number)
    return (branch, method, cseq_number, from_tag)


def message_key(message, method: str) -> tuple:
    """``transaction_key`` of a message (``method``: the request's, or the CSeq's of a response), reading the
    From tag only when the branch needs it."""
    branch = message.branch
    if branch is not None and branch.startswith(MAGIC_COOKIE):
        return (branch, "INVITE" if method == "ACK" else method, message.cseq_number)
    return transaction_key(method, message.cseq_number, branch, message.from_tag)


def response_event(status: int, again: bool) -> str:
    if status < 200:
        return PROVISIONAL_AGAIN if again else PROVISIONAL
    if status < 300:
        return SUCCESS_AGAIN if again else SUCCESS
    return FAILURE_AGAIN if again else FAILURE


class Response:
    """One response of a transaction, with its copies."""

    __slots__ = ("status", "reason", "to_tag", "index", "frame", "time", "copies", "rseq")

    def __init__(self, status: int, reason: str, to_tag, index: int, frame: int, time: int, rseq):
        self.status = status
        self.reason = reason
        self.to_tag = to_tag
        self.index = index
        self.frame = frame
        self.time = time
        self.copies: list[tuple[int, int, int]] | tuple = ()
        """(message index, frame, time) of each retransmission of this response (a list once there is one)."""
        self.rseq = rseq

    def as_dict(self, start: int) -> dict:
        return {
            "status": self.status, "reason": self.reason, "to_tag": self.to_tag, "index": self.index,
            "frame": self.frame, "after": seconds(self.time - start),
            "copies": [{"index": i, "frame": f, "after": seconds(t - start)} for i, f, t in self.copies],
        }


class Transaction:
    """A request and all that belongs to it; ``state`` follows ``INVITE_TABLE`` or ``NON_INVITE_TABLE``."""

    __slots__ = (
        "key", "method", "cseq", "branch", "call_id", "from_tag", "to_tag", "state", "src", "dst", "transport",
        "index", "frame", "time", "copies", "responses", "ack", "ack_copies", "unexpected", "credentials",
        "cancelled_by", "extra", "final",
    )

    def __init__(self, key: tuple, message, index: int, branch, from_tag, to_tag):
        self.key = key
        self.method: str = message.method
        self.cseq: int | None = message.cseq_number
        self.branch = branch
        self.call_id: str | None = message.call_id
        self.from_tag = from_tag
        self.to_tag = to_tag
        """The request's To tag: set for a request inside a dialog."""
        self.state = CALLING if self.method == "INVITE" else TRYING
        self.src: str = message.src
        self.dst: str = message.dst
        self.transport: str = message.transport
        self.index = index
        self.frame: int = message.frames[-1]
        self.time: int = message.time
        self.copies: list[tuple[int, int, int]] | tuple = ()
        """(message index, frame, time) of each retransmission of the request (a list once there is one)."""
        self.responses: list[Response] = []
        self.ack: tuple[int, int, int] | None = None
        """(index, frame, time) of the ACK of a non-2xx final response (the ACK of a 2xx is the dialog's)."""
        self.ack_copies = 0
        self.unexpected: list[tuple[str, int, int]] | tuple = ()
        """(event, frame, time) of each event the state table has no entry for (a list once there is one)."""
        self.credentials = False
        """Whether the request carried Authorization or Proxy-Authorization."""
        self.cancelled_by: Transaction | None = None
        self.final: Response | None = None
        """The first final response, or the first 2xx if a fork answered after a failure: it decides an INVITE."""
        self.extra = None
        """What one kind of request needs kept (a REFER's Refer-To...): filled by the call that owns it."""

    # -- events --------------------------------------------------------------------------------------------
    def apply(self, event: str, frame: int, time: int) -> str | None:
        """Follow the state table for ``event``; returns the action (None, RETRANSMITTED, RESENT or UNEXPECTED)."""
        table = INVITE_TABLE if self.method == "INVITE" else NON_INVITE_TABLE
        step = table.get((self.state, event))
        if step is None:
            if not self.unexpected:
                self.unexpected = []
            self.unexpected.append((event, frame, time))
            return UNEXPECTED
        self.state, action = step
        return action

    def request_again(self, index: int, frame: int, time: int) -> str | None:
        if not self.copies:
            self.copies = []
        self.copies.append((index, frame, time))
        return self.apply(REQUEST_AGAIN, frame, time)

    def response(self, message, index: int, to_tag, rseq=None) -> tuple[Response, bool, str | None]:
        """Add a response: ``(the response it is or copies, whether it is a copy, the table's action)``."""
        status = message.status
        frame, time = message.frames[-1], message.time
        for seen in self.responses:
            if seen.status == status and seen.to_tag == to_tag and seen.rseq == rseq:
                if not seen.copies:
                    seen.copies = []
                seen.copies.append((index, frame, time))
                return seen, True, self.apply(response_event(status, True), frame, time)
        response = Response(status, message.reason, to_tag, index, frame, time, rseq)
        self.responses.append(response)
        if status >= 200 and (self.final is None or status < 300 <= self.final.status):
            self.final = response
        return response, False, self.apply(response_event(status, False), frame, time)

    def acked(self, index: int, frame: int, time: int) -> str | None:
        if self.ack is None and self.state != CONFIRMED:
            action = self.apply(ACK, frame, time)
            if action != UNEXPECTED:
                self.ack = (index, frame, time)
            return action
        self.ack_copies += 1
        return self.apply(ACK_AGAIN, frame, time)

    # -- views ---------------------------------------------------------------------------------------------
    @property
    def first_response(self) -> Response | None:
        return self.responses[0] if self.responses else None

    def as_dict(self) -> dict:
        first, final = self.first_response, self.final
        return {
            "method": self.method, "cseq": self.cseq, "call_id": self.call_id, "branch": self.branch,
            "state": self.state, "src": self.src, "dst": self.dst, "transport": self.transport,
            "index": self.index, "frame": self.frame,
            "copies": [{"index": i, "frame": f, "after": seconds(t - self.time)} for i, f, t in self.copies],
            "responses": [response.as_dict(self.time) for response in self.responses],
            "ack": None if self.ack is None else {"index": self.ack[0], "frame": self.ack[1],
                                                  "after": seconds(self.ack[2] - self.time), "copies": self.ack_copies},
            "first_response_time": None if first is None else seconds(first.time - self.time),
            "final_response_time": None if final is None else seconds(final.time - self.time),
            "final": None if final is None else final.status,
            "unexpected": [{"event": e, "frame": f} for e, f, _t in self.unexpected],
        }

    def __repr__(self) -> str:
        return f"<Transaction {self.method} {self.cseq} {self.state} frame={self.frame}>"


def seconds(ns: int) -> float:
    """A duration in seconds, to the microsecond."""
    return round(ns / 1e9, 6)


def duration_text(ns: int) -> str:
    """A duration for a summary line: ``1.503 s``."""
    return f"{ns / 1e9:.3f} s"
