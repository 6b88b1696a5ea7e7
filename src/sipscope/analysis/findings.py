"""Findings: what the analysis says is missing or wrong, with the frames that prove it.

Every finding id is registered here once, with its usual severity and what it means. The ids key the knowledge
base, the JSON output, ``--ignore`` and the tests. A finding may be raised with another severity than the usual one
when the facts call for it (an ``ack.missing`` the capture cannot prove is a warning, not an error).
"""

from __future__ import annotations

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

FINDINGS: dict[str, tuple[str, str]] = {
    # id: (usual severity, what it means)
    "ack.missing": (ERROR, "a final response to an INVITE never got its ACK"),
    "dialog.tag_mismatch": (WARNING, "an ACK or BYE that names its dialog wrongly (no To tag, or another one)"),
    "request.unanswered": (ERROR, "a request got no response at all"),
    "request.retransmitted": (WARNING, "a request was sent more than once before it was answered"),
    "response.retransmitted": (WARNING, "a response was sent more than once (a final one: its ACK did not arrive)"),
    "response.unmatched": (INFO, "a response whose request is not in the capture"),
    "transaction.unexpected": (WARNING, "a message that the transaction's state does not allow at that point"),
    "dialog.unexpected": (WARNING, "a response that the dialog's state does not allow at that point"),
    "subscription.unexpected": (WARNING, "a NOTIFY or answer that the subscription's state does not allow"),
    "invite.failed": (WARNING, "an INVITE got a final failure response"),
    "invite.glare": (WARNING, "an INVITE or UPDATE met another one going the other way (491 Request Pending)"),
    "invite.cancel_after_answer": (INFO, "a CANCEL crossed the 2xx: the call was answered, and must end with BYE"),
    "prack.missing": (WARNING, "a reliable provisional response (RFC 3262) was never acknowledged with PRACK"),
    "prack.unmatched": (WARNING, "a PRACK whose RAck names no reliable provisional response in the capture"),
    "dialog.unknown": (WARNING, "a request for a dialog that does not exist (481, or never set up in the capture)"),
    "dialog.request_after_end": (WARNING, "a request inside a dialog that had already ended"),
    "cseq.out_of_order": (WARNING, "a new request did not raise the sender's CSeq number"),
    "auth.rejected": (ERROR, "a request carrying credentials was still rejected (401, 407 or 403)"),
    "register.failed": (ERROR, "a REGISTER ended with a failure response other than a challenge"),
    "subscribe.notify_missing": (ERROR, "a SUBSCRIBE was accepted, but no NOTIFY followed"),
    "subscribe.rejected": (WARNING, "a SUBSCRIBE got a failure response"),
    "notify.unknown_subscription": (WARNING, "a NOTIFY for a subscription the capture never saw set up"),
    "refer.rejected": (WARNING, "a REFER got a failure response: the transfer was not attempted"),
    "refer.notify_missing": (ERROR, "a REFER was accepted and a NOTIFY was expected, but none came"),
    "refer.transfer_failed": (WARNING, "the NOTIFYs of a REFER report that the transfer failed"),
    "refer.transfer_incomplete": (WARNING, "the subscription of a REFER ended without a final result"),
}


class Finding:
    """One finding: ``id`` from ``FINDINGS``; ``frames`` are Wireshark frame numbers, the evidence.

    ``inferred`` is true when the finding rests on what the analysis concluded (a match, an absence, a timeout)
    rather than on what one message says; ``conclusive`` is false when the capture ended too soon to be sure.
    """

    __slots__ = ("id", "severity", "call_id", "frames", "summary", "inferred", "conclusive", "time")

    def __init__(self, id: str, call_id: str | None, frames, summary: str, time: int, *, severity: str | None = None,
                 inferred: bool = False, conclusive: bool = True):
        self.id = id
        self.severity = severity or FINDINGS[id][0]
        self.call_id = call_id
        self.frames = sorted(set(frames))
        self.summary = summary
        self.inferred = inferred
        self.conclusive = conclusive
        self.time = time
        """Capture time (ns) of the first evidence: findings are listed in this order."""

    def as_dict(self) -> dict:
        return {
            "id": self.id, "severity": self.severity, "call_id": self.call_id, "frames": self.frames,
            "summary": self.summary, "inferred": self.inferred, "conclusive": self.conclusive,
        }

    def __repr__(self) -> str:
        return f"Finding({self.id}, {self.severity}, frames={self.frames}, {self.summary!r})"
