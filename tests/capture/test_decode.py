"""Decoding frames down to UDP: link layers, IPv4/IPv6 with extension headers, fragment reassembly, malformed
and cut headers, and the memory bound on pending fragments. Every packet is built with scapy, an independent
implementation of each layer; each test checks where every frame went (category and reason)."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP, fragment
from scapy.layers.inet6 import (
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    fragment6,
)
from scapy.layers.l2 import ARP, CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether, Loopback
from scapy.layers.ppp import HDLC, PPP, PPPoE
from scapy.contrib.mpls import MPLS
from scapy.packet import Raw

from sipscope import accounting as acc
from sipscope.pipeline import KEEPALIVE_REASON, Limits, Pipeline
from sipscope.testing import DEFAULT_TS, categories, events, ingest, make_request, make_response, reasons, records

INVITE = make_request("INVITE", call_id="link@example.com")
UDP_SIP = IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=5060, dport=5060) / Raw(INVITE)
UDP6_SIP = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5060, dport=5062) / Raw(INVITE)










def assert_invite(message, frames=(1,), src="192.0.2.1:5060", dst="192.0.2.2:5060", transport="udp",
                  call_id="link@example.com"):
    assert message.start_line == "INVITE sip:bob@example.com SIP/2.0"
    assert message.call_id == call_id
    assert message.frames == frames
    assert (message.src, message.dst, message.transport) == (src, dst, transport)


def cut_records(packet, keep: int, linktype: int = 1):
    """One record of ``packet`` cut by the snap length to its first ``keep`` bytes."""
    data = bytes(packet)
    return [(DEFAULT_TS, linktype, data[:keep], len(data))]


# -- link layers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        Ether() / UDP_SIP,
        Ether() / Dot1Q(vlan=10) / UDP_SIP,
        Ether(type=0x88A8) / Dot1AD(vlan=100) / Dot1Q(vlan=10) / UDP_SIP,  # 802.1ad outer, 802.1Q inner
        Ether(type=0x9100) / Dot1Q(vlan=100) / Dot1Q(vlan=10) / UDP_SIP,  # the pre-standard QinQ ethertype
        Ether() / PPPoE(sessionid=7) / PPP(proto=0x0021) / UDP_SIP,
    ],
    ids=["plain", "802.1q", "802.1ad", "qinq-9100", "pppoe"],
)
def test_ethernet_variants(frame):
    messages, pipeline = ingest([frame])
    assert len(messages) == 1
    assert_invite(messages[0])
    assert categories(pipeline) == {acc.SIP: 1}


def test_ethernet_ipv6_behind_vlan():
    messages, _ = ingest([Ether() / Dot1Q(vlan=5) / UDP6_SIP])
    assert_invite(messages[0], src="[2001:db8::1]:5060", dst="[2001:db8::2]:5062")


@pytest.mark.parametrize("cooked,linktype", [(CookedLinux, 113), (CookedLinuxV2, 276)], ids=["sll", "sll2"])
def test_linux_cooked(cooked, linktype):
    messages, pipeline = ingest([cooked() / UDP_SIP, cooked() / Dot1Q(vlan=3) / UDP_SIP], linktype)
    assert [m.frames for m in messages] == [(1,), (2,)]
    assert_invite(messages[0])
    assert categories(pipeline) == {acc.SIP: 2}


def test_linux_cooked_non_ip_protocol():
    # Protocol 0x0004 means an 802.2 LLC frame follows, not an ethertype (LINKTYPE_LINUX_SLL).
    _, pipeline = ingest([CookedLinux(proto=0x0004) / Raw(b"\xaa\xaa\x03" + b"\0" * 40)], 113)
    assert reasons(pipeline) == {(acc.OTHER, "linux sll: non-ip protocol 0x0004"): [1]}


@pytest.mark.parametrize("linktype", [12, 14, 101, 228])
def test_raw_ipv4_link_types(linktype):
    messages, pipeline = ingest([UDP_SIP], linktype)
    assert_invite(messages[0])
    assert categories(pipeline) == {acc.SIP: 1}


@pytest.mark.parametrize("linktype", [12, 14, 101, 229])
def test_raw_ipv6_link_types(linktype):
    messages, _ = ingest([UDP6_SIP], linktype)
    assert_invite(messages[0], src="[2001:db8::1]:5060", dst="[2001:db8::2]:5062")


def test_raw_ip_with_a_bad_version():
    _, pipeline = ingest([b"\x50" + bytes(UDP_SIP)[1:]], 101)
    assert reasons(pipeline) == {(acc.MALFORMED, "raw ip: version 5"): [1]}


@pytest.mark.parametrize("family", [24, 28, 30])
@pytest.mark.parametrize("order", ["<", ">"])
def test_bsd_loopback(family, order):
    # DLT_NULL's family is in the byte order of the machine that wrote the capture.
    frames = [struct.pack(order + "I", 2) + bytes(UDP_SIP), struct.pack(order + "I", family) + bytes(UDP6_SIP)]
    messages, pipeline = ingest(frames, 0)
    assert [(m.src, m.frames) for m in messages] == [("192.0.2.1:5060", (1,)), ("[2001:db8::1]:5060", (2,))]
    assert categories(pipeline) == {acc.SIP: 2}


def test_bsd_loopback_with_scapy_header_and_unknown_family():
    messages, pipeline = ingest([Loopback(type=2) / UDP_SIP, struct.pack("<I", 7) + bytes(UDP_SIP)], 0)
    assert_invite(messages[0])
    assert reasons(pipeline) == {(acc.UNSUPPORTED, "loopback: address family 7"): [2]}


def test_openbsd_loopback_is_big_endian():
    messages, _ = ingest([struct.pack(">I", 2) + bytes(UDP_SIP), struct.pack(">I", 24) + bytes(UDP6_SIP)], 108)
    assert [m.frames for m in messages] == [(1,), (2,)]


def test_pppoe_link_type_and_ppp():
    messages, _ = ingest([PPPoE(sessionid=1) / PPP(proto=0x0021) / UDP_SIP,
                       PPPoE(sessionid=1) / PPP(proto=0x0057) / UDP6_SIP], 51)
    assert [m.frames for m in messages] == [(1,), (2,)]
    assert_invite(messages[0])
    messages, pipeline = ingest([HDLC() / PPP(proto=0x0021) / UDP_SIP, PPP(proto=0x0021) / UDP_SIP,
                              HDLC() / PPP(proto=0xC021) / Raw(b"\x01\x01\x00\x04")], 9)
    assert [m.frames for m in messages] == [(1,), (2,)]
    assert reasons(pipeline) == {(acc.OTHER, "ppp: protocol 0xc021"): [3]}


def test_ppp_protocol_field_compression():
    # RFC 1661 section 6.5: an odd first byte is a one-byte protocol field (0x21 for IPv4).
    messages, _ = ingest([b"\xff\x03\x21" + bytes(UDP_SIP), b"\x21" + bytes(UDP_SIP)], 9)
    assert [m.frames for m in messages] == [(1,), (2,)]


def test_ppp_serial_link_type():
    messages, _ = ingest([HDLC() / PPP(proto=0x0021) / UDP_SIP], 50)
    assert_invite(messages[0])


def test_mpls_label_stack():
    frame = Ether(type=0x8847) / MPLS(label=100, s=0) / MPLS(label=200, s=1) / UDP_SIP
    messages, pipeline = ingest([frame, Ether(type=0x8847) / MPLS(label=100, s=1)])
    assert_invite(messages[0])
    assert reasons(pipeline) == {(acc.MALFORMED, "mpls: no payload after the header"): [2]}


def test_unknown_link_type_and_other_ethertypes():
    _, pipeline = ingest([bytes(UDP_SIP)], 147)
    assert reasons(pipeline) == {(acc.UNSUPPORTED, "link type 147"): [1]}
    _, pipeline = ingest([Ether() / ARP(), Ether(type=0x1234) / Raw(b"x" * 46)])
    assert reasons(pipeline) == {(acc.OTHER, "arp"): [1], (acc.UNSUPPORTED, "ethertype 0x1234"): [2]}


# -- IPv4 and IPv6 headers ---------------------------------------------------------------------------------


def test_ipv4_with_options():
    packet = IP(src="192.0.2.1", dst="192.0.2.2", options=[b"\x94\x04\x00\x00"]) / UDP(sport=5060, dport=5060) / \
        Raw(INVITE)
    messages, _ = ingest([Ether() / packet])
    assert_invite(messages[0])


def test_ipv6_extension_headers():
    packet = (IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() /
              IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(m=0, offset=0) /
              UDP(sport=5060, dport=5062) / Raw(INVITE))
    messages, pipeline = ingest([Ether() / packet])
    assert_invite(messages[0], src="[2001:db8::1]:5060", dst="[2001:db8::2]:5062")
    assert categories(pipeline) == {acc.SIP: 1}


# -- fragment reassembly -----------------------------------------------------------------------------------

BIG = make_request("INVITE", call_id="frag@example.com", body=b"v=0\r\n" + b"a=x:" + b"y" * 2990 + b"\r\n")
BIG_V4 = IP(src="192.0.2.1", dst="192.0.2.2", id=77) / UDP(sport=5060, dport=5060) / Raw(BIG)
BIG_V6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(id=77) / UDP(sport=5060, dport=5060) / \
    Raw(BIG)


def ipv4_fragments():
    pieces = fragment(BIG_V4, fragsize=1200)
    assert len(pieces) == 3
    return [Ether() / piece for piece in pieces]


def ipv6_fragments():
    pieces = fragment6(BIG_V6, 1280)
    assert len(pieces) == 3
    return [Ether() / piece for piece in pieces]


@pytest.mark.parametrize("fragments", [ipv4_fragments, ipv6_fragments], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 2, 0]], ids=["in-order", "last-first", "first-last"])
def test_fragments_reassembled(fragments, order):
    pieces = fragments()
    messages, pipeline = ingest([pieces[i] for i in order])
    assert len(messages) == 1
    assert messages[0].call_id == "frag@example.com"
    assert messages[0].frames == (1, 2, 3)
    assert messages[0].raw == BIG
    assert messages[0].defects == []
    assert categories(pipeline) == {acc.SIP: 3}
    assert pipeline.fragments.pending == {}


@pytest.mark.parametrize("fragments", [ipv4_fragments, ipv6_fragments], ids=["ipv4", "ipv6"])
def test_duplicate_fragment_before_completion(fragments):
    pieces = fragments()
    messages, pipeline = ingest([pieces[0], pieces[1], pieces[1], pieces[2]])
    assert messages[0].frames == (1, 2, 3, 4)
    assert messages[0].raw == BIG
    assert categories(pipeline) == {acc.SIP: 4}
    assert events(pipeline) == {}


@pytest.mark.parametrize("fragments", [ipv4_fragments, ipv6_fragments], ids=["ipv4", "ipv6"])
def test_duplicate_fragment_after_completion(fragments):
    # A capture that sees a fragment twice (a SPAN port, two interfaces) must not leave it pending forever.
    pieces = fragments()
    messages, pipeline = ingest([pieces[0], pieces[1], pieces[2], pieces[1], Ether() / UDP_SIP])
    assert [m.frames for m in messages] == [(1, 2, 3), (5,)]
    assert reasons(pipeline) == {(acc.OTHER, "ip fragment: duplicate of a reassembled datagram"): [4]}
    assert pipeline.fragments.pending == {}


def test_fragment_id_reused_for_another_datagram():
    # The same IPv4 id after a datagram completed, with other bytes: a new datagram, not a duplicate.
    other = IP(src="192.0.2.1", dst="192.0.2.2", id=77) / UDP(sport=5060, dport=5060) / \
        Raw(BIG.replace(b"frag@example.com", b"next@example.com"))
    frames = ipv4_fragments() + [Ether() / piece for piece in fragment(other, fragsize=1200)]
    messages, pipeline = ingest(frames)
    assert [(m.call_id, m.frames) for m in messages] == [("frag@example.com", (1, 2, 3)),
                                                         ("next@example.com", (4, 5, 6))]
    assert categories(pipeline) == {acc.SIP: 6}


def test_endless_duplicates_of_a_fragment_are_bounded():
    first = ipv4_fragments()[0]  # 1200 bytes of data: twice the largest datagram is passed at the 110th copy
    messages, pipeline = ingest([first] * 120)
    assert messages == []
    assert pipeline.accounting.reasons[
        (acc.MALFORMED, "ip fragments: overlapping pieces over twice the largest datagram")][0] == 110
    assert pipeline.accounting.reasons[(acc.TRUNCATED, "ip fragments: datagram never completed")][0] == 10


def _overlapping_ipv4(second_bytes: bytes):
    """A datagram of 3 pieces where the middle one, sent twice, overlaps the first; returns the frames."""
    udp = bytes(UDP(sport=5060, dport=5060, len=8 + len(BIG), chksum=0)) + BIG

    def piece(offset, data, more):
        return Ether() / IP(src="192.0.2.1", dst="192.0.2.2", id=9, proto=17, frag=offset // 8,
                            flags="MF" if more else 0) / Raw(data)

    return [
        piece(0, udp[:1600], True),
        piece(1200, second_bytes, True),  # overlaps the first piece's last 400 bytes
        piece(1600, udp[1600:], False),
    ]


def test_overlapping_fragments_with_same_bytes():
    udp = bytes(UDP(sport=5060, dport=5060, len=8 + len(BIG), chksum=0)) + BIG
    messages, pipeline = ingest(_overlapping_ipv4(udp[1200:2000]))
    assert messages[0].raw == BIG
    assert messages[0].frames == (1, 2, 3)
    assert events(pipeline) == {}


def test_overlapping_fragments_first_arrival_wins():
    udp = bytes(UDP(sport=5060, dport=5060, len=8 + len(BIG), chksum=0)) + BIG
    rewritten = udp[1200:1600].replace(b"y", b"Z") + udp[1600:2000]
    messages, pipeline = ingest(_overlapping_ipv4(rewritten))
    assert messages[0].raw == BIG  # the first piece's bytes were kept
    assert events(pipeline) == {"ip fragment: overlap with different bytes": 1}
    assert pipeline.accounting.events["ip fragment: overlap with different bytes"][1] == [3]


def test_overlapping_ipv6_fragments_first_arrival_wins():
    payload = bytes(UDP(sport=5060, dport=5060, len=8 + len(BIG), chksum=0)) + BIG

    def piece(offset, data, more):
        return Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / \
            IPv6ExtHdrFragment(id=5, nh=17, offset=offset // 8, m=int(more)) / Raw(data)

    frames = [piece(1200, payload[1200:2000].replace(b"y", b"Q"), True), piece(0, payload[:1600], True),
              piece(2000, payload[2000:], False)]
    messages, pipeline = ingest(frames)
    assert messages[0].frames == (1, 2, 3)
    assert b"Q" * 400 in messages[0].raw  # the middle piece came first, so its bytes are the ones kept
    assert events(pipeline) == {"ip fragment: overlap with different bytes": 1}


def test_ipv6_fragment_with_extension_headers_in_the_fragmentable_part():
    # RFC 8200 section 4.5: headers after the fragment header (here destination options) are fragmented too.
    packet = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(id=3) / \
        IPv6ExtHdrDestOpt() / UDP(sport=5060, dport=5060) / Raw(BIG)
    pieces = fragment6(packet, 1280)
    messages, pipeline = ingest([Ether() / piece for piece in pieces])
    assert len(messages) == 1
    assert messages[0].frames == tuple(range(1, len(pieces) + 1))
    assert categories(pipeline) == {acc.SIP: len(pieces)}


@pytest.mark.parametrize("fragments,reason", [(ipv4_fragments, "ip fragments: datagram never completed"),
                                              (ipv6_fragments, "ip fragments: datagram never completed")],
                         ids=["ipv4", "ipv6"])
def test_incomplete_fragments_are_truncated_at_the_end(fragments, reason):
    pieces = fragments()
    messages, pipeline = ingest([pieces[0], Ether() / UDP_SIP, pieces[2]])
    assert [m.frames for m in messages] == [(2,)]
    assert reasons(pipeline) == {(acc.TRUNCATED, reason): [1, 3]}


def test_fragment_cut_by_the_snap_length():
    pieces = ipv4_fragments()
    data = bytes(pieces[1])
    recs = records([pieces[0], pieces[2]])
    recs.insert(1, (DEFAULT_TS, 1, data[:200], len(data)))
    messages, pipeline = ingest(None, recs=recs)
    assert messages == []
    assert reasons(pipeline) == {(acc.TRUNCATED, "ipv4: fragment cut short by the snap length"): [2],
                                 (acc.TRUNCATED, "ip fragments: datagram never completed"): [1, 3]}


def test_reassembled_tcp_segment():
    packet = IP(src="192.0.2.1", dst="192.0.2.2", id=8) / TCP(sport=5060, dport=5060, flags="PA", seq=1000) / \
        Raw(make_request("OPTIONS", call_id="tcpfrag@example.com"))
    pieces = fragment(packet, fragsize=200)
    assert len(pieces) == 2
    messages, pipeline = ingest([Ether() / piece for piece in pieces])
    assert [(m.call_id, m.transport, m.src) for m in messages] == [("tcpfrag@example.com", "tcp", "192.0.2.1:5060")]
    # The segment was rebuilt from both fragments: the message names both frames, and both carried SIP.
    assert messages[0].frames == (1, 2)
    assert reasons(pipeline) == {}
    assert categories(pipeline) == {acc.SIP: 2}


def test_pending_fragments_are_bounded():
    limits = Limits(max_ip_datagrams=8)
    frames = [Ether() / IP(src="192.0.2.1", dst="192.0.2.2", id=i, proto=17, flags="MF") / Raw(b"x" * 64)
              for i in range(30)]
    pipeline = Pipeline(limits, strict=True)
    store = pipeline.fragments
    seen = []
    original_add = store.add

    def watching_add(*args, **kwargs):
        result = original_add(*args, **kwargs)
        seen.append(len(store.pending))
        return result

    store.add = watching_add  # ingest() flushes the table at its end: watch its size on the way
    list(pipeline.run(records(frames)))
    assert max(seen) == 8
    assert seen[-1] == 8
    assert pipeline.accounting.events["limit: pending ip datagrams"][0] == 22
    assert reasons(pipeline) == {(acc.TRUNCATED, "ip fragments: datagram never completed"): list(range(1, 11))}
    assert pipeline.accounting.reasons[(acc.TRUNCATED, "ip fragments: datagram never completed")][0] == 30
    assert sum(pipeline.accounting.by_category.values()) == pipeline.accounting.frames_read == 30


# -- UDP ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [6060, 40000, 53])
def test_sip_recognised_on_any_port(port):
    messages, pipeline = ingest([Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=port, dport=port) /
                              Raw(make_response(180, "Ringing", call_id="port@example.com"))])
    assert messages[0].start_line == "SIP/2.0 180 Ringing"
    assert (messages[0].src, messages[0].dst) == (f"192.0.2.1:{port}", f"192.0.2.2:{port}")
    assert categories(pipeline) == {acc.SIP: 1}


def test_non_sip_udp_payloads():
    base = Ether() / IP(src="192.0.2.1", dst="192.0.2.2")
    frames = [
        base / UDP(sport=40000, dport=5060) / Raw(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        base / UDP(sport=20000, dport=20002) / Raw(b"\x80\x00\x00\x01" + b"\x00" * 8 + b"\xd5" * 160),  # RTP
        base / UDP(sport=5060, dport=5060) / Raw(b"\r\n\r\n"),
        base / UDP(sport=5060, dport=5060) / Raw(b"\r\n"),
        base / UDP(sport=5060, dport=5060),
    ]
    messages, pipeline = ingest(frames)
    assert messages == []
    assert reasons(pipeline) == {
        (acc.OTHER, "udp: not sip"): [1, 2],
        (acc.OTHER, KEEPALIVE_REASON): [3, 4],
        (acc.OTHER, "udp: empty payload"): [5],
    }


def test_trailing_bytes_after_content_length_are_one_message():
    payload = make_request("MESSAGE", call_id="trail@example.com", body=b"hello") + b"garbage after the body"
    messages, pipeline = ingest([Ether() / IP() / UDP(sport=5060, dport=5060) / Raw(payload)])
    assert len(messages) == 1
    assert messages[0].call_id == "trail@example.com"
    assert messages[0].body == b"hello"
    assert messages[0].defects == ["sip.datagram.trailing_bytes"]
    assert categories(pipeline) == {acc.SIP: 1}


def test_udp_lite():
    # RFC 3828: the length field is the checksum coverage (0 = all, 8 = the header only); IP gives the length.
    frames = [Ether() / IP(src="192.0.2.1", dst="192.0.2.2", proto=136) / UDP(sport=5060, dport=5060, len=coverage) /
              Raw(INVITE) for coverage in (0, 8, 20, 4)]
    messages, pipeline = ingest(frames)
    assert [(m.frames, m.call_id, m.raw) for m in messages] == [((n,), "link@example.com", INVITE) for n in (1, 2, 3)]
    assert reasons(pipeline) == {(acc.MALFORMED, "udp-lite: bad checksum coverage"): [4]}


def test_sip_cut_by_the_snap_length():
    frame = Ether() / UDP_SIP
    keep = 14 + 20 + 8 + INVITE.index(b"Call-ID") + 40  # past the Call-ID line, before the end of the headers
    messages, pipeline = ingest(None, recs=cut_records(frame, keep) + records([Ether() / UDP_SIP]))
    assert len(messages) == 2
    assert messages[0].call_id == "link@example.com"
    assert messages[0].frames == (1,)
    assert "sip.message.cut" in messages[0].defects
    assert reasons(pipeline) == {(acc.TRUNCATED, "sip: message cut short by the snap length"): [1]}
    assert categories(pipeline) == {acc.SIP: 1, acc.TRUNCATED: 1}


def test_ethernet_padding_is_not_part_of_the_datagram():
    # A short datagram in a minimum-size Ethernet frame: IPv4 total length, not the frame, bounds it.
    frame = Ether() / IP() / UDP(sport=5060, dport=5060) / Raw(b"\r\n") / Raw(b"\0" * 16)
    frame[IP].len = 20 + 8 + 2
    frame[UDP].len = 8 + 2
    _, pipeline = ingest([frame])
    assert reasons(pipeline) == {(acc.OTHER, KEEPALIVE_REASON): [1]}


# -- malformed and cut headers -----------------------------------------------------------------------------


def _with(packet, offset: int, value: bytes) -> bytes:
    data = bytearray(bytes(packet))
    data[offset : offset + len(value)] = value
    return bytes(data)


ETH_UDP = Ether() / UDP_SIP


BAD_HEADERS = [
    (bytes(ETH_UDP)[:10], acc.MALFORMED, "ethernet: frame shorter than its 14-byte header"),
    (bytes(Ether() / Dot1Q())[:16], acc.MALFORMED, "vlan: tag cut short"),
    (bytes(ETH_UDP)[:30], acc.MALFORMED, "ipv4: header cut short"),
    (_with(ETH_UDP, 14, b"\x44"), acc.MALFORMED, "ipv4: header length below 20"),
    (_with(Ether() / IP(proto=17), 14, b"\x4f"), acc.MALFORMED, "ipv4: options cut short"),
    (_with(ETH_UDP, 14, b"\x55"), acc.MALFORMED, "ipv4: version 5"),
    (_with(ETH_UDP, 16, b"\x00\x10"), acc.MALFORMED, "ipv4: total length below header length"),
    (_with(ETH_UDP, 16, b"\x20\x00"), acc.MALFORMED, "ipv4: total length beyond the frame"),
    (_with(ETH_UDP, 14 + 20 + 4, b"\x00\x05"), acc.MALFORMED, "udp: length below 8"),
    (_with(ETH_UDP, 14 + 20 + 4, b"\x20\x00"), acc.MALFORMED, "udp: length beyond the ip payload"),
    (bytes(Ether() / IP(proto=17) / Raw(b"\x13\xc4")), acc.MALFORMED, "udp: header cut short"),
    (bytes(Ether() / UDP6_SIP)[:40], acc.MALFORMED, "ipv6: header cut short"),
    (_with(Ether() / UDP6_SIP, 18, b"\x20\x00"), acc.MALFORMED, "ipv6: payload length beyond the frame"),
    (_with(Ether() / UDP6_SIP, 14, b"\x40"), acc.MALFORMED, "ipv6: version 4"),
    (bytes(Ether() / IPv6(nh=0, plen=4) / Raw(b"\x11\x00\x00\x00")), acc.MALFORMED,
     "ipv6: extension header cut short"),
    (bytes(Ether() / IPv6() / IPv6ExtHdrDestOpt(len=4, nh=17) / Raw(b"x" * 8)), acc.MALFORMED,
     "ipv6: extension header beyond the packet"),
    (bytes(Ether() / IP(proto=6) / Raw(b"\0" * 12)), acc.MALFORMED, "tcp: header cut short"),
    (bytes(Ether() / IP(proto=50) / Raw(b"\0" * 16)), acc.OTHER, "esp (encrypted)"),
    (bytes(Ether() / IP(proto=200) / Raw(b"\0" * 16)), acc.UNSUPPORTED, "ip protocol 200"),
]


@pytest.mark.parametrize("frame,category,reason", BAD_HEADERS, ids=[case[2] for case in BAD_HEADERS])
def test_malformed_headers(frame, category, reason):
    messages, pipeline = ingest([frame, Ether() / UDP_SIP])
    assert [m.frames for m in messages] == [(2,)]  # the run goes on
    assert reasons(pipeline) == {(category, reason): [1]}


def test_headers_cut_by_the_snap_length_are_truncated():
    frame = Ether() / UDP_SIP
    for keep, reason in [(10, "ethernet: frame shorter than its 14-byte header"), (30, "ipv4: header cut short"),
                         (14 + 24, "udp: header cut short")]:
        _, pipeline = ingest(None, recs=cut_records(frame, keep))
        assert reasons(pipeline) == {(acc.TRUNCATED, reason): [1]}, keep


def test_a_link_type_only_scapy_knows_is_dissected_by_scapy_then_decoded_natively():
    from scapy.layers.dot11 import Dot11, RadioTap
    from scapy.layers.l2 import LLC, SNAP

    wifi = (RadioTap() / Dot11(type=2, addr1="02:00:00:00:00:02", addr2="02:00:00:00:00:01",
                               addr3="02:00:00:00:00:02") / LLC() / SNAP()
            / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=5060, dport=5060) / make_request())
    messages, pipeline = ingest([wifi, RadioTap() / Dot11(type=0, subtype=8)], linktype=127)  # data, a beacon
    assert [(m.frames, m.src, m.method) for m in messages] == [((1,), "192.0.2.1:5060", "INVITE")]
    assert reasons(pipeline) == {(acc.UNSUPPORTED, "link type 127 (RadioTap): no ip packet found"): [2]}
