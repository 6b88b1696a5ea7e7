"""SIP messages as Wireshark finds them: tshark's reassembly and TLS decryption, sipscope's parser and analysis.

tshark runs once per capture and prints each frame that holds SIP as JSON (``-T json -x``). The ``sip_raw`` values
are the exact bytes of each message, after TCP, TLS, IP-fragment, SCTP and WebSocket reassembly, several per frame
when they were pipelined; they go to ``sip.parse`` like any other message. A message's frames are found by matching
its bytes against the reassembly tables of its frame (``tcp.segments``, ``tls.segments``, ``ip.fragments_tree``...):
the table covers the whole reassembled block, the message only the segments its bytes came from.

pyshark finds tshark (its configuration and its search path); its packet objects are not used, because they keep
one SIP layer per frame and lose the offsets that tie a message to its segments.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Iterator

from .. import accounting as acc
from ..pipeline import Pipeline, summarize
from ..sip.message import SipMessage
from ..sip.parse import parse_message
from .files import CaptureError, CaptureFile

# Wireshark's preferences are the user's unless given: these make its reassembly what sipscope's is.
PREFERENCES = ("tcp.desegment_tcp_streams:TRUE", "tcp.reassemble_out_of_order:TRUE", "sip.desegment_headers:TRUE",
               "sip.desegment_body:TRUE", "tls.desegment_ssl_records:TRUE",
               "tls.desegment_ssl_application_data:TRUE")
# The layers whose fields are read; the others print only their raw bytes. A TLS record that spans TCP segments
# is completed in a frame without SIP: the filter keeps those frames too, for their segments.
LAYERS = "frame ip ipv6 udp tcp sctp tcp.segments tls.segments"
FILTER = "sip || (tls && tcp.segments)"
TRANSPORTS = ("websocket", "tls", "tcp", "udp", "sctp")


class TsharkError(Exception):
    """tshark is missing, or failed: the message says what to do."""


@dataclass
class Options:
    keylog: str | None = None
    """An NSS key log file (SSLKEYLOGFILE) for TLS decryption."""
    decode_as: tuple[str, ...] = ()
    """Wireshark decode-as rules, ``tls.port==5071,sip`` or ``udp.port==6000-6010,sip``."""
    display_filter: str | None = None
    """Only the frames this display filter keeps (on top of the SIP ones)."""


def tshark_path() -> str:
    """Where tshark is, as pyshark finds it; TsharkError when it is not installed."""
    try:
        from pyshark.tshark.tshark import TSharkNotFoundException, get_process_path
    except ImportError as exc:
        raise TsharkError("the tshark engine needs pyshark: pip install 'sipscope[tshark]'") from exc
    try:
        return get_process_path()
    except TSharkNotFoundException as exc:
        raise TsharkError("the tshark engine needs tshark: install Wireshark's command line tools (Debian and "
                          "Ubuntu: apt-get install tshark; macOS: brew install wireshark)") from exc


def command(path: str, options: Options, tshark: str) -> list[str]:
    display = FILTER if options.display_filter is None else f"({FILTER}) && ({options.display_filter})"
    arguments = [tshark, "-n", "-r", path, "-T", "json", "-x", "--no-duplicate-keys", "-Y", display, "-J", LAYERS]
    for preference in PREFERENCES:
        arguments += ["-o", preference]
    if options.keylog is not None:
        if not os.path.isfile(options.keylog):  # tshark would go on silently, decrypting nothing
            raise TsharkError(f"{options.keylog}: no such key log file")
        arguments += ["-o", f"tls.keylog_file:{options.keylog}"]
    for rule in options.decode_as:
        arguments += ["-d", rule]
    return arguments


def read(path: str, options: Options | None = None) -> Iterator[SipMessage]:
    """The SIP messages tshark finds in the capture ``path``, parsed, in the order tshark completes them."""
    return run(command(path, options or Options(), tshark_path()), path)


def run(arguments: list[str], path: str, unread: list | None = None) -> Iterator[SipMessage]:
    """The SIP messages of a tshark ``command``; what Wireshark took for SIP but sipscope's parser cannot read goes
    to ``unread`` as ``(frames, reason)``."""
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pdus: dict[int, list[int]] = {}  # frame that completed a TCP block -> the block's frames
    try:
        for packet in _packets(process.stdout):
            yield from _messages(packet["_source"]["layers"], pdus, unread if unread is not None else [])
    finally:
        process.stdout.close()
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0:
            raise TsharkError(f"tshark failed on {path}: {error.splitlines()[-1] if error else process.returncode}")


def _packets(stream) -> Iterator[dict]:
    """The elements of tshark's JSON array, one at a time (each begins with a line ``  {`` and ends with ``  }``)."""
    lines: list[bytes] = []
    for line in stream:
        if line.startswith(b"  {"):
            lines = [line]
        elif line.startswith(b"  }"):
            lines.append(b"}")
            yield json.loads(b"".join(lines))
            lines = []
        elif lines:
            lines.append(line)


def _messages(layers: dict, pdus: dict[int, list[int]], unread: list) -> Iterator[SipMessage]:
    frame = layers["frame"]
    number = int(frame["frame.number"])
    protocols = frame["frame.protocols"].split(":")
    tables = _tables(layers, pdus, number)
    entries = layers.get("sip_raw")
    if not entries:
        return  # a frame kept for its TCP segments only
    raw_frame = bytes.fromhex(layers["frame_raw"][0])
    src, dst = _addresses(layers, protocols)
    sport, dport, transport = _ports(layers, protocols)
    time = _nanoseconds(frame["frame.time_epoch"])
    for hexed, offset, length, *_rest in _raw_values(entries):
        data = bytes.fromhex(hexed)
        frames = _frames_of(data, offset, length, number, tables, raw_frame)
        message = parse_message(data, stream=transport != "udp")
        if message.__class__ is not SipMessage:  # a "continuation" Wireshark could not place, or worse
            unread.append((frames, getattr(message, "reason", "no start line")))
            continue
        message.frames = frames
        message.time = time
        message.src, message.dst = f"{src}:{sport}", f"{dst}:{dport}"
        message.transport = transport
        yield message


def _raw_values(value) -> list:
    """A ``*_raw`` value is ``[hex, offset, length, bitmask, type]``, or a list of those when there are several."""
    return [value] if isinstance(value[0], str) else value


def _tables(layers: dict, pdus: dict[int, list[int]], number: int) -> list[tuple[list[int], list[tuple], bytes]]:
    """The frame's reassembly tables: for each, the frames, their byte spans in the block, and the block."""
    found: list[tuple[str, list[int], list[tuple], bytes | None]] = []  # SCTP's tables have no bytes
    _walk(layers, found)
    tables = []
    for name, frames, spans, data in found:
        if name == "tcp.segments":
            pdus[number] = frames
        elif name == "tls.segments":  # a record that spanned TCP segments came from all of them
            frames = [tcp for frame in frames for tcp in pdus.get(frame, [frame])]
        tables.append((frames, spans, data or b""))
    return tables


def _walk(node, found: list) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        name = key.removesuffix("_tree")  # IPv4 puts its fragments under ip.fragments_tree
        if name.endswith((".segments", ".fragments")) and isinstance(value, dict) and name[:-1] in value:
            item = name[:-1]
            frames = [int(frame) for frame in (value[item] if isinstance(value[item], list) else [value[item]])]
            pieces = _raw_values(value.get(item + "_raw") or [["", 0, 0]])
            try:
                data = bytes.fromhex("".join(piece[0] for piece in pieces))
            except ValueError:  # SCTP's fragments print no bytes
                data = None
            found.append((name, frames, [(piece[1], piece[1] + piece[2]) for piece in pieces], data))
        elif not key.endswith("_raw"):
            _walk(value, found)


def _frames_of(data: bytes, offset: int, length: int, number: int, tables: list, raw_frame: bytes) -> tuple:
    """The frames a message's bytes came from. tshark does not say which buffer its offset is in: the bytes are
    looked for in the reassembled blocks, then in the frame; bytes that are in neither were derived (decrypted,
    unmasked), and every frame of the frame's tables is named."""
    end = offset + length
    for frames, spans, block in tables:
        if block and block[offset:end] == data:
            return tuple(sorted({f for f, (first, last) in zip(frames, spans) if first < end and last > offset}))
    if raw_frame[offset:end] == data or not tables:
        return (number,)
    return tuple(sorted({f for frames, _spans, _block in tables for f in frames} | {number}))


def _addresses(layers: dict, protocols: list[str]) -> tuple[str, str]:
    """The innermost IP header's addresses (a tunnel's is outermost); IPv6 in brackets as sipscope writes it."""
    innermost = max((name for name in ("ip", "ipv6") if name in protocols),
                    key=lambda name: len(protocols) - protocols[::-1].index(name), default=None)
    if innermost is None:
        return "", ""
    header = layers[innermost]
    header = header[-1] if isinstance(header, list) else header
    if innermost == "ipv6":
        return f"[{header['ipv6.src']}]", f"[{header['ipv6.dst']}]"
    return header["ip.src"], header["ip.dst"]


def _ports(layers: dict, protocols: list[str]) -> tuple[int, int, str]:
    """The innermost transport's ports, and the transport as sipscope names it (udp, tcp, tls, sctp, ws, wss)."""
    carrier = next((p for p in reversed(protocols) if p in ("udp", "tcp", "sctp")), None)
    above = protocols[protocols.index(carrier):] if carrier else protocols
    transport = next((p for p in TRANSPORTS if p in above), carrier or "udp")
    if transport == "websocket":
        transport = "wss" if "tls" in above else "ws"
    if carrier is None:
        return 0, 0, transport
    header = layers[carrier]
    header = header[-1] if isinstance(header, list) else header
    return int(header[f"{carrier}.srcport"]), int(header[f"{carrier}.dstport"]), transport


def _nanoseconds(epoch: str) -> int:
    """``frame.time_epoch`` (seconds with nine decimals) in nanoseconds, without a float's rounding."""
    seconds, _dot, fraction = epoch.partition(".")
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])


NOT_SIP = "tshark: no sip"


class TsharkIngestion:
    """One capture read by tshark, shaped like ``pipeline.Ingestion``: iterate for the messages, then ask for the
    ``summary()``. Its ``pipeline`` decodes nothing: it holds the limits, the internal errors and the accounting,
    in which every frame that carried SIP is counted as such and every other frame as ``tshark: no sip``."""

    def __init__(self, paths, options: Options, limits=None, strict: bool = False):
        if len(paths) != 1 or paths[0] == "-":
            raise TsharkError("the tshark engine reads one capture file (merge several with mergecap first)")
        self.pipeline = Pipeline(limits, strict)
        self.command = command(paths[0], options, tshark_path())  # what is missing is said before any output
        try:
            self.files = [CaptureFile(paths[0])]
            first = CaptureFile(paths[0])  # the capture's start, which the report's times count from, comes first
            self.pipeline.start_ts = next((ts for ts, *_rest in first.records()), None)
            first.close()
        except CaptureError:  # a format only Wireshark reads (NetMon, ERF, snoop...): capinfos tells the rest
            self.files = [Foreign(paths[0], self.command[0])]
            self.pipeline.start_ts = self.files[0].start

    def __iter__(self) -> Iterator[SipMessage]:
        pipeline, sip_frames, unread = self.pipeline, set(), []
        for message in run(self.command, self.files[0].path, unread):
            pipeline.messages += 1
            sip_frames.update(message.frames)
            yield message
        accounting = pipeline.accounting
        settled = set(sip_frames)
        for frames, reason in unread:
            frames = [frame for frame in frames if frame not in settled]
            settled.update(frames)
            accounting.settle(frames, acc.MALFORMED, f"tshark: sip sipscope cannot read: {reason}")
        source = self.files[0]
        if isinstance(source, Foreign):
            count, pipeline.end_ts = source.frames, source.end
        else:
            count = 0
            for count, (ts, *_rest) in enumerate(source.records(), 1):
                pipeline.end_ts = ts
        accounting.frames_read = count
        accounting.settle(sorted(sip_frames), acc.SIP)
        accounting.settle([frame for frame in range(1, count + 1) if frame not in settled], acc.OTHER, NOT_SIP)

    def summary(self) -> dict:
        return summarize(self.files, self.pipeline)


class Foreign:
    """A capture file in a format sipscope does not read, as far as the report needs it: its name and format, its
    frame count, and its first and last times (capinfos, which comes with tshark, reads them)."""

    compressed = False

    def __init__(self, path: str, tshark: str) -> None:
        capinfos = os.path.join(os.path.dirname(tshark), "capinfos")
        out = subprocess.run([capinfos, "-M", "-T", "-r", "-t", "-c", "-a", "-e", "-S", path], capture_output=True,
                             text=True)
        fields = out.stdout.strip().split("\t")
        if out.returncode or len(fields) != 5:
            raise TsharkError(f"{path}: neither sipscope nor capinfos can read it")
        _name, self.format, count, first, last = fields
        self.path = self.name = path
        self.frames = int(count)
        self.start, self.end = _nanoseconds(first), _nanoseconds(last)
        self.notes = [f"a {self.format} file, which only tshark reads"]

    def position(self) -> None:
        return None

    def close(self) -> None:
        pass
