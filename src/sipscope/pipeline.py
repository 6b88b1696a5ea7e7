"""The ingestion pipeline: capture records in, ``SipMessage`` values out, and every frame accounted for.

It wires the stages (``capture.decode`` → UDP datagrams and TCP segments → ``sip`` framing and parsing), decides
what each TCP stream carries (SIP, SIP over WebSocket, HEP, or something else), and guards each frame: an
unexpected exception while handling one frame is recorded with its frame number and the run goes on, unless
``strict`` asks for it to be raised (tests run strict).
"""

from __future__ import annotations

import socket
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator

from . import accounting as acc
from .capture.decode import Decoder, fast_udp
from .capture.files import Record
from .capture.hep import decode_hep
from .capture.ipfrag import FragmentStore
from .capture.sctp import SctpReassembler
from .capture.tcp import TcpReassembler
from .capture.websocket import BINARY, CONTINUATION, TEXT, TooLarge, WebSocketDecoder, frame_header, unmask
from .sip import framing
from .sip.framing import NEED_DATA, Framed, StreamFramer
from .sip.message import SipMessage
from .sip.parse import MAX_HEADERS, NOT_SIP, Malformed, find_header_end, parse_message, skip_crlf
from .sip.shard import shard, sniff_shard


@dataclass
class Limits:
    """Bounds on what ingestion may hold in memory; each is counted in the accounting when hit."""

    max_message: int = 1 << 20
    """Largest SIP message framed from a stream (header block plus body)."""
    max_header: int = 64 << 10
    """Largest header block waited for on a stream."""
    max_tcp_streams: int = 20000
    """TCP directions followed at once; the oldest is closed to make room."""
    max_tcp_waiting: int = 1 << 20
    """Bytes of out-of-order segments held per direction while waiting for a missing one."""
    max_ip_datagrams: int = 4096
    """IP datagrams being reassembled from fragments at once."""
    max_open_calls: int = 30_000
    """Calls (Call-IDs) open at once in the analysis; the one that began first is closed early to make room."""
    max_transactions: int = 10_000
    """Transactions kept per call; the oldest is let go to make room."""
    max_dialogs: int = 1_000
    """Dialogs kept per call; a dialog beyond that is not followed."""
    max_headers: int = MAX_HEADERS
    """Header lines of a message read one by one (the key headers are read in any case)."""


@dataclass
class InternalError:
    frame: int
    error: str
    where: str


HEADERS_DEFECT = "sip.headers.too_many"
HEADERS_LIMIT = "limit: header lines per message (the rest not read one by one)"
_NOT_SIP_REASON = {"udp": "udp: not sip", "sctp": "sctp: not sip", "tcp": "tcp: not sip"}
KEEPALIVE_REASON = "sip: crlf keep-alive"
TLS_RECORD_MAX = (1 << 14) + 2048  # the longest TLSCiphertext a record may carry (RFC 5246 section 6.2.3)
ENCRYPTED = (acc.UNSUPPORTED, "tls: encrypted (sipscope does not decrypt TLS)")
PROBE_LIMIT = 4096  # bytes looked at before deciding what a TCP stream carries
SHARE_BLOCK = 1024  # consecutive stateless frames that go to the same worker when several share the work


class Pipeline:
    """Turns capture records into SIP messages; ``accounting`` and ``errors`` describe what happened."""

    def __init__(self, limits: Limits | None = None, strict: bool = False):
        self.limits = limits or Limits()
        self.strict = strict
        self.accounting = acc.FrameAccounting()
        self.errors: list[InternalError] = []
        self._out: list[SipMessage] = []
        self._endpoints: dict[tuple, tuple[str, str]] = {}
        self.messages = 0
        self.shadow = False
        """Whether this pipeline repeats the general path of another one (``run(calls=...)``, worker > 0)."""
        self.own_accounting = self.accounting
        """The frames this pipeline answers for: all of ``accounting``, or the datagrams of its shard."""
        self.own_messages = 0
        """The messages of plain UDP datagrams (the fast path)."""
        self.start_ts: int | None = None  # time of the first frame
        self.end_ts: int | None = None  # time of the last frame, once the records are read
        self.flushing = False  # True once the records are read and open state is being flushed
        self.settle = self.accounting.settle
        self.fragments = FragmentStore(self.settle, self.accounting, self.limits.max_ip_datagrams)
        self.sctp = SctpReassembler(self.settle)
        self.tcp = TcpReassembler(
            self._new_stream, self.settle, self.accounting, self.limits.max_tcp_streams, self.limits.max_tcp_waiting
        )
        self.decoder = Decoder(self, self.fragments, self.sctp)

    # -- driving -------------------------------------------------------------------------------------------
    def run(self, records: Iterable[Record], share: tuple[int, int] | None = None,
            calls: tuple[int, int] | None = None) -> Iterator[SipMessage]:
        """Every SIP message in the records, in the order they completed; flushes open state at the end.

        ``share=(worker, workers)`` makes this pipeline one of several reading the same records to list their
        messages (see ``parallel.py``): it handles only its own frames and leaves the others out of its
        accounting. Plain Ethernet/IPv4/UDP frames carry no state between frames, so they are dealt out in blocks
        of ``SHARE_BLOCK`` frames; every other frame (TCP, fragments, tunnels...) belongs to worker 0, which keeps
        all the state.

        ``calls=(worker, workers)`` makes it one of several analysing the same records, each the Call-IDs that
        ``shard`` gives it. A plain UDP datagram is parsed and accounted for only by the worker of its Call-ID
        (worker 0 when it has none). Every worker follows the frames that need state (TCP, fragments, tunnels)
        and keeps the messages of its own Call-IDs; worker 0 alone accounts for those frames, the others in an
        accounting nobody reads (``own_accounting`` is what each worker reports).
        """
        out = self._out
        decode = self.decoder.frame
        accounting = self.accounting
        frame = accounting.frames_read
        worker, workers = share or calls or (0, 1)
        blocks = share is not None and workers > 1
        by_call = calls is not None and workers > 1
        if by_call and worker:
            self.shadow = True
            self.own_accounting = acc.FrameAccounting()
        own = self.own_accounting
        by_category = own.by_category
        max_headers = self.limits.max_headers
        general = False
        for ts, linktype, data, orig_len in records:
            frame += 1
            accounting.frames_read = frame
            if self.start_ts is None:
                self.start_ts = ts
            try:
                # Fast path: a SIP message in a plain Ethernet/IPv4/UDP frame, the bulk of most captures, with as
                # few calls as possible. Anything else takes the general path.
                if blocks and (frame // SHARE_BLOCK) % workers != worker:
                    # Another worker's block: its stateless frames are that worker's, the rest are worker 0's.
                    if worker or fast_udp(linktype, data) is not None:
                        continue
                    fast = None
                else:
                    fast = fast_udp(linktype, data)
                    if fast is None and worker and blocks:
                        continue  # a frame that needs state: worker 0's
                if fast is not None:
                    owner = sniff_shard(fast[4], workers) if by_call else worker
                    if owner >= 0 and owner != worker:
                        continue
                    message = parse_message(fast[4], max_headers=max_headers)
                    if message.__class__ is SipMessage:
                        if owner < 0 and shard(message.call_id, workers) != worker:
                            continue
                        message.frames = (frame,)
                        message.time = ts
                        key = fast[:4]
                        message.src, message.dst = self._endpoints.get(key) or self._endpoints_of(key)
                        message.transport = "udp"
                        if message.defects and HEADERS_DEFECT in message.defects:
                            own.event(HEADERS_LIMIT, frame)
                        self.messages += 1
                        self.own_messages += 1
                        by_category[acc.SIP] += 1
                        yield message
                        continue
                    if owner < 0 and worker:
                        continue  # not SIP after all, and without a Call-ID: worker 0's
                    # What the general path would do with this datagram, accounted for by this worker.
                    own.settle((frame,), *self.datagram((frame,), ts, *fast[:4], "udp", fast[4], False))
                    continue
                general = True
                decode(frame, ts, linktype, data, orig_len)
                general = False
            except Exception as exc:  # a bug, not bad data: record it with the frame and go on
                if not (self.shadow and general):  # worker 0 records that one
                    self.internal_error(frame, exc)
                general = False
            if out:
                yield from self._mine(out, worker, workers) if by_call else out
                out.clear()
        if frame:
            self.end_ts = ts
        self.flushing = True
        try:
            self.tcp.flush()
            self.sctp.flush()
            self.fragments.flush()
        except Exception as exc:
            if not self.shadow:
                self.internal_error(frame, exc)
        yield from self._mine(out, worker, workers) if by_call else out
        out.clear()

    @staticmethod
    def _mine(messages: list[SipMessage], worker: int, workers: int) -> list[SipMessage]:
        return [message for message in messages if shard(message.call_id, workers) == worker]

    def internal_error(self, frame: int, exc: Exception) -> None:
        """Record a bug met while handling ``frame`` (raise it when strict); the run goes on."""
        if self.strict:
            raise exc
        where = traceback.extract_tb(exc.__traceback__)[-1]
        self.errors.append(InternalError(frame, f"{type(exc).__name__}: {exc}", f"{where.filename}:{where.lineno}"))
        self.own_accounting.event("internal error", frame)

    # -- the decoder's sink --------------------------------------------------------------------------------
    def _endpoints_of(self, key: tuple) -> tuple[str, str]:
        """``("addr:port", "addr:port")`` for ``(src, sport, dst, dport)``; IPv6 in brackets."""
        pair = self._endpoints.get(key)
        if pair is None:
            src, sport, dst, dport = key
            pair = (_endpoint(src, sport), _endpoint(dst, dport))
            if len(self._endpoints) > 100_000:
                self._endpoints.clear()
            self._endpoints[key] = pair
        return pair

    def datagram(self, frames, ts, src, sport, dst, dport, transport, payload, cut):
        """One datagram-bounded payload: a SIP message or not. Returns ``(category, reason)`` for its frames."""
        message = parse_message(payload, max_headers=self.limits.max_headers)
        if message is NOT_SIP:
            if skip_crlf(payload) == len(payload):
                return acc.OTHER, KEEPALIVE_REASON
            return (acc.TRUNCATED, "sip: start line cut short by the snap length") if cut and b"SIP/" in payload else \
                (acc.OTHER, _NOT_SIP_REASON.get(transport, transport + ": not sip"))
        if message.__class__ is Malformed:
            if cut:  # what the parser could not read was most likely what the capture did not keep
                return acc.TRUNCATED, "sip: message cut short before it could be read"
            return acc.MALFORMED, "sip: " + message.reason
        self._emit(message, frames, ts, src, sport, dst, dport, transport)
        if cut:
            message.add_defect("sip.message.cut")
            return acc.TRUNCATED, "sip: message cut short by the snap length"
        return acc.SIP, ""

    def segment(self, frames, ts, src, sport, dst, dport, seq, flags, payload, cut):
        self.tcp.segment(frames, ts, src, sport, dst, dport, seq, flags, payload, cut)

    def _emit(self, message: SipMessage, frames, ts, src, sport, dst, dport, transport) -> None:
        message.frames = frames if frames.__class__ is tuple else tuple(frames)
        message.time = ts
        message.src, message.dst = self._endpoints.get((src, sport, dst, dport)) or \
            self._endpoints_of((src, sport, dst, dport))
        message.transport = transport
        if message.defects and HEADERS_DEFECT in message.defects:
            self.own_accounting.event(HEADERS_LIMIT, message.frames[-1])
        self.messages += 1
        self._out.append(message)

    def _new_stream(self, key) -> StreamConsumer:
        return StreamConsumer(self, key)


def _endpoint(ip: bytes, port: int) -> str:
    if len(ip) == 4:
        return f"{socket.inet_ntop(socket.AF_INET, ip)}:{port}"
    if len(ip) == 16:
        return f"[{socket.inet_ntop(socket.AF_INET6, ip)}]:{port}"
    return f"?:{port}"


class StreamConsumer:
    """One direction of a TCP connection: finds out what it carries and turns its bytes into messages.

    Bytes are tracked as spans ``[start, end, frames, carried_sip]`` in stream offsets, so that each message
    names every frame it came from and each frame is settled once its last byte is accounted for: as SIP if any
    of its bytes was, otherwise for what its last byte turned out to be.
    """

    # The SIP framer's skipped bytes: (category, reason).
    SKIPPED = {
        framing.KEEPALIVE: (acc.OTHER, KEEPALIVE_REASON),
        framing.NOT_SIP: (acc.OTHER, "tcp: not sip"),
        framing.LOST_START: (acc.TRUNCATED, "tcp: " + framing.LOST_START),
        framing.LOST_REST: (acc.TRUNCATED, "tcp: " + framing.LOST_REST),
        framing.INCOMPLETE: (acc.TRUNCATED, "tcp: incomplete sip message at the end of the stream"),
        framing.HEADER_OVER_LIMIT: (acc.TRUNCATED, "tcp: " + framing.HEADER_OVER_LIMIT),
        framing.BODY_OVER_LIMIT: (acc.TRUNCATED, "tcp: " + framing.BODY_OVER_LIMIT),
    }
    UNDECIDED = (acc.OTHER, "tcp: not sip")

    def __init__(self, pipeline: Pipeline, key):
        self.pipeline = pipeline
        self.key = key
        self.spans: deque[list] = deque()
        self.fed = 0  # stream offset of the next byte
        self.ts = 0
        self.handle = self._probe  # what new bytes go to: changes once the stream's content is known
        self.held = self.UNDECIDED  # (category, reason) for bytes held when the stream is cut or closes
        self.pending = bytearray()  # bytes waiting for the probe to decide, or a HEP packet under way
        self.pending_start = 0
        self.searched = 0  # offset in ``pending`` up to which no line is a start line
        self.framer: StreamFramer | None = None
        self.websocket: WebSocketDecoder | None = None
        self.ws_parts: list[bytes] | None = None  # payloads of the fragmented WebSocket message under way
        self.ws_ranges: list[tuple[int, int]] = []  # and the stream ranges of its frames

    # -- the reassembler's interface -----------------------------------------------------------------------
    def data(self, payload: bytes, frames: tuple, ts: int) -> None:
        start = self.fed
        self.fed += len(payload)
        self.spans.append([start, self.fed, frames, False])
        self.ts = ts
        self.handle(payload, start)

    def gap(self, frame: int) -> None:
        if self.framer is not None:
            skipped = self.framer.lost()
            if skipped is not None:
                self._skipped(skipped)
        else:
            # WebSocket frame and HEP packet boundaries are lost with the bytes: look for one starting a segment.
            self._restart(*self.held)

    def close(self) -> None:
        if self.framer is not None:
            skipped = self.framer.close()
            if skipped is not None:
                self._skipped(skipped)
        self._release(self.fed, *self.held)

    # -- accounting by byte ranges -------------------------------------------------------------------------
    def _frames(self, ranges) -> list[int]:
        """Frames of the bytes in the ``(start, end)`` ranges (in stream order), now known to carry SIP."""
        frames = []
        i, n = 0, len(ranges)
        for span in self.spans:
            while ranges[i][1] <= span[0]:  # ranges that end before this span
                i += 1
                if i == n:
                    return frames
            if ranges[i][0] < span[1]:
                span[3] = True
                frames.extend(span[2])
        return frames

    def _release(self, end: int, category: str, reason: str) -> None:
        """Settle the frames whose bytes all lie before ``end``: SIP if any of their bytes was SIP."""
        spans = self.spans
        settle = self.pipeline.settle
        while spans and spans[0][1] <= end:
            _start, _end, frames, carried_sip = spans.popleft()
            if carried_sip:
                settle(frames, acc.SIP)
            else:
                settle(frames, category, reason)

    def _restart(self, category: str, reason: str) -> None:
        """What is held cannot be followed: settle it, and look at the bytes that follow afresh."""
        self._release(self.fed, category, reason)
        self.pending.clear()
        self.websocket = None
        self.ws_parts = None
        self.held = self.UNDECIDED
        self.handle = self._probe

    def _limit(self, name: str) -> None:
        self.pipeline.accounting.event(name, self.spans[-1][2][-1] if self.spans else None)

    # -- deciding what the stream carries ------------------------------------------------------------------
    def _probe(self, payload: bytes, start: int) -> None:
        """Look at the first bytes; those that cannot tell yet wait, up to PROBE_LIMIT."""
        if not self.pending:
            self.pending_start = start
            self.searched = 0
        self.pending += payload
        data = bytes(self.pending)
        if skip_crlf(data) == len(data):
            # Only CRLFs so far: keep-alives (RFC 5626 section 4.4.1), whatever the stream turns out to carry.
            self._release(self.fed, acc.OTHER, KEEPALIVE_REASON)
            self.pending.clear()
            return
        if self._decide(data, self.pending_start, True):
            return
        # A segment may start what the bytes before it (the end of something lost) hide.
        if len(data) > len(payload) and self._decide(payload, start, False):
            return
        if len(data) >= PROBE_LIMIT:
            self._release(self.fed, *self.UNDECIDED)
            self.pending.clear()

    def _decide(self, data: bytes, base: int, anywhere: bool) -> bool:
        """Follow the stream as what ``data`` (at stream offset ``base``) begins, if it tells; the probe's bytes
        before ``base`` told nothing. A SIP message may begin on any line (``anywhere``) or only at ``base``."""
        if _tls_record(data):
            self._release(base, *self.UNDECIDED)
            self.pending.clear()
            self.held = ENCRYPTED
            self.handle = self._encrypted
            self._encrypted(data, base)
            return True
        if data.startswith(b"HEP3"):
            self._release(base, *self.UNDECIDED)
            self.pending.clear()
            self.held = (acc.TRUNCATED, "hep: packet cut short")
            self.handle = self._hep
            self._hep(data, base)
            return True
        upgrade = self._websocket_upgrade(data)
        if upgrade or self._websocket_sip(data):
            self._release(base, *self.UNDECIDED)
            self.pending.clear()
            self._become_websocket(data, base, handshake=bool(upgrade))
            return True
        first = skip_crlf(data)
        if anywhere:
            found = framing.find_start_line(data, max(first, self.searched))
        else:
            found = first if framing.is_start_line_at(data, first) else -1
        if found < 0 or data.find(b"\n", found) < 0:
            if anywhere:
                self.searched = data.rfind(b"\n") + 1  # the complete lines hold no start line: not again
            return False
        # What precedes the first start line is the rest of a message whose start is not in the capture.
        self.pending.clear()
        if found == first:
            self._release(base, acc.TRUNCATED, "tcp: " + framing.LOST_START)
            self._become_sip(data, base)
        else:
            self._release(base + found, acc.TRUNCATED, "tcp: " + framing.LOST_START)
            self._become_sip(data[found:], base + found)
        return True

    def _encrypted(self, _payload: bytes, _start: int) -> None:
        """TLS records (SIPS, usually on port 5061): nothing in them can be read without the keys."""
        self._release(self.fed, *ENCRYPTED)

    @staticmethod
    def _websocket_upgrade(data: bytes) -> bool | None:
        """Whether ``data`` begins with an HTTP request or response upgrading to WebSocket (RFC 6455 section 4);
        None until its header block is complete."""
        if not data.startswith((b"GET ", b"HTTP/1.1 101")):
            return False
        _end, body = find_header_end(data, 0)
        if body < 0:
            return None
        return b"websocket" in data[:body].lower()

    @staticmethod
    def _websocket_sip(data: bytes) -> bool:
        """Whether ``data`` begins with a WebSocket data frame holding a SIP start line (a capture that began after
        the handshake, or bytes after a gap). No SIP start line begins with a FIN/opcode byte, so no confusion."""
        if data[0] & 0x7F not in (TEXT, BINARY):  # reserved bits clear: no extension (compression) in the way
            return False
        header = frame_header(data)
        if header is None:
            return False
        _opcode, _fin, masked, length, size = header
        head = data[size : size + min(length, PROBE_LIMIT)]
        if masked:
            head = unmask(head, data[size - 4 : size])
        return framing.is_start_line_at(head)

    # -- SIP over TCP --------------------------------------------------------------------------------------
    def _become_sip(self, data: bytes, base: int) -> None:
        limits = self.pipeline.limits
        self.framer = StreamFramer(limits.max_message, limits.max_header, start=base)
        self.handle = self._sip
        self._sip(data, base)

    def _sip(self, payload: bytes, start: int) -> None:
        framer = self.framer
        framer.feed(payload)
        while True:
            event = framer.next_event()
            if event is NEED_DATA:
                return
            if event.__class__ is Framed:
                if event.defects:  # an absurd Content-Length: the header block was framed alone
                    self._limit("limit: sip message size")
                self._message(event.data, ((event.start, event.end),), "tcp", event.defects)
            else:
                self._skipped(event)

    def _skipped(self, event) -> None:
        if event.limit:
            self._limit("limit: sip header block size")
        self._release(event.end, *self.SKIPPED[event.reason])

    def _message(self, data: bytes, ranges, transport: str, defects=()) -> None:
        """Parse one message framed from the stream and emit it with the frames its byte ranges came from."""
        end = ranges[-1][1]
        message = parse_message(data, transport == "tcp", self.pipeline.limits.max_headers)
        if message is NOT_SIP:
            self._release(end, acc.OTHER, "tcp: not sip" if transport == "tcp" else "websocket: not sip")
            return
        if message.__class__ is Malformed:
            self._release(end, acc.MALFORMED, "sip: " + message.reason)
            return
        for defect in defects:
            message.add_defect(defect)
        src, sport, dst, dport = self.key
        self.pipeline._emit(message, self._frames(ranges), self.ts, src, sport, dst, dport, transport)
        # Frames before the end that carried none of it hold only WebSocket control frames sent between fragments.
        self._release(end, acc.OTHER, "websocket: control frame")

    # -- SIP over WebSocket (RFC 7118) ---------------------------------------------------------------------
    def _become_websocket(self, data: bytes, base: int, handshake: bool) -> None:
        self.websocket = ws = WebSocketDecoder(self.pipeline.limits.max_message, start=base)
        self.held = (acc.TRUNCATED, "websocket: frame or message cut short")
        self.handle = self._websocket
        if handshake:
            ws.feed(data)
            self._release(ws.skip_handshake(), acc.OTHER, "websocket: handshake")
            data = b""
        self._websocket(data, base)

    def _websocket(self, payload: bytes, start: int) -> None:
        ws = self.websocket
        ws.feed(payload)
        while True:
            frame = ws.next_frame()
            if frame is NEED_DATA:
                return
            if frame.__class__ is TooLarge:
                self._limit("limit: websocket frame size")
                self._restart(acc.MALFORMED, "websocket: frame over the size limit")
                return
            opcode = frame.opcode
            if opcode == TEXT or opcode == BINARY:
                if self.ws_parts is not None:  # RFC 6455 section 5.4: a new message before the last one ended
                    self._release(frame.start, acc.TRUNCATED, "websocket: message cut short")
                    self.ws_parts = None
                if frame.fin:  # RFC 7118 section 5: one SIP message per WebSocket message
                    self._message(frame.payload, ((frame.start, frame.end),), "ws")
                    continue
                self.ws_parts, self.ws_ranges = [], []
            elif self.ws_parts is None:
                if opcode == CONTINUATION:
                    self._release(frame.end, acc.TRUNCATED, "websocket: continuation of a message not followed")
                else:
                    self._release(frame.end, acc.OTHER, "websocket: control frame")
                continue
            if opcode in (CONTINUATION, TEXT, BINARY):
                self.ws_parts.append(frame.payload)
                self.ws_ranges.append((frame.start, frame.end))
            # Control frames between fragments (RFC 6455 section 5.4) are settled with the message, and count.
            if frame.end - self.ws_ranges[0][0] > self.pipeline.limits.max_message:
                self._limit("limit: websocket message size")
                self._release(frame.end, acc.TRUNCATED, "websocket: message over the size limit")
                self.ws_parts = None
            elif frame.fin and opcode == CONTINUATION:
                self._message(b"".join(self.ws_parts), self.ws_ranges, "ws")
                self.ws_parts = None

    # -- HEP over TCP --------------------------------------------------------------------------------------
    def _hep(self, payload: bytes, start: int) -> None:
        """HEP3 packets back to back, each giving its own length, as capture agents send them to a collector."""
        pending = self.pending
        if not pending:
            self.pending_start = start
        pending += payload
        while len(pending) >= 6:
            if pending[:4] != b"HEP3":
                self._restart(acc.MALFORMED, "hep: stream lost its framing")
                return
            total = int.from_bytes(pending[4:6], "big")
            if total < 6:
                total = len(pending)
            if len(pending) < total:
                return
            chunk = bytes(pending[:total])
            del pending[:total]
            begin = self.pending_start
            end = self.pending_start = begin + total
            decoded = decode_hep(chunk, self.ts)
            if decoded is None or decoded.__class__ is str:
                category = acc.OTHER if decoded is None else acc.MALFORMED
                self._release(end, category, "hep: " + (decoded or "not sip"))
                continue
            ts, src, sport, dst, dport, transport, sip = decoded
            message = parse_message(sip, max_headers=self.pipeline.limits.max_headers)
            if message is NOT_SIP:
                self._release(end, acc.OTHER, "hep: payload is not sip")
            elif message.__class__ is Malformed:
                self._release(end, acc.MALFORMED, "sip: " + message.reason)
            else:
                self.pipeline._emit(message, self._frames(((begin, end),)), ts, src, sport, dst, dport, transport)
                self._release(end, acc.SIP, "")


def _tls_record(data: bytes) -> bool:
    """Whether ``data`` begins with a TLS record header (RFC 8446 section 5.1, RFC 5246 section 6.2.1): a content
    type from 20 (change_cipher_spec) to 23 (application_data), version 3.x, and a length a record may have."""
    return (len(data) >= 5 and 20 <= data[0] <= 23 and data[1] == 3 and data[2] <= 4
            and int.from_bytes(data[3:5], "big") <= TLS_RECORD_MAX)


class Ingestion:
    """Capture files opened for reading: iterate for the SIP messages, then ask for the ``summary()``."""

    def __init__(self, paths, limits: Limits | None = None, strict: bool = False):
        from .capture.files import CaptureFile

        self.files = [CaptureFile(path) for path in paths]
        self.pipeline = Pipeline(limits, strict)

    def __iter__(self) -> Iterator[SipMessage]:
        from .capture.files import merge_records

        return self.pipeline.run(merge_records(self.files))

    def summary(self) -> dict:
        """What was read and where every frame went, as plain data (the JSON summary line)."""
        return summarize(self.files, self.pipeline)


def summarize(files, pipeline: Pipeline) -> dict:
    accounting = pipeline.own_accounting.to_dict()
    return {
        "files": [
            {"name": f.name, "format": f.format, "compressed": f.compressed, "notes": list(f.notes)} for f in files
        ],
        "frames": pipeline.accounting.frames_read,
        "first_time": _epoch(pipeline.start_ts),
        "last_time": _epoch(pipeline.end_ts),
        "sip_messages": pipeline.own_messages if pipeline.shadow else pipeline.messages,
        "by_category": accounting["by_category"],
        "reasons": accounting["reasons"],
        "events": accounting["events"],
        "internal_errors": [{"frame": e.frame, "error": e.error, "where": e.where} for e in pipeline.errors],
    }


def _epoch(ns: int | None) -> float | None:
    """A capture time in seconds since the epoch, to the microsecond (None for a capture without frames)."""
    return None if ns is None else round(ns / 1e9, 6)
