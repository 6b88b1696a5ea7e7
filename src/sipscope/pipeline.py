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
from .sip.parse import NOT_SIP, Malformed, find_header_end, parse_message, skip_crlf


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


@dataclass
class InternalError:
    frame: int
    error: str
    where: str


_NOT_SIP_REASON = {"udp": "udp: not sip", "sctp": "sctp: not sip", "tcp": "tcp: not sip"}
KEEPALIVE_REASON = "sip: crlf keep-alive"
PROBE_LIMIT = 4096  # bytes looked at before deciding what a TCP stream carries


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
        self.settle = self.accounting.settle
        self.fragments = FragmentStore(self.settle, self.accounting, self.limits.max_ip_datagrams)
        self.sctp = SctpReassembler(self.settle)
        self.tcp = TcpReassembler(
            self._new_stream, self.settle, self.accounting, self.limits.max_tcp_streams, self.limits.max_tcp_waiting
        )
        self.decoder = Decoder(self, self.fragments, self.sctp)

    # -- driving -------------------------------------------------------------------------------------------
    def run(self, records: Iterable[Record]) -> Iterator[SipMessage]:
        """Every SIP message in the records, in the order they completed; flushes open state at the end."""
        out = self._out
        decode = self.decoder.frame
        accounting = self.accounting
        by_category = accounting.by_category
        frame = accounting.frames_read
        for ts, linktype, data, orig_len in records:
            frame += 1
            accounting.frames_read = frame
            try:
                # Fast path: a SIP message in a plain Ethernet/IPv4/UDP frame, the bulk of most captures, with as
                # few calls as possible. Anything else, or a payload that is not SIP, takes the general path.
                fast = fast_udp(linktype, data)
                if fast is not None:
                    message = parse_message(fast[4])
                    if message.__class__ is SipMessage:
                        message.frames = (frame,)
                        message.time = ts
                        key = fast[:4]
                        message.src, message.dst = self._endpoints.get(key) or self._endpoints_of(key)
                        message.transport = "udp"
                        self.messages += 1
                        by_category[acc.SIP] += 1
                        yield message
                        continue
                decode(frame, ts, linktype, data, orig_len)
            except Exception as exc:  # a bug, not bad data: record it with the frame and go on
                self._internal_error(frame, exc)
            if out:
                yield from out
                out.clear()
        try:
            self.tcp.flush()
            self.sctp.flush()
            self.fragments.flush()
        except Exception as exc:
            self._internal_error(frame, exc)
        yield from out
        out.clear()

    def _internal_error(self, frame: int, exc: Exception) -> None:
        if self.strict:
            raise exc
        where = traceback.extract_tb(exc.__traceback__)[-1]
        self.errors.append(InternalError(frame, f"{type(exc).__name__}: {exc}", f"{where.filename}:{where.lineno}"))
        self.accounting.event("internal error", frame)

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
        message = parse_message(payload)
        if message is NOT_SIP:
            if skip_crlf(payload) == len(payload):
                return acc.OTHER, KEEPALIVE_REASON
            return (acc.TRUNCATED, "sip?: cut short") if cut and b"SIP/" in payload[:64] else \
                (acc.OTHER, _NOT_SIP_REASON.get(transport, transport + ": not sip"))
        if message.__class__ is Malformed:
            return acc.MALFORMED, "sip: " + message.reason
        self._emit(message, frames, ts, src, sport, dst, dport, transport)
        if cut:
            message.defects.append("sip.message.cut")
            return acc.TRUNCATED, "sip: message cut short by the snap length"
        return acc.SIP, ""

    def segment(self, frame, ts, src, sport, dst, dport, seq, flags, payload, cut):
        self.tcp.segment(frame, ts, src, sport, dst, dport, seq, flags, payload, cut)

    def _emit(self, message: SipMessage, frames, ts, src, sport, dst, dport, transport) -> None:
        message.frames = frames if frames.__class__ is tuple else tuple(frames)
        message.time = ts
        message.src, message.dst = self._endpoints.get((src, sport, dst, dport)) or \
            self._endpoints_of((src, sport, dst, dport))
        message.transport = transport
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

    Bytes are tracked as spans ``[start, end, frame, carried_sip]`` in stream offsets, so that each message
    names every frame it came from and each frame is settled once its last byte is accounted for.
    """

    def __init__(self, pipeline: Pipeline, key):
        self.pipeline = pipeline
        self.key = key
        self.spans: deque[list] = deque()
        self.fed = 0  # stream offset of the next byte
        self.ts = 0
        self.handle = self._probe
        self.pending = bytearray()  # bytes waiting for the probe to decide
        self.pending_start = 0
        self.framer: StreamFramer | None = None
        self.websocket: WebSocketDecoder | None = None
        self.ws_fragments: list[bytes] = []
        self.ws_start = 0

    # -- the reassembler's interface -----------------------------------------------------------------------
    def data(self, payload: bytes, frame: int, ts: int) -> None:
        start = self.fed
        self.fed += len(payload)
        self.spans.append([start, self.fed, frame, False])
        self.ts = ts
        self.handle(payload, start)

    def gap(self, frame: int) -> None:
        if self.framer is not None:
            skipped = self.framer.lost()
            if skipped is not None:
                self._release(skipped.end, acc.TRUNCATED, "tcp: " + skipped.reason)
        elif self.websocket is not None:
            # WebSocket frames cannot be found again after lost bytes: the rest of the stream is unreadable.
            self._release(self.fed, acc.TRUNCATED, "websocket: bytes lost, stream cannot be followed")
            self.websocket = None
            self.handle = self._ignore
        else:
            self._release(self.fed, acc.OTHER, _NOT_SIP_REASON["tcp"])
            self.pending.clear()
            self.pending_start = self.fed

    def close(self) -> None:
        if self.framer is not None:
            skipped = self.framer.close()
            if skipped is not None:
                self._release(skipped.end, acc.TRUNCATED, "tcp: incomplete sip message at the end of the stream")
        elif self.websocket is not None and self.spans:
            self._release(self.fed, acc.TRUNCATED, "websocket: incomplete frame at the end of the stream")
        self._release(self.fed, acc.OTHER, _NOT_SIP_REASON["tcp"])

    # -- accounting by byte ranges -------------------------------------------------------------------------
    def _frames(self, start: int, end: int) -> list[int]:
        """Frames of the bytes in [start, end), now known to carry SIP."""
        frames = []
        for span in self.spans:
            if span[0] >= end:
                break
            if span[1] > start:
                span[3] = True
                frames.append(span[2])
        return frames

    def _release(self, end: int, category: str, reason: str) -> None:
        """Settle the frames whose bytes all lie before ``end``: SIP if any of their bytes was SIP."""
        spans = self.spans
        settle = self.pipeline.settle
        while spans and spans[0][1] <= end:
            _start, _end, frame, carried_sip = spans.popleft()
            if carried_sip:
                settle((frame,), acc.SIP)
            else:
                settle((frame,), category, reason)

    # -- deciding what the stream carries ------------------------------------------------------------------
    def _probe(self, payload: bytes, start: int) -> None:
        if not self.pending:
            self.pending_start = start
        self.pending += payload
        data = bytes(self.pending)
        first = skip_crlf(data)
        newline = data.find(b"\n", first)
        if newline < 0 and len(data) < PROBE_LIMIT:
            return  # not even a first line yet: wait
        base = self.pending_start
        self.pending.clear()
        if framing.is_start_line_at(data, first):
            self._become_sip(data, base)
        elif data.startswith(b"GET ") and b"websocket" in data.lower():
            self._become_websocket(data, base, handshake=True)
        elif data.startswith(b"HTTP/1.1 101"):
            self._become_websocket(data, base, handshake=True)
        elif data.startswith(b"HEP3"):
            self.handle = self._hep
            self._hep(data, base)
        elif self._looks_like_websocket_sip(data):
            self._become_websocket(data, base, handshake=False)
        else:
            found = framing.find_start_line(data, first)
            if found >= 0:  # the capture began inside a message: what precedes the next one is lost
                self._release(base + found, acc.TRUNCATED, "tcp: " + framing.LOST_START)
                self._become_sip(data[found:], base + found)
            else:
                self._release(self.fed, acc.OTHER, _NOT_SIP_REASON["tcp"])

    @staticmethod
    def _looks_like_websocket_sip(data: bytes) -> bool:
        """A WebSocket data frame holding a SIP start line (a capture that began after the handshake)."""
        header = frame_header(data)
        if header is None or header[0] not in (TEXT, BINARY):
            return False
        _opcode, _fin, masked, _length, size = header
        head = data[size : size + 64]
        if masked:
            head = unmask(head, data[size - 4 : size])
        return framing.is_start_line_at(head) or head.startswith(b"SIP/2.0 ")

    def _ignore(self, payload: bytes, start: int) -> None:
        self._release(self.fed, acc.OTHER, _NOT_SIP_REASON["tcp"])

    # -- SIP over TCP --------------------------------------------------------------------------------------
    def _become_sip(self, data: bytes, base: int) -> None:
        limits = self.pipeline.limits
        self.framer = StreamFramer(limits.max_message, limits.max_header)
        self.framer._base = base
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
                self._message(event.data, event.start, event.end, "tcp", True, event.defects)
            else:
                if event.reason == framing.OVER_LIMIT:
                    self.pipeline.accounting.event("limit: sip header block size", self.spans[0][2])
                if event.reason == framing.KEEPALIVE:
                    self._release(event.end, acc.OTHER, KEEPALIVE_REASON)
                elif event.reason == framing.NOT_SIP:
                    self._release(event.end, acc.OTHER, _NOT_SIP_REASON["tcp"])
                else:
                    self._release(event.end, acc.TRUNCATED, "tcp: " + event.reason)

    def _message(self, data: bytes, start: int, end: int, transport: str, stream: bool, extra_defects=()) -> None:
        frames = self._frames(start, end)
        message = parse_message(data, stream=stream)
        if message is NOT_SIP or message.__class__ is Malformed:
            for span in self.spans:  # they are not SIP after all
                if span[2] in frames:
                    span[3] = False
            reason = "sip: not a start line" if message is NOT_SIP else "sip: " + message.reason
            self._release(end, acc.MALFORMED, reason)
            return
        message.defects.extend(extra_defects)
        src, sport, dst, dport = self.key
        self.pipeline._emit(message, frames, self.ts, src, sport, dst, dport, transport)
        self._release(end, acc.SIP, "")

    # -- SIP over WebSocket (RFC 7118) ---------------------------------------------------------------------
    def _become_websocket(self, data: bytes, base: int, handshake: bool) -> None:
        self.websocket = WebSocketDecoder(self.pipeline.limits.max_message)
        self.websocket._base = base
        self.handle = self._websocket_handshake if handshake else self._websocket
        self.handle(data, base)

    def _websocket_handshake(self, payload: bytes, start: int) -> None:
        ws = self.websocket
        ws.feed(payload)
        _end, body = find_header_end(ws._buf, 0)
        if body < 0:
            if ws.buffered > self.pipeline.limits.max_header:
                self._release(self.fed, acc.OTHER, "websocket: handshake too long")
                self.websocket = None
                self.handle = self._ignore
            return
        del ws._buf[:body]
        ws._base += body
        self._release(ws._base, acc.OTHER, "websocket: handshake")
        self.handle = self._websocket
        self._websocket(b"", start)

    def _websocket(self, payload: bytes, start: int) -> None:
        ws = self.websocket
        ws.feed(payload)
        while True:
            frame = ws.next_frame()
            if frame is NEED_DATA:
                return
            if frame.__class__ is TooLarge:
                self.pipeline.accounting.event("limit: websocket frame size", self.spans[0][2] if self.spans else None)
                self._release(frame.end, acc.MALFORMED, "websocket: frame over the size limit")
                self.websocket = None
                self.handle = self._ignore
                return
            if frame.opcode in (TEXT, BINARY, CONTINUATION):
                if frame.opcode != CONTINUATION:
                    self.ws_fragments = []
                    self.ws_start = frame.start
                self.ws_fragments.append(frame.payload)
                if frame.fin:
                    self._message(b"".join(self.ws_fragments), self.ws_start, frame.end, "ws", False)
                    self.ws_fragments = []
            else:
                self._release(frame.end, acc.OTHER, "websocket: control frame")

    # -- HEP over TCP --------------------------------------------------------------------------------------
    def _hep(self, payload: bytes, start: int) -> None:
        if not self.pending:
            self.pending_start = start
        self.pending += payload
        while len(self.pending) >= 6:
            if self.pending[:4] != b"HEP3":
                self._release(self.fed, acc.MALFORMED, "hep: stream lost its framing")
                self.pending.clear()
                self.handle = self._ignore
                return
            total = int.from_bytes(self.pending[4:6], "big")
            if total < 6:
                total = len(self.pending)
            if len(self.pending) < total:
                return
            chunk = bytes(self.pending[:total])
            del self.pending[:total]
            begin, self.pending_start = self.pending_start, self.pending_start + total
            decoded = decode_hep(chunk, self.ts)
            if decoded is None or isinstance(decoded, str):
                category = acc.OTHER if decoded is None else acc.MALFORMED
                self._release(self.pending_start, category, "hep: " + (decoded or "not sip"))
                continue
            ts, src, sport, dst, dport, transport, sip = decoded
            message = parse_message(sip)
            if message is NOT_SIP or message.__class__ is Malformed:
                self._release(self.pending_start, acc.OTHER, "hep: payload is not sip")
                continue
            frames = self._frames(begin, self.pending_start)
            self.pipeline._emit(message, frames, ts, src, sport, dst, dport, transport)
            self._release(self.pending_start, acc.SIP, "")


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
        accounting = self.pipeline.accounting.to_dict()
        return {
            "files": [
                {"name": f.name, "format": f.format, "compressed": f.compressed, "notes": list(f.notes)}
                for f in self.files
            ],
            "frames": accounting["frames"],
            "sip_messages": self.pipeline.messages,
            "by_category": accounting["by_category"],
            "reasons": accounting["reasons"],
            "events": accounting["events"],
            "internal_errors": [
                {"frame": e.frame, "error": e.error, "where": e.where} for e in self.pipeline.errors
            ],
        }
