"""Scenario tests: calls built message by message (``scenario.py``), put on the wire as real packets, written to a
pcap and analyzed from the file. Each scenario asserts what it is about (finding ids, severities, frames, outcomes,
states) and the complete list of findings above info, so a false finding fails it as surely as a missing one.

Hosts: Alice 192.0.2.10, Bob 192.0.2.20 (his forks .21 and .22), Carol 192.0.2.30, a proxy or registrar .1.
"""

from __future__ import annotations

import pytest

from .scenario import SECOND, Dialogue, Party, Wire, above_info, backoff, finding, sdp

ALICE, BOB, CAROL, PROXY = "192.0.2.10", "192.0.2.20", "192.0.2.30", "192.0.2.1"


def alice_calls_bob(wire: Wire, call_id: str = "call-1@192.0.2.10") -> Dialogue:
    return Dialogue(wire, Party("alice", ALICE, "a-1"), Party("bob", BOB, "b-1"), call_id)


def set_up(d: Dialogue):
    """INVITE, 100, 180, 200 with the answer, ACK: the call is up. The INVITE, its 200 and the ACK."""
    invite = d.invite()
    d.respond(invite, 100)
    d.respond(invite, 180)
    d.wire.wait(2)
    ok = d.respond(invite, 200, body=sdp(d.callee.host))
    return invite, ok, d.ack(ok)


def hang_up(d: Dialogue, sender: Party, receiver: Party, after: float = 10):
    d.wire.wait(after)
    bye = d.request("BYE", sender, receiver)
    d.respond(bye, 200)
    return bye


def methods_and_states(analysis) -> list[tuple[str, int, str]]:
    return [(t.method, t.cseq, t.state) for t in analysis.transactions]


# -- forking (RFC 3261 sections 13.2.2.4 and 16.7) ---------------------------------------------------------------
def forked_call(wire: Wire):
    """An INVITE through a proxy that forks it to two phones of Bob's; both ring, both answer."""
    alice = Party("alice", ALICE, "a-1")
    fork1, fork2 = Party("bob", "192.0.2.21", "fork-1"), Party("bob", "192.0.2.22", "fork-2")
    d = Dialogue(wire, alice, fork1, "fork@192.0.2.10", proxy=PROXY)
    invite = d.invite()
    d.respond(invite, 100)
    d.respond(invite, 180, by=fork1)
    d.respond(invite, 180, by=fork2)
    wire.wait(3)
    ok1 = d.respond(invite, 200, by=fork1, body=sdp(fork1.host))
    return d, alice, fork1, fork2, ok1


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_forked_invite_answered_twice_each_200_acked_and_both_dialogs_ended(tmp_path, transport):
    wire = Wire(transport)
    d, alice, fork1, fork2, ok1 = forked_call(wire)
    ack1 = d.ack(ok1)
    ok2 = d.respond(ok1.request, 200, by=fork2, body=sdp(fork2.host))
    ack2 = d.ack(ok2)
    hang_up(d, alice, fork2, after=0)  # the UAC keeps one dialog and ends the other (section 13.2.2.4)
    hang_up(d, alice, fork1, after=20)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    (call,) = analysis.calls
    assert (call["outcome"], call["status"], call["ended_by"]) == ("answered", 200, "caller")
    dialogs = {dialog["remote_tag"]: dialog for dialog in call["dialogs"]}
    assert set(dialogs) == {"fork-1", "fork-2"}
    for tag, ok, ack in (("fork-1", ok1, ack1), ("fork-2", ok2, ack2)):
        assert dialogs[tag]["confirmed_after"] is not None
        assert dialogs[tag]["state"] == "terminated"
        assert dialogs[tag]["acks"] == [{"cseq": 1, "status": 200, "frame": ok.frame, "ack_frame": ack.frame}]
    invite = analysis.transactions[0]
    assert (invite.method, invite.state) == ("INVITE", "accepted")
    assert [(r.status, r.to_tag) for r in invite.responses] == [
        (100, None), (180, "fork-1"), (180, "fork-2"), (200, "fork-1"), (200, "fork-2")]
    assert methods_and_states(analysis) == [("INVITE", 1, "accepted"), ("BYE", 2, "completed"),
                                            ("BYE", 3, "completed")]


def test_forked_invite_second_200_never_acked_is_one_conclusive_ack_missing(tmp_path):
    wire = Wire()
    d, alice, fork1, fork2, ok1 = forked_call(wire)
    d.ack(ok1)
    ok2 = d.respond(ok1.request, 200, by=fork2, body=sdp(fork2.host))
    copies = [d.resend(ok2, after) for after in backoff()]  # fork 2 resends its 200 until 64*T1 (13.3.1.4)
    wire.wait_until(ok2.time + 40 * SECOND)
    hang_up(d, alice, fork1, after=0)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("ack.missing", "error")]
    missing = finding(analysis, "ack.missing")
    assert missing.frames == [ok2.frame, *(c.frame for c in copies)]
    assert missing.conclusive and missing.inferred
    assert "200 OK to INVITE (CSeq 1)" in missing.summary
    dialogs = {dialog["remote_tag"]: dialog for dialog in analysis.calls[0]["dialogs"]}
    assert dialogs["fork-2"]["acks"][0]["ack_frame"] is None
    assert dialogs["fork-1"]["acks"][0]["ack_frame"] is not None


# -- reliable provisional responses (RFC 3262) and UPDATE (RFC 3311) -------------------------------------------
@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_prack_acknowledges_reliable_183_and_the_call_is_clean(tmp_path, transport):
    wire = Wire(transport)
    d = alice_calls_bob(wire)
    invite = d.invite(extra="Supported: 100rel\r\n")
    d.respond(invite, 100)
    progress = d.respond(invite, 183, body=sdp(BOB), rseq=1)
    prack = d.prack(progress)
    assert b"RAck: 1 1 INVITE\r\n" in prack.raw
    d.respond(prack, 200)
    wire.wait(2)
    d.ack(d.respond(invite, 200))
    hang_up(d, d.caller, d.callee)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    assert "prack.missing" not in analysis.finding_ids()
    assert methods_and_states(analysis) == [("INVITE", 1, "accepted"), ("PRACK", 2, "completed"),
                                            ("BYE", 3, "completed")]
    assert analysis.calls[0]["outcome"] == "answered"
    assert analysis.calls[0]["setup_time"] == pytest.approx(0.02)  # the 183 is the first sign of life


def test_reliable_183_resent_and_never_pracked_is_prack_missing(tmp_path):
    """The UAS resends the 183 (T1 doubling, section 3 of RFC 3262) and gives up after 64*T1 with a 5xx."""
    wire = Wire()
    d = alice_calls_bob(wire)
    invite = d.invite(extra="Supported: 100rel\r\n")
    d.respond(invite, 100)
    progress = d.respond(invite, 183, body=sdp(BOB), rseq=1)
    for after in backoff(cap=None):
        d.resend(progress, after)
    wire.wait_until(progress.time + 32 * SECOND)
    failure = d.respond(invite, 500)
    d.ack(failure)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("prack.missing", "warning"), ("invite.failed", "error")]
    missing = finding(analysis, "prack.missing")
    assert missing.frames == [progress.frame]
    assert missing.conclusive
    assert finding(analysis, "invite.failed").frames == [invite.frame, failure.frame]
    assert analysis.calls[0]["outcome"] == "failed"


def test_prack_naming_no_reliable_response_is_prack_unmatched(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire)
    invite = d.invite(extra="Supported: 100rel\r\n")
    progress = d.respond(invite, 183, body=sdp(BOB), rseq=1)
    d.respond(d.prack(progress), 200)
    stray = d.request("PRACK", d.caller, d.callee, extra="RAck: 2 1 INVITE\r\n")  # RSeq 2 was never sent
    d.respond(stray, 481)
    wire.wait(2)
    d.ack(d.respond(invite, 200))
    hang_up(d, d.caller, d.callee)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("prack.unmatched", "warning")]
    assert finding(analysis, "prack.unmatched").frames == [stray.frame]
    assert analysis.calls[0]["outcome"] == "answered"
    assert analysis.calls[0]["dialogs"][0]["state"] == "terminated"


def test_update_in_the_early_dialog_between_two_pracked_provisionals(tmp_path):
    """RFC 3311 section 5.1: once the reliable 183 has completed the first offer/answer, the caller may send a new
    offer with UPDATE before the call is answered."""
    wire = Wire()
    d = alice_calls_bob(wire)
    invite = d.invite(extra="Supported: 100rel\r\nAllow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE\r\n")
    progress = d.respond(invite, 183, body=sdp(BOB), rseq=1)
    d.respond(d.prack(progress), 200)
    update = d.request("UPDATE", d.caller, d.callee, body=sdp(ALICE, version=2))
    d.respond(update, 200, body=sdp(BOB, version=2))
    ringing = d.respond(invite, 180, rseq=2)
    second = d.prack(ringing)
    assert b"RAck: 2 1 INVITE\r\n" in second.raw
    d.respond(second, 200)
    wire.wait(2)
    d.ack(d.respond(invite, 200))
    hang_up(d, d.callee, d.caller)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    assert "prack.missing" not in analysis.finding_ids() and "prack.unmatched" not in analysis.finding_ids()
    assert methods_and_states(analysis) == [
        ("INVITE", 1, "accepted"), ("PRACK", 2, "completed"), ("UPDATE", 3, "completed"), ("PRACK", 4, "completed"),
        ("BYE", 1, "completed")]
    call = analysis.calls[0]
    assert (call["outcome"], call["ended_by"]) == ("answered", "callee")
    assert call["dialogs"][0]["state"] == "terminated"


# -- re-INVITE (RFC 3261 section 14) ---------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_reinvite_hold_acked_through_the_dialog_is_clean(tmp_path, transport):
    wire = Wire(transport)
    d = alice_calls_bob(wire)
    _invite, ok, first_ack = set_up(d)
    wire.wait(5)
    hold = d.reinvite(d.caller, d.callee, version=2, direction="sendonly")
    held = d.respond(hold, 200, body=sdp(BOB, version=2, direction="recvonly"))
    ack = d.ack(held)
    hang_up(d, d.caller, d.callee)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    assert methods_and_states(analysis) == [("INVITE", 1, "accepted"), ("INVITE", 2, "accepted"),
                                            ("BYE", 3, "completed")]
    (dialog,) = analysis.calls[0]["dialogs"]
    assert dialog["acks"] == [
        {"cseq": 1, "status": 200, "frame": ok.frame, "ack_frame": first_ack.frame},
        {"cseq": 2, "status": 200, "frame": held.frame, "ack_frame": ack.frame},
    ]
    assert analysis.calls[0]["outcome"] == "answered"


def test_reinvite_200_never_acked_while_the_dialog_goes_on_is_conclusive_ack_missing(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire)
    set_up(d)
    wire.wait(5)
    hold = d.reinvite(d.caller, d.callee, version=2, direction="sendonly")
    held = d.respond(hold, 200, body=sdp(BOB, version=2, direction="recvonly"))
    copies = [d.resend(held, after) for after in (0.5, 1.5)]
    hang_up(d, d.caller, d.callee, after=0.5)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("ack.missing", "error")]
    missing = finding(analysis, "ack.missing")
    assert missing.frames == [held.frame, *(c.frame for c in copies)]
    assert missing.conclusive
    assert "CSeq 2" in missing.summary and "the dialog went on" in missing.summary


# -- CANCEL (RFC 3261 section 9) -------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_cancel_crossing_the_200_leaves_an_answered_call_ended_by_bye(tmp_path, transport):
    wire = Wire(transport)
    d = alice_calls_bob(wire)
    invite = d.invite()
    d.respond(invite, 100)
    d.respond(invite, 180)
    wire.wait(5)
    cancel = d.cancel(invite)
    ok = d.respond(invite, 200, body=sdp(BOB))  # sent before the CANCEL reached Bob
    d.respond(cancel, 200)  # section 9.2: the CANCEL matched a transaction, so it gets its 200 anyway
    d.ack(ok)
    hang_up(d, d.caller, d.callee, after=1)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    crossed = finding(analysis, "invite.cancel_after_answer")
    assert (crossed.severity, crossed.frames) == ("info", [cancel.frame, ok.frame])
    call = analysis.calls[0]
    assert (call["outcome"], call["status"], call["ended_by"]) == ("answered", 200, "caller")
    assert methods_and_states(analysis) == [("INVITE", 1, "accepted"), ("CANCEL", 1, "completed"),
                                            ("BYE", 2, "completed")]


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_cancel_before_the_answer_is_a_cancelled_call(tmp_path, transport):
    wire = Wire(transport)
    d = alice_calls_bob(wire)
    invite = d.invite()
    d.respond(invite, 100)
    d.respond(invite, 180)
    wire.wait(5)
    cancel = d.cancel(invite)
    d.respond(cancel, 200)
    terminated = d.respond(invite, 487)
    ack = d.ack(terminated)
    assert ack.branch == invite.branch

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    call = analysis.calls[0]
    assert (call["outcome"], call["status"], call["ended_by"], call["ended"]) == ("cancelled", 487, "caller", True)
    assert methods_and_states(analysis) == [("INVITE", 1, "confirmed"), ("CANCEL", 1, "completed")]
    assert analysis.transactions[0].ack[1] == ack.frame
    assert call["dialogs"][0]["state"] == "terminated"


# -- glare (RFC 3261 section 14.1) -----------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_glare_both_reinvites_get_491_and_the_retries_succeed(tmp_path, transport):
    """Both ends send a re-INVITE at once; each answers the other's with 491. The end that did not make the
    Call-ID retries first (0 to 2 s), the other later (2.1 to 4 s), and both retries succeed."""
    wire = Wire(transport)
    d = alice_calls_bob(wire)
    set_up(d)
    alice, bob = d.caller, d.callee
    wire.wait(5)
    from_alice = d.reinvite(alice, bob, version=2, direction="sendonly")
    from_bob = d.reinvite(bob, alice, version=2, direction="sendonly")
    pending_alice = d.respond(from_alice, 491)
    pending_bob = d.respond(from_bob, 491)
    d.ack(pending_alice)
    d.ack(pending_bob)
    wire.wait(1)
    retry_bob = d.reinvite(bob, alice, version=2, direction="sendonly")
    d.ack(d.respond(retry_bob, 200, body=sdp(ALICE, version=2, direction="recvonly")))
    wire.wait(2)
    retry_alice = d.reinvite(alice, bob, version=3, direction="inactive")
    d.ack(d.respond(retry_alice, 200, body=sdp(BOB, version=3, direction="inactive")))
    hang_up(d, alice, bob)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("invite.glare", "warning"), ("invite.glare", "warning")]
    glare = [f for f in analysis.findings if f.id == "invite.glare"]
    assert [f.frames for f in glare] == [[from_alice.frame, pending_alice.frame], [from_bob.frame, pending_bob.frame]]
    assert methods_and_states(analysis) == [
        ("INVITE", 1, "accepted"), ("INVITE", 2, "confirmed"), ("INVITE", 1, "confirmed"), ("INVITE", 2, "accepted"),
        ("INVITE", 3, "accepted"), ("BYE", 4, "completed")]
    assert "invite.failed" not in analysis.finding_ids()
    assert analysis.calls[0]["dialogs"][0]["state"] == "terminated"


# -- one scenario over UDP and over TCP ------------------------------------------------------------------------
def transfer(wire: Wire):
    """Alice calls Bob; Bob transfers her to Carol with REFER (RFC 3515). Alice's NOTIFYs report the INVITE she
    sends to Carol: 100 Trying, then 200 OK, which ends the subscription. Over TCP the first INVITE is split
    across two segments and Alice's 202 and first NOTIFY share one."""
    first = alice_calls_bob(wire, "xfer-1@192.0.2.10")
    alice, bob = first.caller, first.callee
    with wire.split():
        invite = first.invite()
    first.respond(invite, 100)
    first.respond(invite, 180)
    wire.wait(2)
    first.ack(first.respond(invite, 200, body=sdp(BOB)))
    wire.wait(5)
    refer = first.request("REFER", bob, alice,
                          extra="Refer-To: <sip:carol@example.com>\r\nReferred-By: <sip:bob@example.com>\r\n")
    with wire.together():
        accepted = first.respond(refer, 202)
        trying = notify_refer(first, alice, bob, "active;expires=60", "SIP/2.0 100 Trying\r\n")
    first.respond(trying, 200)

    second = Dialogue(wire, Party("alice", ALICE, "a-2"), Party("carol", CAROL, "c-1"), "xfer-2@192.0.2.10")
    to_carol = second.invite(extra="Referred-By: <sip:bob@example.com>\r\n")
    second.respond(to_carol, 100)
    second.respond(to_carol, 180)
    wire.wait(1)
    second.ack(second.respond(to_carol, 200, body=sdp(CAROL)))

    done = notify_refer(first, alice, bob, "terminated;reason=noresource", "SIP/2.0 200 OK\r\n")
    first.respond(done, 200)
    hang_up(first, bob, alice, after=0.2)
    hang_up(second, second.caller, second.callee, after=30)
    return accepted, trying


def notify_refer(d: Dialogue, notifier: Party, subscriber: Party, state: str, fragment: str):
    return d.request("NOTIFY", notifier, subscriber, fragment.encode(),
                     f"Event: refer\r\nSubscription-State: {state}\r\n", "message/sipfrag;version=2.0")


def shape(analysis) -> dict:
    """What the analysis says, without frame numbers, times and transports."""
    calls = [
        (c["call_id"], c["kind"], c["caller"], c["callee"], c["outcome"], c["status"], c["ended_by"],
         [(d["local_tag"], d["remote_tag"], d["state"], [a["cseq"] for a in d["acks"]]) for d in c["dialogs"]],
         [(s["kind"], s["state"], s["status"], s.get("outcome"), s.get("progress"),
           [n["state"] for n in s["notifies"]]) for s in c["subscriptions"]])
        for c in analysis.calls
    ]
    transactions = [(t.call_id, t.method, t.cseq, t.state, [r.status for r in t.responses])
                    for t in analysis.transactions]
    findings = [(f.id, f.severity, f.call_id) for f in analysis.findings]
    return {"calls": calls, "transactions": transactions, "findings": findings}


def test_transfer_with_refer_is_analyzed_alike_over_udp_and_tcp(tmp_path):
    udp, tcp = Wire("UDP"), Wire("TCP")
    transfer(udp)
    accepted, trying = transfer(tcp)
    over_udp = udp.analyze(tmp_path, "udp.pcap")
    over_tcp = tcp.analyze(tmp_path, "tcp.pcap")

    assert shape(over_udp) == shape(over_tcp)
    assert above_info(over_udp) == above_info(over_tcp) == []
    (sub,) = over_tcp.call("xfer-1@192.0.2.10")["subscriptions"]
    assert (sub["kind"], sub["outcome"], sub["progress"], sub["state"]) == ("refer", "succeeded", [100, 200],
                                                                             "terminated")
    assert sub["refer_to"] == "<sip:carol@example.com>"
    assert [(t.method, t.state, [r.status for r in t.responses]) for t in over_tcp.transactions
            if t.call_id == "xfer-1@192.0.2.10"] == [
        ("INVITE", "accepted", [100, 180, 200]), ("REFER", "completed", [202]), ("NOTIFY", "completed", [200]),
        ("NOTIFY", "completed", [200]), ("BYE", "completed", [200])]
    assert [c["outcome"] for c in over_tcp.calls] == ["answered", "answered"]
    assert {m.transport for m in tcp.messages} == {"tcp"} and len(tcp.messages) == len(udp.messages)

    # The TCP capture really split one message and coalesced two: frames 1-3 are the handshake.
    invite = tcp.messages[0]
    assert (invite.method, invite.frames) == ("INVITE", (4, 5))
    assert accepted.frame == trying.frame
    sharing = [m for m in tcp.messages if m.frames == (accepted.frame,)]
    assert [m.status or m.method for m in sharing] == [202, "NOTIFY"]
    assert over_tcp.transactions[0].frame == 5


# -- more of what a VoIP engineer meets ------------------------------------------------------------------------
def test_invite_retransmitted_before_the_first_response(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire)
    invite = d.invite()
    copies = [d.resend(invite, after) for after in (0.5, 1.5)]  # Timer A: T1, then 2*T1
    d.respond(invite, 100)
    d.respond(invite, 180)
    d.ack(d.respond(invite, 200, body=sdp(BOB)))
    hang_up(d, d.caller, d.callee)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("request.retransmitted", "warning")]
    resent = finding(analysis, "request.retransmitted")
    assert resent.frames == [invite.frame, *(c.frame for c in copies)]
    assert "sent 3 times" in resent.summary
    assert len(analysis.transactions[0].copies) == 2


def test_bye_with_a_lower_cseq_than_an_earlier_request_is_out_of_order(tmp_path):
    """Section 12.2.2: the UAS rejects a request whose CSeq number is lower than the last one with 500."""
    wire = Wire()
    d = alice_calls_bob(wire)
    set_up(d)
    alice, bob = d.caller, d.callee
    alice.cseq = 9
    hold = d.reinvite(alice, bob, version=2, direction="sendonly")
    d.ack(d.respond(hold, 200, body=sdp(BOB, version=2, direction="recvonly")))
    alice.cseq = 3
    wire.wait(5)
    bye = d.request("BYE", alice, bob)
    d.respond(bye, 500)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("cseq.out_of_order", "warning")]
    out_of_order = finding(analysis, "cseq.out_of_order")
    assert out_of_order.frames == [bye.frame]
    assert "CSeq 4" in out_of_order.summary and "10" in out_of_order.summary


def test_bye_for_a_dialog_that_began_before_the_capture_answered_481(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire)
    bye = d.request("BYE", d.caller, d.callee)
    unknown = d.respond(bye, 481)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("dialog.unknown", "warning")]
    assert finding(analysis, "dialog.unknown").frames == [bye.frame, unknown.frame]


def test_bye_answered_481_by_a_peer_that_lost_the_dialog(tmp_path):
    """Bob's phone restarted during the call: Alice's BYE names a dialog it no longer knows."""
    wire = Wire()
    d = alice_calls_bob(wire)
    set_up(d)
    wire.wait(60)
    bye = d.request("BYE", d.caller, d.callee)
    unknown = d.respond(bye, 481)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("dialog.unknown", "warning")]
    assert finding(analysis, "dialog.unknown").frames == [bye.frame, unknown.frame]


def registration(wire: Wire) -> Dialogue:
    return Dialogue(wire, Party("alice", ALICE, "a-1"), Party("registrar", PROXY, "r-1"), "reg-1@192.0.2.10")


CHALLENGE = 'WWW-Authenticate: Digest realm="example.com", nonce="4b1d0c2e", algorithm=MD5, qop="auth"\r\n'
CREDENTIALS = ('Authorization: Digest username="alice", realm="example.com", nonce="4b1d0c2e", '
               'uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, '
               'nc=00000001, cnonce="0a4f113b"\r\n')


def test_register_challenged_then_accepted(tmp_path):
    wire = Wire()
    d = registration(wire)
    first = d.register("Expires: 3600\r\n")
    d.respond(first, 401, extra=CHALLENGE)
    second = d.register("Expires: 3600\r\n" + CREDENTIALS)
    assert second.cseq == first.cseq + 1  # section 10.2: same Call-ID, CSeq raised
    d.respond(second, 200, extra=f"Contact: <sip:alice@{ALICE}:5060>;expires=3600\r\n")

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    (call,) = analysis.calls
    (reg,) = call["registrations"]
    assert (reg["outcome"], reg["challenges"], reg["expires"]) == ("registered", 1, 3600)
    assert reg["bindings"] == [{"contact": f"sip:alice@{ALICE}:5060", "expires": 3600}]
    assert (call["kind"], call["outcome"]) == ("register", "completed")
    assert methods_and_states(analysis) == [("REGISTER", 1, "completed"), ("REGISTER", 2, "completed")]


def test_register_credentials_refused_with_403(tmp_path):
    wire = Wire()
    d = registration(wire)
    first = d.register("Expires: 3600\r\n")
    d.respond(first, 401, extra=CHALLENGE)
    second = d.register("Expires: 3600\r\n" + CREDENTIALS)
    refused = d.respond(second, 403)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("auth.rejected", "error")]
    assert finding(analysis, "auth.rejected").frames == [second.frame, refused.frame]
    (reg,) = analysis.calls[0]["registrations"]
    assert (reg["outcome"], reg["challenges"]) == ("failed", 1)


def test_subscribe_accepted_and_no_notify_for_40_seconds(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire, "sub-1@192.0.2.10")
    subscribe = d.out_of_dialog("SUBSCRIBE", extra="Event: presence\r\nAccept: application/pidf+xml\r\n"
                                                   "Expires: 3600\r\n")
    accepted = d.respond(subscribe, 200, extra="Expires: 3600\r\n")
    wire.idle(40)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("subscribe.notify_missing", "error")]
    missing = finding(analysis, "subscribe.notify_missing")
    assert missing.frames == [subscribe.frame, accepted.frame]
    assert missing.conclusive
    (sub,) = analysis.calls[0]["subscriptions"]
    assert (sub["kind"], sub["event"], sub["state"]) == ("subscribe", "presence", "accepted")


def test_notify_for_an_unknown_subscription_answered_481(tmp_path):
    wire = Wire()
    d = alice_calls_bob(wire, "sub-2@192.0.2.20")
    notify = d.request("NOTIFY", d.callee, d.caller, extra="Event: presence\r\n"
                                                           "Subscription-State: active;expires=600\r\n")
    unknown = d.respond(notify, 481)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == [("notify.unknown_subscription", "warning")]
    assert finding(analysis, "notify.unknown_subscription").frames == [notify.frame, unknown.frame]


def test_refer_without_subscription_needs_no_notify(tmp_path):
    """RFC 4488: ``Refer-Sub: false`` in the REFER and its 202 means no implicit subscription, so no NOTIFY."""
    wire = Wire()
    d = alice_calls_bob(wire)
    set_up(d)
    alice, bob = d.caller, d.callee
    wire.wait(5)
    refer = d.request("REFER", bob, alice, extra="Refer-To: <sip:carol@example.com>\r\nRefer-Sub: false\r\n"
                                                 "Supported: norefersub\r\n")
    d.respond(refer, 202, extra="Refer-Sub: false\r\n")
    hang_up(d, bob, alice, after=1)
    wire.idle(40)

    analysis = wire.analyze(tmp_path)

    assert above_info(analysis) == []
    (sub,) = analysis.calls[0]["subscriptions"]
    assert (sub["kind"], sub["notify_expected"], sub["status"], sub["notifies"]) == ("refer", False, 202, [])


def test_attended_transfer_with_refer_outside_a_dialog(tmp_path):
    """RFC 3515 section 2.4.7: a REFER outside any dialog creates one with its 2xx; the NOTIFYs travel in it. A
    Refer-To with Replaces (RFC 3891) names the call to take over: an attended transfer."""
    wire = Wire("UDP")
    d = Dialogue(wire, Party("bob", BOB, "b-9"), Party("alice", ALICE, "a-9"), "refer-out@192.0.2.20")
    bob, alice = d.caller, d.callee
    replaces = "call-7%40192.0.2.30%3Bto-tag%3Dc-7%3Bfrom-tag%3Da-7"
    refer = d.out_of_dialog("REFER", extra=f"Refer-To: <sip:carol@example.com?Replaces={replaces}>\r\n")
    d.respond(refer, 202)
    done = notify_refer(d, alice, bob, "terminated;reason=noresource", "SIP/2.0 200 OK\r\n")
    d.respond(done, 200)
    analysis = wire.analyze(tmp_path)

    assert analysis.findings == []
    [call] = analysis.calls
    assert call["kind"] == "refer"
    [sub] = call["subscriptions"]
    assert (sub["in_dialog"], sub["attended"], sub["outcome"], sub["state"]) == (False, True, "succeeded",
                                                                                 "terminated")
    [dialog] = call["dialogs"]
    assert (dialog["method"], dialog["local_tag"], dialog["remote_tag"]) == ("REFER", "b-9", "a-9")


def test_legs_named_by_x_cid_and_session_id_are_linked(tmp_path):
    """An SBC's two legs have their own Call-IDs; X-CID on the second names the first, and two other legs share
    a Session-ID (RFC 7989: the same UUIDs, in either order)."""
    wire = Wire("UDP")
    for call_id, extra in [
        ("leg-a@192.0.2.10", "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000\r\n"),
        ("leg-b@192.0.2.1", "X-CID: leg-a@192.0.2.10\r\n"),
        ("leg-c@192.0.2.1", "Session-ID: 47755a9de7794ba387653f2099600ef2;remote=ab30317f1a784dc48ff824d0d3715d86\r\n"),
        ("alone@192.0.2.10", ""),
    ]:
        d = alice_calls_bob(wire, call_id)
        invite = d.invite(extra=extra)
        d.ack(d.respond(invite, 403))
    analysis = wire.analyze(tmp_path)

    assert analysis.linked_calls == [["leg-a@192.0.2.10", "leg-b@192.0.2.1", "leg-c@192.0.2.1"]]
    assert analysis.call("leg-b@192.0.2.1")["links"] == ["leg-a@192.0.2.10"]
    assert analysis.call("leg-a@192.0.2.10")["links"] == ["session:ab30317f1a784dc48ff824d0d3715d86"]
