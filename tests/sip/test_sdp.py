"""The SDP parser: real bodies (the shared corpus, the samples), hand-written offers for the cases SIP calls meet
(WebRTC, hold, rejected streams, multicast), one broken body per defect, and arbitrary bytes. Then the fast
recognizer ``is_clean_sdp``: it knows the bodies calls usually carry, and never calls a body clean that
``parse_sdp`` finds a defect in (mutated bodies, the whole language of its pattern, every real body)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sipscope
from sipscope.capture.files import CaptureError
from sipscope.sip import sdp as sdp_module
from sipscope.sip.defects import DEFECTS
from sipscope.sip.sdp import STATIC_PAYLOAD_TYPES, RtpMap, SessionDescription, is_clean_sdp, parse_sdp

from ..corpus import MESSAGES, corpus_captures

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def corpus_body(name: str) -> bytes:
    """The body of a raw message file of the shared corpus; skips the test when the corpus is absent."""
    path = MESSAGES / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    data = path.read_bytes()
    for separator in (b"\r\n\r\n", b"\n\n"):
        _, found, body = data.partition(separator)
        if found:
            return body
    raise AssertionError(f"{name} has no body")


def sdp(text: str) -> SessionDescription:
    """Parse a hand-written body given with LF line ends, sent with CRLF as it would be on the wire."""
    return parse_sdp(text.replace("\n", "\r\n").encode())


# -- real bodies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, address", [
    ("resiprocate/wsinv.dat", "192.0.2.4"),
    ("resiprocate/esc01.dat", "192.0.2.1"),
    ("resiprocate/sdp01.dat", "192.0.2.5"),
])
def test_rfc4475_torture_bodies(name, address):
    session = parse_sdp(corpus_body(name))
    assert session.version == 0
    assert session.origin.username == "mhandley"
    assert session.origin.session_id == "29739"
    assert session.origin.session_version == 7272939
    assert (session.origin.nettype, session.origin.addrtype) == ("IN", "IP4")
    assert session.session_name == "-"
    assert session.connection.address == address
    assert session.times == [(0, 0)]
    audio, video = session.media
    assert (audio.media, audio.port, audio.proto, audio.formats) == ("audio", 49217, "RTP/AVP", ["0", "12"])
    assert (video.media, video.port, video.proto, video.formats) == ("video", 3227, "RTP/AVP", ["31"])
    assert audio.connection is session.connection and video.connection.address == address
    assert audio.codec("0") == RtpMap("PCMU", 8000, None)
    assert audio.codec("12") == RtpMap("QCELP", 8000, None)
    # "a=rtpmap:31 LPC" has no clock rate: the name is kept, the line is noted
    assert video.rtpmap == {"31": RtpMap("LPC", None, None)}
    assert video.codec("31") == RtpMap("LPC", None, None)
    assert audio.direction == video.direction == "sendrecv"
    assert session.defects == ["sip.sdp.rtpmap_invalid"]


def test_rfc5118_ipv6_in_sdp():
    session = parse_sdp(corpus_body("ersip/ipv6-in-sdp"))
    assert session.origin.addrtype == "IP6" and session.origin.address == "2001:db8::20"
    assert session.origin.session_id == "971731711378798081"
    assert session.origin.session_version == 0
    assert session.session_name == "Live video feed for today's meeting"
    connection = session.connection
    assert (connection.nettype, connection.addrtype, connection.address) == ("IN", "IP6", "2001:db8::20")
    assert connection.ttl is None and connection.count is None and not connection.is_multicast
    assert session.times == [(3338481189, 3370017201)]
    assert [m.connection.address for m in session.media] == ["2001:db8::20", "2001:db8::20"]
    assert session.media[0].rtpmap == {"2": RtpMap("G726-32", 8000, None)}
    assert session.media[1].rtpmap == {"107": RtpMap("H263-1998", 90000, None)}
    assert session.defects == []


def test_rfc5118_ipv4_mapped_ipv6():
    session = parse_sdp(corpus_body("ersip/ipv4-mapped-ipv6"))
    assert session.connection.addrtype == "IP6"
    assert session.connection.address == "::ffff:192.0.2.2"
    assert session.origin.address == "::ffff:192.0.2.2"
    assert session.defects == []


def test_rfc5118_one_ipv4_and_one_ipv6_stream():
    session = parse_sdp(corpus_body("ersip/mult-ip-in-sdp"))
    assert session.connection is None
    assert session.origin.address == "host.example.com"
    audio, video = session.media
    assert [(c.addrtype, c.address) for c in audio.connections] == [("IP4", "192.0.2.1")]
    assert [(c.addrtype, c.address) for c in video.connections] == [("IP6", "2001:db8::1")]
    assert audio.connection.address == "192.0.2.1" and video.connection.address == "2001:db8::1"
    # RFC 5118's example has an empty s= line, which RFC 8866 forbids (s=- or a space instead)
    assert session.session_name == ""
    assert session.defects == ["sip.sdp.session_name_empty"]


def test_concatenated_descriptions_with_lf_line_ends():
    session = parse_sdp(corpus_body("sip2json/NOTIFY_SDP_multi_1.sip"))
    assert session.defects == ["sip.sdp.line_ending", "sip.sdp.concatenated"]
    assert len(session.following) == 3
    everything = [session, *session.following]
    assert [s.origin.session_id for s in everything] == ["1444888750", "1444923171", "1445019609", "1445022703"]
    assert [s.origin.session_version for s in everything] == [134, 132, 126, 126]
    assert [s.times for s in everything] == [[(3802710347, 0)], [(3802710356, 0)], [(3802710447, 0)],
                                             [(3802710450, 0)]]
    assert all(s.defects == [] for s in session.following)
    assert session.session_name == "User Six's Meeting Room"
    assert session.information == '"Jim" (+15550000014) CallByPhone-URL'
    # a network type other than IN keeps its address as written
    connection = session.connection
    assert (connection.nettype, connection.addrtype, connection.address) == ("TN", "RFC2543", "+15550000014")
    (media,) = session.media
    assert (media.media, media.port, media.proto, media.formats) == ("audio", 1, "voice", ["-"])
    assert media.attributes[0] == ("status", "(203) answered  ")
    assert media.attribute_values("leg_no") == ["1"]
    assert [s.media[0].attribute_values("leg_no") for s in session.following] == [["2"], ["4"], ["5"]]
    assert media.attribute_values("far_end") == ["192.0.2.73:41488"]


def test_broken_connection_line():
    session = parse_sdp(corpus_body("sip2json/NOTIFY_invalid_cline_1.sip"))
    assert session.connection is None
    assert session.media[0].connection is None
    assert session.defects == ["sip.sdp.line_ending", "sip.sdp.connection_invalid", "sip.sdp.connection_missing"]


def test_a_body_with_a_line_that_is_no_sdp_line():
    session = parse_sdp(corpus_body("resiprocate/test.dat"))  # "v=0" then "testing=123"
    assert session.version == 0
    assert session.defects == ["sip.sdp.line_invalid", "sip.sdp.origin_missing", "sip.sdp.session_name_missing",
                               "sip.sdp.time_missing"]


def test_a_multipart_body_is_not_sdp():
    session = parse_sdp(corpus_body("resiprocate/mpart01.dat"))
    # nothing in it looks like SDP, so not a list of every field it lacks or every line that is wrong
    assert session.defects == ["sip.sdp.not_sdp"]
    assert session.media == [] and session.origin is None


def test_sample_call_offer_and_answer():
    bodies = [bytes(m.body) for m in sipscope.ingest([str(SAMPLES / "basic-call-udp.pcap")])
              if bytes(m.body).startswith(b"v=0")]
    offer, answer = (parse_sdp(b) for b in bodies)
    assert offer.origin.username == "alice" and answer.origin.username == "bob"
    assert offer.session_name == "sipscope sample call"
    (audio,) = offer.media
    assert (audio.port, audio.formats) == (15160, ["0", "8", "101"])
    assert audio.rtpmap["101"] == RtpMap("telephone-event", 8000, None)
    assert audio.fmtp == {"101": "0-16"}
    assert audio.attribute_values("ptime") == ["20"]
    assert audio.direction == "sendrecv" and offer.direction is None
    assert audio.connection.address == "127.0.0.1"
    assert answer.media[0].port == 15161 and answer.media[0].formats == ["0", "101"]
    assert offer.defects == answer.defects == []


# -- hand-written: what calls carry -------------------------------------------------------------------------

WEBRTC_OFFER = """\
v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS stream
m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 203.0.113.7
b=AS:64
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0
a=candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321
a=ice-ufrag:EsAw
a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
m=video 54321 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 203.0.113.7
a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0
a=mid:1
a=recvonly
a=rtcp-mux
a=rtpmap:96 VP8/90000
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
m=application 0 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=mid:2
a=sctp-port:5000
"""


def test_webrtc_offer():
    session = sdp(WEBRTC_OFFER)
    assert session.defects == []
    assert session.origin.username == "-" and session.origin.session_version == 2
    assert session.attribute_values("group") == ["BUNDLE 0 1"]
    assert session.attribute_values("extmap-allow-mixed") == [None]
    assert session.attribute_values("msid-semantic") == [" WMS stream"]
    assert session.connection is None
    audio, video, data = session.media
    assert audio.proto == "UDP/TLS/RTP/SAVPF"
    assert audio.formats == ["111", "63", "9", "0", "8", "13", "110", "126"]
    assert audio.bandwidths == [("AS", 64)]
    assert audio.rtpmap["111"] == RtpMap("opus", 48000, 2)
    assert audio.rtpmap["110"] == RtpMap("telephone-event", 48000, None)
    assert audio.fmtp == {"111": "minptime=10;useinbandfec=1", "63": "111/111"}
    assert audio.codec("9") == RtpMap("G722", 8000, None)  # static, no rtpmap
    assert audio.codec("13") == RtpMap("CN", 8000, None)
    assert audio.codec("99") is None
    assert audio.candidates == [
        "1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0",
        "842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321",
    ]
    assert audio.attribute_values("fingerprint")[0].startswith("sha-256 D2:FA:0E")
    assert audio.attribute_values("rtcp") == ["9 IN IP4 0.0.0.0"]
    assert audio.attribute_values("mid") == ["0"] and video.attribute_values("mid") == ["1"]
    assert audio.direction == "sendrecv" and video.direction == "recvonly"
    assert audio.connection.address == "203.0.113.7"
    assert video.rtpmap == {"96": RtpMap("VP8", 90000, None), "97": RtpMap("rtx", 90000, None)}
    assert len(video.candidates) == 1
    assert data.is_rejected and data.port == 0
    assert (data.media, data.proto, data.formats) == ("application", "UDP/DTLS/SCTP", ["webrtc-datachannel"])
    assert data.codec("webrtc-datachannel") is None  # not RTP: no static table
    assert not audio.is_rejected


def test_hold_with_sendonly_at_session_level_and_an_override():
    session = sdp("""\
v=0
o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com
s=\x20
c=IN IP4 192.0.2.101
t=0 0
a=sendonly
m=audio 49170 RTP/AVP 0
m=video 51372 RTP/AVP 31
a=inactive
""")
    assert session.defects == []
    assert session.session_name == " "
    assert session.direction == "sendonly"
    assert [m.direction for m in session.media] == ["sendonly", "inactive"]
    assert session.media[1].codec("31") == RtpMap("H261", 90000, None)


def test_rfc2543_hold_with_a_zero_address():
    session = sdp("""\
v=0
o=bob 2808844564 2808844565 IN IP4 host.biloxi.example.com
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 49172 RTP/AVP 0
""")
    assert session.defects == []
    assert session.connection.address == "0.0.0.0"
    assert session.connection.is_unspecified and not session.connection.is_multicast
    assert session.media[0].connection.is_unspecified
    assert session.media[0].direction == "sendrecv"


def test_rejected_stream_and_port_count():
    session = sdp("""\
v=0
o=carol 28908764872 28908764872 IN IP4 100.3.6.6
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 0 RTP/AVP 0
m=video 49170/2 RTP/AVP 31
""")
    assert session.defects == []
    audio, video = session.media
    assert audio.is_rejected and audio.port == 0 and audio.port_count is None
    assert not video.is_rejected and video.port == 49170 and video.port_count == 2


def test_multicast_ipv4_with_ttl_and_count_and_ipv6_with_count():
    session = sdp("""\
v=0
o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5
s=SDP Seminar
i=A Seminar on the session description protocol
u=http://www.example.com/seminars/sdp.pdf
e=j.doe@example.com (Jane Doe)
p=+1 617 555-6011
c=IN IP4 224.2.1.1/127/3
b=CT:128
t=2873397496 2873404696
r=7d 1h 0 25h
z=2882844526 -1h 2898848070 0
a=recvonly
m=audio 49170 RTP/AVP 0
m=video 51372 RTP/AVP 99
c=IN IP6 ff15::101/3
c=IN IP6 ff15::201
a=rtpmap:99 h263-1998/90000
""")
    assert session.defects == []
    assert session.information == "A Seminar on the session description protocol"
    assert session.bandwidths == [("CT", 128)]
    v4 = session.connection
    assert (v4.address, v4.ttl, v4.count) == ("224.2.1.1", 127, 3)
    assert v4.raw == "IN IP4 224.2.1.1/127/3" and v4.is_multicast
    audio, video = session.media
    assert audio.connection is v4 and audio.direction == "recvonly"
    assert [(c.address, c.ttl, c.count) for c in video.connections] == [("ff15::101", None, 3), ("ff15::201", None,
                                                                                                    None)]
    assert video.connection.is_multicast


def test_multicast_ttl_only():
    session = sdp("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 233.252.0.1/32\nt=0 0\nm=audio 5004 RTP/AVP 0\n")
    assert (session.connection.ttl, session.connection.count) == (32, None)
    assert session.defects == []


def test_lf_line_ends_and_trailing_empty_lines():
    session = parse_sdp(b"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5004 RTP/AVP 8\n\n\n")
    assert session.defects == ["sip.sdp.line_ending"]
    assert session.media[0].codec("8") == RtpMap("PCMA", 8000, None)
    crlf = parse_sdp(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\r\n")
    assert crlf.defects == []
    no_final_line_end = parse_sdp(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0")
    assert no_final_line_end.defects == [] and no_final_line_end.times == [(0, 0)]


def test_undecodable_bytes_are_shown_escaped():
    session = parse_sdp(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=caf\xe9\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n")
    assert session.session_name == "caf\\xe9"
    assert parse_sdp("v=0\r\ns=café\r\n".encode()).session_name == "café"


def test_static_payload_types_cite_the_rfc3551_table():
    assert STATIC_PAYLOAD_TYPES["0"] == RtpMap("PCMU", 8000, None)
    assert STATIC_PAYLOAD_TYPES["4"] == RtpMap("G723", 8000, None)
    assert STATIC_PAYLOAD_TYPES["18"] == RtpMap("G729", 8000, None)
    assert STATIC_PAYLOAD_TYPES["10"] == RtpMap("L16", 44100, 2)
    assert "96" not in STATIC_PAYLOAD_TYPES


def test_an_rtpmap_overrides_the_static_table():
    session = sdp("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5004 RTP/AVP 3\n"
                  "a=rtpmap:3 GSM/8000/1\n")
    assert session.media[0].codec("3") == RtpMap("GSM", 8000, 1)


# -- one broken body per defect -----------------------------------------------------------------------------

HEAD = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"

BROKEN = [
    ("sip.sdp.not_sdp", "<html>not sdp</html>\n"),
    ("sip.sdp.line_ending", "v=0\ro=- 1 1 IN IP4 192.0.2.1\rs=-\rc=IN IP4 192.0.2.1\rt=0 0\r"),
    ("sip.sdp.line_ending", HEAD + "m=audio 5004 RTP/AVP 0\ra=sendrecv\n"),  # a bare CR among CRLF lines
    ("sip.sdp.line_ending", HEAD.replace("t=0 0", "t=0 0\r")),  # CR CR LF
    ("sip.sdp.line_invalid", HEAD + "m=audio 5004 RTP/AVP 0\nthis line has no equals sign\n"),
    ("sip.sdp.line_invalid", HEAD + "ab=two letters\n"),
    ("sip.sdp.line_invalid", HEAD + "a =space before equals\n"),
    ("sip.sdp.line_invalid", HEAD + "a=:no name\n"),
    ("sip.sdp.line_invalid", HEAD + "\nm=audio 5004 RTP/AVP 0\n"),  # an empty line in the middle
    ("sip.sdp.line_unknown", HEAD + "x=an extension line\n"),
    ("sip.sdp.line_repeated", HEAD.replace("s=-", "s=-\ns=again")),
    ("sip.sdp.line_repeated", HEAD + "m=audio 5004 RTP/AVP 0\ni=one\ni=two\n"),
    ("sip.sdp.order", "v=0\ns=-\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nt=0 0\n"),
    ("sip.sdp.order", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nc=IN IP4 192.0.2.1\n"),
    ("sip.sdp.order", HEAD + "m=audio 5004 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nc=IN IP4 192.0.2.2\n"),
    ("sip.sdp.order", HEAD + "m=audio 5004 RTP/AVP 0\nt=1 2\n"),
    ("sip.sdp.concatenated", HEAD + HEAD),
    ("sip.sdp.version_missing", "o=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"),
    ("sip.sdp.version_unsupported", HEAD.replace("v=0", "v=1")),
    ("sip.sdp.version_unsupported", HEAD.replace("v=0", "v=zero")),
    ("sip.sdp.origin_missing", "v=0\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"),
    ("sip.sdp.origin_invalid", HEAD.replace("o=- 1 1 IN IP4 192.0.2.1", "o=- 1 IN IP4 192.0.2.1")),
    ("sip.sdp.origin_invalid", HEAD.replace("o=- 1 1 ", "o=- 1 one ")),
    ("sip.sdp.session_name_missing", "v=0\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nt=0 0\n"),
    ("sip.sdp.session_name_empty", HEAD.replace("s=-", "s=")),
    ("sip.sdp.time_missing", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\n"),
    ("sip.sdp.time_invalid", HEAD.replace("t=0 0", "t=0")),
    ("sip.sdp.time_invalid", HEAD.replace("t=0 0", "t=now later")),
    ("sip.sdp.connection_invalid", HEAD.replace("c=IN IP4 192.0.2.1", "c=IN IP4")),
    ("sip.sdp.connection_invalid", HEAD.replace("192.0.2.1\nt", "192.0.2.256\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP4 2001:db8::1\nt")),  # wrong type
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP6 192.0.2.1\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP6 [2001:db8::1]\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP4 224.2.1.1\nt")),  # no TTL
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP4 224.2.1.1/300\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP4 192.0.2.1/127\nt")),  # unicast TTL
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP6 ff15::101/127/3\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IPX 192.0.2.1\nt")),
    ("sip.sdp.connection_invalid", HEAD.replace("IP4 192.0.2.1\nt", "IP4 192.0.2.1 extra\nt")),
    ("sip.sdp.connection_missing", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 5004 RTP/AVP 0\n"),
    ("sip.sdp.bandwidth_invalid", HEAD + "m=audio 5004 RTP/AVP 0\nb=AS\n"),
    ("sip.sdp.bandwidth_invalid", HEAD.replace("t=0", "b=AS:lots\nt=0")),
    ("sip.sdp.media_invalid", HEAD + "m=audio port RTP/AVP 0\n"),
    ("sip.sdp.media_invalid", HEAD + "m=audio 5004 RTP/AVP\n"),
    ("sip.sdp.media_invalid", HEAD + "m=audio 70000 RTP/AVP 0\n"),
    ("sip.sdp.media_invalid", HEAD + "m=audio 5004/0 RTP/AVP 0\n"),
    ("sip.sdp.rtpmap_invalid", HEAD + "m=audio 5004 RTP/AVP 96\na=rtpmap:96\n"),
    ("sip.sdp.rtpmap_invalid", HEAD + "m=audio 5004 RTP/AVP 96\na=rtpmap:x opus/48000\n"),
    ("sip.sdp.rtpmap_invalid", HEAD + "m=audio 5004 RTP/AVP 96\na=rtpmap:96 opus/fast\n"),
    ("sip.sdp.rtpmap_invalid", HEAD + "m=audio 5004 RTP/AVP 96\na=rtpmap:96 opus/48000/two\n"),
    ("sip.sdp.direction_conflict", HEAD + "m=audio 5004 RTP/AVP 0\na=sendonly\na=recvonly\n"),
    ("sip.sdp.direction_conflict", HEAD + "a=inactive\na=sendrecv\n"),
]


@pytest.mark.parametrize("defect, text", BROKEN)
def test_each_defect(defect, text):
    assert defect in DEFECTS
    session = sdp(text)
    assert session.defects == [defect]
    assert not is_clean_sdp(text.replace("\n", "\r\n").encode())


def test_every_sdp_defect_has_a_broken_body():
    registered = {d for d in DEFECTS if d.startswith("sip.sdp.")}
    assert registered == {defect for defect, _ in BROKEN}


def test_what_is_kept_of_broken_lines():
    session = sdp(HEAD + "x=extension\nm=audio port RTP/AVP 0\na=rtpmap:96 opus\na=sendonly\n")
    assert session.defects == ["sip.sdp.line_unknown", "sip.sdp.media_invalid", "sip.sdp.rtpmap_invalid"]
    (media,) = session.media
    # the broken m= line still opens a media description, so the lines after it are not taken for session ones
    assert (media.media, media.port, media.proto, media.formats) == ("audio", None, "RTP/AVP", ["0"])
    assert not media.is_rejected
    assert media.rtpmap == {"96": RtpMap("opus", None, None)}
    assert media.direction == "sendonly" and session.direction is None

    origin = parse_sdp(b"v=0\r\no=Alice Smith 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n")
    assert origin.origin.username == "Alice Smith" and origin.origin.session_version == 2
    assert origin.defects == ["sip.sdp.origin_invalid"]

    repeated = sdp(HEAD + "c=IN IP4 192.0.2.9\n")
    assert repeated.connection.address == "192.0.2.1"
    assert repeated.defects == ["sip.sdp.order", "sip.sdp.line_repeated"]

    late_time = sdp(HEAD.replace("t=0 0\n", "") + "m=audio 5004 RTP/AVP 0\nt=1 2\n")
    assert late_time.times == [(1, 2)] and late_time.defects == ["sip.sdp.order"]


def test_an_invalid_connection_is_kept_when_it_has_three_fields():
    session = sdp(HEAD.replace("192.0.2.1\nt", "192.0.2.999\nt"))
    assert session.connection.address == "192.0.2.999"
    assert session.defects == ["sip.sdp.connection_invalid"]


def test_a_host_name_is_a_valid_connection_address():
    for addrtype in ("IP4", "IP6"):
        session = sdp(HEAD.replace("IP4 192.0.2.1\nt", f"{addrtype} media.example.com\nt"))
        assert session.connection.address == "media.example.com"
        assert session.defects == []


def test_empty_body():
    assert parse_sdp(b"").defects == ["sip.sdp.not_sdp"]
    assert parse_sdp(b"\r\n").defects == ["sip.sdp.not_sdp"]


# -- arbitrary input ----------------------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINE = st.one_of(
    st.sampled_from([
        "v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 224.2.1.1/127/3", "c=IN IP6 ff15::101/3", "t=0 0",
        "m=audio 49170/2 RTP/AVP 0 96", "a=rtpmap:96 opus/48000/2", "a=fmtp:96 x", "a=sendonly", "a=candidate:1",
        "b=AS:64", "c=IN IP4 0.0.0.0", "m=video 0 RTP/AVP 31", "a=rtpmap:", "c=", "m=", "o=", "t=", "b=", "",
    ]),
    st.text(alphabet="vosiuepcbtrzkamx=: /0123456789.IN4P6f\r", max_size=30),
)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    session = parse_sdp(data)
    assert all(defect in DEFECTS for defect in session.defects)
    assert len(set(session.defects)) == len(session.defects)


@SETTINGS
@given(st.lists(LINE, max_size=30), st.sampled_from(["\r\n", "\n", "\r"]))
def test_arbitrary_sdp_like_lines_never_raise(lines, line_end):
    session = parse_sdp(line_end.join(lines).encode())
    for description in [session, *session.following]:
        assert all(defect in DEFECTS for defect in description.defects)
        for media in description.media:
            assert media.direction in ("sendrecv", "sendonly", "recvonly", "inactive")
            for payload_type in media.formats:
                media.codec(payload_type)
            _ = media.connection, media.is_rejected


# -- the fast recognizer ------------------------------------------------------------------------------------

TYPICAL = {
    # the offer of a softphone, and SIPp's default
    "softphone": b"v=0\r\no=grace.1070 412169215 1 IN IP4 198.51.100.71\r\ns=grace.1070\r\nc=IN IP4 198.51.100.71\r\n"
                 b"t=0 0\r\nm=audio 10648 RTP/AVP 9 0 8 18 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
                 b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
                 b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:150\r\n"
                 b"a=sendrecv\r\n",
    "sipp": b"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    "asterisk": """\
v=0
o=- 1684412373 1684412375 IN IP4 203.0.113.10
s=Asterisk
c=IN IP4 203.0.113.10
t=0 0
m=audio 17890 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
""",
    "freeswitch": """\
v=0
o=FreeSWITCH 1700003291 1700003292 IN IP4 198.51.100.20
s=FreeSWITCH
c=IN IP4 198.51.100.20
t=0 0
m=audio 24580 RTP/AVP 9 101
a=rtpmap:9 G722/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=rtcp:24581 IN IP4 198.51.100.20
""",
    "cisco": """\
v=0
o=CiscoSystemsSIP-GW-UserAgent 4539 2145 IN IP4 192.0.2.50
s=SIP Call
c=IN IP4 192.0.2.50
t=0 0
m=audio 16384 RTP/AVP 18 0 8 101 19
c=IN IP4 192.0.2.50
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtpmap:19 CN/8000
a=ptime:20
a=silenceSupp:off - - - -
a=rtcp:16385
""",
    "polycom": """\
v=0
o=- 1697016513 1697016513 IN IP4 10.20.30.40
s=Polycom IP Phone
c=IN IP4 10.20.30.40
b=AS:512
t=0 0
a=sendrecv
m=audio 2226 RTP/AVP 9 102 0 8 18 127
a=rtpmap:9 G722/8000
a=rtpmap:102 G7221/16000
a=fmtp:102 bitrate=32000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:127 telephone-event/8000
m=video 2228 RTP/AVP 109 34
b=TIAS:448000
a=rtpmap:109 H264/90000
a=fmtp:109 profile-level-id=42800d; max-mbps=40500; max-fs=1344; packetization-mode=0
a=rtpmap:34 H263/90000
a=fmtp:34 CIF=1;QCIF=1;SQCIF=1
a=rtcp-fb:* nack pli
a=sendrecv
""",
    "hold": """\
v=0
o=- 1684412373 1684412376 IN IP4 203.0.113.10
s=Asterisk
c=IN IP4 0.0.0.0
t=0 0
m=audio 17890 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendonly
""",
    # every session-level line the recognizer knows (RFC 8866 section 5's example, unicast), no session c=
    "seminar": """\
v=0
o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5
s=SDP Seminar
i=A Seminar on the session description protocol
u=http://www.example.com/seminars/sdp.pdf
e=j.doe@example.com (Jane Doe)
p=+1 617 555-6011
b=CT:128
t=2873397496 2873404696
r=7d 1h 0 25h
z=2882844526 -1h 2898848070 0
a=recvonly
m=audio 49170 RTP/AVP 0
i=voice
c=IN IP4 198.51.100.1
b=AS:64
a=rtpmap:0 PCMU/8000
m=video 51372/2 RTP/AVP 99
c=IN IP4 198.51.100.1
a=rtpmap:99 h263-1998/90000
a=inactive
""",
    "webrtc": WEBRTC_OFFER,
}
TYPICAL = {name: body if isinstance(body, bytes) else body.replace("\n", "\r\n").encode()
           for name, body in TYPICAL.items()}


@pytest.mark.parametrize("name", TYPICAL)
def test_typical_bodies_are_recognized(name):
    body = TYPICAL[name]
    assert parse_sdp(body).defects == []
    assert is_clean_sdp(body)
    assert is_clean_sdp(bytearray(body)) and is_clean_sdp(memoryview(body))
    assert is_clean_sdp(body[:-2])  # no line end after the last line
    assert is_clean_sdp(body + b"\r\n\r\n")  # empty lines at the end


@pytest.mark.parametrize("body", [
    b"",
    b"\r\n",
    TYPICAL["sipp"].replace(b"\r\n", b"\n"),  # LF line ends: sip.sdp.line_ending
    TYPICAL["sipp"] + TYPICAL["sipp"],  # concatenated descriptions
    TYPICAL["sipp"].replace(b"127.0.0.1\r\nt", b"224.2.1.1/127\r\nt"),  # multicast: valid, but left to parse_sdp
    TYPICAL["sipp"].replace(b"127.0.0.1\r\nt", b"127.0.0.256\r\nt"),
    TYPICAL["sipp"].replace(b"6000", b"65536"),
    TYPICAL["sipp"] + b"a=sendrecv\r\na=inactive\r\n",
    TYPICAL["sipp"] + b"a=rtpmap:96\r\n",
    TYPICAL["sipp"].replace(b"s=-", b"s="),
    TYPICAL["sipp"].replace(b"c=IN IP4 127.0.0.1\r\n", b""),  # no connection for the stream
    TYPICAL["softphone"].replace(b"a=ptime", b"a=ptime:20\r\n\r\na=ptime"),  # an empty line inside
])
def test_what_is_not_recognized(body):
    assert not is_clean_sdp(body)


def test_bodies_at_the_edges_of_the_pattern():
    edges = [
        b"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns= \r\nt=0 0\r\n",  # no media at all, so no c= needed
        b"v=0\r\no=x 1 1 IN IP4 255.255.255.255\r\ns=x\r\nt=1 2\r\nt=3 4\r\nm=a 65535 p f\r\nc=IN IP4 223.1.1.1\r\n",
        b"v=0\r\no=x 1 1 IN IP4 240.0.0.1\r\ns=x\r\nc=IN IP4 9.9.9.9\r\nt=0 0\r\nm=a 0/1 p/q/r f g\r\n",
    ]
    for body in edges:
        assert parse_sdp(body).defects == [] and is_clean_sdp(body)
    # clean, but each left to parse_sdp: a direction written with a colon, a host name, a leading zero
    for body in (edges[0] + b"a=sendrecv:\r\n", edges[0].replace(b"IN IP4 0.0.0.0", b"IN IP4 host.example"),
                 edges[1].replace(b"65535", b"05535")):
        assert parse_sdp(body).defects == [] and not is_clean_sdp(body)


# Mutations of valid bodies: each is applied to the lines of a typical body, positions taken modulo the length.
_EXTRA_LINES = [
    b"", b" ", b"v=0", b"o=- 1 1 IN IP4 192.0.2.1", b"s=again", b"s=", b"i=", b"i=info", b"u=http://x", b"e=a@b",
    b"p=+1 555", b"c=IN IP4 192.0.2.1", b"c=IN IP4 224.2.1.1/127", b"c=IN IP4 192.0.2.1/127", b"c=IN IP6 ::1",
    b"c=IN IP4", b"b=AS:64", b"b=AS", b"b=:64", b"t=0 0", b"t=1", b"r=7d 1h 0 25h", b"z=0 0", b"k=clear:x", b"x=y",
    b"X=y", b"1=y", b"m=audio 5004 RTP/AVP 0", b"m=video 0 RTP/AVP 31", b"m=audio 5004 RTP/AVP", b"a=sendonly",
    b"a=sendrecv", b"a=recvonly", b"a=inactive", b"a=inactive:x", b"a= sendrecv", b"a=sendrecv ", b"a=rtpmap:96",
    b"a=rtpmap:96 opus/48000/2", b"a=rtpmap :0 PCMU/8000", b"a=rtpmap:x opus/8000", b"a=:x", b"a=", b"a",
    b"a=candidate:1 1 udp 1 192.0.2.1 5 typ host", b"a=fmtp:", b"=x",
]
_BYTES = [b"0", b"1", b"5", b"9", b" ", b"\t", b":", b"/", b".", b"=", b"-", b"a", b"Z", b"\r", b"\n", b"\x00",
          b"\x0b", b"\x1c", b"\x7f", b"\x85", b"\xa0", b"\xc2\x85", b"\xc2\xa0", b"\xe2\x80\xa8", b"\xff",
          "\u0663".encode()]
_NUMBERS = [b"0", b"00", b"01", b"1", b"7", b"10", b"99", b"100", b"127", b"223", b"224", b"239", b"240", b"255",
            b"256", b"300", b"999", b"1000", b"65535", b"65536", b"99999", b"4294967296", b"9" * 20, b"9" * 21,
            b"9" * 40, b"9" * 41, b"-1", b"+1", b"", b"x", b"1.5", b" 1", "\u0663".encode()]
_ENDINGS = [b"\r\n", b"\n", b"\r", b"\r\r\n", b" \r\n", b"\t\r\n", b"", b"\r\n\r\n", b"\r\n \r\n"]
_DIGITS = re.compile(rb"([0-9]+)")
_INDEX = st.integers(0, 63)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), _INDEX),
    st.tuples(st.just("duplicate"), _INDEX, _INDEX),
    st.tuples(st.just("swap"), _INDEX, _INDEX),
    st.tuples(st.just("insert"), _INDEX, st.sampled_from(_EXTRA_LINES)),
    st.tuples(st.just("replace_byte"), _INDEX, st.integers(0, 127), st.sampled_from(_BYTES)),
    st.tuples(st.just("insert_byte"), _INDEX, st.integers(0, 127), st.sampled_from(_BYTES)),
    st.tuples(st.just("number"), _INDEX, st.integers(0, 15), st.sampled_from(_NUMBERS)),
    st.tuples(st.just("ending"), _INDEX, st.sampled_from(_ENDINGS)),
    st.tuples(st.just("truncate"), _INDEX, st.integers(0, 127)),
)


def mutate(body: bytes, mutations) -> bytes:
    """A body ending in CRLF, changed where a recognizer could slip: lines, bytes, numbers, line ends."""
    lines = body[:-2].split(b"\r\n")
    endings = [b"\r\n"] * len(lines)
    for kind, index, *args in mutations:
        if not lines:
            break
        i = index % len(lines)
        line = lines[i]
        if kind == "delete":
            del lines[i], endings[i]
        elif kind == "duplicate":
            j = args[0] % (len(lines) + 1)
            lines.insert(j, line)
            endings.insert(j, endings[i])
        elif kind == "swap":
            j = args[0] % len(lines)
            lines[i], lines[j] = lines[j], line
        elif kind == "insert":
            lines.insert(i, args[0])
            endings.insert(i, b"\r\n")
        elif kind in ("replace_byte", "insert_byte"):
            position, byte = args[0] % (len(line) + 1), args[1]
            lines[i] = line[:position] + byte + line[position + (kind == "replace_byte"):]
        elif kind == "number":  # the pieces at odd positions are the runs of digits
            pieces = _DIGITS.split(line)
            if len(pieces) > 1:
                pieces[1 + 2 * (args[0] % (len(pieces) // 2))] = args[1]
                lines[i] = b"".join(pieces)
        elif kind == "ending":
            endings[i] = args[0]
        elif kind == "truncate":
            lines[i] = line[:args[0] % (len(line) + 1)]
    return b"".join(line + ending for line, ending in zip(lines, endings))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(TYPICAL)), st.lists(MUTATION, min_size=1, max_size=4))
def test_a_mutated_body_is_recognized_only_when_clean(name, mutations):
    """Near misses of well-formed bodies: where a recognizer that is too lax would say clean (about one in five
    stays clean; 20,000 examples were run once)."""
    body = mutate(TYPICAL[name], mutations)
    assert not is_clean_sdp(body) or parse_sdp(body).defects == []


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.from_regex(sdp_module._CLEAN_SDP, fullmatch=True))
def test_every_body_of_the_pattern_is_clean(body):
    """The whole language of the pattern, from hypothesis (which reads the pattern itself): soundness is about the
    pattern, not about the bodies someone thought of. Slow to generate, so few here (3,000 were run once)."""
    assert parse_sdp(body).defects == []


def _real_bodies() -> list[bytes]:
    bodies = []
    for capture in corpus_captures():
        try:
            messages = list(sipscope.ingest([str(capture)]))
        except CaptureError:
            continue
        for message in messages:
            part = message.body_part
            for piece in part.walk() if part is not None else ():
                if piece.decoded and piece.data and piece.media_type == "application/sdp":
                    bodies.append(bytes(piece.data))
    for path in sorted(MESSAGES.rglob("*")) if MESSAGES.is_dir() else ():
        if path.is_file():
            data = path.read_bytes()
            for separator in (b"\r\n\r\n", b"\n\n"):
                _, found, body = data.partition(separator)
                if found:
                    bodies.append(body)
                    break
    return bodies


def test_real_bodies_are_recognized_only_when_clean():
    samples = [bytes(m.body) for path in sorted(SAMPLES.glob("*.pcap")) for m in sipscope.ingest([str(path)])
               if bytes(m.body).startswith(b"v=0")]
    assert samples and all(is_clean_sdp(body) for body in samples)  # SIPp's bodies, all well formed
    bodies = _real_bodies()
    if not bodies:
        pytest.skip("../shared/corpus is not present")
    for body in bodies + samples:
        assert not is_clean_sdp(body) or parse_sdp(body).defects == [], body
