"""Knowledge in context: a sentence that ties a response to what the analysis saw follow it.

A 2xx to an INVITE needs its ACK (RFC 3261 section 13.2.2.4), and a 2xx to a REFER promises NOTIFYs that report the
transfer's outcome (RFC 3515 section 2.4.4): the card says what those codes mean in general, this says what
happened in this call.
"""

from __future__ import annotations

from ..analysis.dialogs import dialog_key
from ..analysis.transactions import seconds
from ..knowledge import Knowledge


def response_context(txn, response, call, knowledge: Knowledge) -> str | None:
    """The sentence for ``response`` (a ``Response`` of ``txn``, in ``call``), or None where there is nothing to
    add."""
    if not 200 <= response.status < 300:
        return None
    if txn.method == "INVITE":
        dialog = call.dialogs.get(dialog_key(txn.from_tag, response.to_tag))
        pending = None if dialog is None else dialog.acks.get(txn.cseq)
        if pending is None or pending.answer is not response:
            return None
        if pending.ack is None:
            return knowledge.label("guidance.ack.none")
        _index, frame, time = pending.ack
        return knowledge.label("guidance.ack.came", after=f"{seconds(time - response.time)} s", frame=frame)
    if txn.method == "REFER" and txn.extra is not None:
        subscription = txn.extra
        final = subscription.final_fragment()
        if final is not None:
            status, reason = final.fragment
            return knowledge.label("guidance.refer.outcome", frame=final.frame, status=status, reason=reason)
        if not subscription.expect_notify:
            return knowledge.label("guidance.refer.no_subscription")
        return knowledge.label("guidance.refer.no_final" if subscription.notifies else "guidance.refer.no_notify")
    return None
