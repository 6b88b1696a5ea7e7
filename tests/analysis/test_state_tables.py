"""One test per transition-table entry of the transaction, dialog and subscription state machines.

Every row below is written out by hand from the RFC, never taken from the tables, so a table entry that drifts
from the RFC fails here. Each row puts an object in its start state through the public methods the call uses,
triggers one event the way the call does (a parsed response, a request copy, an ACK, a BYE...) and checks the
event the object derived, the state it reached and the action it reported. A coverage test per table makes a new
entry without a row fail, and a few pairs outside each table must be recorded as unexpected.
"""

from __future__ import annotations

from unittest import mock

import pytest

from sipscope.analysis import dialogs as dlg
from sipscope.analysis import subscriptions as sub
from sipscope.analysis import transactions as txn
from sipscope.analysis.analyzer import analyze_messages
from sipscope.sip.parse import parse_message
from sipscope.testing import make_request, make_response

MS = 1_000_000
REASONS = {100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 404: "Not Found",
           407: "Proxy Authentication Required", 486: "Busy Here"}


# -- helpers -------------------------------------------------------------------------------------------------
def wire(raw: bytes, frame: int):
    """``raw`` parsed as the capture would hand it over: frame ``frame``, one millisecond per frame."""
    message = parse_message(raw)
    message.frames, message.time = (frame,), frame * MS
    message.src, message.dst, message.transport = "192.0.2.1:5060", "192.0.2.2:5060", "UDP"
    return message


def response(status: int, frame: int, method: str = "INVITE", to_tag: str = "to-1", cseq: int = 1, rseq=None,
             branch: str = "z9hG4bK-1", extra: str = ""):
    """A response with the To tag ``to_tag`` (``make_response`` always writes ``to-1``)."""
    if rseq is not None:
        extra += f"RSeq: {rseq}\r\n"
    raw = make_response(status=status, reason=REASONS[status], method=method, cseq=cseq, branch=branch, extra=extra)
    return wire(raw.replace(b";tag=to-1", f";tag={to_tag}".encode()), frame)


def new_transaction(method: str) -> txn.Transaction:
    """A transaction whose request is frame 1."""
    request = wire(make_request(method=method), 1)
    key = txn.transaction_key(method, request.cseq_number, request.branch, request.from_tag)
    return txn.Transaction(key, request, 0, request.branch, request.from_tag, request.to_tag)


def send(transaction: txn.Transaction, what: str, frame: int):
    """One message to the transaction: ``request`` (a copy of it), ``ACK``, or a response written ``180`` (To tag
    ``to-1``) or ``200;tag=to-2``."""
    if what == "request":
        return transaction.request_again(frame - 1, frame, frame * MS)
    if what == "ACK":
        return transaction.acked(frame - 1, frame, frame * MS)
    status, _, to_tag = what.partition(";tag=")
    message = response(int(status), frame, transaction.method, to_tag or "to-1")
    return transaction.response(message, frame - 1, message.to_tag)


def applied(machine, trigger) -> tuple:
    """Run ``trigger()`` and return the one ``(event, action)`` that ``machine.apply`` was given and answered."""
    seen = []
    original = type(machine).apply

    def spy(self, event, frame, time):
        action = original(self, event, frame, time)
        seen.append((event, action))
        return action

    with mock.patch.object(type(machine), "apply", spy):
        trigger()
    (step,) = seen
    return step


def covered(rows) -> set:
    pairs = [(row[0], row[1]) for row in rows]
    assert len(pairs) == len(set(pairs)), "a (state, event) pair has two rows"
    return set(pairs)


# -- transactions --------------------------------------------------------------------------------------------
# (state, event, next state, action, messages that lead to the state, the message that triggers the event)
INVITE_ROWS = [
    # RFC 3261 figure 5 (INVITE client), figure 7 (INVITE server), RFC 6026 section 7 (Accepted)
    (txn.CALLING, txn.REQUEST_AGAIN, txn.CALLING, txn.RETRANSMITTED, (), "request"),  # 17.1.1.2: Timer A
    (txn.CALLING, txn.PROVISIONAL, txn.PROCEEDING, None, (), "180"),  # figure 5: 1xx
    (txn.CALLING, txn.SUCCESS, txn.ACCEPTED, None, (), "200"),  # RFC 6026 7.2: 2xx -> Accepted
    (txn.CALLING, txn.FAILURE, txn.COMPLETED, None, (), "486"),  # figure 5: 300-699
    (txn.PROCEEDING, txn.REQUEST_AGAIN, txn.PROCEEDING, txn.RETRANSMITTED, ("180",), "request"),  # 17.2.1
    (txn.PROCEEDING, txn.PROVISIONAL, txn.PROCEEDING, None, ("180",), "183"),  # figure 5: 1xx in Proceeding
    (txn.PROCEEDING, txn.PROVISIONAL_AGAIN, txn.PROCEEDING, txn.RESENT, ("180",), "180"),  # 17.2.1: last 1xx resent
    (txn.PROCEEDING, txn.SUCCESS, txn.ACCEPTED, None, ("180",), "200"),  # RFC 6026 7.2
    (txn.PROCEEDING, txn.FAILURE, txn.COMPLETED, None, ("180",), "486"),  # figure 5
    (txn.COMPLETED, txn.REQUEST_AGAIN, txn.COMPLETED, txn.RETRANSMITTED, ("486",), "request"),  # figure 7
    (txn.COMPLETED, txn.FAILURE_AGAIN, txn.COMPLETED, txn.RESENT, ("486",), "486"),  # 17.2.1: Timer G
    (txn.COMPLETED, txn.ACK, txn.CONFIRMED, None, ("486",), "ACK"),  # figure 7: ACK -> Confirmed
    (txn.CONFIRMED, txn.ACK_AGAIN, txn.CONFIRMED, None, ("486", "ACK"), "ACK"),  # 17.2.1: ACKs absorbed
    (txn.CONFIRMED, txn.FAILURE_AGAIN, txn.CONFIRMED, txn.RESENT, ("486", "ACK"), "486"),  # 17.1.1.2: crossed ACK
    (txn.CONFIRMED, txn.REQUEST_AGAIN, txn.CONFIRMED, txn.RETRANSMITTED, ("486", "ACK"), "request"),  # late copy
    (txn.ACCEPTED, txn.REQUEST_AGAIN, txn.ACCEPTED, txn.RETRANSMITTED, ("200",), "request"),  # RFC 6026 7.1
    (txn.ACCEPTED, txn.SUCCESS, txn.ACCEPTED, None, ("200",), "200;tag=to-2"),  # 13.2.2.4, RFC 6026 7.2: fork
    (txn.ACCEPTED, txn.SUCCESS_AGAIN, txn.ACCEPTED, txn.RESENT, ("200",), "200"),  # 13.3.1.4: 2xx resent
    (txn.ACCEPTED, txn.PROVISIONAL, txn.ACCEPTED, None, ("200",), "180;tag=to-2"),  # late 1xx of another fork
    (txn.ACCEPTED, txn.PROVISIONAL_AGAIN, txn.ACCEPTED, txn.RESENT, ("180", "200"), "180"),  # 1xx copy, late
]

NON_INVITE_ROWS = [
    # RFC 3261 figure 6 (non-INVITE client) and figure 8 (non-INVITE server)
    (txn.TRYING, txn.REQUEST_AGAIN, txn.TRYING, txn.RETRANSMITTED, (), "request"),  # 17.1.2.2: Timer E
    (txn.TRYING, txn.PROVISIONAL, txn.PROCEEDING, None, (), "100"),  # figure 6: 1xx
    (txn.TRYING, txn.SUCCESS, txn.COMPLETED, None, (), "200"),  # figure 6: 200-699
    (txn.TRYING, txn.FAILURE, txn.COMPLETED, None, (), "404"),  # figure 6: 200-699
    (txn.PROCEEDING, txn.REQUEST_AGAIN, txn.PROCEEDING, txn.RETRANSMITTED, ("100",), "request"),  # Timer E
    (txn.PROCEEDING, txn.PROVISIONAL, txn.PROCEEDING, None, ("100",), "183"),  # figure 6: 1xx in Proceeding
    (txn.PROCEEDING, txn.PROVISIONAL_AGAIN, txn.PROCEEDING, txn.RESENT, ("100",), "100"),  # 17.2.2: last 1xx resent
    (txn.PROCEEDING, txn.SUCCESS, txn.COMPLETED, None, ("100",), "200"),  # figure 6
    (txn.PROCEEDING, txn.FAILURE, txn.COMPLETED, None, ("100",), "404"),  # figure 6
    (txn.COMPLETED, txn.REQUEST_AGAIN, txn.COMPLETED, txn.RETRANSMITTED, ("200",), "request"),  # figure 8
    (txn.COMPLETED, txn.SUCCESS_AGAIN, txn.COMPLETED, txn.RESENT, ("200",), "200"),  # 17.2.2: final resent
    (txn.COMPLETED, txn.FAILURE_AGAIN, txn.COMPLETED, txn.RESENT, ("404",), "404"),  # 17.2.2: final resent
]


def check_transaction_row(method, state, event, next_state, action, history, trigger):
    transaction = new_transaction(method)
    for frame, what in enumerate(history, start=2):
        send(transaction, what, frame)
    assert transaction.state == state
    frame = len(history) + 2
    assert applied(transaction, lambda: send(transaction, trigger, frame)) == (event, action)
    assert transaction.state == next_state
    assert not transaction.unexpected


@pytest.mark.parametrize(("state", "event", "next_state", "action", "history", "trigger"), INVITE_ROWS)
def test_invite_transaction(state, event, next_state, action, history, trigger):
    check_transaction_row("INVITE", state, event, next_state, action, history, trigger)


@pytest.mark.parametrize(("state", "event", "next_state", "action", "history", "trigger"), NON_INVITE_ROWS)
def test_non_invite_transaction(state, event, next_state, action, history, trigger):
    check_transaction_row("OPTIONS", state, event, next_state, action, history, trigger)


def test_transaction_rows_cover_the_tables():
    assert covered(INVITE_ROWS) == set(txn.INVITE_TABLE)
    assert covered(NON_INVITE_ROWS) == set(txn.NON_INVITE_TABLE)


@pytest.mark.parametrize(("method", "history", "trigger", "state", "event"), [
    ("INVITE", (), "ACK", txn.CALLING, txn.ACK),  # nothing to acknowledge yet
    ("INVITE", ("486",), "200", txn.COMPLETED, txn.SUCCESS),  # a 2xx after a failure
    ("INVITE", ("200",), "486", txn.ACCEPTED, txn.FAILURE),  # a failure after a 2xx (16.7 step 5 forbids it)
    ("OPTIONS", ("200",), "180", txn.COMPLETED, txn.PROVISIONAL),  # a 1xx after the final response
    ("OPTIONS", ("200",), "404", txn.COMPLETED, txn.FAILURE),  # a second, different final response
])
def test_transaction_unexpected_event(method, history, trigger, state, event):
    table = txn.INVITE_TABLE if method == "INVITE" else txn.NON_INVITE_TABLE
    assert (state, event) not in table
    transaction = new_transaction(method)
    for frame, what in enumerate(history, start=2):
        send(transaction, what, frame)
    assert applied(transaction, lambda: send(transaction, trigger, 9)) == (event, txn.UNEXPECTED)
    assert transaction.state == state
    assert list(transaction.unexpected) == [(event, 9, 9 * MS)]


# -- how a transaction tells an event from the message -------------------------------------------------------
def test_byte_identical_response_is_a_copy():
    transaction = new_transaction("INVITE")
    raw = make_response(status=486, reason="Busy Here")
    sent, resent = wire(raw, 2), wire(raw, 3)
    first, again, action = transaction.response(sent, 1, sent.to_tag)
    assert (again, action, transaction.state) == (False, None, txn.COMPLETED)
    copy, again, action = transaction.response(resent, 2, resent.to_tag)
    assert copy is first
    assert (again, action, transaction.state) == (True, txn.RESENT, txn.COMPLETED)
    assert list(first.copies) == [(2, 3, 3 * MS)]
    assert len(transaction.responses) == 1


def test_2xx_with_another_to_tag_is_a_fork():
    transaction = new_transaction("INVITE")
    first, _again, _action = send(transaction, "200", 2)
    fork, again, action = send(transaction, "200;tag=to-2", 3)
    assert fork is not first
    assert (again, action, transaction.state) == (False, None, txn.ACCEPTED)
    assert [(r.status, r.to_tag) for r in transaction.responses] == [(200, "to-1"), (200, "to-2")]
    assert not first.copies and not fork.copies


def test_reliable_provisionals_are_told_apart_by_rseq():
    """RFC 3262 section 3: each reliable 1xx has its own RSeq, and a retransmission keeps it."""
    transaction = new_transaction("INVITE")
    _first, again, _action = transaction.response(response(183, 2, rseq=1), 1, "to-1", rseq=1)
    assert again is False
    _second, again, action = transaction.response(response(183, 3, rseq=2), 2, "to-1", rseq=2)
    assert (again, action) == (False, None)
    _copy, again, action = transaction.response(response(183, 4, rseq=2), 3, "to-1", rseq=2)
    assert (again, action) == (True, txn.RESENT)


def test_retransmitted_request_is_counted():
    transaction = new_transaction("INVITE")
    assert send(transaction, "request", 2) == txn.RETRANSMITTED
    assert send(transaction, "request", 3) == txn.RETRANSMITTED
    assert list(transaction.copies) == [(1, 2, 2 * MS), (2, 3, 3 * MS)]
    assert transaction.state == txn.CALLING


def test_ack_of_a_failure_confirms_and_a_second_ack_is_a_copy():
    transaction = new_transaction("INVITE")
    send(transaction, "486", 2)
    assert applied(transaction, lambda: send(transaction, "ACK", 3)) == (txn.ACK, None)
    assert transaction.state == txn.CONFIRMED
    assert transaction.ack == (2, 3, 3 * MS)
    assert applied(transaction, lambda: send(transaction, "ACK", 4)) == (txn.ACK_AGAIN, None)
    assert transaction.ack == (2, 3, 3 * MS)
    assert transaction.ack_copies == 1
    assert not transaction.unexpected


def test_unexpected_ack_is_not_taken_as_the_ack():
    transaction = new_transaction("INVITE")
    send(transaction, "180", 2)
    assert send(transaction, "ACK", 3) == txn.UNEXPECTED
    assert transaction.ack is None
    assert list(transaction.unexpected) == [(txn.ACK, 3, 3 * MS)]


# -- dialogs -------------------------------------------------------------------------------------------------
def dialog_event(dialog: dlg.Dialog, event: str, frame: int) -> None:
    """``event`` the way the call delivers it: the call itself turns responses into EARLY_RESPONSE, REJECT,
    BYE_DONE and GONE with ``apply`` (calls.py)."""
    time = frame * MS
    if event == dlg.ANSWER:
        dialog.answered(1, txn.Response(200, "OK", "to-1", frame - 1, frame, time, None))
    elif event == dlg.ACK:
        dialog.acked(1, frame - 1, frame, time)
    elif event == dlg.BYE:
        dialog.bye("from-1", frame, time)
    elif event == dlg.REQUEST:
        dialog.request(frame, time)
    else:
        dialog.apply(event, frame, time)


DIALOG_PATHS = {
    dlg.EARLY: (),  # a dialog is created early by a 1xx with a To tag (RFC 3261 section 12.1)
    dlg.CONFIRMED: (dlg.ANSWER,),
    dlg.TERMINATING: (dlg.ANSWER, dlg.BYE),
    dlg.TERMINATED: (dlg.ANSWER, dlg.BYE, dlg.BYE_DONE),
}


def dialog_in(state: str) -> dlg.Dialog:
    dialog = dlg.Dialog("from-1", "to-1", "INVITE", 1, MS)
    for frame, event in enumerate(DIALOG_PATHS[state], start=2):
        dialog_event(dialog, event, frame)
    assert dialog.state == state
    return dialog


DIALOG_ROWS = [
    # RFC 3261 sections 12-15, with the states of RFC 4235 section 3.7.1
    (dlg.EARLY, dlg.EARLY_RESPONSE, dlg.EARLY, None),  # 12.1.2: more 1xx with the same tag
    (dlg.EARLY, dlg.ANSWER, dlg.CONFIRMED, dlg.AWAIT_ACK),  # 12.1, 13.2.2.4: the 2xx confirms, needs an ACK
    (dlg.EARLY, dlg.REJECT, dlg.TERMINATED, None),  # 12.3: a non-2xx final ends the early dialogs
    (dlg.EARLY, dlg.REQUEST, dlg.EARLY, None),  # RFC 3262 PRACK, RFC 3311 UPDATE in an early dialog
    (dlg.EARLY, dlg.BYE, dlg.TERMINATING, None),  # 15: the caller may BYE an early dialog
    (dlg.EARLY, dlg.GONE, dlg.TERMINATED, None),  # 12.2.1.2: 481 or 408 ends it
    (dlg.CONFIRMED, dlg.ANSWER, dlg.CONFIRMED, dlg.AWAIT_ACK),  # 14: a re-INVITE's 2xx needs its ACK too
    (dlg.CONFIRMED, dlg.ACK, dlg.CONFIRMED, None),  # 13.2.2.4: the ACK of a 2xx
    (dlg.CONFIRMED, dlg.REQUEST, dlg.CONFIRMED, None),  # 12.2: requests inside the dialog
    (dlg.CONFIRMED, dlg.BYE, dlg.TERMINATING, None),  # 15.1
    (dlg.CONFIRMED, dlg.GONE, dlg.TERMINATED, None),  # 12.2.1.2
    (dlg.CONFIRMED, dlg.EARLY_RESPONSE, dlg.CONFIRMED, None),  # a 1xx overtaken by the 2xx (UDP reordering)
    (dlg.TERMINATING, dlg.BYE, dlg.TERMINATING, None),  # both ends hang up at once
    (dlg.TERMINATING, dlg.BYE_DONE, dlg.TERMINATED, None),  # 15.1.1: the BYE's final response
    (dlg.TERMINATING, dlg.ACK, dlg.TERMINATING, None),  # an ACK that crossed the BYE
    (dlg.TERMINATING, dlg.ANSWER, dlg.TERMINATING, dlg.AWAIT_ACK),  # 13.2.2.4: a 2xx that crossed the BYE needs its ACK
    (dlg.TERMINATING, dlg.REQUEST, dlg.TERMINATING, None),  # a request that crossed the BYE
    (dlg.TERMINATING, dlg.GONE, dlg.TERMINATED, None),  # 15.1.1: 481 or 408 to the BYE
    (dlg.TERMINATED, dlg.ACK, dlg.TERMINATED, None),  # a late ACK copy
    (dlg.TERMINATED, dlg.BYE_DONE, dlg.TERMINATED, None),  # the answer to a crossing BYE
    (dlg.TERMINATED, dlg.GONE, dlg.TERMINATED, None),  # 481 to a crossing BYE
]


@pytest.mark.parametrize(("state", "event", "next_state", "action"), DIALOG_ROWS)
def test_dialog(state, event, next_state, action):
    dialog = dialog_in(state)
    assert applied(dialog, lambda: dialog_event(dialog, event, 9)) == (event, action)
    assert dialog.state == next_state
    assert not dialog.unexpected


def test_dialog_rows_cover_the_table():
    assert covered(DIALOG_ROWS) == set(dlg.DIALOG_TABLE)


@pytest.mark.parametrize(("state", "event"), [
    (dlg.EARLY, dlg.ACK),  # no 2xx to acknowledge yet
    (dlg.EARLY, dlg.BYE_DONE),  # no BYE was sent
    (dlg.TERMINATED, dlg.BYE),  # a BYE after the end
    (dlg.TERMINATED, dlg.REQUEST),  # a request after the end
    (dlg.TERMINATED, dlg.ANSWER),  # a new 2xx after the end
])
def test_dialog_unexpected_event(state, event):
    assert (state, event) not in dlg.DIALOG_TABLE
    dialog = dialog_in(state)
    assert applied(dialog, lambda: dialog_event(dialog, event, 9)) == (event, dlg.UNEXPECTED)
    assert dialog.state == state
    assert list(dialog.unexpected) == [(event, 9, 9 * MS)]


def test_dialog_records_when_it_was_confirmed_and_ended_and_who_hung_up():
    dialog = dialog_in(dlg.EARLY)
    dialog.answered(1, txn.Response(200, "OK", "to-1", 1, 2, 2 * MS, None))
    assert dialog.confirmed_time == 2 * MS
    assert dialog.acked(1, 2, 3, 3 * MS) is True
    assert dialog.acks[1].ack == (2, 3, 3 * MS)
    dialog.bye("to-1", 4, 4 * MS)
    dialog.bye("from-1", 5, 5 * MS)
    assert (dialog.bye_frame, dialog.bye_tag) == (4, "to-1")
    dialog.apply(dlg.BYE_DONE, 6, 6 * MS)
    assert dialog.ended_time == 6 * MS


def test_ack_for_an_unknown_2xx_is_reported():
    dialog = dialog_in(dlg.CONFIRMED)
    assert dialog.acked(2, 2, 3, 3 * MS) is False
    assert dialog.acks[1].ack is None


def test_bye_resent_with_credentials_after_a_challenge():
    def in_dialog(method: str, cseq: int, branch: str, extra: str = "") -> bytes:
        raw = make_request(method=method, cseq=cseq, branch=branch, extra=extra)
        return raw.replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=to-1")

    challenge = 'Proxy-Authenticate: Digest realm="example.com", nonce="n1"\r\n'
    credentials = ('Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", '
                   'uri="sip:bob@example.com", response="00000000000000000000000000000000"\r\n')
    messages = [
        wire(make_request(), 1),
        wire(make_response(), 2),
        wire(in_dialog("ACK", 1, "z9hG4bK-2"), 3),
        wire(in_dialog("BYE", 2, "z9hG4bK-3"), 4),
        response(407, 5, "BYE", cseq=2, branch="z9hG4bK-3", extra=challenge),
        wire(in_dialog("BYE", 3, "z9hG4bK-4", credentials), 6),
        response(200, 7, "BYE", cseq=3, branch="z9hG4bK-4"),
    ]
    analysis = analyze_messages(messages)
    assert "dialog.request_after_end" not in analysis.finding_ids()
    (dialog,) = analysis.call("call-1@example.com")["dialogs"]
    assert (dialog["state"], dialog["ended_after"]) == (dlg.TERMINATED, 0.006)


# -- subscriptions -------------------------------------------------------------------------------------------
NOTIFY_STATES = {sub.NOTIFY_PENDING: "pending", sub.NOTIFY_ACTIVE: "active", sub.NOTIFY_TERMINATED: "terminated"}


def subscription_event(subscription: sub.Subscription, event: str, frame: int, status: int | None = None) -> None:
    """``event`` the way the call delivers it; a refresh is matched by the call, which then applies REFRESH."""
    time = frame * MS
    if event == sub.ACCEPT:
        subscription.answered(status or 200, frame, time, "to-1", 3600)
    elif event == sub.REJECT:
        subscription.answered(status or 489, frame, time, "to-1", None)  # 489 Bad Event ends any subscription
    elif event in NOTIFY_STATES:
        subscription.notified(frame, time, "to-1", NOTIFY_STATES[event], None, 3600, None)
    else:
        subscription.apply(event, frame, time)


SUBSCRIPTION_PATHS = {
    sub.REQUESTED: (),
    sub.ACCEPTED: (sub.ACCEPT,),
    sub.PENDING: (sub.ACCEPT, sub.NOTIFY_PENDING),
    sub.ACTIVE: (sub.ACCEPT, sub.NOTIFY_ACTIVE),
    sub.TERMINATED: (sub.ACCEPT, sub.NOTIFY_ACTIVE, sub.NOTIFY_TERMINATED),
    sub.REJECTED: (sub.REJECT,),
}


def subscription_in(state: str) -> sub.Subscription:
    subscription = sub.Subscription("subscribe", "presence", None, "from-1", 1, MS)
    for frame, event in enumerate(SUBSCRIPTION_PATHS[state], start=2):
        subscription_event(subscription, event, frame)
    assert subscription.state == state
    return subscription


SUBSCRIPTION_ROWS = [
    # RFC 6665 section 4.1.2 (the subscriber's state diagram and its subsections)
    (sub.REQUESTED, sub.ACCEPT, sub.ACCEPTED),  # 4.1.2.1: the 2xx; the state comes with the first NOTIFY
    (sub.REQUESTED, sub.REJECT, sub.REJECTED),  # 4.1.2.1: a failure, no subscription
    (sub.REQUESTED, sub.NOTIFY_PENDING, sub.PENDING),  # 4.1.2.4: a NOTIFY may come before the 2xx
    (sub.REQUESTED, sub.NOTIFY_ACTIVE, sub.ACTIVE),  # 4.1.2.4
    (sub.REQUESTED, sub.NOTIFY_TERMINATED, sub.TERMINATED),  # 4.1.2.4
    (sub.ACCEPTED, sub.NOTIFY_PENDING, sub.PENDING),  # 4.1.2 diagram: NOTIFY, state=pending
    (sub.ACCEPTED, sub.NOTIFY_ACTIVE, sub.ACTIVE),  # 4.1.2 diagram: NOTIFY, state=active
    (sub.ACCEPTED, sub.NOTIFY_TERMINATED, sub.TERMINATED),  # 4.1.2 diagram: NOTIFY, state=terminated
    (sub.ACCEPTED, sub.REFRESH, sub.ACCEPTED),  # 4.1.2.2: a refresh
    (sub.ACCEPTED, sub.ACCEPT, sub.ACCEPTED),  # 4.1.2.2: the refresh's 2xx
    (sub.ACCEPTED, sub.REJECT, sub.TERMINATED),  # 4.1.2.2: a refresh refused with 489
    (sub.PENDING, sub.ACCEPT, sub.PENDING),  # 4.1.2.4: the 2xx after the first NOTIFY, or a refresh's
    (sub.PENDING, sub.NOTIFY_PENDING, sub.PENDING),  # 4.2.2: a NOTIFY per refresh
    (sub.PENDING, sub.NOTIFY_ACTIVE, sub.ACTIVE),  # 4.1.2 diagram: authorised
    (sub.PENDING, sub.NOTIFY_TERMINATED, sub.TERMINATED),  # 4.1.2 diagram
    (sub.PENDING, sub.REFRESH, sub.PENDING),  # 4.1.2.2
    (sub.PENDING, sub.REJECT, sub.TERMINATED),  # 4.1.2.2: a refresh refused with 489
    (sub.ACTIVE, sub.ACCEPT, sub.ACTIVE),  # 4.1.2.2: the refresh's 2xx
    (sub.ACTIVE, sub.NOTIFY_ACTIVE, sub.ACTIVE),  # 4.2.2: state changes and refreshes
    (sub.ACTIVE, sub.NOTIFY_PENDING, sub.PENDING),  # 4.1.2 diagram: authorisation withdrawn
    (sub.ACTIVE, sub.NOTIFY_TERMINATED, sub.TERMINATED),  # 4.1.2 diagram, 4.1.2.3 unsubscribing
    (sub.ACTIVE, sub.REFRESH, sub.ACTIVE),  # 4.1.2.2
    (sub.ACTIVE, sub.REJECT, sub.TERMINATED),  # 4.1.2.2: a refresh refused with 489
    (sub.TERMINATED, sub.ACCEPT, sub.TERMINATED),  # 4.1.2.4: the 2xx overtaken by the final NOTIFY
    (sub.TERMINATED, sub.REFRESH, sub.TERMINATED),  # 4.1.2.3: an unsubscribe crossing the final NOTIFY
    (sub.TERMINATED, sub.REJECT, sub.TERMINATED),  # its 481
]


@pytest.mark.parametrize(("state", "event", "next_state"), SUBSCRIPTION_ROWS)
def test_subscription(state, event, next_state):
    subscription = subscription_in(state)
    assert applied(subscription, lambda: subscription_event(subscription, event, 9)) == (event, None)
    assert subscription.state == next_state
    assert subscription.unexpected == []


def test_subscription_rows_cover_the_table():
    assert covered(SUBSCRIPTION_ROWS) == set(sub.SUBSCRIPTION_TABLE)


@pytest.mark.parametrize(("state", "event"), [
    (sub.REQUESTED, sub.REFRESH),  # nothing to refresh yet
    (sub.REJECTED, sub.NOTIFY_ACTIVE),  # a NOTIFY for a refused subscription
    (sub.REJECTED, sub.ACCEPT),  # a 2xx after the failure
    (sub.TERMINATED, sub.NOTIFY_ACTIVE),  # a NOTIFY after the end
])
def test_subscription_unexpected_event(state, event):
    assert (state, event) not in sub.SUBSCRIPTION_TABLE
    subscription = subscription_in(state)
    assert applied(subscription, lambda: subscription_event(subscription, event, 9)) == (event, sub.UNEXPECTED)
    assert subscription.state == state
    assert subscription.unexpected == [(event, 9, 9 * MS)]


def test_provisional_response_is_no_subscription_event():
    subscription = subscription_in(sub.REQUESTED)
    subscription.answered(100, 2, 2 * MS, None, None)
    assert (subscription.state, subscription.unexpected) == (sub.REQUESTED, [])


@pytest.mark.parametrize("status", [404, 481, 489])
def test_refresh_refused_for_good_ends_the_subscription(status):
    """RFC 6665 section 4.1.2.2: 404, 405, 410, 416, 480-485, 489, 501 and 604 end it."""
    subscription = subscription_in(sub.ACTIVE)
    subscription_event(subscription, sub.REFRESH, 9)
    subscription_event(subscription, sub.REJECT, 10, status)
    assert subscription.state == sub.TERMINATED


@pytest.mark.parametrize("status", [407, 500, 503])
def test_refresh_refused_for_now_keeps_the_subscription(status):
    subscription = subscription_in(sub.ACTIVE)
    subscription_event(subscription, sub.REFRESH, 9)
    subscription_event(subscription, sub.REJECT, 10, status)
    assert (subscription.state, subscription.unexpected) == (sub.ACTIVE, [])
