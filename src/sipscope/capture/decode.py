"""Decoding frames down to transport payloads: link layers, IPv4/IPv6, tunnels, UDP, TCP and SCTP.

The decoder is push-style: ``Decoder.frame()`` takes one capture record and calls its sink once per transport
payload found in it (a frame can hold several, through tunnels or SCTP bundling) or settles the frame in the
accounting when there is nothing for the SIP stage. It never raises on data: every way a frame can be wrong is a
named reason (``ipv4: header length below 20``). Fragments are held in ``ipfrag.FragmentStore`` until their
datagram is whole, then decoded as one packet carrying all their frame numbers.

The sink's interface (implemented by the pipeline):

- ``datagram(frames, ts, src, sport, dst, dport, transport, payload, cut)``: a payload whose bounds are the
  message's (UDP, an SCTP user message, HEP); ``src``/``dst`` are packed addresses (4 or 16 bytes); ``cut`` is
  True when the capture cut it short.
- ``segment(frames, ts, src, sport, dst, dport, seq, flags, payload, cut)``: a TCP segment (several frames when
  it was rebuilt from IP fragments).
- ``settle(frames, category, reason)``: the frames' final place in the accounting.

Fast path first: Ethernet/IPv4/UDP is decoded with a few slices and ``int.from_bytes``; the rest is table-driven.
"""

from __future__ import annotations

import struct

from .. import accounting as acc
from .hep import decode_hep
from .ipfrag import FragmentStore
from .sctp import SctpReassembler

MAX_DEPTH = 8  # nested tunnels before we give up (a crafted packet must not recurse without end)

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD = 0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100
ETH_PPPOE_SESSION, ETH_MPLS, ETH_MPLS_MC = 0x8864, 0x8847, 0x8848
ETH_TEB, ETH_ERSPAN_2, ETH_ERSPAN_3 = 0x6558, 0x88BE, 0x22EB

KNOWN_OTHER_ETHERTYPES = {
    0x0806: "arp",
    0x8035: "rarp",
    0x88CC: "lldp",
    0x8863: "pppoe discovery",
    0x888E: "eapol",
    0x88F7: "ptp",
    0x8809: "slow protocols (lacp)",
    0x9000: "loopback (configuration testing)",
    0x8899: "realtek",
    0x88E5: "macsec",
    0x893A: "ieee 1905",
}

IP_ICMP, IP_IPIP, IP_TCP, IP_UDP, IP_IPV6, IP_GRE, IP_ESP, IP_ICMPV6, IP_SCTP = 1, 4, 6, 17, 41, 47, 50, 58, 132
IP_UDPLITE = 136
IPV6_EXTENSIONS = {0, 43, 60, 135, 139, 140}  # hop-by-hop, routing, destination options, mobility, HIP, shim6
IPV6_FRAGMENT, IPV6_AH, IPV6_NONE = 44, 51, 59
KNOWN_OTHER_PROTOCOLS = {
    IP_ICMP: "icmp",
    2: "igmp",
    IP_ICMPV6: "icmpv6",
    IP_ESP: "esp (encrypted)",
    89: "ospf",
    103: "pim",
    112: "vrrp",
    IPV6_NONE: "ipv6 no next header",
}

PPP_IPV4, PPP_IPV6 = 0x0021, 0x0057
VXLAN_PORTS = (4789, 8472)
GTPU_PORT = 2152


def fast_udp(linktype: int, data: bytes):
    """``(src, sport, dst, dport, payload)`` for the bulk of SIP traffic, else None.

    The bulk: Ethernet II, IPv4 with a 20-byte header, not a fragment, UDP, lengths that add up, and a payload that
    starts like text (not HEP). For those frames this gives exactly what ``Decoder.frame`` would hand to its sink's
    ``datagram()``, with one call instead of five; every other frame returns None and takes the general path.
    """
    if (linktype == 1 and data[12:15] == b"\x08\x00\x45" and len(data) >= 43 and data[23] == 17
            and not (data[20] & 0x3F or data[21])):
        udp_end = 34 + ((data[38] << 8) | data[39])
        if 42 < udp_end <= 14 + ((data[16] << 8) | data[17]) <= len(data) and data[42] >= 0x41 \
                and data[42:46] != b"HEP3":
            return data[26:30], (data[34] << 8) | data[35], data[30:34], (data[36] << 8) | data[37], data[42:udp_end]
    return None


class Decoder:
    """Decodes frames and hands transport payloads to ``sink``; see the module docstring."""

    def __init__(self, sink, fragments: FragmentStore, sctp: SctpReassembler):
        self.sink = sink
        self.settle = sink.settle
        self.fragments = fragments
        self.sctp = sctp
        self.link_decoders = {
            0: self._bsd_loopback,
            1: self._ethernet,
            9: self._ppp,
            12: self._raw_ip,
            14: self._raw_ip,
            50: self._ppp,
            51: self._pppoe_link,
            101: self._raw_ip,
            108: self._openbsd_loopback,
            113: self._linux_sll,
            228: self._ipv4_link,
            229: self._ipv6_link,
            276: self._linux_sll2,
        }

    # -- entry ---------------------------------------------------------------------------------------------
    def frame(self, frame: int, ts: int, linktype: int, data: bytes, orig_len: int) -> None:
        decode = self.link_decoders.get(linktype)
        if decode is None:
            decode = self.link_decoders[linktype] = self._scapy_link(linktype)
        decode((frame,), ts, data, orig_len > len(data))

    def _scapy_link(self, linktype: int):
        """A decoder for a link type sipscope has none of: scapy's dissector of it (802.11, radiotap, PPI,
        Prism...) finds the IP packet inside, and sipscope's own decoding goes on from there. Measured at about
        100 µs a frame, 50 times the native link decoders, and 0.2 s to load scapy once: fine for link types that
        rare, and simpler than a decoder of each."""
        try:
            from scapy.config import conf
            from scapy.layers import all as _layers  # noqa: F401 - registers every link type scapy knows
            from scapy.layers.inet import IP
            from scapy.layers.inet6 import IPv6
        except ImportError:
            layer = None
        else:
            layer = conf.l2types.num2layer.get(linktype)

        def unsupported(frames, _ts, _data, _cut) -> None:
            self.settle(frames, acc.UNSUPPORTED, f"link type {linktype}")

        if layer is None:
            return unsupported

        def dissected(frames, ts, data, cut) -> None:
            try:
                packet = layer(data)
            except Exception:  # noqa: BLE001 - scapy's dissectors are not ours to trust with hostile bytes
                packet = None
            inner = None if packet is None else packet.getlayer(IP) or packet.getlayer(IPv6)
            if inner is None:
                self.settle(frames, acc.UNSUPPORTED, f"link type {linktype} ({layer.__name__}): no ip packet found")
                return
            self._raw_ip(frames, ts, bytes(inner), cut)

        return dissected

    # -- link layers ---------------------------------------------------------------------------------------
    def _ethernet(self, frames, ts, data, cut, off=0, depth=0):
        if len(data) - off < 14:
            self._short(frames, cut, "ethernet", "frame shorter than its 14-byte header")
            return
        etype = (data[off + 12] << 8) | data[off + 13]
        if etype == ETH_IPV4:  # the common case, without the dispatch below
            self._ipv4(frames, ts, data, off + 14, cut, depth)
        else:
            self._ethertype(frames, ts, data, off + 14, etype, cut, depth)

    def _ethertype(self, frames, ts, data, off, etype, cut, depth):
        if etype == ETH_IPV4:
            self._ipv4(frames, ts, data, off, cut, depth)
        elif etype == ETH_IPV6:
            self._ipv6(frames, ts, data, off, cut, depth)
        elif etype in (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD):
            # 802.1Q / 802.1ad tags: 2 bytes of tag control, then the next ethertype.
            while etype in (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD):
                if len(data) - off < 4:
                    self._short(frames, cut, "vlan", "tag cut short")
                    return
                etype = (data[off + 2] << 8) | data[off + 3]
                off += 4
            self._ethertype(frames, ts, data, off, etype, cut, depth)
        elif etype == ETH_PPPOE_SESSION:
            self._pppoe(frames, ts, data, off, cut, depth)
        elif etype in (ETH_MPLS, ETH_MPLS_MC):
            self._mpls(frames, ts, data, off, cut, depth)
        elif etype < 0x0600:
            self.settle(frames, acc.OTHER, "ethernet: 802.3 frame with llc")
        else:
            self._other_or_unsupported(frames, KNOWN_OTHER_ETHERTYPES.get(etype), f"ethertype 0x{etype:04x}")

    def _linux_sll(self, frames, ts, data, cut):
        # Linux cooked capture v1: 16-byte header, protocol (ethertype) in the last two bytes.
        if len(data) < 16:
            self._short(frames, cut, "linux sll", "frame shorter than its 16-byte header")
            return
        self._sll_protocol(frames, ts, data, 16, (data[14] << 8) | data[15], cut)

    def _linux_sll2(self, frames, ts, data, cut):
        # Linux cooked capture v2: 20-byte header, protocol (ethertype) first.
        if len(data) < 20:
            self._short(frames, cut, "linux sll2", "frame shorter than its 20-byte header")
            return
        self._sll_protocol(frames, ts, data, 20, (data[0] << 8) | data[1], cut)

    def _sll_protocol(self, frames, ts, data, off, protocol, cut):
        if protocol <= 0x0004 or protocol in (0x000C, 0x0010, 0x0019):
            # Values that are not ethertypes: raw 802.3, 802.2 LLC, CAN, ... (see linktype LINUX_SLL).
            self.settle(frames, acc.OTHER, f"linux sll: non-ip protocol 0x{protocol:04x}")
        else:
            self._ethertype(frames, ts, data, off, protocol, cut, 0)

    def _raw_ip(self, frames, ts, data, cut):
        if not data:
            self._short(frames, cut, "raw ip", "empty frame")
            return
        version = data[0] >> 4
        if version == 4:
            self._ipv4(frames, ts, data, 0, cut, 0)
        elif version == 6:
            self._ipv6(frames, ts, data, 0, cut, 0)
        else:
            self.settle(frames, acc.MALFORMED, f"raw ip: version {version}")

    def _ipv4_link(self, frames, ts, data, cut):
        self._ipv4(frames, ts, data, 0, cut, 0)

    def _ipv6_link(self, frames, ts, data, cut):
        self._ipv6(frames, ts, data, 0, cut, 0)

    def _bsd_loopback(self, frames, ts, data, cut):
        # DLT_NULL: a 4-byte address family in the byte order of the machine that wrote the file.
        if len(data) < 4:
            self._short(frames, cut, "loopback", "frame shorter than its 4-byte header")
            return
        family = struct.unpack_from("<I" if data[0] else ">I", data)[0]
        self._loopback_family(frames, ts, data, family, cut)

    def _openbsd_loopback(self, frames, ts, data, cut):
        if len(data) < 4:
            self._short(frames, cut, "loopback", "frame shorter than its 4-byte header")
            return
        self._loopback_family(frames, ts, data, struct.unpack_from(">I", data)[0], cut)

    def _loopback_family(self, frames, ts, data, family, cut):
        if family == 2:
            self._ipv4(frames, ts, data, 4, cut, 0)
        elif family in (10, 24, 28, 30):  # AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
            self._ipv6(frames, ts, data, 4, cut, 0)
        else:
            self.settle(frames, acc.UNSUPPORTED, f"loopback: address family {family}")

    def _ppp(self, frames, ts, data, cut):
        off = 2 if data[:2] == b"\xff\x03" else 0  # optional HDLC address and control bytes
        self._ppp_protocol(frames, ts, data, off, cut, 0)

    def _pppoe_link(self, frames, ts, data, cut):
        self._pppoe(frames, ts, data, 0, cut, 0)

    def _pppoe(self, frames, ts, data, off, cut, depth):
        # PPPoE session header (RFC 2516): version/type, code, session id, length; then PPP.
        if len(data) - off < 6:
            self._short(frames, cut, "pppoe", "header cut short")
            return
        self._ppp_protocol(frames, ts, data, off + 6, cut, depth)

    def _ppp_protocol(self, frames, ts, data, off, cut, depth):
        if len(data) - off < 2:
            self._short(frames, cut, "ppp", "protocol field cut short")
            return
        if data[off] & 1:  # a compressed one-byte protocol field (RFC 1661 section 6.5): first byte odd
            protocol, off = data[off], off + 1
        else:
            protocol, off = (data[off] << 8) | data[off + 1], off + 2
        if protocol == PPP_IPV4:
            self._ipv4(frames, ts, data, off, cut, depth)
        elif protocol == PPP_IPV6:
            self._ipv6(frames, ts, data, off, cut, depth)
        else:
            self.settle(frames, acc.OTHER, f"ppp: protocol 0x{protocol:04x}")

    def _mpls(self, frames, ts, data, off, cut, depth):
        # Label stack entries of 4 bytes until bottom-of-stack; the payload's IP version tells what follows.
        while True:
            if len(data) - off < 4:
                self._short(frames, cut, "mpls", "label stack cut short")
                return
            bottom = data[off + 2] & 1
            off += 4
            if bottom:
                break
        self._ip_by_version(frames, ts, data, off, cut, depth + 1, "mpls")

    def _ip_by_version(self, frames, ts, data, off, cut, depth, layer):
        if off >= len(data):
            self._short(frames, cut, layer, "no payload after the header")
            return
        version = data[off] >> 4
        if version == 4:
            self._ipv4(frames, ts, data, off, cut, depth)
        elif version == 6:
            self._ipv6(frames, ts, data, off, cut, depth)
        else:
            self.settle(frames, acc.UNSUPPORTED, f"{layer}: payload is not ip")

    # -- IP ------------------------------------------------------------------------------------------------
    def _ipv4(self, frames, ts, data, off, cut, depth):
        avail = len(data) - off
        if avail < 20:
            self._short(frames, cut, "ipv4", "header cut short")
            return
        b0 = data[off]
        ihl = (b0 & 0x0F) * 4
        if b0 >> 4 != 4:
            self.settle(frames, acc.MALFORMED, f"ipv4: version {b0 >> 4}")
            return
        if ihl < 20:
            self.settle(frames, acc.MALFORMED, "ipv4: header length below 20")
            return
        if ihl > avail:
            self._short(frames, cut, "ipv4", "options cut short")
            return
        total = (data[off + 2] << 8) | data[off + 3]
        if total == 0:
            total = avail  # segmentation offload: the NIC fills in the length after capture
        elif total < ihl:
            self.settle(frames, acc.MALFORMED, "ipv4: total length below header length")
            return
        src = data[off + 12 : off + 16]
        dst = data[off + 16 : off + 20]
        proto = data[off + 9]
        if total > avail:
            if not cut:
                self.settle(frames, acc.MALFORMED, "ipv4: total length beyond the frame")
                return
            end = len(data)
        else:
            end = off + total
            cut = False  # what the snap length removed was after this packet (padding, trailer)
        frag = ((data[off + 6] << 8) | data[off + 7]) & 0x3FFF
        if frag:
            if cut:
                self.settle(frames, acc.TRUNCATED, "ipv4: fragment cut short by the snap length")
                return
            key = (4, src, dst, data[off + 4 : off + 6], proto)
            whole = self.fragments.add(key, (frag & 0x1FFF) * 8, bool(frag & 0x2000), data[off + ihl : end], frames,
                                       ts, proto)
            if whole is not None:
                payload, all_frames, _ = whole
                self._ip_payload(all_frames, ts, proto, src, dst, payload, 0, len(payload), False, depth)
            return
        if proto == IP_UDP:  # the common case, without the dispatch of _ip_payload
            self._udp(frames, ts, src, dst, data, off + ihl, end, cut, depth)
        else:
            self._ip_payload(frames, ts, proto, src, dst, data, off + ihl, end, cut, depth)

    def _ipv6(self, frames, ts, data, off, cut, depth):
        avail = len(data) - off
        if avail < 40:
            self._short(frames, cut, "ipv6", "header cut short")
            return
        if data[off] >> 4 != 6:
            self.settle(frames, acc.MALFORMED, f"ipv6: version {data[off] >> 4}")
            return
        plen = (data[off + 4] << 8) | data[off + 5]
        nxt = data[off + 6]
        src = data[off + 8 : off + 24]
        dst = data[off + 24 : off + 40]
        if plen == 0 and nxt != 0:
            plen = avail - 40  # offload, as for IPv4
        if 40 + plen > avail:
            if not cut:
                self.settle(frames, acc.MALFORMED, "ipv6: payload length beyond the frame")
                return
            end = len(data)
        else:
            end = off + 40 + plen
            cut = False
        self._ipv6_headers(frames, ts, nxt, src, dst, data, off + 40, end, cut, depth)

    def _ipv6_headers(self, frames, ts, nxt, src, dst, data, pos, end, cut, depth):
        """Walk the extension headers (RFC 8200 section 4) to the upper layer or the fragment header.

        Also run on a reassembled payload: headers after the fragment header are fragmented with the rest.
        """
        while True:
            if nxt in IPV6_EXTENSIONS or nxt == IPV6_AH:
                if end - pos < 8:
                    self._short(frames, cut, "ipv6", "extension header cut short")
                    return
                length = (data[pos + 1] + 2) * 4 if nxt == IPV6_AH else (data[pos + 1] + 1) * 8
                nxt = data[pos]
                pos += length
            elif nxt == IPV6_FRAGMENT:
                if end - pos < 8:
                    self._short(frames, cut, "ipv6", "fragment header cut short")
                    return
                if cut:
                    self.settle(frames, acc.TRUNCATED, "ipv6: fragment cut short by the snap length")
                    return
                inner = data[pos]
                offset_flags = (data[pos + 2] << 8) | data[pos + 3]
                key = (6, src, dst, data[pos + 4 : pos + 8])
                offset, more = offset_flags & 0xFFF8, bool(offset_flags & 1)
                if offset == 0 and not more:  # an atomic fragment (RFC 6946): nothing to reassemble
                    nxt, pos = inner, pos + 8
                    continue
                whole = self.fragments.add(key, offset, more, data[pos + 8 : end], frames, ts, inner)
                if whole is not None:
                    payload, all_frames, protocol = whole
                    self._ipv6_headers(all_frames, ts, protocol, src, dst, payload, 0, len(payload), False, depth)
                return
            else:
                break
            if pos > end:
                self.settle(frames, acc.MALFORMED, "ipv6: extension header beyond the packet")
                return
        self._ip_payload(frames, ts, nxt, src, dst, data, pos, end, cut, depth)

    def _ip_payload(self, frames, ts, proto, src, dst, data, off, end, cut, depth):
        if proto == IP_UDP:
            self._udp(frames, ts, src, dst, data, off, end, cut, depth)
        elif proto == IP_UDPLITE:
            self._udplite(frames, ts, src, dst, data, off, end, cut, depth)
        elif proto == IP_TCP:
            self._tcp(frames, ts, src, dst, data, off, end, cut)
        elif proto == IP_SCTP:
            self._sctp(frames, ts, src, dst, data[off:end], cut)
        elif proto in (IP_IPIP, IP_IPV6, IP_GRE):
            if depth >= MAX_DEPTH:
                self.settle(frames, acc.UNSUPPORTED, "tunnels nested too deep")
            elif proto == IP_IPIP:
                self._ipv4(frames, ts, data[:end], off, cut, depth + 1)
            elif proto == IP_IPV6:
                self._ipv6(frames, ts, data[:end], off, cut, depth + 1)
            else:
                self._gre(frames, ts, data[:end], off, cut, depth + 1)
        else:
            self._other_or_unsupported(frames, KNOWN_OTHER_PROTOCOLS.get(proto), f"ip protocol {proto}")

    # -- tunnels -------------------------------------------------------------------------------------------
    def _gre(self, frames, ts, data, off, cut, depth):
        # GRE (RFC 2784/2890): flags and version, protocol type, then optional checksum, key and sequence.
        if len(data) - off < 4:
            self._short(frames, cut, "gre", "header cut short")
            return
        flags = data[off]
        version = data[off + 1] & 0x07
        protocol = (data[off + 2] << 8) | data[off + 3]
        if version == 1:
            # Enhanced GRE of PPTP (RFC 2637 section 4.1): key always, sequence if S, acknowledgment if A; PPP.
            pos = off + 8 + (4 if flags & 0x10 else 0) + (4 if data[off + 1] & 0x80 else 0)
            if pos > len(data):
                self._short(frames, cut, "gre", "pptp header cut short")
                return
            if protocol != 0x880B or pos == len(data):  # an acknowledgment alone carries no payload
                self.settle(frames, acc.OTHER, "gre: pptp without ppp data")
                return
            self._ppp_protocol(frames, ts, data, pos + 2 if data[pos : pos + 2] == b"\xff\x03" else pos, cut, depth)
            return
        if version != 0:
            self.settle(frames, acc.UNSUPPORTED, f"gre: version {version}")
            return
        if flags & 0x40:
            self.settle(frames, acc.UNSUPPORTED, "gre: source routing")
            return
        pos = off + 4 + 4 * (bool(flags & 0x80) + bool(flags & 0x20) + bool(flags & 0x10))
        has_sequence = bool(flags & 0x10)
        if pos > len(data):
            self._short(frames, cut, "gre", "optional fields cut short")
        elif protocol == ETH_ERSPAN_2:
            # ERSPAN type II has a sequence number in GRE and an 8-byte header; type I has neither.
            self._ethernet(frames, ts, data, cut, pos + 8 if has_sequence else pos, depth)
        elif protocol == ETH_ERSPAN_3:
            # ERSPAN type III: 12-byte header, plus an 8-byte platform subheader when its O flag is set; its
            # frame type says whether an Ethernet frame (0) or an IP packet (2) follows.
            if len(data) - pos < 12:
                self._short(frames, cut, "erspan", "type III header cut short")
                return
            inner = pos + 12 + (8 if data[pos + 11] & 1 else 0)
            if (data[pos + 10] >> 2) & 0x1F == 2:
                self._ip_by_version(frames, ts, data, inner, cut, depth, "erspan")
            else:
                self._ethernet(frames, ts, data, cut, inner, depth)
        elif protocol == ETH_TEB:
            self._ethernet(frames, ts, data, cut, pos, depth)
        else:
            self._ethertype(frames, ts, data, pos, protocol, cut, depth)

    def _vxlan(self, frames, ts, payload, cut, depth):
        # VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame.
        self._ethernet(frames, ts, payload, cut, 8, depth + 1)

    def _gtpu(self, frames, ts, payload, cut, depth):
        # GTP-U (3GPP TS 29.281): flags, type 255 (G-PDU), length, TEID, optional fields and extension headers.
        flags = payload[0]
        pos = 8
        if flags & 0x07:  # E, S or PN: the sequence number, N-PDU number and next extension type are present
            if len(payload) < 12:
                self._short(frames, cut, "gtp-u", "optional fields cut short")
                return
            pos = 12
            if flags & 0x04:
                next_type = payload[11]
                while next_type and pos < len(payload):
                    length = payload[pos] * 4
                    if length == 0:
                        self.settle(frames, acc.MALFORMED, "gtp-u: empty extension header")
                        return
                    next_type = payload[pos + length - 1] if pos + length <= len(payload) else 0
                    pos += length
        if pos > len(payload):
            self._short(frames, cut, "gtp-u", "extension headers cut short")
            return
        self._ip_by_version(frames, ts, payload, pos, cut, depth + 1, "gtp-u")

    # -- transports ----------------------------------------------------------------------------------------
    def _udp(self, frames, ts, src, dst, data, off, end, cut, depth):
        if end - off < 8:
            self._short(frames, cut, "udp", "header cut short")
            return
        sport = (data[off] << 8) | data[off + 1]
        dport = (data[off + 2] << 8) | data[off + 3]
        length = (data[off + 4] << 8) | data[off + 5]
        if length >= 8 and off + length <= end:
            end = off + length
            cut = False
        elif length:  # zero: a jumbogram or segmentation offload (RFC 2675 section 4); the IP length bounds it
            if length < 8:
                self.settle(frames, acc.MALFORMED, "udp: length below 8")
                return
            if not cut:
                self.settle(frames, acc.MALFORMED, "udp: length beyond the ip payload")
                return
        payload = data[off + 8 : end]
        if not payload:
            self.settle(frames, acc.OTHER, "udp: empty payload")
            return
        first = payload[0]
        if first >= 0x41 or first in (0x0D, 0x0A):  # text: SIP, keep-alives, or some other text protocol
            if payload[:4] == b"HEP3":
                self._hep(frames, ts, src, sport, dst, dport, payload, cut)
            else:
                self.settle(frames, *self.sink.datagram(frames, ts, src, sport, dst, dport, "udp", payload, cut))
        elif depth < MAX_DEPTH and (dport in VXLAN_PORTS or sport in VXLAN_PORTS) and first & 0x08:
            self._vxlan(frames, ts, payload, cut, depth)
        elif depth < MAX_DEPTH and (dport == GTPU_PORT or sport == GTPU_PORT) and first >> 5 == 1 and \
                len(payload) > 8 and payload[1] == 0xFF:
            self._gtpu(frames, ts, payload, cut, depth)
        elif first in (1, 2) and len(payload) > 20:
            self._hep(frames, ts, src, sport, dst, dport, payload, cut)
        else:
            self.settle(frames, *self.sink.datagram(frames, ts, src, sport, dst, dport, "udp", payload, cut))

    def _udplite(self, frames, ts, src, dst, data, off, end, cut, depth):
        """UDP-Lite (RFC 3828): the UDP length field is a checksum coverage; the IP length bounds the datagram."""
        if end - off < 8:
            self._short(frames, cut, "udp-lite", "header cut short")
            return
        coverage = (data[off + 4] << 8) | data[off + 5]
        if 0 < coverage < 8 or (coverage > end - off and not cut):  # section 3.1: such a packet is discarded
            self.settle(frames, acc.MALFORMED, "udp-lite: bad checksum coverage")
            return
        # Handed to _udp as UDP with a zero length (bounded by IP), so that the fast path stays UDP-only.
        data = data[: off + 4] + b"\0\0" + data[off + 6 : end]
        self._udp(frames, ts, src, dst, data, off, end, cut, depth)

    def _hep(self, frames, ts, src, sport, dst, dport, payload, cut):
        decoded = decode_hep(payload, ts)
        if isinstance(decoded, str):
            if payload[:4] == b"HEP3":
                self.settle(frames, acc.TRUNCATED if cut else acc.MALFORMED, f"hep: {decoded}")
            else:  # it was only a guess that this is HEP v1/v2: let the content speak for itself
                self.settle(frames, *self.sink.datagram(frames, ts, src, sport, dst, dport, "udp", payload, cut))
            return
        if decoded is None:
            self.settle(frames, acc.OTHER, "hep: not sip (keep-alive or other payload)")
            return
        ts, src, sport, dst, dport, transport, sip = decoded  # the agent's own view of the packet
        self.settle(frames, *self.sink.datagram(frames, ts, src, sport, dst, dport, transport, sip, cut))

    def _tcp(self, frames, ts, src, dst, data, off, end, cut):
        if end - off < 20:
            self._short(frames, cut, "tcp", "header cut short")
            return
        hlen = (data[off + 12] >> 4) * 4
        if hlen < 20:
            self.settle(frames, acc.MALFORMED, "tcp: header length below 20")
            return
        if off + hlen > end:
            self._short(frames, cut, "tcp", "options cut short")
            return
        sport = (data[off] << 8) | data[off + 1]
        dport = (data[off + 2] << 8) | data[off + 3]
        seq = int.from_bytes(data[off + 4 : off + 8], "big")
        flags = data[off + 13]
        self.sink.segment(frames, ts, src, sport, dst, dport, seq, flags, data[off + hlen : end], cut)

    def _sctp(self, frames, ts, src, dst, packet, cut):
        if len(packet) < 12:
            self._short(frames, cut, "sctp", "common header cut short")
            return
        sport = (packet[0] << 8) | packet[1]
        dport = (packet[2] << 8) | packet[3]
        messages, held, problem, retransmitted = self.sctp.add((src, sport, dst, dport), packet, frames)
        outcome = None
        for message_frames, earlier_held, payload in messages:
            result = self.sink.datagram(message_frames, ts, src, sport, dst, dport, "sctp", payload, False)
            if earlier_held:
                self.settle(earlier_held, *result)
            if outcome is None or result[0] == acc.SIP:
                outcome = result
        if outcome is not None:
            self.settle(frames, *outcome)
        elif held:
            pass  # the frame is part of a fragmented message: settled when it completes or the capture ends
        elif problem:
            self.settle(frames, acc.TRUNCATED if cut else acc.MALFORMED, f"sctp: {problem}")
        elif retransmitted:
            self.settle(frames, acc.OTHER, "sctp: retransmitted data")
        else:
            self.settle(frames, acc.OTHER, "sctp: no data (control chunks)")

    # -- helpers -------------------------------------------------------------------------------------------
    def _other_or_unsupported(self, frames, known_name: str | None, unknown: str):
        """A protocol that is not ours: traffic we know by name, or one we cannot name (unsupported)."""
        if known_name:
            self.settle(frames, acc.OTHER, known_name)
        else:
            self.settle(frames, acc.UNSUPPORTED, unknown)

    def _short(self, frames, cut, layer, what):
        """A header that does not fit: the snap length's doing (truncated) or the packet's (malformed)."""
        self.settle(frames, acc.TRUNCATED if cut else acc.MALFORMED, f"{layer}: {what}")

