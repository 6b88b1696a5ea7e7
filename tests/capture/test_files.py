"""Reading capture files: pcap and pcapng in every variant the reader claims, gzip by content, standard input,
several files merged in time order, and every kind of bad or damaged input (refused with one line, or read as far
as it goes with a note saying where it stopped)."""

from __future__ import annotations

import gc
import gzip
import json
import struct
import subprocess
import sys
import warnings
import zlib

import pytest
from scapy.all import IP, UDP, Ether

from sipscope.capture.files import CaptureError, CaptureFile, merge_records
from sipscope.pipeline import Ingestion
from sipscope.testing import (
    make_request,
    pcapng_enhanced,
    pcapng_interface,
    pcapng_obsolete,
    pcapng_section,
    pcapng_simple,
    pcapng_unknown,
    write_pcap,
)

from ..corpus import CAPTURES

T0 = 1_700_000_000 * 1_000_000_000
NETMON = CAPTURES / "sipnab" / "c07-sip-r2.cap"


def sip_frame(call_id: str, src: str = "192.0.2.1", dst: str = "192.0.2.2") -> bytes:
    return bytes(Ether() / IP(src=src, dst=dst) / UDP(sport=5060, dport=5060) / make_request(call_id=call_id))


def read(path) -> tuple[list, CaptureFile]:
    capture = CaptureFile(str(path))
    return list(capture.records()), capture


def idb(linktype: int, tsresol: int | None = None, tsoffset: int | None = None, snaplen: int = 0,
        big_endian: bool = False) -> bytes:
    """An interface description block with if_tsresol and if_tsoffset (pcapng_interface has no if_tsoffset)."""
    e = ">" if big_endian else "<"
    body = struct.pack(e + "HHI", linktype, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
    if tsoffset is not None:
        body += struct.pack(e + "HHq", 14, 8, tsoffset)
    body += struct.pack(e + "HH", 0, 0)
    return struct.pack(e + "II", 1, len(body) + 12) + body + struct.pack(e + "I", len(body) + 12)


def run_cli(*args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sipscope", *args], stdin=stdin, capture_output=True, timeout=60)


def json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


# -- pcap ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nanoseconds", [False, True])
def test_pcap_timestamps_and_byte_orders(tmp_path, nanoseconds, big_endian):
    path = tmp_path / "x.pcap"
    write_pcap(path, [(T0 + 123_456_789, b"first"), (T0 + 2_000_000_001, b"second!")], linktype=113,
               nanoseconds=nanoseconds, big_endian=big_endian)
    recs, capture = read(path)
    # A microsecond file keeps only whole microseconds.
    first, second = (T0 + 123_456_789, T0 + 2_000_000_001) if nanoseconds else (T0 + 123_456_000, T0 + 2_000_000_000)
    assert recs == [(first, 113, b"first", 5), (second, 113, b"second!", 7)]
    assert (capture.format, capture.compressed, capture.notes) == ("pcap", False, [])


def test_pcap_frames_cut_by_the_snap_length(tmp_path):
    path = tmp_path / "x.pcap"
    full = sip_frame("cut@x")
    write_pcap(path, [(T0, full[:96], len(full)), (T0 + 1000, b"after", 5)], snaplen=96)
    recs, capture = read(path)
    assert recs == [(T0, 1, full[:96], len(full)), (T0 + 1000, 1, b"after", 5)]
    assert capture.notes == []


def test_pcap_link_type_ignores_the_fcs_bits(tmp_path):
    # pcap-savefile(5): bit 28 says an FCS length is given, bits 29-31 give it; the link type is the low 16 bits.
    path = tmp_path / "x.pcap"
    write_pcap(path, [(T0, b"abc")], linktype=1 | 1 << 28 | 2 << 29)
    assert read(path)[0] == [(T0, 1, b"abc", 3)]


def test_pcap_with_only_its_header_is_empty_without_notes(tmp_path):
    path = tmp_path / "x.pcap"
    write_pcap(path, [])
    recs, capture = read(path)
    assert (recs, capture.notes) == ([], [])


# -- pcapng ----------------------------------------------------------------------------------------------------------


def test_pcapng_interfaces_with_their_own_link_types_and_resolutions(tmp_path):
    path = tmp_path / "x.pcapng"
    path.write_bytes(
        pcapng_section()
        + pcapng_interface(1, tsresol=6)  # 0: Ethernet, microseconds
        + pcapng_interface(101, tsresol=9)  # 1: raw IP, nanoseconds
        + pcapng_interface(113, tsresol=0x80 | 20)  # 2: Linux cooked, 2^-20 s
        + pcapng_interface(228)  # 3: IPv4, no if_tsresol: microseconds
        + pcapng_enhanced(0, 1_700_000_000_250_000, b"eth")
        + pcapng_enhanced(1, 1_700_000_000_250_000_001, b"raw")
        + pcapng_enhanced(2, (1_700_000_001 << 20) + (1 << 19) + (1 << 18), b"sll")
        + pcapng_enhanced(3, 1_700_000_002_000_007, b"ipv4")
    )
    recs, capture = read(path)
    assert recs == [
        (T0 + 250_000_000, 1, b"eth", 3),
        (T0 + 250_000_001, 101, b"raw", 3),
        (T0 + 1_750_000_000, 113, b"sll", 3),
        (T0 + 2_000_007_000, 228, b"ipv4", 4),
    ]
    assert (capture.format, capture.notes) == ("pcapng", [])


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_if_tsoffset_is_added_in_seconds(tmp_path, big_endian):
    path = tmp_path / "x.pcapng"
    path.write_bytes(
        pcapng_section(big_endian)
        + idb(1, tsresol=9, tsoffset=1_700_000_000, big_endian=big_endian)
        + idb(1, tsoffset=-100, big_endian=big_endian)
        + pcapng_enhanced(0, 1_500_000_000, b"a", big_endian=big_endian)
        + pcapng_enhanced(1, 1_700_000_100_000_250, b"b", big_endian=big_endian)
    )
    assert read(path)[0] == [(T0 + 1_500_000_000, 1, b"a", 1), (T0 + 250_000, 1, b"b", 1)]


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_enhanced_simple_and_obsolete_blocks(tmp_path, big_endian):
    be = big_endian
    path = tmp_path / "x.pcapng"
    full = sip_frame("spb@x")
    path.write_bytes(
        pcapng_section(be)
        + pcapng_interface(1, tsresol=9, snaplen=64, big_endian=be)
        + pcapng_interface(101, big_endian=be)
        + pcapng_enhanced(0, T0 + 5, full[:64], orig_len=len(full), big_endian=be)
        # No timestamp of its own: it keeps the place of the block before; cut to interface 0's snap length.
        + pcapng_simple(full, big_endian=be)
        + pcapng_obsolete(1, 1_700_000_003_000_004, b"opb-data", big_endian=be)
        + pcapng_simple(b"short", big_endian=be)
    )
    recs, capture = read(path)
    assert recs == [
        (T0 + 5, 1, full[:64], len(full)),
        (T0 + 5, 1, full[:64], len(full)),
        (T0 + 3_000_004_000, 101, b"opb-data", 8),
        (T0 + 3_000_004_000, 1, b"short", 5),
    ]
    assert capture.notes == []


def test_pcapng_unknown_blocks_are_skipped(tmp_path):
    path = tmp_path / "x.pcapng"
    path.write_bytes(
        pcapng_section()
        + pcapng_unknown(0x0BAD)
        + pcapng_interface(1, tsresol=9)
        + pcapng_unknown(0x00000004, b"\x00\x00\x00\x00")  # name resolution
        + pcapng_enhanced(0, T0 + 1, b"one")
        + pcapng_unknown(0x00000005, b"\0" * 12)  # interface statistics
        + pcapng_unknown(0x80000BAD, b"custom, not to be copied")
        + pcapng_enhanced(0, T0 + 2, b"two")
        + pcapng_unknown(0x0000000A, b"")  # decryption secrets
    )
    recs, capture = read(path)
    assert recs == [(T0 + 1, 1, b"one", 3), (T0 + 2, 1, b"two", 3)]
    assert capture.notes == []


def test_pcapng_sections_reset_interfaces_and_may_change_byte_order(tmp_path):
    path = tmp_path / "x.pcapng"
    path.write_bytes(
        pcapng_section(big_endian=False)
        + pcapng_interface(1, tsresol=6)
        + pcapng_interface(113, tsresol=9)
        + pcapng_enhanced(1, T0 + 1, b"s1-if1")
        + pcapng_section(big_endian=True)
        + pcapng_interface(101, tsresol=9, big_endian=True)
        + pcapng_enhanced(0, T0 + 2, b"s2-if0", big_endian=True)
        # Interface 1 belonged to the first section only.
        + pcapng_enhanced(1, T0 + 3, b"s2-if1", big_endian=True)
        + pcapng_section(big_endian=False)
        + pcapng_interface(228, tsresol=6)
        + pcapng_enhanced(0, 1_700_000_004_000_000, b"s3-if0")
    )
    recs, capture = read(path)
    assert recs == [
        (T0 + 1, 113, b"s1-if1", 6),
        (T0 + 2, 101, b"s2-if0", 6),
        (T0 + 4_000_000_000, 228, b"s3-if0", 6),
    ]
    assert capture.notes == ["block 8 names interface 1, which the file never described; packet skipped"]


def test_pcapng_block_naming_an_undescribed_interface(tmp_path):
    path = tmp_path / "x.pcapng"
    path.write_bytes(
        pcapng_section()
        + pcapng_simple(b"before any interface")
        + pcapng_interface(1, tsresol=9)
        + pcapng_enhanced(3, T0, b"nowhere")
        + pcapng_obsolete(1, T0, b"nowhere either")
        + pcapng_enhanced(0, T0 + 9, b"kept")
    )
    recs, capture = read(path)
    assert recs == [(T0 + 9, 1, b"kept", 4)]
    assert capture.notes == [
        "block 2 names interface 0, which the file never described; packet skipped",
        "block 4 names interface 3, which the file never described; packet skipped",
        "block 5 names interface 1, which the file never described; packet skipped",
    ]


def test_pcapng_block_too_short_for_its_type_is_skipped_with_a_note(tmp_path):
    path = tmp_path / "x.pcapng"
    short_epb = struct.pack("<III", 6, 12, 12)  # a well-formed length, but no room for the EPB fields
    short_idb = struct.pack("<III", 1, 12, 12)
    path.write_bytes(
        pcapng_section() + pcapng_interface(1, tsresol=9) + short_epb + short_idb + pcapng_enhanced(0, T0, b"ok")
    )
    recs, capture = read(path)
    assert recs == [(T0, 1, b"ok", 2)]
    assert capture.notes == [
        "block 3 (byte 60) is too short for its type 0x6; skipped",
        "block 4 (byte 72) is too short for its type 0x1; skipped",
    ]


def test_pcapng_bad_byte_order_magic_stops_reading(tmp_path):
    path = tmp_path / "x.pcapng"
    good = pcapng_section() + pcapng_interface(1, tsresol=9) + pcapng_enhanced(0, T0, b"ok")
    bad_section = bytearray(pcapng_section())
    bad_section[8:12] = b"\x01\x02\x03\x04"
    path.write_bytes(good + bytes(bad_section) + pcapng_enhanced(0, T0, b"lost"))
    recs, capture = read(path)
    assert recs == [(T0, 1, b"ok", 2)]
    assert capture.notes == [f"reading stopped at block 4 (byte {len(good)}): bad byte-order magic"]


# -- gzip ------------------------------------------------------------------------------------------------------------


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    plain = tmp_path / "plain.pcap"
    write_pcap(plain, [(T0, b"abc"), (T0 + 1000, b"defg")])
    expected = [(T0, 1, b"abc", 3), (T0 + 1000, 1, b"defg", 4)]

    named_pcap = tmp_path / "really-gzip.pcap"
    named_pcap.write_bytes(gzip.compress(plain.read_bytes()))
    recs, capture = read(named_pcap)
    assert (recs, capture.format, capture.compressed, capture.notes) == (expected, "pcap", True, [])

    named_gz = tmp_path / "really-plain.pcap.gz"
    named_gz.write_bytes(plain.read_bytes())
    recs, capture = read(named_gz)
    assert (recs, capture.format, capture.compressed, capture.notes) == (expected, "pcap", False, [])


def test_gzip_pcapng(tmp_path):
    path = tmp_path / "x.pcapng"
    path.write_bytes(gzip.compress(pcapng_section(True) + pcapng_interface(101, 9, big_endian=True)
                                   + pcapng_enhanced(0, T0 + 7, b"ng", big_endian=True)))
    recs, capture = read(path)
    assert (recs, capture.format, capture.compressed, capture.notes) == ([(T0 + 7, 101, b"ng", 2)], "pcapng", True, [])


def test_gzip_with_several_members_and_zero_padding(tmp_path):
    # RFC 1952 section 2.2: a gzip file is a series of members; gzip(1) also accepts zeros after the last one.
    plain = tmp_path / "plain.pcap"
    write_pcap(plain, [(T0 + i * 1000, bytes([65 + i]) * 50) for i in range(6)])
    data = plain.read_bytes()
    path = tmp_path / "x.pcap"
    path.write_bytes(gzip.compress(data[:30]) + gzip.compress(data[30:200]) + gzip.compress(data[200:]) + b"\0" * 7)
    recs, capture = read(path)
    assert recs == [(T0 + i * 1000, 1, bytes([65 + i]) * 50, 50) for i in range(6)]
    assert capture.notes == []


def flushed_gzip(pieces: list[bytes]) -> tuple[bytes, list[int]]:
    """A gzip stream with a full flush after each piece; also the compressed length at each flush point."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out, ends = b"", []
    for piece in pieces:
        out += z.compress(piece) + z.flush(zlib.Z_FULL_FLUSH)
        ends.append(len(out))
    return out + z.flush(), ends


def pcap_pieces(count: int) -> tuple[list[bytes], list[tuple]]:
    """The bytes of a pcap file as [file header, record 1, record 2, ...], and the records it holds."""
    pieces = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    expected = []
    for i in range(count):
        data = bytes(range(i, i + 40))
        pieces.append(struct.pack("<IIII", 1_700_000_000, i, 40, 40) + data)
        expected.append((T0 + i * 1000, 1, data, 40))
    return pieces, expected


def test_gzip_cut_short_keeps_the_records_before(tmp_path):
    pieces, expected = pcap_pieces(6)
    stream, ends = flushed_gzip(pieces)
    path = tmp_path / "x.pcap.gz"
    path.write_bytes(stream[: ends[3] + 5])  # the header, 3 records, and the start of the 4th record's deflate data
    recs, capture = read(path)
    assert recs == expected[:3]
    assert capture.notes == [
        "reading stopped: compressed data is damaged (the compressed stream ends before its end-of-stream marker)"
    ]


def test_gzip_damaged_inside_keeps_the_records_before(tmp_path):
    pieces, expected = pcap_pieces(6)
    stream, ends = flushed_gzip(pieces)
    # After a full flush the stream is byte-aligned: 0x07 starts a final block of the reserved type 3 (RFC 1951 3.2.3).
    path = tmp_path / "x.pcap"
    path.write_bytes(stream[: ends[4]] + b"\x07" + stream[ends[4]:])
    recs, capture = read(path)
    assert recs == expected[:4]
    assert capture.notes == [
        "reading stopped: compressed data is damaged (Error -3 while decompressing data: invalid block type)"
    ]


def test_gzip_bad_checksum_is_noted_after_all_records(tmp_path):
    pieces, expected = pcap_pieces(3)
    stream = bytearray(gzip.compress(b"".join(pieces)))
    stream[-8] ^= 0xFF  # the CRC-32 of the trailer
    path = tmp_path / "x.pcap"
    path.write_bytes(bytes(stream))
    recs, capture = read(path)
    assert recs == expected
    assert capture.notes == [
        "reading stopped: compressed data is damaged (Error -3 while decompressing data: incorrect data check)"
    ]


def test_gzip_damaged_before_the_capture_starts_is_refused(tmp_path):
    path = tmp_path / "x.pcap.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00\0\0\0\0\0\xff" + b"\x07" + b"\0" * 20)
    with pytest.raises(CaptureError) as info:
        CaptureFile(str(path))
    assert str(info.value) == f"{path}: gzip data is damaged: Error -3 while decompressing data: invalid block type"


# -- standard input and several files --------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_cli_reads_standard_input(tmp_path, compressed):
    path = tmp_path / "in.pcap"
    write_pcap(path, [(T0 + 1_000_000, sip_frame("one@x")), (T0 + 2_500_000, sip_frame("two@x", "192.0.2.2", "192.0.2.1"))],
               nanoseconds=True)
    if compressed:
        path.write_bytes(gzip.compress(path.read_bytes()))
    with open(path, "rb") as stdin:
        result = run_cli("messages", "--json", "-", stdin=stdin)
    assert (result.returncode, result.stderr) == (0, b"")
    lines = result.stdout.decode().splitlines()
    assert '"time":1700000000.001000000' in lines[0] and '"time":1700000000.002500000' in lines[1]
    one, two, summary = (json.loads(line) for line in lines)
    assert (one["type"], one["frames"], one["call_id"], one["method"]) == ("message", [1], "one@x", "INVITE")
    assert (one["src"], one["dst"], one["transport"]) == ("192.0.2.1:5060", "192.0.2.2:5060", "udp")
    assert (two["frames"], two["call_id"], two["src"]) == ([2], "two@x", "192.0.2.2:5060")
    assert summary["type"] == "summary"
    assert summary["files"] == [{"name": "<stdin>", "format": "pcap", "compressed": compressed, "notes": []}]
    assert (summary["frames"], summary["sip_messages"], summary["by_category"]["sip"]) == (2, 2, 2)


def test_several_files_are_merged_in_time_order(tmp_path):
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcapng"
    write_pcap(a, [(T0 + 1000, sip_frame("a1")), (T0 + 3000, sip_frame("a2")), (T0 + 5000, sip_frame("a3"))])
    b.write_bytes(
        pcapng_section() + pcapng_interface(1, tsresol=9)
        + pcapng_enhanced(0, T0 + 2000, sip_frame("b1")) + pcapng_enhanced(0, T0 + 4000, sip_frame("b2"))
    )
    ingestion = Ingestion([str(a), str(b)], strict=True)
    messages = list(ingestion)
    assert [(m.call_id, m.frames, m.time) for m in messages] == [
        ("a1", (1,), T0 + 1000), ("b1", (2,), T0 + 2000), ("a2", (3,), T0 + 3000),
        ("b2", (4,), T0 + 4000), ("a3", (5,), T0 + 5000),
    ]
    summary = ingestion.summary()
    assert [(f["name"], f["format"]) for f in summary["files"]] == [(str(a), "pcap"), (str(b), "pcapng")]
    assert (summary["frames"], summary["sip_messages"], summary["by_category"]["sip"]) == (5, 5, 5)

    result = run_cli("messages", "--json", str(b), str(a))
    assert result.returncode == 0
    lines = json_lines(result.stdout)
    assert [(line["call_id"], line["frames"]) for line in lines[:-1]] == [
        ("a1", [1]), ("b1", [2]), ("a2", [3]), ("b2", [4]), ("a3", [5])
    ]
    assert lines[-1]["frames"] == 5


def test_merge_keeps_file_order_for_equal_timestamps(tmp_path):
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    write_pcap(a, [(T0, b"a1"), (T0 + 1000, b"a2")])
    write_pcap(b, [(T0, b"b1"), (T0 + 1000, b"b2")])
    merged = merge_records([CaptureFile(str(a)), CaptureFile(str(b))])
    assert [rec[2] for rec in merged] == [b"a1", b"b1", b"a2", b"b2"]


# -- files that are not captures -------------------------------------------------------------------------------------


def assert_cli_refuses(path, message: str) -> None:
    result = run_cli("messages", str(path))
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == f"sipscope: {message}\n"


def test_netmon_capture_is_refused_saying_what_it_is(tmp_path):
    path = tmp_path / "trace.pcap"
    path.write_bytes(b"GMBU\x00\x02\x01\x00" + b"\0" * 100)
    message = (f"{path}: this is a Microsoft Network Monitor 2.x capture; sipscope reads pcap and pcapng "
               f"(convert it with Wireshark: editcap -F pcapng {path} out.pcapng)")
    with pytest.raises(CaptureError) as info:
        CaptureFile(str(path))
    assert str(info.value) == message
    assert_cli_refuses(path, message)


def test_netmon_corpus_capture_is_refused():
    if not NETMON.exists():
        pytest.skip("../shared/corpus is not present")
    with pytest.raises(CaptureError) as info:
        CaptureFile(str(NETMON))
    assert str(info.value).startswith(f"{NETMON}: this is a Microsoft Network Monitor 2.x capture; ")
    assert "\n" not in str(info.value)
    assert_cli_refuses(NETMON, str(info.value))


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"hello, this is text\n", "not a pcap or pcapng capture (it starts with 68 65 6c 6c)"),
        (b"\xd4\xc3", "not a pcap or pcapng capture (it starts with d4 c3)"),
        (b"", "the file is empty, not a capture"),
        (gzip.compress(b""), "the file is empty, not a capture"),
        (gzip.compress(b"INVITE sip:bob@example.com SIP/2.0"), "not a pcap or pcapng capture (it starts with 49 4e 56 49)"),
        (b"PK\x03\x04rest", "this is a zip archive, not a capture; sipscope reads pcap and pcapng "
                            "(convert it with Wireshark: editcap -F pcapng {path} out.pcapng)"),
    ],
    ids=["text", "two-bytes", "empty", "empty-gzip", "gzip-text", "zip"],
)
def test_not_a_capture(tmp_path, content, reason):
    path = tmp_path / "input.pcap"
    path.write_bytes(content)
    message = f"{path}: " + reason.replace("{path}", str(path))
    with pytest.raises(CaptureError) as info:
        CaptureFile(str(path))
    assert str(info.value) == message
    assert_cli_refuses(path, message)


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.pcap"
    with pytest.raises(CaptureError) as info:
        CaptureFile(str(missing))
    assert str(info.value) == f"{missing}: cannot open: No such file or directory"
    assert_cli_refuses(missing, f"{missing}: cannot open: No such file or directory")

    with pytest.raises(CaptureError) as info:
        CaptureFile(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: cannot open: Is a directory"
    assert_cli_refuses(tmp_path, f"{tmp_path}: cannot open: Is a directory")


def test_files_are_closed_after_reading_and_after_a_refusal(tmp_path):
    good, bad = tmp_path / "good.pcap", tmp_path / "bad.pcap"
    write_pcap(good, [(T0, b"abc")])
    good.write_bytes(gzip.compress(good.read_bytes()))
    bad.write_bytes(b"nonsense")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        capture = CaptureFile(str(good))
        assert list(capture.records()) == [(T0, 1, b"abc", 3)]
        del capture
        try:
            CaptureFile(str(bad))
        except CaptureError:
            pass
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_cli_refuses_the_run_when_any_file_is_bad(tmp_path):
    good, bad = tmp_path / "good.pcap", tmp_path / "bad.pcap"
    write_pcap(good, [(T0, sip_frame("x"))])
    bad.write_bytes(b"nonsense")
    result = run_cli("messages", str(good), str(bad))
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == f"sipscope: {bad}: not a pcap or pcapng capture (it starts with 6e 6f 6e 73)\n"


# -- damaged captures: read as far as they go ------------------------------------------------------------------------


def three_sip_records(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(3)]
    path = tmp_path / "x.pcap"
    write_pcap(path, [(T0 + i * 1000, frame) for i, frame in enumerate(frames)])
    return path, frames, [(T0 + i * 1000, 1, frame, len(frame)) for i, frame in enumerate(frames)]


def record_start(frames, index: int) -> int:
    return 24 + sum(16 + len(frame) for frame in frames[:index])


def test_pcap_cut_inside_the_file_header(tmp_path):
    path = tmp_path / "x.pcap"
    write_pcap(path, [(T0, b"abc")])
    path.write_bytes(path.read_bytes()[:10])
    recs, capture = read(path)
    assert recs == []
    assert capture.notes == ["the file header is cut short (10 of 24 bytes)"]


def test_pcap_cut_inside_a_record_header(tmp_path):
    path, frames, expected = three_sip_records(tmp_path)
    path.write_bytes(path.read_bytes()[: record_start(frames, 2) + 5])
    recs, capture = read(path)
    assert recs == expected[:2]
    assert capture.notes == ["the file ends inside the header of record 3 (5 of 16 bytes)"]
    summary = summarize(path)
    assert (summary["frames"], summary["by_category"]["sip"]) == (2, 2)
    assert summary["files"][0]["notes"] == capture.notes


def test_pcap_cut_inside_a_record_data(tmp_path):
    path, frames, expected = three_sip_records(tmp_path)
    path.write_bytes(path.read_bytes()[: record_start(frames, 2) + 16 + 100])
    recs, capture = read(path)
    assert recs == expected[:2] + [(T0 + 2000, 1, frames[2][:100], len(frames[2]))]
    assert capture.notes == [f"the file ends inside record 3 (100 of {len(frames[2])} bytes); it is read as cut short"]
    summary = summarize(path)
    assert summary["frames"] == 3
    assert summary["by_category"]["sip"] == 2 and summary["by_category"]["truncated"] == 1
    assert summary["files"][0]["notes"] == capture.notes


def test_pcap_record_with_an_impossible_length(tmp_path):
    path, frames, expected = three_sip_records(tmp_path)
    data = bytearray(path.read_bytes())
    at = record_start(frames, 2)
    data[at + 8 : at + 12] = struct.pack("<I", 0xFFFFFF00)
    path.write_bytes(bytes(data))
    recs, capture = read(path)
    assert recs == expected[:2]
    assert capture.notes == [
        f"reading stopped at record 3 (byte {at}): its length 4294967040 is impossible, the file is corrupt from there on"
    ]
    summary = summarize(path)
    assert (summary["frames"], sum(summary["by_category"].values())) == (2, 2)
    assert summary["files"][0]["notes"] == capture.notes


def sip_pcapng(frames) -> tuple[bytes, list[int]]:
    """A pcapng file of SIP frames, and the byte offset of each frame's block."""
    data = pcapng_section() + pcapng_interface(1, tsresol=9)
    starts = []
    for i, frame in enumerate(frames):
        starts.append(len(data))
        data += pcapng_enhanced(0, T0 + i * 1000, frame)
    return data, starts


def test_pcapng_cut_inside_a_packet_block(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(3)]
    data, starts = sip_pcapng(frames)
    path = tmp_path / "x.pcapng"
    path.write_bytes(data[: starts[2] + 28 + 100])  # block and EPB headers, then 100 bytes of the packet
    recs, capture = read(path)
    assert recs == [
        (T0, 1, frames[0], len(frames[0])),
        (T0 + 1000, 1, frames[1], len(frames[1])),
        (T0 + 2000, 1, frames[2][:100], len(frames[2])),
    ]
    block_len = len(data) - starts[2]
    assert capture.notes == [f"the file ends inside block 5 ({128} of {block_len} bytes)"]
    summary = summarize(path)
    assert summary["frames"] == 3 and sum(summary["by_category"].values()) == 3
    assert summary["by_category"]["sip"] == 2 and summary["by_category"]["truncated"] == 1
    assert summary["files"][0]["notes"] == capture.notes


def test_pcapng_cut_packet_block_naming_an_undescribed_interface(tmp_path):
    data = pcapng_section() + pcapng_interface(1, tsresol=9) + pcapng_enhanced(0, T0, b"kept")
    start = len(data)
    data += pcapng_enhanced(5, T0 + 1, b"x" * 200)
    path = tmp_path / "x.pcapng"
    path.write_bytes(data[: start + 60])
    recs, capture = read(path)
    assert recs == [(T0, 1, b"kept", 4)]
    assert capture.notes == [
        "the file ends inside block 4 (60 of 232 bytes)",
        "block 4 names interface 5, which the file never described; packet skipped",
    ]


def test_pcapng_cut_before_the_packet_starts(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(2)]
    data, starts = sip_pcapng(frames)
    path = tmp_path / "x.pcapng"
    path.write_bytes(data[: starts[1] + 20])
    recs, capture = read(path)
    assert recs == [(T0, 1, frames[0], len(frames[0]))]
    assert capture.notes == [f"the file ends inside block 4 (20 of {len(data) - starts[1]} bytes)"]


def test_pcapng_cut_inside_a_block_header(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(3)]
    data, starts = sip_pcapng(frames)
    path = tmp_path / "x.pcapng"
    path.write_bytes(data[: starts[2] + 7])
    recs, capture = read(path)
    assert recs == [(T0, 1, frames[0], len(frames[0])), (T0 + 1000, 1, frames[1], len(frames[1]))]
    assert capture.notes == ["the file ends inside the header of block 5 (7 bytes)"]
    summary = summarize(path)
    assert summary["frames"] == 2 and sum(summary["by_category"].values()) == 2
    assert summary["files"][0]["notes"] == capture.notes


def test_pcapng_impossible_block_length(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(2)]
    data, starts = sip_pcapng(frames)
    damaged = bytearray(data)
    damaged[starts[1] + 4 : starts[1] + 8] = struct.pack("<I", 4099)  # not a multiple of 4
    path = tmp_path / "x.pcapng"
    path.write_bytes(bytes(damaged))
    recs, capture = read(path)
    assert recs == [(T0, 1, frames[0], len(frames[0]))]
    assert capture.notes == [f"reading stopped at block 4 (byte {starts[1]}): impossible block length 4099"]


def test_damaged_gzip_in_the_summary(tmp_path):
    frames = [sip_frame(f"call-{i}") for i in range(4)]
    plain = tmp_path / "plain.pcap"
    write_pcap(plain, [(T0 + i * 1000, frame) for i, frame in enumerate(frames)])
    data = plain.read_bytes()
    stream, ends = flushed_gzip([data[: record_start(frames, 2)], data[record_start(frames, 2):]])
    path = tmp_path / "x.pcap.gz"
    path.write_bytes(stream[: ends[0] + 10])
    summary = summarize(path)
    assert (summary["frames"], summary["sip_messages"], summary["by_category"]["sip"]) == (2, 2, 2)
    assert summary["files"] == [{
        "name": str(path), "format": "pcap", "compressed": True,
        "notes": ["reading stopped: compressed data is damaged "
                  "(the compressed stream ends before its end-of-stream marker)"],
    }]


def summarize(path) -> dict:
    ingestion = Ingestion([str(path)], strict=True)
    messages = list(ingestion)
    summary = ingestion.summary()
    assert summary["sip_messages"] == len(messages)
    assert sum(summary["by_category"].values()) == summary["frames"]
    return summary
