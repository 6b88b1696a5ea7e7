"""Tunnels (IP-in-IP, GRE, PPTP, ERSPAN, VXLAN, GTP-U), SCTP user messages and HEP encapsulation, each built
with scapy or byte by byte from its specification; each test checks the inner message's view (addresses,
transport, frames) and where every frame went."""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest
from scapy.contrib.erspan import ERSPAN_I, ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import GRE, Dot1Q, Ether, GRE_PPTP
from scapy.layers.ppp import HDLC, PPP
from scapy.layers.sctp import SCTP, SCTPChunkData, SCTPChunkIData, SCTPChunkInit, SCTPChunkSACK
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

from sipscope import accounting as acc
from sipscope.testing import DEFAULT_TS, categories, ingest, make_request, make_response, reasons

INVITE = make_request("INVITE", call_id="tunnel@example.com")
INNER = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5060, dport=5080) / Raw(INVITE)
INNER6 = IPv6(src="2001:db8::a", dst="2001:db8::b") / UDP(sport=5060, dport=5080) / Raw(INVITE)
OUTER = Ether() / IP(src="192.0.2.1", dst="192.0.2.2")








def assert_inner(messages, pipeline, src="10.0.0.1:5060", dst="10.0.0.2:5080"):
    assert len(messages) == 1
    message = messages[0]
    assert message.start_line == "INVITE sip:bob@example.com SIP/2.0"
    assert message.call_id == "tunnel@example.com"
    assert message.frames == (1,)
    assert (message.src, message.dst, message.transport) == (src, dst, "udp")
    assert categories(pipeline) == {acc.SIP: 1}


# -- IP in IP, GRE, PPTP -----------------------------------------------------------------------------------


def test_ipv4_in_ipv4():
    assert_inner(*ingest([OUTER / INNER]))


def test_ipv6_in_ipv4_and_ipv6_in_ipv6():
    assert_inner(*ingest([OUTER / INNER6]), src="[2001:db8::a]:5060", dst="[2001:db8::b]:5080")
    outer6 = Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2")
    assert_inner(*ingest([outer6 / INNER]))
    assert_inner(*ingest([outer6 / INNER6]), src="[2001:db8::a]:5060", dst="[2001:db8::b]:5080")


@pytest.mark.parametrize(
    "gre",
    [
        GRE(),
        GRE(key_present=1, key=0x1234),
        GRE(seqnum_present=1, sequence_number=99),
        GRE(chksum_present=1),
        GRE(chksum_present=1, key_present=1, key=7, seqnum_present=1, sequence_number=8),
    ],
    ids=["plain", "key", "sequence", "checksum", "all-options"],
)
def test_gre_ipv4(gre):
    assert_inner(*ingest([OUTER / gre / INNER]))


def test_gre_ipv6_payload_and_transparent_ethernet_bridging():
    assert_inner(*ingest([OUTER / GRE() / INNER6]), src="[2001:db8::a]:5060", dst="[2001:db8::b]:5080")
    assert_inner(*ingest([OUTER / GRE(proto=0x6558, key_present=1, key=3) / Ether() / Dot1Q(vlan=4) / INNER]))
    assert_inner(*ingest([Ether() / IPv6() / GRE(proto=0x6558) / Ether() / INNER]))


def test_gre_v1_pptp():
    frames = [
        OUTER / GRE_PPTP(seqnum_present=1, sequence_number=1, call_id=9) / HDLC() / PPP(proto=0x21) / INNER,
        OUTER / GRE_PPTP(seqnum_present=1, acknum_present=1, sequence_number=2, ack_number=1, call_id=9) /
        PPP(proto=0x21) / INNER,  # address and control bytes compressed away
        OUTER / GRE_PPTP(acknum_present=1, ack_number=2, call_id=9),  # an acknowledgment alone
    ]
    messages, pipeline = ingest(frames)
    assert [(m.frames, m.src, m.dst) for m in messages] == [((1,), "10.0.0.1:5060", "10.0.0.2:5080"),
                                                            ((2,), "10.0.0.1:5060", "10.0.0.2:5080")]
    assert reasons(pipeline) == {(acc.OTHER, "gre: pptp without ppp data"): [3]}


@pytest.mark.parametrize(
    "erspan",
    [
        GRE(proto=0x88BE) / ERSPAN_I(),
        GRE(proto=0x88BE, seqnum_present=1, sequence_number=5) / ERSPAN_II(session_id=3, vlan=10),
        GRE(proto=0x22EB) / ERSPAN_III(session_id=3, timestamp=1234),
        GRE(proto=0x22EB, seqnum_present=1, sequence_number=6) / ERSPAN_III(o=1) / ERSPAN_PlatformSpecific(platf_id=3),
    ],
    ids=["type-1", "type-2", "type-3", "type-3-subheader"],
)
def test_erspan(erspan):
    assert_inner(*ingest([OUTER / erspan / Ether() / INNER]))


def test_erspan_type_3_with_an_ip_frame():
    # Frame type 2: the mirrored packet is IP without its Ethernet header.
    assert_inner(*ingest([OUTER / GRE(proto=0x22EB) / ERSPAN_III(ft=2) / INNER]))


# -- VXLAN, GTP-U ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [4789, 8472])
def test_vxlan(port):
    assert_inner(*ingest([OUTER / UDP(sport=50000, dport=port) / VXLAN(vni=42) / Ether() / INNER]))


def test_vxlan_without_its_i_flag_is_just_udp():
    messages, pipeline = ingest([OUTER / UDP(sport=50000, dport=4789) / VXLAN(flags=0, vni=1) / Ether() / INNER])
    assert messages == []
    assert reasons(pipeline) == {(acc.OTHER, "udp: not sip"): [1]}


@pytest.mark.parametrize(
    "gtp",
    [
        GTP_U_Header(teid=7),
        GTP_U_Header(teid=7, S=1, seq=12),
        GTP_U_Header(teid=7, PN=1, npdu=3),
        GTP_U_Header(teid=7, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=9),
    ],
    ids=["plain", "sequence", "n-pdu", "pdu-session-extension"],
)
def test_gtpu(gtp):
    assert_inner(*ingest([OUTER / UDP(sport=2152, dport=2152) / gtp / INNER]))
    assert_inner(*ingest([OUTER / UDP(sport=2152, dport=2152) / gtp.copy() / INNER6]),
                 src="[2001:db8::a]:5060", dst="[2001:db8::b]:5080")


def test_tunnels_nested_in_one_another():
    # GTP-U inside VXLAN inside GRE: each layer's own header is read.
    frame = OUTER / GRE() / IP() / UDP(dport=4789) / VXLAN(vni=1) / Ether() / IP() / UDP(dport=2152) / \
        GTP_U_Header(teid=1) / INNER
    assert_inner(*ingest([frame]))


def test_tunnels_nested_too_deep():
    packet = INNER
    for _ in range(12):
        packet = IP(src="192.0.2.1", dst="192.0.2.2") / packet
    messages, pipeline = ingest([Ether() / packet, OUTER / INNER])
    assert [m.frames for m in messages] == [(2,)]
    assert reasons(pipeline) == {(acc.UNSUPPORTED, "tunnels nested too deep"): [1]}


BROKEN_TUNNELS = [
    (OUTER / IP(proto=47) / Raw(b"\x00\x00"), acc.MALFORMED, "gre: header cut short"),
    (OUTER / IP(proto=47) / Raw(b"\x20\x00\x08\x00\x00\x00"), acc.MALFORMED, "gre: optional fields cut short"),
    (OUTER / IP(proto=47) / Raw(b"\x30\x01\x88\x0b\x00\x00"), acc.MALFORMED, "gre: pptp header cut short"),
    (OUTER / IP(proto=47) / Raw(b"\x00\x02\x08\x00"), acc.UNSUPPORTED, "gre: version 2"),
    (OUTER / GRE(proto=0x22EB) / Raw(b"\x20" * 6), acc.MALFORMED, "erspan: type III header cut short"),
    (OUTER / UDP(dport=2152) / Raw(b"\x34\xff\x00\x04\x00\x00\x00\x01\x00\x00"), acc.MALFORMED,
     "gtp-u: optional fields cut short"),
    (OUTER / UDP(dport=2152) / Raw(b"\x34\xff\x00\x08\x00\x00\x00\x01\x00\x00\x00\x85\x00\x00\x00\x00"),
     acc.MALFORMED, "gtp-u: empty extension header"),
    (OUTER / UDP(dport=2152) / GTP_U_Header(teid=1, gtp_type=255) / Raw(b"\x99" * 20), acc.UNSUPPORTED,
     "gtp-u: payload is not ip"),
    (OUTER / UDP(dport=4789) / VXLAN() / Raw(b"\0" * 6), acc.MALFORMED,
     "ethernet: frame shorter than its 14-byte header"),
]


@pytest.mark.parametrize("frame,category,reason", BROKEN_TUNNELS, ids=[case[2] for case in BROKEN_TUNNELS])
def test_broken_tunnel_headers(frame, category, reason):
    messages, pipeline = ingest([frame, OUTER / INNER])
    assert [m.frames for m in messages] == [(2,)]  # the run goes on
    assert reasons(pipeline) == {(category, reason): [1]}


# -- SCTP --------------------------------------------------------------------------------------------------

SCTP_OUTER = Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / SCTP(sport=5060, dport=5061, tag=1)
OPTIONS = make_request("OPTIONS", call_id="sctp-1@example.com")
OK = make_response(200, "OK", method="OPTIONS", call_id="sctp-2@example.com")


def data(tsn, payload, begin=True, end=True, stream=0):
    return SCTPChunkData(tsn=tsn, stream_id=stream, beginning=int(begin), ending=int(end), proto_id=0, data=payload)


def test_sctp_data_chunk():
    messages, pipeline = ingest([SCTP_OUTER / data(1, OPTIONS)])
    assert [(m.start_line, m.call_id, m.frames, m.src, m.dst, m.transport) for m in messages] == [
        ("OPTIONS sip:bob@example.com SIP/2.0", "sctp-1@example.com", (1,), "192.0.2.1:5060", "192.0.2.2:5061",
         "sctp")]
    assert categories(pipeline) == {acc.SIP: 1}


def test_sctp_bundled_chunks():
    messages, pipeline = ingest([SCTP_OUTER / SCTPChunkSACK() / data(1, OPTIONS) / data(2, OK, stream=1)])
    assert [(m.call_id, m.frames) for m in messages] == [("sctp-1@example.com", (1,)), ("sctp-2@example.com", (1,))]
    assert categories(pipeline) == {acc.SIP: 1}


@pytest.mark.parametrize("order", [[0, 1], [1, 0]], ids=["in-order", "end-first"])
def test_sctp_fragmented_message(order):
    pieces = [SCTP_OUTER / data(10, OPTIONS[:100], end=False), SCTP_OUTER / data(11, OPTIONS[100:], begin=False)]
    messages, pipeline = ingest([pieces[i] for i in order])
    assert len(messages) == 1
    assert messages[0].raw == OPTIONS
    assert messages[0].frames == (1, 2)
    assert categories(pipeline) == {acc.SIP: 2}


def test_sctp_message_in_three_fragments_with_a_bundled_message():
    pieces = [
        SCTP_OUTER / data(1, OPTIONS[:50], end=False),
        SCTP_OUTER / data(2, OPTIONS[50:120], begin=False, end=False) / data(3, OPTIONS[120:], begin=False) /
        data(4, OK, stream=2),
    ]
    messages, pipeline = ingest(pieces)
    assert [(m.call_id, m.frames) for m in messages] == [("sctp-1@example.com", (1, 2)), ("sctp-2@example.com", (2,))]
    assert messages[0].raw == OPTIONS
    assert categories(pipeline) == {acc.SIP: 2}


def test_sctp_retransmission_is_ignored():
    frame = SCTP_OUTER / data(5, OPTIONS)
    messages, pipeline = ingest([frame, frame, SCTP_OUTER / data(6, OK)])
    assert [(m.call_id, m.frames) for m in messages] == [("sctp-1@example.com", (1,)), ("sctp-2@example.com", (3,))]
    assert reasons(pipeline) == {(acc.OTHER, "sctp: retransmitted data"): [2]}


def test_sctp_control_chunks_and_incomplete_messages():
    frames = [
        SCTP_OUTER / SCTPChunkInit(init_tag=1, a_rwnd=1000, n_out_streams=1, n_in_streams=1, init_tsn=1),
        SCTP_OUTER / data(1, OPTIONS[:100], end=False),
    ]
    messages, pipeline = ingest(frames)
    assert messages == []
    assert reasons(pipeline) == {(acc.OTHER, "sctp: no data (control chunks)"): [1],
                                 (acc.TRUNCATED, "sctp: fragmented message never completed"): [2]}


def test_sctp_fragments_of_different_messages_are_not_joined():
    # TSN 2 ends a message whose start was lost; TSN 3 starts another: neither is complete.
    frames = [SCTP_OUTER / data(2, OPTIONS[100:], begin=False), SCTP_OUTER / data(3, OPTIONS[:100], end=False)]
    messages, pipeline = ingest(frames)
    assert messages == []
    assert reasons(pipeline) == {(acc.TRUNCATED, "sctp: fragmented message never completed"): [1, 2]}


def test_sctp_idata_interleaved_messages():
    # RFC 8260: fragments of two messages on two streams, interleaved; FSN orders each message's fragments.
    def idata(tsn, stream, mid, fsn_or_ppid, payload, begin, end):
        return SCTPChunkIData(tsn=tsn, stream_id=stream, message_id=mid, ppid_fsn=fsn_or_ppid, beginning=int(begin),
                              ending=int(end), data=payload)

    frames = [
        SCTP_OUTER / idata(1, 0, 0, 0, OPTIONS[:60], True, False) / idata(2, 1, 0, 0, OK[:60], True, False),
        SCTP_OUTER / idata(3, 1, 0, 1, OK[60:], False, True) / idata(4, 0, 0, 1, OPTIONS[60:], False, True),
    ]
    messages, pipeline = ingest(frames)
    assert sorted((m.call_id, m.frames) for m in messages) == [("sctp-1@example.com", (1, 2)),
                                                               ("sctp-2@example.com", (1, 2))]
    assert {m.call_id: m.raw for m in messages} == {"sctp-1@example.com": OPTIONS, "sctp-2@example.com": OK}
    assert categories(pipeline) == {acc.SIP: 2}


def test_sctp_fragmented_message_over_the_bound():
    piece = b"x" * 60000
    frames = [SCTP_OUTER / data(1, OPTIONS, end=False)]
    frames += [SCTP_OUTER / data(tsn, piece, begin=False, end=False) for tsn in range(2, 20)]
    frames.append(SCTP_OUTER / data(20, b"\r\n", begin=False))
    messages, pipeline = ingest(frames)
    assert messages == []
    # The 19th frame passes 1 MiB: the frames held before it are given up; it and the end wait in vain.
    assert reasons(pipeline) == {(acc.TRUNCATED, "sctp: fragmented message over 1 MiB"): list(range(1, 11)),
                                 (acc.TRUNCATED, "sctp: fragmented message never completed"): [19, 20]}
    assert pipeline.accounting.reasons[(acc.TRUNCATED, "sctp: fragmented message over 1 MiB")][0] == 18


def test_sctp_bad_chunk_length():
    frame = bytearray(bytes(SCTP_OUTER / data(1, OPTIONS)))
    frame[14 + 20 + 12 + 2 : 14 + 20 + 12 + 4] = b"\x40\x00"
    messages, pipeline = ingest([bytes(frame), SCTP_OUTER / data(2, OK)])
    assert [m.frames for m in messages] == [(2,)]
    assert reasons(pipeline) == {(acc.MALFORMED, "sctp: chunk type 0 has a bad length 16384"): [1]}


def test_sctp_fragment_before_a_damaged_chunk_is_held():
    first = bytes(SCTP_OUTER / data(1, OPTIONS[:100], end=False)) + b"\x00\x03\x00\x02"  # a chunk of length 2
    first = bytearray(first)
    first[16:18] = struct.pack(">H", len(first) - 14)  # IPv4 total length
    messages, pipeline = ingest([bytes(first), SCTP_OUTER / data(2, OPTIONS[100:], begin=False)])
    assert [m.frames for m in messages] == [(1, 2)]
    assert categories(pipeline) == {acc.SIP: 2}


def test_sctp_packet_in_ip_fragments():
    # The SCTP packet of the first half travels in two IPv6 fragments: all three frames belong to the message.
    ip = IPv6(src="2001:db8::1", dst="2001:db8::2")
    pieces = fragment6(ip / IPv6ExtHdrFragment(id=1) / SCTP(sport=5060, dport=5061) / data(1, OPTIONS[:200], end=False),
                       180)
    assert len(pieces) == 2
    last = ip / SCTP(sport=5060, dport=5061) / data(2, OPTIONS[200:], begin=False)
    frames = [Ether() / piece for piece in pieces] + [Ether() / last]
    messages, pipeline = ingest(frames)
    assert [(m.call_id, m.frames, m.src) for m in messages] == [("sctp-1@example.com", (1, 2, 3),
                                                                 "[2001:db8::1]:5060")]
    assert categories(pipeline) == {acc.SIP: 3}


# -- HEP ---------------------------------------------------------------------------------------------------


def chunk(ctype: int, value: bytes, vendor: int = 0) -> bytes:
    return struct.pack(">HHH", vendor, ctype, 6 + len(value)) + value


def hep3(payload: bytes, *, src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", sport=5060, dport=5080, proto=17,
         proto_type=1, compress=None, sec=1_600_000_000, usec=250_000, extra=b"") -> bytes:
    """A HEP3 packet (chunk types of the HEP3 specification, vendor 0)."""
    v6 = len(src) == 16
    body = (chunk(1, bytes([10 if v6 else 2])) + chunk(2, bytes([proto])) + chunk(5 if v6 else 3, src) +
            chunk(6 if v6 else 4, dst) + chunk(7, struct.pack(">H", sport)) + chunk(8, struct.pack(">H", dport)) +
            chunk(9, struct.pack(">I", sec)) + chunk(10, struct.pack(">I", usec)) +
            chunk(11, bytes([proto_type])) + chunk(12, struct.pack(">I", 2001)) + extra)
    if compress is None:
        body += chunk(15, payload)
    else:
        body += chunk(16, compress(payload))
    return b"HEP3" + struct.pack(">H", 6 + len(body)) + body


def hep2(payload: bytes, *, sport=5060, dport=5080, proto=17, sec=1_600_000_000, usec=250_000) -> bytes:
    """HEP v2: fixed header, IPv4 addresses, then seconds and microseconds in the agent's (little-endian) order."""
    header = struct.pack(">BBBBHH", 2, 28, 2, proto, sport, dport) + bytes([10, 0, 0, 1, 10, 0, 0, 2])
    return header + struct.pack("<IIHH", sec, usec, 1, 0) + payload


HEP_OUTER = Ether() / IP(src="192.0.2.1", dst="192.0.2.9") / UDP(sport=40000, dport=9060)
HEP_TIME = 1_600_000_000 * 1_000_000_000 + 250_000_000


@pytest.mark.parametrize("compress", [None, zlib.compress, gzip.compress], ids=["plain", "zlib", "gzip"])
def test_hep3(compress):
    messages, pipeline = ingest([HEP_OUTER / Raw(hep3(INVITE, compress=compress))])
    assert [(m.call_id, m.frames, m.src, m.dst, m.transport, m.time) for m in messages] == [
        ("tunnel@example.com", (1,), "10.0.0.1:5060", "10.0.0.2:5080", "udp", HEP_TIME)]
    assert categories(pipeline) == {acc.SIP: 1}


def test_hep3_ipv6_tcp_and_vendor_chunks():
    packet = hep3(INVITE, src=bytes.fromhex("20010db8" + "00" * 11 + "0a"),
                  dst=bytes.fromhex("20010db8" + "00" * 11 + "0b"), proto=6,
                  extra=chunk(3, b"\x01\x02\x03\x04", vendor=0x0023))  # a vendor chunk of the same type: ignored
    messages, _ = ingest([Ether() / IP() / UDP(sport=9060, dport=33333) / Raw(packet)])
    assert [(m.src, m.dst, m.transport) for m in messages] == [("[2001:db8::a]:5060", "[2001:db8::b]:5080", "tcp")]


def test_hep3_that_is_not_sip_or_damaged():
    good = hep3(INVITE)
    frames = [
        HEP_OUTER / Raw(hep3(b"some log line", proto_type=100)),
        HEP_OUTER / Raw(hep3(b"\x81\xc8\x00\x06", proto_type=5)),  # RTCP
        HEP_OUTER / Raw(good[:30] + b"\x00\x00\x00\x0f\x00\x02" + good[36:]),  # a chunk of length 2
        HEP_OUTER / Raw(good[:4] + struct.pack(">H", len(good) + 10) + good[6:]),
        HEP_OUTER / Raw(hep3(INVITE, compress=lambda data: b"not deflate")),
        HEP_OUTER / Raw(good),
    ]
    messages, pipeline = ingest(frames)
    assert [m.frames for m in messages] == [(6,)]
    assert reasons(pipeline) == {
        (acc.OTHER, "hep: not sip (keep-alive or other payload)"): [1, 2],
        (acc.MALFORMED, "hep: chunk type 15 has a bad length 2"): [3],
        (acc.MALFORMED, f"hep: length {len(good) + 10} beyond the packet ({len(good)} bytes)"): [4],
        (acc.MALFORMED, "hep: compressed payload cannot be inflated"): [5],
    }


def test_hep3_cut_by_the_snap_length():
    data = bytes(HEP_OUTER / Raw(hep3(INVITE)))
    _, pipeline = ingest(None, recs=[(DEFAULT_TS, 1, data[:120], len(data))])
    assert list(reasons(pipeline)) == [(acc.TRUNCATED, f"hep: length {len(hep3(INVITE))} beyond the packet "
                                                       f"({120 - 42} bytes)")]


@pytest.mark.parametrize("proto,transport", [(17, "udp"), (6, "tcp")])
def test_hep2(proto, transport):
    messages, pipeline = ingest([Ether() / IP() / UDP(sport=9064, dport=9064) / Raw(hep2(INVITE, proto=proto))])
    assert [(m.call_id, m.frames, m.src, m.dst, m.transport, m.time) for m in messages] == [
        ("tunnel@example.com", (1,), "10.0.0.1:5060", "10.0.0.2:5080", transport, HEP_TIME)]
    assert categories(pipeline) == {acc.SIP: 1}


def test_hep2_ipv6_and_hep1():
    v6_header = struct.pack(">BBBBHH", 2, 52, 10, 17, 5060, 5080) + bytes.fromhex("20010db8" + "00" * 11 + "0a") + \
        bytes.fromhex("20010db8" + "00" * 11 + "0b") + struct.pack("<IIHH", 1_600_000_000, 250_000, 1, 0)
    v1_header = struct.pack(">BBBBHH", 1, 16, 2, 17, 5060, 5080) + bytes([10, 0, 0, 1, 10, 0, 0, 2])
    messages, _ = ingest([HEP_OUTER / Raw(v6_header + INVITE), HEP_OUTER / Raw(v1_header + INVITE)])
    assert [(m.frames, m.src, m.dst, m.time) for m in messages] == [
        ((1,), "[2001:db8::a]:5060", "[2001:db8::b]:5080", HEP_TIME),
        ((2,), "10.0.0.1:5060", "10.0.0.2:5080", DEFAULT_TS + 1_000_000),  # v1 has no time: the frame's
    ]


def test_hep3_length_below_its_header():
    _, pipeline = ingest([HEP_OUTER / Raw(b"HEP3\x00\x04" + b"\x00" * 20)])
    assert reasons(pipeline) == {(acc.MALFORMED, "hep: length 4 below the 6-byte header"): [1]}


def test_hep2_guess_that_fails_falls_back_to_the_content():
    # Starts with 0x02 like HEP v2 but its header length is wrong: it is judged as a plain datagram.
    messages, pipeline = ingest([HEP_OUTER / Raw(b"\x02\x10" + b"\x00" * 40)])
    assert messages == []
    assert reasons(pipeline) == {(acc.OTHER, "udp: not sip"): [1]}
