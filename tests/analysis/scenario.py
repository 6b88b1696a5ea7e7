"""A builder of SIP scenarios for the analysis tests: user agents talking over a wire of real packets.

``Wire`` turns messages into frames (UDP datagrams, or TCP segments on one connection per pair of hosts, with
its handshake) and writes them to a pcap, so a test runs the whole pipeline from the file on. ``Dialogue`` writes
the messages of one Call-ID as an RFC 3261 user agent would: each new request gets a new branch and its sender's
next CSeq number; a response copies Via, From, To, Call-ID and CSeq and adds the responder's To tag; the ACK of a
2xx is a new transaction sent straight to the answering end (section 13.2.2.4) while the ACK of a failure and a
CANCEL reuse the INVITE's branch, CSeq number and next hop (sections 17.1.1.3 and 9.1).

Every message returns a ``Sent``: what the later messages need of it, and the Wireshark number of the frame
that carried it (the last one when TCP split it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import sipscope
from sipscope.analysis.analyzer import Analysis, analyze_messages
from sipscope.testing import DEFAULT_TS, write_pcap

SECOND = 1_000_000_000
STEP = SECOND // 100
"""The time between two frames unless a test waits longer: 10 ms."""

REASONS = {
    100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 202: "Accepted", 401: "Unauthorized",
    403: "Forbidden", 486: "Busy Here", 481: "Call/Transaction Does Not Exist", 487: "Request Terminated", 491: "Request Pending",
    500: "Server Internal Error",
}


def sdp(host: str, version: int = 1, direction: str = "sendrecv") -> bytes:
    """An audio offer or answer (RFC 4566); a re-INVITE that holds the call raises ``version`` and sends
    ``sendonly`` (RFC 3264 section 8.4)."""
    return (
        f"v=0\r\no=- 2890844526 {version} IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na={direction}\r\n"
    ).encode()


def backoff(cap: float | None = 4.0, until: float = 32.0) -> list[float]:
    """When a message is resent after the first copy, in seconds: T1 doubling each time up to ``cap`` (T2 for
    Timers A/E/G and 2xx retransmission, none for RFC 3262's reliable provisionals), within 64*T1."""
    offsets, interval, at = [], 0.5, 0.5
    while at < until:
        offsets.append(at)
        interval = interval * 2 if cap is None else min(interval * 2, cap)
        at += interval
    return offsets


@dataclasses.dataclass
class Party:
    """One user agent: its user name, where it listens, its tag in the call and its last CSeq number."""

    name: str
    host: str
    tag: str
    cseq: int = 0

    @property
    def aor(self) -> str:
        return f"sip:{self.name}@example.com"

    @property
    def contact(self) -> str:
        return f"sip:{self.name}@{self.host}:5060"

    def next_cseq(self) -> int:
        self.cseq += 1
        return self.cseq


@dataclasses.dataclass
class Sent:
    """A message put on the wire."""

    raw: bytes
    frame: int
    time: int
    src: str
    dst: str
    sender: Party
    receiver: Party
    method: str
    """The request's method; for a response, the CSeq's."""
    cseq: int
    branch: str
    uri: str
    from_: str
    to: str
    status: int | None = None
    rseq: int | None = None
    request: Sent | None = None
    """For a response: the request it answers."""

    @property
    def to_tag(self) -> str | None:
        _, found, tag = self.to.partition(";tag=")
        return tag if found else None


class _Connection:
    """A TCP connection between two hosts, each end's next sequence number, and its handshake frames."""

    def __init__(self, client: str, server: str, client_port: int):
        self.ports = {client: client_port, server: 5060}
        self.next_seq = {client: 1_000, server: 500_000}

    def segment(self, src: str, dst: str, payload: bytes = b"", flags: str = "PA"):
        ack = 0 if flags == "S" else self.next_seq[dst]
        packet = _ip(src, dst) / TCP(sport=self.ports[src], dport=self.ports[dst], seq=self.next_seq[src], ack=ack,
                                     flags=flags) / Raw(payload)
        self.next_seq[src] += len(payload) + (1 if "S" in flags else 0)
        return packet

    def handshake(self, client: str, server: str) -> list:
        return [self.segment(client, server, flags="S"), self.segment(server, client, flags="SA"),
                self.segment(client, server, flags="A")]


def _ip(src: str, dst: str):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst)


class Wire:
    """The frames of a capture in order, ``STEP`` apart unless ``wait`` moves the clock on.

    Over TCP the first message between two hosts opens a connection (three frames); responses and later requests
    either way use it. ``split`` and ``together`` say how messages are cut into segments; over UDP they change
    nothing, so one scenario can run over both transports.
    """

    def __init__(self, transport: str = "UDP"):
        self.transport = transport
        self.frames: list[tuple[int, bytes]] = []
        self.now = DEFAULT_TS
        self._connections: dict[frozenset, _Connection] = {}
        self._split = False
        self._held: list[bytes] | None = None
        self._held_between: tuple[str, str] | None = None
        self.messages: list = []
        """The SIP messages read back by ``analyze``."""

    def wait(self, seconds: float) -> None:
        self.now += round(seconds * SECOND)

    def wait_until(self, time: int) -> None:
        assert time >= self.now, "the wire's clock does not go back"
        self.now = time

    def carry(self, src: str, dst: str, data: bytes) -> int:
        """Put one message on the wire; the number of the frame that completes it."""
        if self.transport == "UDP":
            return self._frame(_ip(src, dst) / UDP(sport=5060, dport=5060) / Raw(data))
        if self._held is not None:
            assert self._held_between in (None, (src, dst)), "messages in one segment go one way"
            self._held_between = (src, dst)
            self._held.append(data)
            return len(self.frames) + 1
        connection = self._connection(src, dst)
        if self._split:
            self._split = False
            half = len(data) // 2
            self._frame(connection.segment(src, dst, data[:half]))
            data = data[half:]
        return self._frame(connection.segment(src, dst, data))

    @contextlib.contextmanager
    def split(self):
        """Over TCP, the next message goes in two segments, cut in its middle."""
        self._split = self.transport == "TCP"
        yield
        assert not self._split, "no message was sent to split"

    @contextlib.contextmanager
    def together(self):
        """Over TCP, the messages sent inside go in one segment (they must all go the same way)."""
        if self.transport == "UDP":
            yield
            return
        self._held, self._held_between = [], None
        expected = len(self.frames) + 1
        yield
        held, (src, dst) = self._held, self._held_between
        self._held = self._held_between = None
        frame = self._frame(self._connection(src, dst).segment(src, dst, b"".join(held)))
        assert frame == expected, "the segment's frame is the one its messages were told"

    def idle(self, seconds: float) -> None:
        """The capture goes on ``seconds`` longer: one RTP packet then, a frame with no SIP in it."""
        self.wait(seconds)
        rtp = bytes([0x80, 0]) + (1).to_bytes(2, "big") + (160).to_bytes(4, "big") + bytes(4) + bytes(160)
        self._frame(_ip("192.0.2.10", "192.0.2.20") / UDP(sport=49170, dport=49170) / Raw(rtp))

    def analyze(self, tmp_path, name: str = "scenario.pcap") -> Analysis:
        """Write the capture, read it back through the strict pipeline and analyze it."""
        path = tmp_path / name
        write_pcap(path, self.frames)
        ingestion = sipscope.ingest([str(path)], strict=True)
        self.messages = list(ingestion)
        return analyze_messages(self.messages, ingestion.pipeline.end_ts)

    def _connection(self, src: str, dst: str) -> _Connection:
        key = frozenset((src, dst))
        connection = self._connections.get(key)
        if connection is None:
            connection = self._connections[key] = _Connection(src, dst, 40_000 + len(self._connections))
            for packet in connection.handshake(src, dst):
                self._frame(packet)
        return connection

    def _frame(self, packet) -> int:
        self.frames.append((self.now, bytes(packet)))
        self.now += STEP
        return len(self.frames)


class Dialogue:
    """The messages of one Call-ID from ``caller`` to ``callee`` (and to any fork of the callee).

    ``proxy``, when given, is the host that requests outside a dialog go to, and their responses come from; it
    records no route, so requests inside a dialog go straight to the other end's Contact.
    """

    def __init__(self, wire: Wire, caller: Party, callee: Party, call_id: str, proxy: str | None = None):
        self.wire = wire
        self.caller = caller
        self.callee = callee
        self.call_id = call_id
        self.proxy = proxy
        self._branches = itertools.count(1)

    # -- requests ------------------------------------------------------------------------------------------
    def invite(self, body: bytes | None = None, extra: str = "") -> Sent:
        """The INVITE that starts the call, with an SDP offer."""
        return self.out_of_dialog("INVITE", sdp(self.caller.host) if body is None else body, extra,
                                  "application/sdp")

    def out_of_dialog(self, method: str, body: bytes = b"", extra: str = "", content_type: str = "application/sdp",
                      sender: Party | None = None, receiver: Party | None = None) -> Sent:
        """A request without a To tag (INVITE, REGISTER, SUBSCRIBE, OPTIONS...), from the caller by default."""
        sender = sender or self.caller
        receiver = receiver or self.callee
        return self._request(method, sender, receiver, receiver.aor, f"<{receiver.aor}>", sender.next_cseq(),
                             self._branch(sender), self.proxy or receiver.host, body, extra, content_type)

    def register(self, extra: str = "") -> Sent:
        """A REGISTER of the caller's address of record at the callee (the registrar), with its Contact."""
        sender, registrar = self.caller, self.callee
        return self._request("REGISTER", sender, registrar, "sip:example.com", f"<{sender.aor}>", sender.next_cseq(),
                             self._branch(sender), self.proxy or registrar.host, extra=extra)

    def request(self, method: str, sender: Party, receiver: Party, body: bytes = b"", extra: str = "",
                content_type: str = "application/sdp") -> Sent:
        """A new request inside the dialog between ``sender`` and ``receiver``, sent to the receiver's Contact."""
        return self._request(method, sender, receiver, receiver.contact, f"<{receiver.aor}>;tag={receiver.tag}",
                             sender.next_cseq(), self._branch(sender), receiver.host, body, extra, content_type)

    def reinvite(self, sender: Party, receiver: Party, version: int = 2, direction: str = "sendrecv") -> Sent:
        """A re-INVITE (section 14) with a new version of the sender's session description."""
        return self.request("INVITE", sender, receiver, sdp(sender.host, version, direction))

    def prack(self, reliable: Sent) -> Sent:
        """The PRACK of a reliable provisional response (RFC 3262 section 7.2: RAck is RSeq, CSeq, method)."""
        invite = reliable.request
        return self.request("PRACK", invite.sender, reliable.sender,
                            extra=f"RAck: {reliable.rseq} {invite.cseq} {invite.method}\r\n")

    def ack(self, response: Sent) -> Sent:
        """The ACK of a final response to an INVITE: its own transaction straight to the answering end for a 2xx,
        part of the INVITE's transaction (same branch, Request-URI and next hop) for a failure."""
        invite = response.request
        if response.status < 300:
            return self._request("ACK", invite.sender, response.sender, response.sender.contact, response.to,
                                 invite.cseq, self._branch(invite.sender), response.sender.host, cseq_method="ACK")
        return self._request("ACK", invite.sender, invite.receiver, invite.uri, response.to, invite.cseq,
                             invite.branch, invite.dst, cseq_method="ACK")

    def cancel(self, invite: Sent) -> Sent:
        """A CANCEL: the INVITE's Request-URI, branch, From, To, CSeq number and next hop (section 9.1)."""
        return self._request("CANCEL", invite.sender, invite.receiver, invite.uri, invite.to, invite.cseq,
                             invite.branch, invite.dst)

    def resend(self, sent: Sent, after: float) -> Sent:
        """A retransmission of ``sent``, ``after`` seconds after its first copy."""
        self.wire.wait_until(sent.time + round(after * SECOND))
        time = self.wire.now
        return dataclasses.replace(sent, frame=self.wire.carry(sent.src, sent.dst, sent.raw), time=time)

    # -- responses -----------------------------------------------------------------------------------------
    def respond(self, request: Sent, status: int, by: Party | None = None, body: bytes = b"", extra: str = "",
                rseq: int | None = None, content_type: str = "application/sdp") -> Sent:
        """A response from ``by`` (the request's receiver, or the fork that answers the INVITE), sent back
        where the request came from. A 1xx or 2xx to an INVITE carries the responder's Contact; ``rseq`` makes a
        provisional response reliable (RFC 3262)."""
        by = by or request.receiver
        to = request.to
        if status > 100 and request.to_tag is None:
            to += f";tag={by.tag}"
        if request.method == "INVITE" and 100 < status < 300:
            extra = f"Contact: <{by.contact}>\r\n" + extra
        if rseq is not None:
            extra = f"Require: 100rel\r\nRSeq: {rseq}\r\n" + extra
        start = f"SIP/2.0 {status} {REASONS[status]}"
        headers = [
            self._via(request.sender, request.branch), f"From: {request.from_}", f"To: {to}",
            f"Call-ID: {self.call_id}", f"CSeq: {request.cseq} {request.method}",
        ]
        raw = _message(start, headers, extra, body, content_type)
        time = self.wire.now
        frame = self.wire.carry(request.dst, request.src, raw)
        return Sent(raw, frame, time, request.dst, request.src, by, request.sender, request.method, request.cseq,
                    request.branch, request.uri, request.from_, to, status, rseq, request)

    # -- building ------------------------------------------------------------------------------------------
    def _request(self, method: str, sender: Party, receiver: Party, uri: str, to: str, cseq: int, branch: str,
                 dst: str, body: bytes = b"", extra: str = "", content_type: str = "application/sdp",
                 cseq_method: str | None = None) -> Sent:
        from_ = f"<{sender.aor}>;tag={sender.tag}"
        headers = [
            self._via(sender, branch), "Max-Forwards: 70", f"From: {from_}", f"To: {to}",
            f"Call-ID: {self.call_id}", f"CSeq: {cseq} {cseq_method or method}",
        ]
        if method in ("INVITE", "SUBSCRIBE", "REFER", "NOTIFY", "REGISTER", "UPDATE"):
            headers.append(f"Contact: <{sender.contact}>")
        raw = _message(f"{method} {uri} SIP/2.0", headers, extra, body, content_type)
        time = self.wire.now
        frame = self.wire.carry(sender.host, dst, raw)
        return Sent(raw, frame, time, sender.host, dst, sender, receiver, method, cseq, branch, uri, from_, to)

    def _via(self, sender: Party, branch: str) -> str:
        return f"Via: SIP/2.0/{self.wire.transport} {sender.host}:5060;branch={branch}"

    def _branch(self, sender: Party) -> str:
        return f"z9hG4bK-{sender.name}-{self.call_id.split('@')[0]}-{next(self._branches)}"


def _message(start: str, headers: list[str], extra: str, body: bytes, content_type: str) -> bytes:
    if body:
        extra += f"Content-Type: {content_type}\r\n"
    head = "\r\n".join([start, *headers]) + "\r\n" + extra + f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def above_info(analysis: Analysis) -> list[tuple[str, str]]:
    """``(id, severity)`` of every finding above info, in order: what a scenario asserts in full."""
    return [(f.id, f.severity) for f in analysis.findings if f.severity != "info"]


def finding(analysis: Analysis, finding_id: str):
    """The one finding with this id."""
    found = [f for f in analysis.findings if f.id == finding_id]
    assert len(found) == 1, found
    return found[0]
