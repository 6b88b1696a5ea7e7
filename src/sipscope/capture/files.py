"""Reading capture files: pcap and pcapng, plain or gzip-compressed, from a path or standard input.

A capture file becomes a stream of records ``(ts_ns, linktype, data, orig_len)``: the timestamp in integer
nanoseconds since the epoch, the link-layer type of the interface, the captured bytes and the length the packet
had on the wire (larger than ``len(data)`` when the snap length cut it).

The format is recognised by content, never by name. A damaged file is read as far as it can be: the records
before the damage are yielded and the damage is described in ``CaptureFile.notes`` (one line each), so the report
can say where and why reading stopped. Only a file that is not a capture at all raises ``CaptureError``.
"""

from __future__ import annotations

import heapq
import os
import struct
import sys
import zlib
from typing import BinaryIO, Iterable, Iterator

Record = tuple[int, int, bytes, int]

CHUNK = 256 << 10  # bytes read at a time
GZIP_CHUNK = 32 << 10  # compressed bytes per step; deflate expands them at most ~1000-fold
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib reads the gzip header and checks the trailer's CRC (RFC 1952)
# Wireshark refuses records above 256 KiB for most link types; we accept up to 16 MiB before calling a record
# length corrupt, so jumbo or reassembled records from odd writers still pass.
MAX_RECORD = 16 << 20

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),  # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1000),  # microseconds, big-endian
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds, little-endian
    b"\xa1\xb2\x3c\x4d": (">", 1),  # nanoseconds, big-endian
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"

# Formats we recognise but do not read, so the refusal can say what the file is.
FOREIGN_MAGICS = {
    b"GMBU": "a Microsoft Network Monitor 2.x capture",
    b"RTSS": "a Microsoft Network Monitor 1.x capture",
    b"XCP\x00": "a NetXray/Sniffer capture",
    b"\x7fELF": "an executable, not a capture",
    b"PK\x03\x04": "a zip archive, not a capture",
}


class CaptureError(Exception):
    """The file cannot be read as a capture at all; the message is one line for the user."""


class _Prefixed:
    """A read-only stream that returns already-consumed bytes first (for sniffing standard input)."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix = prefix
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if not self._prefix:
            return self._rest.read(n)
        if n < 0:
            data, self._prefix = self._prefix + self._rest.read(), b""
            return data
        data, self._prefix = self._prefix[:n], self._prefix[n:]
        if len(data) < n:
            data += self._rest.read(n - len(data))
        return data

    def close(self) -> None:
        self._rest.close()


class _Gunzip:
    """gzip decompression that hands out every byte before a damaged or missing spot, then raises.

    ``gzip.GzipFile`` drops the output of the whole read that meets the damage (often all of a small file), so
    the records before the damage would be lost with it.
    """

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._z = zlib.decompressobj(GZIP_WBITS)
        self._started = False  # some of the current member has been fed
        self._out = bytearray()
        self._error: Exception | None = None
        self._eof = False

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._out) < n) and not self._eof and self._error is None:
            chunk = self._raw.read(GZIP_CHUNK)
            if chunk:
                self._feed(chunk)
            else:
                self._eof = True
                if self._started:
                    self._error = EOFError("the compressed stream ends before its end-of-stream marker")
        if n < 0:
            n = len(self._out)
        data = bytes(self._out[:n])
        del self._out[:n]
        if not data and self._error is not None:
            raise self._error
        return data

    def _feed(self, data: bytes) -> None:
        while data:
            if not self._started:
                data = data.lstrip(b"\0")  # zero padding after a member is allowed, as gzip(1) allows it
                if not data:
                    return
                self._started = True
            saved = self._z.copy() if len(data) > 1 else None
            try:
                self._out += self._z.decompress(data)
            except zlib.error as exc:
                if saved is None:
                    self._error = exc
                    return
                # Again from the last good state, a byte at a time, to keep everything before the damage.
                self._z = saved
                for i in range(len(data)):
                    self._feed(data[i : i + 1])
                    if self._error is not None:
                        return
                return
            if not self._z.eof:
                return
            # A member ended; another may follow (RFC 1952 section 2.2).
            data = self._z.unused_data
            self._z = zlib.decompressobj(GZIP_WBITS)
            self._started = False

    def close(self) -> None:
        self._raw.close()


def _read_exactly(stream, n: int) -> bytes:
    """Read up to n bytes, looping over short reads of pipes and gzip streams."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


class CaptureFile:
    """One capture file, opened and recognised; iterate ``records()`` once to read it."""

    def __init__(self, path: str | os.PathLike):
        path = os.fspath(path)
        self.path = path
        self.name = "<stdin>" if path == "-" else path
        self.notes: list[str] = []
        self.compressed = False
        try:
            raw = sys.stdin.buffer if path == "-" else open(path, "rb")
        except OSError as exc:
            raise CaptureError(f"{self.name}: cannot open: {exc.strerror or exc}") from None
        self._raw = raw
        try:
            self._stream = self._sniff(raw)
        except CaptureError:
            if path != "-":
                raw.close()
            raise

    def position(self) -> int | None:
        """How many bytes of the file have been read (compressed bytes for a gzip file), or None (stdin)."""
        try:
            return None if self.path == "-" else self._raw.tell()
        except (OSError, ValueError):
            return None

    def _sniff(self, raw) -> _Prefixed:
        head = _read_exactly(raw, 4)
        if head[:2] == GZIP_MAGIC:
            self.compressed = True
            inner = _Gunzip(_Prefixed(head, raw))
            try:
                head = _read_exactly(inner, 4)
            except (OSError, EOFError, zlib.error) as exc:
                raise CaptureError(f"{self.name}: gzip data is damaged: {exc}") from None
            raw = inner
        if not head:
            raise CaptureError(f"{self.name}: the file is empty, not a capture")
        if head in PCAP_MAGICS:
            self.format = "pcap"
        elif head == PCAPNG_MAGIC:
            self.format = "pcapng"
        elif head in FOREIGN_MAGICS:
            raise CaptureError(
                f"{self.name}: this is {FOREIGN_MAGICS[head]}; sipscope reads pcap and pcapng "
                f"(convert it with Wireshark: editcap -F pcapng {self.name} out.pcapng)"
            )
        else:
            raise CaptureError(f"{self.name}: not a pcap or pcapng capture (it starts with {head.hex(' ')})")
        return _Prefixed(head, raw)

    def close(self) -> None:
        """Release the file without reading it (its records are read elsewhere, or not needed)."""
        if self.path != "-":
            self._stream.close()

    def records(self) -> Iterator[Record]:
        reader = _pcap_records if self.format == "pcap" else _pcapng_records
        try:
            yield from reader(self._stream, self.notes)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip streams report damage while reading; what came before is kept.
            self.notes.append(f"reading stopped: {'compressed ' if self.compressed else ''}data is damaged ({exc})")
        finally:
            if self.path != "-":
                self._stream.close()


class _Buffer:
    """A sliding window over a stream, for parsing records without a read() per field."""

    def __init__(self, stream):
        self.stream = stream
        self.data = b""
        self.pos = 0
        self.consumed = 0  # bytes of the stream before data[0]

    def fill(self, need: int) -> bool:
        """Make at least ``need`` bytes available from pos; False at the end of the stream."""
        while len(self.data) - self.pos < need:
            chunk = self.stream.read(max(CHUNK, need))
            if not chunk:
                return False
            self.consumed += self.pos
            self.data = self.data[self.pos :] + chunk
            self.pos = 0
        return True

    @property
    def offset(self) -> int:
        return self.consumed + self.pos

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def _pcap_records(stream, notes: list[str]) -> Iterator[Record]:
    """Classic libpcap format: a 24-byte file header, then 16-byte record headers each followed by data."""
    buf = _Buffer(stream)
    if not buf.fill(24):
        notes.append(f"the file header is cut short ({buf.left} of 24 bytes)")
        return
    endian, ns_per_unit = PCAP_MAGICS[buf.data[:4]]
    _major, _minor, _zone, _sigfigs, snaplen, linkfield = struct.unpack_from(endian + "HHiIII", buf.data, 4)
    # The upper bits of the link field may carry an FCS length (pcap-savefile(5)); the type is the low 16 bits.
    linktype = linkfield & 0xFFFF
    buf.pos = 24
    unpack = struct.Struct(endian + "IIII").unpack_from
    index = 0
    while True:
        data, pos, end = buf.data, buf.pos, len(buf.data)
        while pos + 16 <= end:
            sec, frac, incl, orig = unpack(data, pos)
            stop = pos + 16 + incl
            if stop > end:
                break
            index += 1
            yield sec * 1_000_000_000 + frac * ns_per_unit, linktype, data[pos + 16 : stop], orig
            pos = stop
        buf.pos = pos
        if buf.left >= 16:
            incl = unpack(buf.data, buf.pos)[2]
            if incl > MAX_RECORD:
                notes.append(
                    f"reading stopped at record {index + 1} (byte {buf.offset}): its length {incl} is impossible, "
                    "the file is corrupt from there on"
                )
                return
            if buf.fill(16 + incl):
                continue
        elif buf.fill(16):
            continue
        if buf.left == 0:
            return
        if buf.left < 16:
            notes.append(f"the file ends inside the header of record {index + 1} ({buf.left} of 16 bytes)")
            return
        # The file ends inside a record's data: yield what there is, as a frame cut short.
        sec, frac, incl, orig = unpack(buf.data, buf.pos)
        got = buf.data[buf.pos + 16 :]
        notes.append(f"the file ends inside record {index + 1} ({len(got)} of {incl} bytes); it is read as cut short")
        yield sec * 1_000_000_000 + frac * ns_per_unit, linktype, got, max(orig, incl)
        return


# pcapng block types (draft-ietf-opsawg-pcapng).
SHB, IDB, OPB, SPB, EPB = 0x0A0D0D0A, 0x00000001, 0x00000002, 0x00000003, 0x00000006


class _Interface:
    __slots__ = ("linktype", "snaplen", "units_per_s", "offset_s", "ns_per_unit")

    def __init__(self, linktype: int, snaplen: int, units_per_s: int, offset_s: int):
        self.linktype = linktype
        self.snaplen = snaplen
        self.units_per_s = units_per_s
        self.offset_s = offset_s
        self.ns_per_unit = 1_000_000_000 // units_per_s if 1_000_000_000 % units_per_s == 0 else 0
        """Nanoseconds per unit when that is a whole number (10^-n resolutions up to ns), else 0."""

    def to_ns(self, ts: int) -> int:
        if self.ns_per_unit:
            return (ts * self.ns_per_unit) + self.offset_s * 1_000_000_000
        whole, part = divmod(ts, self.units_per_s)
        return (whole + self.offset_s) * 1_000_000_000 + part * 1_000_000_000 // self.units_per_s


def _idb_interface(body: bytes, endian: str) -> _Interface:
    linktype, _reserved, snaplen = struct.unpack_from(endian + "HHI", body, 0)
    units, offset = 1_000_000, 0  # microseconds unless if_tsresol says otherwise
    for code, value in _options(body, 8, endian):
        if code == 9 and value:  # if_tsresol: MSB clear = 10^-n, set = 2^-n
            exp = value[0]
            units = 2 ** (exp & 0x7F) if exp & 0x80 else 10**exp
        elif code == 14 and len(value) >= 8:  # if_tsoffset, seconds
            offset = struct.unpack_from(endian + "q", value)[0]
    return _Interface(linktype, snaplen, units or 1_000_000, offset)


def _options(body: bytes, pos: int, endian: str) -> Iterator[tuple[int, bytes]]:
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(endian + "HH", body, pos)
        if code == 0:
            return
        yield code, body[pos + 4 : pos + 4 + length]
        pos += 4 + ((length + 3) & ~3)


# An enhanced packet block's fixed fields: type, length, interface, timestamp (high, low), captured and
# original lengths.
_EPB_HEADERS = {endian: struct.Struct(endian + "IIIIIII").unpack_from for endian in "<>"}


def _pcapng_records(stream, notes: list[str]) -> Iterator[Record]:
    """pcapng: sections of blocks; each section fixes its byte order and its list of interfaces."""
    buf = _Buffer(stream)
    endian = "<"
    interfaces: list[_Interface] = []
    block_no = 0
    last_ts = 0  # a simple packet block has no timestamp: it takes its predecessor's, to keep its place
    while buf.fill(12):
        # The bulk of a capture: enhanced packet blocks, read straight from the buffer while they are whole in it.
        data, pos, end = buf.data, buf.pos, len(buf.data)
        epb = _EPB_HEADERS[endian]
        while pos + 28 <= end:
            btype, blen, iface_id, ts_hi, ts_lo, caplen, origlen = epb(data, pos)
            if btype != EPB or pos + blen > end or blen % 4 or not 32 <= blen <= MAX_RECORD \
                    or iface_id >= len(interfaces):
                break  # anything else is read by the general code below
            block_no += 1
            iface = interfaces[iface_id]
            caplen = min(caplen, blen - 32)
            last_ts = iface.to_ns((ts_hi << 32) | ts_lo)
            yield last_ts, iface.linktype, data[pos + 28 : pos + 28 + caplen], origlen
            pos += blen
        buf.pos = pos
        if not buf.fill(12):
            break
        block_no += 1
        data, pos = buf.data, buf.pos
        if data[pos : pos + 4] == PCAPNG_MAGIC:
            bom = data[pos + 8 : pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                notes.append(f"reading stopped at block {block_no} (byte {buf.offset}): bad byte-order magic")
                return
            interfaces = []
        btype, blen = struct.unpack_from(endian + "II", data, pos)
        if blen < 12 or blen % 4 or blen > MAX_RECORD:
            notes.append(f"reading stopped at block {block_no} (byte {buf.offset}): impossible block length {blen}")
            return
        if not buf.fill(blen):
            notes.append(f"the file ends inside block {block_no} ({buf.left} of {blen} bytes)")
            if btype == EPB and buf.left >= 28:
                # Salvage the packet bytes that are there, as a frame cut short.
                yield from _salvage_epb(buf.data[buf.pos + 8 :], endian, interfaces, notes, block_no)
            return
        data, pos = buf.data, buf.pos
        body = data[pos + 8 : pos + blen - 4]
        buf.pos = pos + blen
        try:
            if btype == EPB or btype == OPB:
                # Enhanced: a 32-bit interface id; obsolete: a 16-bit id and a 16-bit drop count. Then the same.
                iface_id = struct.unpack_from(endian + ("I" if btype == EPB else "H"), body, 0)[0]
                ts_hi, ts_lo, caplen, origlen = struct.unpack_from(endian + "IIII", body, 4)
                iface = _interface(interfaces, iface_id, notes, block_no)
                if iface is not None:
                    caplen = min(caplen, len(body) - 20)
                    last_ts = iface.to_ns((ts_hi << 32) | ts_lo)
                    yield last_ts, iface.linktype, body[20 : 20 + caplen], origlen
            elif btype == SPB:
                iface = _interface(interfaces, 0, notes, block_no)
                if iface is not None:
                    (origlen,) = struct.unpack_from(endian + "I", body, 0)
                    caplen = min(origlen, len(body) - 4, iface.snaplen or origlen)
                    yield last_ts, iface.linktype, body[4 : 4 + caplen], origlen
            elif btype == IDB:
                interfaces.append(_idb_interface(body, endian))
            # Every other block (name resolution, statistics, decryption secrets, custom, unknown) is skipped.
        except struct.error:
            # The block's length is well-formed but leaves no room for its fixed fields: skip it, read on.
            notes.append(f"block {block_no} (byte {buf.offset - blen}) is too short for its type {btype:#x}; skipped")
    if buf.left:
        notes.append(f"the file ends inside the header of block {block_no + 1} ({buf.left} bytes)")


def _interface(interfaces: list[_Interface], iface_id: int, notes: list[str], block_no: int) -> _Interface | None:
    if iface_id < len(interfaces):
        return interfaces[iface_id]
    notes.append(f"block {block_no} names interface {iface_id}, which the file never described; packet skipped")
    return None


def _salvage_epb(
    body: bytes, endian: str, interfaces: list[_Interface], notes: list[str], block_no: int
) -> Iterator[Record]:
    iface_id, ts_hi, ts_lo, caplen, origlen = struct.unpack_from(endian + "IIIII", body, 0)
    iface = _interface(interfaces, iface_id, notes, block_no)
    if iface is not None:
        got = body[20 : 20 + caplen]
        yield iface.to_ns((ts_hi << 32) | ts_lo), iface.linktype, got, max(origlen, caplen)


def merge_records(files: Iterable[CaptureFile]) -> Iterator[Record]:
    """All records of several files in time order (ties keep file order), as mergecap would write them."""
    streams = [f.records() for f in files]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda record: record[0])
