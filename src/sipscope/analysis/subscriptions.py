"""Subscriptions: SUBSCRIBE/NOTIFY (RFC 6665) and the one a REFER creates implicitly (RFC 3515, RFC 4488).

A subscription is requested by a SUBSCRIBE or a REFER, accepted by its 2xx, and its state is then what the
notifier's NOTIFYs say in Subscription-State. For a REFER, the NOTIFY bodies (message/sipfrag, RFC 3420) carry
the progress of the transfer: the status line of the INVITE the transferee sent to the target.
"""

from __future__ import annotations

from .findings import INFO, WARNING, Finding
from .transactions import TIMEOUT, duration_text, seconds

REQUESTED, ACCEPTED, PENDING, ACTIVE, TERMINATED, REJECTED = (
    "requested", "accepted", "pending", "active", "terminated", "rejected")

# Events
ACCEPT, REJECT, REFRESH = "2xx", "3xx-6xx", "refresh"
NOTIFY_PENDING, NOTIFY_ACTIVE, NOTIFY_TERMINATED = "NOTIFY pending", "NOTIFY active", "NOTIFY terminated"
NOTIFY_EVENT = {"pending": NOTIFY_PENDING, "active": NOTIFY_ACTIVE, "terminated": NOTIFY_TERMINATED}

UNEXPECTED = "unexpected"

# RFC 6665 section 4.1.2.2: the failures of a refresh that end the subscription; after any other the subscription
# stays as it was until it expires.
ENDS_SUBSCRIPTION = frozenset((404, 405, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604))

# RFC 6665 section 4.1.2 (subscriber) and 4.2.2 (notifier); a NOTIFY may overtake the 2xx (section 4.1.2.4):
#
#   SUBSCRIBE/REFER          2xx                 NOTIFY (pending)          NOTIFY (active)
#  -----------------> requested ----> accepted ------------------> pending -------------> active
#                        |   \___________ NOTIFY (any state) ______________________________^  |
#                        | 3xx-6xx                               NOTIFY (terminated) from any |
#                        v                                        state, or a refused refresh v
#                     rejected                                                             terminated
SUBSCRIPTION_TABLE: dict[tuple[str, str], str] = {
    (REQUESTED, ACCEPT): ACCEPTED,
    (REQUESTED, REJECT): REJECTED,
    (REQUESTED, NOTIFY_PENDING): PENDING,
    (REQUESTED, NOTIFY_ACTIVE): ACTIVE,
    (REQUESTED, NOTIFY_TERMINATED): TERMINATED,
    (ACCEPTED, NOTIFY_PENDING): PENDING,
    (ACCEPTED, NOTIFY_ACTIVE): ACTIVE,
    (ACCEPTED, NOTIFY_TERMINATED): TERMINATED,
    (PENDING, ACCEPT): PENDING,  # the 2xx, overtaken by the first NOTIFY, or of a refresh
    (PENDING, NOTIFY_PENDING): PENDING,
    (PENDING, NOTIFY_ACTIVE): ACTIVE,
    (PENDING, NOTIFY_TERMINATED): TERMINATED,
    (PENDING, REFRESH): PENDING,
    (PENDING, REJECT): TERMINATED,  # a refresh refused (section 4.1.2.2)
    (ACTIVE, ACCEPT): ACTIVE,
    (ACTIVE, NOTIFY_ACTIVE): ACTIVE,
    (ACTIVE, NOTIFY_PENDING): PENDING,
    (ACTIVE, NOTIFY_TERMINATED): TERMINATED,
    (ACTIVE, REFRESH): ACTIVE,
    (ACTIVE, REJECT): TERMINATED,
    (ACCEPTED, REFRESH): ACCEPTED,
    (ACCEPTED, ACCEPT): ACCEPTED,
    (ACCEPTED, REJECT): TERMINATED,
    (TERMINATED, ACCEPT): TERMINATED,  # the 2xx, overtaken by a NOTIFY that already ended it
    (TERMINATED, REFRESH): TERMINATED,  # an unsubscribe (Expires: 0) crossing the final NOTIFY
    (TERMINATED, REJECT): TERMINATED,
}


class Notify:
    __slots__ = ("frame", "time", "state", "reason", "fragment")

    def __init__(self, frame: int, time: int, state: str | None, reason: str | None, fragment):
        self.frame = frame
        self.time = time
        self.state = state
        """Subscription-State's value (pending, active, terminated), lower-cased; None when absent."""
        self.reason = reason
        self.fragment = fragment
        """For a REFER: ``(status, reason)`` of the sipfrag's status line, or None."""


class Subscription:
    """One subscription inside a call: ``kind`` is ``subscribe`` or ``refer``."""

    __slots__ = ("kind", "event", "id", "subscriber_tag", "notifier_tag", "state", "frame", "time",
                 "accepted_frame", "accepted_time", "final_status", "notifies", "expect_notify", "refer_to",
                 "attended", "in_dialog", "unexpected", "expires_at")

    def __init__(self, kind: str, event: str, id: str | None, subscriber_tag, frame: int, time: int):
        self.kind = kind
        self.event = event
        self.id = id
        self.subscriber_tag = subscriber_tag
        self.notifier_tag: str | None = None
        self.state = REQUESTED
        self.frame = frame
        self.time = time
        self.accepted_frame: int | None = None
        self.accepted_time: int | None = None
        self.final_status: int | None = None
        """The final response to the SUBSCRIBE or REFER."""
        self.notifies: list[Notify] = []
        self.expect_notify = True
        """False when RFC 4488's ``Refer-Sub: false`` suppressed the REFER's subscription."""
        self.refer_to: str | None = None
        self.attended = False
        """A REFER whose Refer-To carries Replaces (RFC 3891): an attended transfer."""
        self.in_dialog = False
        self.unexpected: list[tuple[str, int, int]] = []
        self.expires_at: int | None = None
        """Capture time at which the subscription runs out unless refreshed (ns)."""

    def apply(self, event: str, frame: int, time: int) -> str | None:
        state = SUBSCRIPTION_TABLE.get((self.state, event))
        if state is None:
            self.unexpected.append((event, frame, time))
            return UNEXPECTED
        self.state = state
        return None

    # -- events --------------------------------------------------------------------------------------------
    def answered(self, status: int, frame: int, time: int, notifier_tag, expires: int | None) -> None:
        if status < 200:
            return
        if status < 300:
            if self.accepted_frame is None:
                self.accepted_frame, self.accepted_time, self.final_status = frame, time, status
            self.notifier_tag = self.notifier_tag or notifier_tag
            if expires is not None:
                self.expires_at = time + expires * 1_000_000_000
        else:
            if self.final_status is None:
                self.final_status = status
            if self.state != REQUESTED and status not in ENDS_SUBSCRIPTION:
                return  # a refresh refused for now: the subscription lives until it expires
        self.apply(ACCEPT if status < 300 else REJECT, frame, time)

    def notified(self, frame: int, time: int, notifier_tag, state: str | None, reason: str | None,
                 expires: int | None, fragment) -> None:
        self.notifier_tag = self.notifier_tag or notifier_tag
        self.notifies.append(Notify(frame, time, state, reason, fragment))
        if expires is not None:
            self.expires_at = time + expires * 1_000_000_000
        event = NOTIFY_EVENT.get(state or "")
        if event is not None:
            self.apply(event, frame, time)

    # -- a REFER's transfer --------------------------------------------------------------------------------
    @property
    def progress(self) -> list[int]:
        """The status codes the NOTIFYs reported, in order."""
        return [n.fragment[0] for n in self.notifies if n.fragment is not None]

    @property
    def outcome(self) -> str:
        """For a REFER: ``succeeded``, ``failed``, ``rejected`` (the REFER itself), or ``unknown``."""
        if self.final_status is not None and self.final_status >= 300:
            return "rejected"
        for code in self.progress:
            if code >= 300:
                return "failed"
            if code >= 200:
                return "succeeded"
        return "unknown"

    def final_fragment(self) -> Notify | None:
        for notify in self.notifies:
            if notify.fragment is not None and notify.fragment[0] >= 200:
                return notify
        return None

    # -- what is missing -----------------------------------------------------------------------------------
    def findings(self, call_id: str, now: int, dialog_ended: bool) -> list[Finding]:
        """What went wrong, judged at capture time ``now``; ``dialog_ended`` when the dialog it lives in ended."""
        found = []
        refer = self.kind == "refer"
        if self.final_status is not None and self.final_status >= 300 and not self.notifies:
            if refer:
                found.append(Finding("refer.rejected", call_id, [self.frame], f"REFER to {self.refer_to or '?'} "
                                     f"was refused with {self.final_status}", self.time))
            else:
                found.append(Finding("subscribe.rejected", call_id, [self.frame],
                                     f"SUBSCRIBE to '{self.event}' was refused with {self.final_status}",
                                     self.time, severity=INFO if self.final_status in (401, 407) else None))
            return found
        if self.accepted_frame is None and not self.notifies:
            return found  # no answer: the transaction's own finding says so
        if not self.notifies:
            if self.expect_notify:
                waited = now - self.accepted_time
                conclusive = dialog_ended or waited >= TIMEOUT
                what = "REFER" if refer else f"SUBSCRIBE to '{self.event}'"
                why = "the dialog ended" if dialog_ended else f"the capture went on for {duration_text(waited)}"
                found.append(Finding(
                    "refer.notify_missing" if refer else "subscribe.notify_missing", call_id,
                    [self.frame, self.accepted_frame],
                    f"{what} was accepted with {self.final_status} but no NOTIFY followed ({why})",
                    self.time, severity=None if conclusive else WARNING, inferred=True, conclusive=conclusive))
            return found
        if not refer:
            return found
        final = self.final_fragment()
        if final is not None:
            status, reason = final.fragment
            if status >= 300:
                found.append(Finding(
                    "refer.transfer_failed", call_id, [self.frame, final.frame],
                    f"transfer to {self.refer_to or '?'} failed: the NOTIFY reports {status} {reason}".rstrip(),
                    final.time))
            return found
        last = self.notifies[-1]
        ended = self.state == TERMINATED or dialog_ended
        if ended:
            why = "the subscription was terminated" if self.state == TERMINATED else "the dialog ended"
        else:
            why = f"the capture ended {duration_text(now - last.time)} after the last NOTIFY"
        found.append(Finding(
            "refer.transfer_incomplete", call_id, [self.frame] + [n.frame for n in self.notifies],
            f"transfer to {self.refer_to or '?'}: no final result in the NOTIFYs ({why})", last.time,
            severity=WARNING if ended else INFO, inferred=True, conclusive=ended))
        return found

    def as_dict(self, start: int) -> dict:
        fields = {
            "kind": self.kind, "event": self.event, "id": self.id, "state": self.state, "frame": self.frame,
            "status": self.final_status, "accepted_frame": self.accepted_frame,
            "notifies": [{"frame": n.frame, "after": seconds(n.time - start), "state": n.state,
                          "reason": n.reason, "fragment": None if n.fragment is None else list(n.fragment)}
                         for n in self.notifies],
        }
        if self.kind == "refer":
            fields.update(refer_to=self.refer_to, attended=self.attended, in_dialog=self.in_dialog,
                          notify_expected=self.expect_notify, progress=self.progress, outcome=self.outcome)
        return fields

