"""Captures for the report tests, built with the scenario builder: three ordinary calls, and one made by an
attacker whose every displayed field tries to break out of the report."""

from __future__ import annotations

from sipscope.testing import write_pcap

from ..analysis.scenario import Dialogue, Party, Wire

ALICE, BOB, CAROL, DAVE = "192.0.2.10", "192.0.2.20", "198.51.100.30", "198.51.100.40"


def three_calls(path) -> dict:
    """Call 1 answered then ended by BYE; call 2 busy (486); call 3 answered, its 200 resent and never ACKed.
    Returns what the tests check against: each call's Call-ID and the frames of call 2."""
    wire = Wire()
    alice, bob = Party("alice", ALICE, "a1"), Party("+15551234567", BOB, "b1")
    first = Dialogue(wire, alice, bob, "answered@example.com")
    invite = first.invite()
    first.respond(invite, 180)
    ok = first.respond(invite, 200)
    first.ack(ok)
    wire.wait(2)
    first.respond(first.request("BYE", alice, bob), 200)
    carol, dave = Party("carol", CAROL, "c1"), Party("dave", DAVE, "d1")
    second = Dialogue(wire, carol, dave, "busy@example.com")
    wire.wait(5)
    busy_invite = second.invite()
    busy = second.respond(busy_invite, 486)
    busy_ack = second.ack(busy)
    erin = Party("erin", BOB, "e1")
    third = Dialogue(wire, Party("alice", ALICE, "a2"), erin, "no-ack@example.com")
    wire.wait(5)
    lost = third.invite()
    unacked = third.respond(lost, 200)
    for after in (0.5, 1.5, 3.5):
        third.resend(unacked, after)
    wire.idle(40)
    write_pcap(path, wire.frames)
    return {"call_ids": ["answered@example.com", "busy@example.com", "no-ack@example.com"],
            "busy_frames": [busy_invite.frame, busy.frame, busy_ack.frame]}


HOSTILE_DISPLAY = '<script>window.pwned = 1</script>[bold red]red?[/bold red]'
HOSTILE_REASON = 'Busy <img src=x onerror="window.pwned=2"> \x1b[31mRED\x1b[0m'
HOSTILE_AGENT = '"><svg onload="window.pwned=3">\x1b]0;owned\x07'
HOSTILE_CALL_ID = '</pre><script>window.pwned=4</script>@evil'


def hostile(path) -> None:
    """One call whose display name, reason phrase, User-Agent and Call-ID carry script, markup, rich markup and
    terminal escape sequences."""
    wire = Wire()
    invite = (
        "INVITE sip:victim@192.0.2.20 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK-evil-1\r\n"
        "Max-Forwards: 70\r\n"
        f'From: "{HOSTILE_DISPLAY}" <sip:attacker@192.0.2.66>;tag=evil\r\n'
        "To: <sip:victim@192.0.2.20>\r\n"
        f"Call-ID: {HOSTILE_CALL_ID}\r\n"
        "CSeq: 1 INVITE\r\n"
        f"User-Agent: {HOSTILE_AGENT}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    answer = (
        f"SIP/2.0 486 {HOSTILE_REASON}\r\n"
        "Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK-evil-1\r\n"
        f'From: "{HOSTILE_DISPLAY}" <sip:attacker@192.0.2.66>;tag=evil\r\n'
        "To: <sip:victim@192.0.2.20>;tag=v1\r\n"
        f"Call-ID: {HOSTILE_CALL_ID}\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    wire.carry("192.0.2.66", "192.0.2.20", invite)
    wire.carry("192.0.2.20", "192.0.2.66", answer)
    write_pcap(path, wire.frames)


# A second attacker: every other displayed field, URLs that a careless page would link, a value long enough to
# break a layout, and bytes that are not UTF-8.
URL_USER = "javascript:alert(6)"
URL_CALLEE = "<a href='javascript:alert(7)'>click</a>"
URL_SERVER = '<iframe src="javascript:alert(9)"></iframe>'
LONG_REASON = "Busy " + "A" * 3000
NOT_UTF8 = b"\xff\xfe\xc3(bad"


def hostile_fields(path) -> None:
    """One call whose Request-URI, callee, From URI, Server, reason phrase and display name carry URLs, markup,
    a 3,000-character value and invalid UTF-8."""
    wire = Wire()
    to = f'To: "{URL_CALLEE}" <sip:victim@192.0.2.20>'
    sender = b'From: "' + NOT_UTF8 + b'" <' + URL_USER.encode() + b">;tag=evil\r\n"
    invite = (
        f"INVITE sip:{URL_USER}@192.0.2.20 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK-evil-2\r\n"
        "Max-Forwards: 70\r\n").encode() + sender + (
        f"{to}\r\n"
        "Call-ID: fields@evil\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n").encode()
    answer = (f"SIP/2.0 486 {LONG_REASON}\r\n"
              "Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK-evil-2\r\n").encode() + sender + (
        f"{to};tag=v2\r\n"
        "Call-ID: fields@evil\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Server: {URL_SERVER}\r\n"
        "Content-Length: 0\r\n\r\n").encode()
    wire.carry("192.0.2.66", "192.0.2.20", invite)
    wire.carry("192.0.2.20", "192.0.2.66", answer)
    write_pcap(path, wire.frames)
