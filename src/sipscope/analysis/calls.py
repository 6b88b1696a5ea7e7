"""A call: everything that shares a Call-ID (RFC 3261 section 8.1.1.4), correlated.

The call routes each message to its transaction (``transactions.py``), and from there to the dialog, the
subscription or the registration it belongs to. When the call is over, ``findings`` says what was missing or
wrong and ``summary`` what happened: who called whom, the outcome, the times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

from . import dialogs as dlg
from .dialogs import Dialog, dialog_key
from .findings import ERROR, INFO, WARNING, Finding
from .flow import Step, step, user_agent
from .registrations import CHALLENGES, Registration
from .subscriptions import REFRESH, Subscription
from .transactions import ACCEPTED, COMPLETED, T1, TIMEOUT, Transaction, duration_text, message_key, seconds, \
    transaction_key

# Looked for in the raw header block: most messages have none of these, and parsing every header to find out
# would cost more than the rest of the analysis.
_CREDENTIALS = re.compile(rb"\n(?:Authorization|Proxy-Authorization)[ \t]*:", re.I)
_RSEQ = re.compile(rb"\nRSeq[ \t]*:[ \t]*(\d{1,10})", re.I)
_STALE = re.compile(rb"stale\s*=\s*\"?true", re.I)
_LINK_HEADERS = re.compile(rb"\n(?:X-CID|X-Call-ID|Session-ID)[ \t]*:", re.I)
_ADDRESS = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>|\s*([^;\s]+)')
_NOTHING = MappingProxyType({})  # the empty mapping calls share until they need a dict of their own
_NULL_SESSION = "0" * 32  # RFC 7989 section 4: the null Session-ID of an end that does not know it yet

AGENT_MESSAGES = 8  # how many of a call's first messages are searched for User-Agent and Server headers
BUSY = (486, 600)
NO_ANSWER = (408, 480)
# Final responses to INVITE that are the callee's (or the user's) own choice: worth knowing, not a fault.
USER_CHOICES = (486, 600, 603)


def party(value: str | None) -> str | None:
    """``"Display" <user@host>`` or ``user@host`` from a From/To value: what a calls table shows. A light read,
    not ``sip.headers.parse_name_addr``: it runs for every call, and a display needs no validation."""
    if not value:
        return None
    match = _ADDRESS.match(value)
    if match is None:
        return value
    quoted, bare, inside, plain = match.groups()
    uri = inside if inside is not None else plain
    display = (quoted if quoted is not None else bare or "").strip()
    address = _address(uri)
    return f'"{display}" <{address}>' if display else address


def _address(uri: str) -> str:
    """user@host of a URI: scheme, password, port, parameters and headers left out."""
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return uri
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    if scheme.lower() == "tel":
        return rest
    user, at, host = rest.rpartition("@")
    user = user.split(":", 1)[0]
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    else:
        host = host.split(":", 1)[0]
    return f"{user}@{host}" if at else host


TRANSACTIONS_LIMIT = "limit: transactions per call (the oldest let go)"
DIALOGS_LIMIT = "limit: dialogs per call (the others not followed)"


@dataclass(frozen=True)
class CallLimits:
    """How much one call may hold (``pipeline.Limits``), and where a limit hit is told: ``hit(event, frame)``.
    Only a hostile or broken capture reaches them: a flood of requests or of forked answers under one Call-ID."""

    transactions: int = 10_000
    dialogs: int = 1_000
    hit: Callable[[str, int], None] = lambda _event, _frame: None


DEFAULT_LIMITS = CallLimits()


class Call:
    """The messages of one Call-ID and what they add up to."""

    __slots__ = (
        "call_id", "stats", "indices", "first_time", "last_time", "first_frame", "kind", "caller", "callee",
        "caller_tag", "transactions", "invites", "dialogs", "subscriptions", "registrations", "last_cseq",
        "reliable", "orphans", "unknown_notifies", "unmatched", "rejected_credentials", "found", "ringing_time",
        "answer_time", "links", "parked", "flow", "agents", "raw", "limits",
    )

    def __init__(self, call_id: str, stats, indices: bool = True, flow: bool = False, raw: bool = False,
                 limits: CallLimits | None = None):
        self.call_id = call_id
        self.stats = stats
        self.limits = limits or DEFAULT_LIMITS
        self.indices: list[int] | None = [] if indices else None
        """Index in the capture's message list of every message of the call (when asked for)."""
        self.first_time = self.last_time = 0
        self.first_frame = 0
        self.kind: str | None = None
        """``call`` when an INVITE started a dialog, else the first request's method in lower case."""
        self.caller: str | None = None
        self.callee: str | None = None
        self.caller_tag: str | None = None
        self.transactions: dict[tuple, Transaction] = {}
        self.invites: list[Transaction] = []
        """The INVITEs sent outside a dialog (the first, and the retries after a challenge)."""
        self.dialogs: dict[tuple, Dialog] = {}
        # What most calls never need starts as a shared empty tuple or mapping, made a list (``_add``) or a dict
        # by the first addition: an open call costs less memory.
        self.subscriptions: list[Subscription] | tuple = ()
        self.registrations: dict[str, Registration] = _NOTHING
        self.last_cseq: dict[tuple, tuple] = {}
        """(From tag, To tag) -> (CSeq number, method, source address) of the last new request."""
        self.reliable: dict[tuple[int, int], list] = _NOTHING
        """(INVITE CSeq, RSeq) -> [frame, time, PRACK frame or None]: RFC 3262's reliable provisionals."""
        self.orphans: list[Transaction] | tuple = ()
        """Requests inside a dialog the capture never saw set up."""
        self.unknown_notifies: list[Transaction] | tuple = ()
        self.unmatched: list[tuple[int, int, int]] | tuple = ()
        """(frame, time, status) of responses whose request is not in the capture."""
        self.rejected_credentials: list[Transaction] | tuple = ()
        self.found: list[Finding] | tuple = ()
        """Findings made on the spot (the rest wait for ``findings``)."""
        self.ringing_time: int | None = None
        self.answer_time: int | None = None
        self.links: list[str] | tuple = ()
        """Call-IDs and Session-IDs this call's INVITE names as its other legs."""
        self.parked = False
        """Set by the analyzer while the call waits for a message and nothing else (see ``closing_time``)."""
        self.flow: list[Step] | None = [] if flow else None
        """Every message as a ``flow.Step``, when asked for (with its bytes when ``raw``)."""
        self.agents: dict[str, str] | None = {} if flow else None
        """Address -> its User-Agent or Server value, with the flow."""
        self.raw = raw

    def _add(self, name: str, item) -> None:
        """Append to one of the lists that start as an empty tuple."""
        items = getattr(self, name)
        if not items:
            items = []
            setattr(self, name, items)
        items.append(item)

    # -- messages in ---------------------------------------------------------------------------------------
    def feed(self, message, index: int) -> None:
        if not self.first_frame:
            self.first_time, self.first_frame = message.time, message.frames[0]
        if self.indices is not None:
            self.indices.append(index)
        self.last_time = message.time
        if message.method is not None:
            again = self._request(message, index)
        else:
            again = self._response(message, index)
        if self.flow is not None:
            self.flow.append(step(message, bool(again), self.raw))
            # Looked for in the call's first messages only, until found: a 100 Trying often has none.
            if len(self.flow) <= AGENT_MESSAGES and message.src not in self.agents:
                agent = user_agent(message)
                if agent is not None:
                    self.agents[message.src] = agent

    def _request(self, message, index: int) -> bool | None:
        """Follow a request; True when it is a retransmission."""
        method = message.method
        key = message_key(message, method)
        txn = self.transactions.get(key)
        if txn is not None and method != "ACK":
            self.stats.request(method, True)
            txn.request_again(index, message.frames[-1], message.time)
            return True
        branch = key[0]
        from_tag, to_tag = message.from_tag, message.to_tag
        frame, time = message.frames[-1], message.time
        if self.kind is None and to_tag is None:
            self.kind = "call" if method == "INVITE" else method.lower()
        if method == "ACK":
            self.stats.request(method, False)
            if txn is not None and txn.state != ACCEPTED:
                txn.acked(index, frame, time)
            else:
                self._ack_2xx(message, index, from_tag, to_tag, frame, time)
            return
        self.stats.request(method, False)
        txn = Transaction(key, message, index, branch, from_tag, to_tag)
        self.transactions[key] = txn
        if len(self.transactions) > self.limits.transactions:
            del self.transactions[next(iter(self.transactions))]
            self.limits.hit(TRANSACTIONS_LIMIT, frame)
        if _CREDENTIALS.search(message.raw, 0, message.body_start):
            txn.credentials = True
        if method != "CANCEL":
            self._check_cseq(message, txn)
        if method == "INVITE" and to_tag is None:
            self._initial_invite(message, txn)
        elif method == "CANCEL":
            invite = self.transactions.get(transaction_key("INVITE", txn.cseq, branch, from_tag))
            if invite is not None and invite.cancelled_by is None:
                invite.cancelled_by = txn
        elif method == "REGISTER":
            self._register(message, txn)
        elif method == "REFER":
            self._refer(message, txn)
        elif method == "SUBSCRIBE":
            self._subscribe(message, txn)
        elif method == "NOTIFY" and not self._notify(message, txn):
            return  # notify.unknown_subscription says it: its dialog is unknown for the same reason
        if method == "BYE" and to_tag is None:
            to_tag = txn.to_tag = self._bye_without_tag(txn)
        if to_tag is not None:
            self._in_dialog(message, txn)

    def _response(self, message, index: int) -> bool | None:
        """Follow a response; True when it is a copy of one already seen."""
        status = message.status
        txn = self.transactions.get(message_key(message, message.cseq_method))
        if txn is None:
            self.stats.response(status, False)
            self._add("unmatched", (message.frames[-1], message.time, status))
            return
        to_tag = message.to_tag
        rseq = None
        if 100 < status < 200 and txn.method == "INVITE":
            found = _RSEQ.search(message.raw, 0, message.body_start)
            rseq = int(found.group(1)) if found else None
        response, again, _action = txn.response(message, index, to_tag, rseq)
        self.stats.response(status, again)
        if again:
            return True
        frame, time = response.frame, response.time
        method = txn.method
        if method == "INVITE":
            self._invite_response(txn, response, to_tag)
        elif status >= 200:
            if method == "BYE" and status not in CHALLENGES:  # a challenged BYE is sent again with credentials
                dialog = self.dialogs.get(dialog_key(txn.from_tag, to_tag))
                if dialog is not None:
                    dialog.apply(dlg.BYE_DONE, frame, time)
            elif method in ("SUBSCRIBE", "REFER") and txn.extra is not None:
                self._subscription_answered(message, txn, response)
            elif method == "REGISTER" and txn.extra is not None:
                self._registered(message, txn, response)
        if status < 300:
            return
        if status in (481, 408) and txn.to_tag is not None and method != "PRACK":
            # Section 12.2.1.2: the dialog is gone (481) or its peer unreachable (408). A 481 to PRACK only says
            # that no such reliable response exists (RFC 3262 section 3).
            dialog = self.dialogs.get(dialog_key(txn.from_tag, txn.to_tag))
            if dialog is not None:
                dialog.apply(dlg.GONE, frame, time)
                if status == 481:
                    self._add("found", Finding(
                        "dialog.unknown", self.call_id, [txn.frame, frame],
                        f"{method} (CSeq {txn.cseq}) in a dialog the capture saw set up was answered 481 "
                        f"{response.reason}: the peer lost the dialog (restarted, or timed it out)".rstrip(),
                        txn.time))
        if txn.credentials and (status == 403 or (status in CHALLENGES and
                                                  not _STALE.search(message.raw, 0, message.body_start))):
            # Section 22.2-22.3: a stale nonce asks for a retry with the same credentials, not a rejection.
            self._add("rejected_credentials", txn)
        if status == 491:
            self._add("found", Finding(
                "invite.glare", self.call_id, [txn.frame, frame],
                f"{method} (CSeq {txn.cseq}) met a request going the other way: 491 {response.reason}".rstrip(),
                txn.time))

    # -- INVITE, CANCEL, ACK, PRACK ------------------------------------------------------------------------
    def _initial_invite(self, message, txn: Transaction) -> None:
        self.invites.append(txn)
        if self.caller_tag is None:
            self.caller_tag = txn.from_tag
            self.caller = party(message.from_header)
            self.callee = party(message.to_header)
        if _LINK_HEADERS.search(message.raw, 0, message.body_start):
            for name in ("X-CID", "X-Call-ID"):
                value = message.header(name)
                if value and value not in self.links and value != self.call_id:
                    self._add("links", value)
            session = message.header("Session-ID")
            if session:
                for uuid in re.findall(r"[0-9a-fA-F]{32}", session)[:2]:
                    if uuid != _NULL_SESSION and "session:" + uuid.lower() not in self.links:
                        self._add("links", "session:" + uuid.lower())

    def _invite_response(self, txn: Transaction, response, to_tag) -> None:
        status, frame, time = response.status, response.frame, response.time
        if txn.to_tag is None:  # the INVITE that creates the dialog(s)
            if status < 200:
                if 180 <= status < 190 and self.ringing_time is None:
                    self.ringing_time = time
                if to_tag is not None:
                    self._dialog(txn.from_tag, to_tag, "INVITE", frame, time).apply(dlg.EARLY_RESPONSE, frame,
                                                                                     time)
                if response.rseq is not None:
                    if not self.reliable:
                        self.reliable = {}
                    self.reliable.setdefault((txn.cseq, response.rseq), [frame, time, None])
            elif status < 300:
                if self.answer_time is None:
                    self.answer_time = time
                dialog = self._dialog(txn.from_tag, to_tag, "INVITE", frame, time)
                dialog.answered(txn.cseq, response)
            else:
                for dialog in self.dialogs.values():  # section 13.2.2.3: a failure ends every early dialog
                    if dialog.method == "INVITE" and dialog.local_tag == txn.from_tag and dialog.state == dlg.EARLY:
                        dialog.apply(dlg.REJECT, frame, time)
        elif 200 <= status < 300:  # a re-INVITE (section 14)
            dialog = self.dialogs.get(dialog_key(txn.from_tag, txn.to_tag))
            if dialog is not None:
                dialog.answered(txn.cseq, response)

    def _ack_2xx(self, message, index: int, from_tag, to_tag, frame: int, time: int) -> None:
        """The ACK of a 2xx is matched by its dialog and its CSeq number (RFC 3261 section 13.2.2.4)."""
        cseq = message.cseq_number
        dialog = self.dialogs.get(dialog_key(from_tag, to_tag))
        if dialog is not None and dialog.acked(cseq, index, frame, time):
            return
        # Section 12.2.1.1 asks for the 2xx's To tag; some stacks leave it out or get it wrong. When exactly one
        # 2xx of this end waits for an ACK with this CSeq, that is the one meant, but a strict peer would disagree.
        waiting = [d for d in self.dialogs.values() if d.local_tag == from_tag and cseq in d.acks
                   and d.acks[cseq].ack is None]
        if len(waiting) == 1:
            waiting[0].acked(cseq, index, frame, time)
            self._add("found", Finding(
                "dialog.tag_mismatch", self.call_id, [waiting[0].acks[cseq].frame, frame],
                f"ACK (CSeq {cseq}) has To tag {to_tag or '(none)'}, not the {waiting[0].remote_tag} of the "
                f"{waiting[0].acks[cseq].status} it acknowledges: matched by Call-ID, From tag and CSeq", time,
                inferred=True))
            return
        # A stack that gives the ACK of a failure a branch of its own (against section 17.1.1.3): match it by
        # CSeq and From tag to the INVITE still waiting for one.
        for txn in self.transactions.values():
            if txn.method == "INVITE" and txn.state == COMPLETED and txn.cseq == message.cseq_number \
                    and txn.from_tag == from_tag:
                txn.acked(index, frame, time)
                return
        self._add("found", Finding("dialog.unknown", self.call_id, [frame],
                                  f"ACK (CSeq {message.cseq_number}) for no 2xx or failure in the capture", time,
                                  severity=INFO, inferred=True))

    def _bye_without_tag(self, txn: Transaction) -> str | None:
        """The other tag of the one live dialog a BYE without a To tag can be meant for (a BYE is never sent
        outside a dialog, RFC 3261 section 15), or None."""
        live = [d for d in self.dialogs.values() if d.method == "INVITE" and d.state in (dlg.EARLY, dlg.CONFIRMED)
                and txn.from_tag in (d.local_tag, d.remote_tag)]
        if len(live) != 1:
            return None
        dialog = live[0]
        other = dialog.remote_tag if txn.from_tag == dialog.local_tag else dialog.local_tag
        self._add("found", Finding(
            "dialog.tag_mismatch", self.call_id, [txn.frame],
            f"BYE (CSeq {txn.cseq}) has no To tag: matched by Call-ID and From tag to the dialog with tag {other}",
            txn.time, inferred=True))
        return other

    def _prack(self, message, txn: Transaction) -> None:
        rack = message.value("RAck")
        pending = None
        if rack is not None and rack.rseq is not None:
            pending = self.reliable.get((rack.cseq, rack.rseq))
        if pending is None:
            self._add("found", Finding("prack.unmatched", self.call_id, [txn.frame],
                                      f"PRACK with RAck '{rack.raw if rack else ''}' names no reliable provisional"
                                      " response in the capture", txn.time, inferred=True))
        elif pending[2] is None:
            pending[2] = txn.frame

    # -- dialogs -------------------------------------------------------------------------------------------
    def _dialog(self, local_tag, remote_tag, method: str, frame: int, time: int, state: str = dlg.EARLY) -> Dialog:
        key = dialog_key(local_tag, remote_tag)
        dialog = self.dialogs.get(key)
        if dialog is None:
            dialog = Dialog(local_tag, remote_tag, method, frame, time, state)
            if len(self.dialogs) < self.limits.dialogs:
                self.dialogs[key] = dialog
            else:  # answered all the same, and not followed
                self.limits.hit(DIALOGS_LIMIT, frame)
        return dialog

    def _in_dialog(self, message, txn: Transaction) -> None:
        dialog = self.dialogs.get(dialog_key(txn.from_tag, txn.to_tag))
        if dialog is None:
            self._add("orphans", txn)
            return
        if txn.method == "BYE":
            dialog.bye(txn.from_tag, txn.frame, txn.time)
        else:
            dialog.request(txn.frame, txn.time)
            if txn.method == "PRACK":
                self._prack(message, txn)

    def _check_cseq(self, message, txn: Transaction) -> None:
        """Section 12.2.1.1 and 8.1.1.5: each new request from one end raises its CSeq number."""
        if txn.cseq is None:
            return
        key = (txn.from_tag, txn.to_tag)
        last = self.last_cseq.get(key)
        if last is not None:
            number, method, src = last
            # The same number and method from another address is the request relayed by another element.
            if txn.cseq < number or txn.cseq == number and (txn.method != method or txn.src == src):
                if not self._forwarded(message, txn):
                    self._add("found", Finding(
                        "cseq.out_of_order", self.call_id, [txn.frame],
                        f"{txn.method} has CSeq {txn.cseq}, not above the {number} ({method}) this end used "
                        "before", txn.time))
                return
        self.last_cseq[key] = (txn.cseq, txn.method, txn.src)

    def _forwarded(self, message, txn: Transaction) -> bool:
        """Whether the request is one already seen, forwarded by a proxy (section 16.6 step 8): a Via below its
        top one is the top Via of a request of the call with the same method and CSeq."""
        for hop in message.values("Via")[1:]:
            key = transaction_key(txn.method, txn.cseq, hop.branch, txn.from_tag)
            if key in self.transactions:
                return True
        return False

    # -- subscriptions -------------------------------------------------------------------------------------
    def _refer(self, message, txn: Transaction) -> None:
        sub = Subscription("refer", "refer", str(txn.cseq), txn.from_tag, txn.frame, txn.time)
        sub.refer_to = message.header("Refer-To")
        sub.attended = sub.refer_to is not None and "replaces" in sub.refer_to.lower()
        sub.in_dialog = txn.to_tag is not None
        sub.expect_notify = not _refer_sub_false(message)
        txn.extra = sub
        self._add("subscriptions", sub)

    def _subscribe(self, message, txn: Transaction) -> None:
        event = message.value("Event")
        package = event.package.lower() if event is not None and event.package else ""
        event_id = event.id if event is not None else None
        if txn.to_tag is not None:
            for sub in self.subscriptions:
                if sub.kind == "subscribe" and sub.subscriber_tag == txn.from_tag and sub.event == package \
                        and sub.id == event_id:
                    sub.apply(REFRESH, txn.frame, txn.time)
                    txn.extra = sub
                    return
        sub = Subscription("subscribe", package, event_id, txn.from_tag, txn.frame, txn.time)
        sub.in_dialog = txn.to_tag is not None
        txn.extra = sub
        self._add("subscriptions", sub)

    def _subscription_answered(self, message, txn: Transaction, response) -> None:
        sub: Subscription = txn.extra
        if txn.method == "REFER" and 200 <= response.status < 300:
            # RFC 4488 section 4: the answer says whether the implicit subscription exists; when the REFER
            # asked for none and the answer is silent, the peer may not know the extension: no NOTIFY is demanded.
            if message.value("Refer-Sub") is not None:
                sub.expect_notify = not _refer_sub_false(message)
        expires = None
        if txn.method == "SUBSCRIBE" and response.status < 300:
            expires = _expires(message)
        sub.answered(response.status, response.frame, response.time, response.to_tag, expires)
        if 200 <= response.status < 300 and txn.to_tag is None:  # RFC 6665 section 4.1.2.1: a new dialog
            self._dialog(txn.from_tag, response.to_tag, txn.method, response.frame, response.time, dlg.CONFIRMED)

    def _notify(self, message, txn: Transaction) -> bool:
        """Add a NOTIFY to its subscription; False when there is none."""
        event = message.value("Event")
        package = event.package.lower() if event is not None and event.package else ""
        event_id = event.id if event is not None else None
        sub = self._subscription_for(package, event_id, txn.to_tag)
        if sub is None:
            self._add("unknown_notifies", txn)
            return False
        txn.extra = sub
        state = message.value("Subscription-State")
        fragment = None
        if sub.kind == "refer":
            part = message.body_part
            frag = None if part is None else part.sipfrag
            if frag is not None and frag.status is not None:
                fragment = (frag.status, frag.reason or "")
        sub.notified(txn.frame, txn.time, txn.from_tag, None if state is None else (state.state or "").lower(),
                     None if state is None else state.reason, None if state is None else state.expires, fragment)
        if txn.to_tag is not None and dialog_key(txn.from_tag, txn.to_tag) not in self.dialogs:
            # RFC 6665 section 4.4.1: the NOTIFY may arrive before the 2xx that creates the dialog.
            self._dialog(txn.to_tag, txn.from_tag, sub.kind.upper(), txn.frame, txn.time, dlg.CONFIRMED)
        return True

    def _subscription_for(self, package: str, event_id, subscriber_tag) -> Subscription | None:
        """RFC 6665 section 4.4.1 (and RFC 3515 section 2.4.6 for REFER, whose first NOTIFY may omit the id)."""
        candidates = [s for s in self.subscriptions if s.event == package and s.subscriber_tag == subscriber_tag]
        for sub in candidates:
            if sub.id == event_id:
                return sub
        if package == "refer" and event_id is None and candidates:
            return candidates[0]
        return None

    # -- registrations -------------------------------------------------------------------------------------
    def _register(self, message, txn: Transaction) -> None:
        aor = party(message.to_header) or ""
        registration = self.registrations.get(aor)
        if registration is None:
            if not self.registrations:
                self.registrations = {}
            registration = self.registrations[aor] = Registration(aor)
        txn.extra = (registration, registration.requested(txn.frame, txn.time, txn.credentials))

    def _registered(self, message, txn: Transaction, response) -> None:
        registration, attempt = txn.extra
        registration.answered(attempt, response.status, response.reason, response.frame, response.time)
        if 200 <= response.status < 300:
            contacts = [(value.uri.raw if value.uri else "*", value.expires) for value in message.values("Contact")]
            registration.bound(contacts, _expires(message))

    # -- closing -------------------------------------------------------------------------------------------
    def closing_time(self) -> int | None:
        """From when nothing more is to be expected if no message comes: 0 when that is already so, the time an
        unACKed 2xx is given up on or a subscription expires, None while a call rings or is up."""
        when = 0
        for txn in self.invites:
            if txn.final is None and txn.responses:
                return None  # still ringing: the answer may come much later
        for dialog in self.dialogs.values():
            if dialog.state == dlg.CONFIRMED and dialog.method == "INVITE":
                # A 2xx never ACKed is given up on after 64*T1 (RFC 3261 section 13.3.1.4), unless the dialog
                # went on without the ACK.
                if not dialog.acks or dialog.requests_after or any(p.ack is not None for p in dialog.acks.values()):
                    return None
                when = max(when, max(p.time for p in dialog.acks.values()) + TIMEOUT)
        for sub in self.subscriptions:
            if sub.state in ("accepted", "pending", "active"):
                if sub.expires_at is None:
                    return None
                when = max(when, sub.expires_at)
        return when

    def findings(self, now: int) -> list[Finding]:
        """Everything missing or wrong, judged at capture time ``now`` (the end of the capture, or when the call
        had been quiet long enough to be closed)."""
        found = list(self.found)
        call_id = self.call_id
        for txn in self.transactions.values():
            found.extend(self._transaction_findings(txn, now))
        for dialog in self.dialogs.values():
            found.extend(self._dialog_findings(dialog, now))
        for sub in self.subscriptions:
            dialog = self._subscription_dialog(sub)
            ended = dialog is not None and dialog.state in (dlg.TERMINATING, dlg.TERMINATED)
            found.extend(sub.findings(call_id, now, ended))
            if sub.unexpected:
                found.append(_unexpected("subscription.unexpected", call_id, sub.unexpected,
                                         f"{sub.kind.upper()} subscription ({sub.state})"))
        for registration in self.registrations.values():
            found.extend(registration.findings(call_id))
        for (cseq, rseq), (frame, time, prack) in self.reliable.items():
            if prack is None:
                invite = next((t for t in self.invites if t.cseq == cseq), None)
                settled = invite is not None and invite.final is not None and invite.final.time > time
                conclusive = settled or now - time >= TIMEOUT
                found.append(Finding("prack.missing", call_id, [frame],
                                     f"reliable provisional response (RSeq {rseq}) was never PRACKed", time,
                                     inferred=True, conclusive=conclusive,
                                     severity=None if conclusive else INFO))
        for txn in self.orphans:
            final = txn.final
            if final is not None and final.status == 481:
                found.append(Finding("dialog.unknown", call_id, [txn.frame, final.frame],
                                     f"{txn.method} for a dialog its peer does not know: 481 {final.reason}", txn.time))
            else:
                found.append(Finding("dialog.unknown", call_id, [txn.frame],
                                     f"{txn.method} inside a dialog the capture never saw set up (it may have "
                                     "started before the capture)", txn.time, severity=INFO, inferred=True))
        for txn in self.unknown_notifies:
            final = txn.final
            status = None if final is None else final.status
            known_to_peer = status is not None and status < 300
            found.append(Finding(
                "notify.unknown_subscription", call_id, [txn.frame] + ([final.frame] if final else []),
                "NOTIFY for a subscription the capture never saw set up"
                + (f", answered {status}" if status else "") +
                (" (it may have started before the capture)" if known_to_peer else ""),
                txn.time, severity=INFO if known_to_peer else WARNING, inferred=True))
        if self.unmatched:
            frames = [frame for frame, _t, _s in self.unmatched]
            codes = sorted({status for _f, _t, status in self.unmatched})
            found.append(Finding("response.unmatched", call_id, frames,
                                 f"{len(frames)} response(s) ({', '.join(map(str, codes))}) to requests not in the "
                                 "capture", self.unmatched[0][1], inferred=True))
        found.extend(self._invite_findings())
        found.extend(self._auth_findings())
        return found

    def _auth_findings(self) -> list[Finding]:
        """Credentials refused: an error, unless a later request of the same kind from the same end succeeded
        (servers that change their nonce refuse the old one without saying ``stale``)."""
        found = []
        for txn in self.rejected_credentials:
            final = txn.final
            later = next((t for t in self.transactions.values() if t.time > txn.time and t.method == txn.method
                          and t.from_tag == txn.from_tag and t.final is not None and t.final.status < 300), None)
            recovered = f"; a later {later.method} succeeded (frame {later.final.frame})" if later else ""
            found.append(Finding(
                "auth.rejected", self.call_id, [txn.frame, final.frame],
                f"{txn.method} carried credentials but was answered {final.status} {final.reason}".rstrip()
                + recovered, txn.time, severity=WARNING if later else None))
        return found

    def _transaction_findings(self, txn: Transaction, now: int) -> list[Finding]:
        found = []
        call_id = self.call_id
        copies = txn.copies
        final = txn.final
        if final is None and (not txn.responses or txn.method != "INVITE"):
            moved_on = self._moved_on(txn.from_tag, txn.time)
            waited = now - txn.time
            conclusive = waited >= TIMEOUT or moved_on or _retransmitted_to_the_end(txn)
            sent = "sent once"
            if copies:
                sent = f"sent {len(copies) + 1} times over {duration_text(copies[-1][2] - txn.time)}"
            what = "no response at all" if not txn.responses else \
                f"no final response, only {txn.responses[0].status}"
            if moved_on:
                why = "the sender moved on to a new request"
            elif waited < TIMEOUT and conclusive:
                why = "the sender retransmitted until its 64*T1 timer ran out"
            else:
                why = f"the capture went on for {duration_text(waited)}"
            found.append(Finding(
                "request.unanswered", call_id, [txn.frame, *(f for _i, f, _t in copies)],
                f"{txn.method} (CSeq {txn.cseq}) got {what}: {sent}; {why}", txn.time,
                severity=None if conclusive else _inconclusive(copies), inferred=True, conclusive=conclusive))
            return found
        if copies:
            first = txn.first_response
            found.append(Finding(
                "request.retransmitted", call_id, [txn.frame, *(f for _i, f, _t in copies)],
                f"{txn.method} (CSeq {txn.cseq}) was sent {len(copies) + 1} times; the first response came "
                f"{duration_text(first.time - txn.time)} after the first", txn.time, inferred=True))
        if txn.method == "INVITE" and final is not None and final.status >= 300:
            if txn.ack is None:
                moved_on = self._moved_on(txn.from_tag, final.time)
                conclusive = moved_on or now - final.time >= TIMEOUT
                found.append(_ack_missing(call_id, final.status, final.reason, txn.cseq, final.frame, final.time,
                                          final.copies, now, conclusive, moved_on))
            elif final.copies:
                found.append(_resent(call_id, final.status, final.reason, txn.cseq, final.frame, final.time,
                                     final.copies, txn.ack[2]))
        if txn.unexpected:
            found.append(_unexpected("transaction.unexpected", call_id, txn.unexpected,
                                     f"{txn.method} transaction ({txn.state})"))
        return found

    def _moved_on(self, from_tag, after: int) -> bool:
        """Whether the end with this From tag sent a new request (other than CANCEL) after ``after``: it stopped
        waiting for what came before."""
        return any(other.time > after and other.from_tag == from_tag and other.method != "CANCEL"
                   for other in self.transactions.values())

    def _dialog_findings(self, dialog: Dialog, now: int) -> list[Finding]:
        found = []
        for pending in dialog.acks.values():
            if pending.ack is None:
                went_on = dialog.requests_after > 0 or dialog.bye_frame is not None
                conclusive = went_on or now - pending.time >= TIMEOUT
                found.append(_ack_missing(self.call_id, pending.status, pending.reason, pending.cseq, pending.frame,
                                          pending.time, pending.copies, now, conclusive, went_on))
            elif pending.copies:
                found.append(_resent(self.call_id, pending.status, pending.reason, pending.cseq, pending.frame,
                                     pending.time, pending.copies, pending.ack[2]))
        after_end = [(event, frame, time) for event, frame, time in dialog.unexpected
                     if event in (dlg.REQUEST, dlg.BYE)]
        if after_end:
            found.append(Finding("dialog.request_after_end", self.call_id, [frame for _e, frame, _t in after_end],
                                 f"{len(after_end)} request(s) inside the dialog after it had ended", after_end[0][2]))
        others = [entry for entry in dialog.unexpected if entry[0] not in (dlg.REQUEST, dlg.BYE)]
        if others:
            found.append(_unexpected("dialog.unexpected", self.call_id, others, f"dialog ({dialog.state})"))
        return found

    def _invite_findings(self) -> list[Finding]:
        found = []
        for txn in self.transactions.values():
            if txn.method != "INVITE":
                continue
            final = txn.final
            if final is None:
                continue
            if final.status < 300:
                if txn.cancelled_by is not None and final.time >= txn.cancelled_by.time - 1_000_000_000:
                    found.append(Finding(
                        "invite.cancel_after_answer", self.call_id, [txn.cancelled_by.frame, final.frame],
                        f"CANCEL and {final.status} {final.reason} crossed: the call was answered", final.time,
                        inferred=True))
                continue
            status = final.status
            if status == 491 or status < 400 and status >= 300:
                continue  # 491 is invite.glare; a redirect is not a failure
            if txn.to_tag is None and txn is not self.invites[-1]:
                continue  # a later INVITE retried (after a challenge, 422...): that one tells
            if status == 487 and txn.cancelled_by is not None:
                continue  # the caller cancelled: normal
            if txn.credentials and status in CHALLENGES + (403,):
                continue  # auth.rejected says it
            if status in USER_CHOICES:
                severity = INFO
            elif status in CHALLENGES:
                severity = WARNING
            else:
                severity = ERROR if status >= 500 and status < 600 else WARNING
            what = "INVITE" if txn.to_tag is None else "re-INVITE"
            found.append(Finding("invite.failed", self.call_id, [txn.frame, final.frame],
                                 f"{what} (CSeq {txn.cseq}) failed: {status} {final.reason}".rstrip(), final.time,
                                 severity=severity))
        return found

    def _subscription_dialog(self, sub: Subscription) -> Dialog | None:
        for dialog in self.dialogs.values():
            if sub.subscriber_tag in (dialog.local_tag, dialog.remote_tag) and \
                    (sub.notifier_tag is None or sub.notifier_tag in (dialog.local_tag, dialog.remote_tag)):
                return dialog
        return None

    # -- what happened -------------------------------------------------------------------------------------
    def outcome(self, now: int) -> tuple[str, int | None, str | None]:
        """``(outcome, final status, reason)`` of a call: answered, busy, rejected, cancelled, no_answer,
        redirected, failed, or open (no final answer when the capture ended)."""
        if not self.invites:
            return self._other_outcome()
        answered = [t.final for t in self.invites if t.final is not None and t.final.status < 300]
        if answered:
            return "answered", answered[0].status, answered[0].reason
        last = self.invites[-1]
        final = last.final
        if final is None:
            if last.cancelled_by is not None:
                return "cancelled", None, None
            if not last.responses and (now - last.time >= TIMEOUT or _retransmitted_to_the_end(last)):
                return "failed", None, "no response"
            return "open", None, None
        status = final.status
        if last.cancelled_by is not None and status == 487:
            outcome = "cancelled"
        elif status in BUSY:
            outcome = "busy"
        elif status in NO_ANSWER or status == 487:
            outcome = "no_answer"
        elif status < 400:
            outcome = "redirected"
        elif 500 <= status < 600:
            outcome = "failed"
        else:
            outcome = "rejected"
        return outcome, status, final.reason

    def _other_outcome(self) -> tuple[str, int | None, str | None]:
        """For a Call-ID without an INVITE: the final answer to its last request."""
        requests = [t for t in self.transactions.values() if t.to_tag is None] or list(self.transactions.values())
        if not requests:
            return "unknown", None, None
        final = requests[-1].final
        if final is None:
            return "unanswered", None, None
        return ("completed" if final.status < 300 else "failed"), final.status, final.reason

    def answered_dialog(self) -> Dialog | None:
        for dialog in self.dialogs.values():
            if dialog.method == "INVITE" and dialog.confirmed_time is not None:
                return dialog
        return None

    def summary(self, now: int, findings: list[Finding], details: bool = True) -> dict:
        """Who called whom, the outcome and the times; with ``details``, also the messages, dialogs,
        subscriptions, registrations and linked legs."""
        outcome, status, reason = self.outcome(now)
        start = self.first_time
        invite_time = self.invites[0].time if self.invites else None
        dialog = self.answered_dialog()
        ended_by = end_time = None
        if dialog is not None and dialog.bye_time is not None:
            end_time = dialog.bye_time
            ended_by = "caller" if dialog.bye_tag == self.caller_tag else "callee"
        elif self.invites and self.invites[-1].cancelled_by is not None and outcome != "answered":
            end_time, ended_by = self.invites[-1].cancelled_by.time, "caller"
        elif self.invites and self.invites[-1].final is not None and outcome != "answered":
            end_time = self.invites[-1].final.time
        duration = None
        if self.answer_time is not None:
            duration = seconds((end_time if end_time is not None else now) - self.answer_time)
        first_answer = self.ringing_time if self.ringing_time is not None else self.answer_time
        summary = {
            "call_id": self.call_id, "kind": self.kind or "unknown",
            "caller": self.caller, "callee": self.callee,
            "outcome": outcome, "status": status, "reason": reason,
            "start": start / 1e9, "last": self.last_time / 1e9, "first_frame": self.first_frame,
            "setup_time": None if invite_time is None or first_answer is None else seconds(first_answer - invite_time),
            "answer_time": None if invite_time is None or self.answer_time is None
            else seconds(self.answer_time - invite_time),
            "duration": duration,
            "ended": end_time is not None or outcome not in ("answered", "open"),
            "ended_by": ended_by,
            "findings": len(findings),
        }
        if details:
            summary["messages"] = self.indices
            summary["dialogs"] = [d.as_dict(start) for d in self.dialogs.values()]
            summary["subscriptions"] = [s.as_dict(start) for s in self.subscriptions]
            summary["registrations"] = [r.as_dict(start) for r in self.registrations.values()]
            summary["links"] = self.links
        if self.flow is not None:
            summary["flow"] = self.flow
            summary["agents"] = self.agents
        return summary


def _ack_missing(call_id, status, reason, cseq, frame, time, copies, now, conclusive, went_on) -> Finding:
    resent = f", resent {len(copies)} times" if copies else ""
    if went_on:
        why = "the dialog went on without it"
    elif conclusive:
        why = f"the capture went on for {duration_text(now - time)}"
    else:
        why = f"inconclusive: the capture ended {duration_text(now - time)} after it, before 64*T1 (32 s)"
    return Finding("ack.missing", call_id, [frame, *(f for _i, f, _t in copies)],
                   f"{status} {reason} to INVITE (CSeq {cseq}) never got its ACK{resent}; {why}", time,
                   severity=None if conclusive else _inconclusive(copies), inferred=True, conclusive=conclusive)


def _inconclusive(copies: list) -> str:
    """The severity of an absence the capture ended too soon to prove: a warning when the sender was already
    retransmitting (it was waiting for something), else only worth knowing."""
    return WARNING if copies else INFO


def _resent(call_id, status, reason, cseq, frame, time, copies, ack_time) -> Finding:
    why = ": the ACK was slow to arrive" if status < 300 else ""
    return Finding("response.retransmitted", call_id, [frame, *(f for _i, f, _t in copies)],
                   f"{status} {reason} to INVITE (CSeq {cseq}) was sent {len(copies) + 1} times before the ACK "
                   f"came {duration_text(ack_time - time)} later{why}", time, inferred=True)


def _unexpected(finding_id: str, call_id, events, what: str) -> Finding:
    listed = ", ".join(f"{event} (frame {frame})" for event, frame, _t in events[:5])
    return Finding(finding_id, call_id, [frame for _e, frame, _t in events],
                   f"{what}: unexpected {listed}", events[0][2], inferred=True)


def _retransmitted_to_the_end(txn: Transaction) -> bool:
    """Whether the request's copies span Timer B or F (64*T1): its sender gave up after the last one. Timers A
    and E put the last copy within a T1 of that end (RFC 3261 sections 17.1.1.2 and 17.1.2.2)."""
    return bool(txn.copies) and txn.copies[-1][2] - txn.time >= TIMEOUT - T1


def _refer_sub_false(message) -> bool:
    value = message.value("Refer-Sub")
    return value is not None and value.value is False


def _expires(message) -> int | None:
    value = message.value("Expires")
    return None if value is None else value.value

