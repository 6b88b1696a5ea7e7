"""The first parser: start lines, header names and compact forms, folding, the key headers, and defects."""

from __future__ import annotations

import pytest

from sipscope.sip.defects import DEFECTS
from sipscope.sip.message import canonical_name
from sipscope.sip.parse import NOT_SIP, Malformed, parse_message
from sipscope.testing import make_request, make_response

from ..corpus import MESSAGES


def torture(name: str) -> bytes:
    path = MESSAGES / "resiprocate" / name
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    return path.read_bytes()


def test_request_line_and_key_headers():
    message = parse_message(make_request("INVITE", "sip:bob@example.com", "abc@host", 7, "z9hG4bK-77"))
    assert message.is_request
    assert (message.method, message.uri, message.version) == ("INVITE", "sip:bob@example.com", "SIP/2.0")
    assert message.call_id == "abc@host"
    assert (message.cseq_number, message.cseq_method) == (7, "INVITE")
    assert message.branch == "z9hG4bK-77"
    assert message.from_tag == "from-1"
    assert message.to_tag is None
    assert message.defects == []


def test_agent_is_the_first_user_agent_or_server_value_unfolded():
    base = make_response(200, "OK").replace(b"\r\n\r\n", b"\r\n", 1)
    message = parse_message(base + b"server:  PBX 1.0\r\n (build 7)\r\nUser-Agent: second\r\nServer: third\r\n\r\n")
    assert message.agent == "PBX 1.0 (build 7)"
    assert message.defects == ["sip.header.folded"]  # reading it adds no defect of its own
    assert parse_message(make_response(200, "OK")).agent is None


def test_status_line_with_empty_and_unusual_reasons():
    assert parse_message(make_response(180, "Ringing")).reason == "Ringing"
    assert parse_message(b"SIP/2.0 100 \r\nCall-ID: x\r\n\r\n").reason == ""
    assert parse_message(b"SIP/2.0 100\r\nCall-ID: x\r\n\r\n").status == 100
    message = parse_message(torture("unreason.dat"))
    assert message.status == 200
    assert message.reason.startswith("= 2**3 * 5**2 но")  # UTF-8 reason phrase (RFC 4475 section 3.1.1.12)


def test_compact_forms_map_to_full_names_and_keep_raw_names():
    raw = (
        b"MESSAGE sip:b@example.com SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK-c\r\nf: <sip:a@x>;tag=ft\r\n"
        b"t: <sip:b@x>;tag=tt\r\ni: compact@x\r\nCSeq: 3 MESSAGE\r\nc: text/plain\r\nl: 2\r\n\r\nhi"
    )
    message = parse_message(raw)
    assert (message.call_id, message.branch, message.from_tag, message.to_tag) == ("compact@x", "z9hG4bK-c", "ft", "tt")
    assert message.content_length == 2 and message.body == b"hi"
    assert [(h.raw_name, h.name) for h in message.headers] == [
        ("v", "Via"), ("f", "From"), ("t", "To"), ("i", "Call-ID"), ("CSeq", "CSeq"), ("c", "Content-Type"),
        ("l", "Content-Length"),
    ]
    assert message.header("content-type") == "text/plain"
    assert message.header("Content-Type") == message.header("c")


def test_every_registered_compact_form():
    expected = {"a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
                "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
                "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To",
                "s": "Subject", "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires", "y": "Identity"}
    for compact, full in expected.items():
        assert canonical_name(compact) == full
        assert canonical_name(compact.upper()) == full


def test_folded_lines_and_odd_whitespace_of_wsinv():
    # RFC 4475 section 3.1.1.1: a short tortuous INVITE with folding, odd spacing and case.
    message = parse_message(torture("wsinv.dat"))
    assert message.method == "INVITE"
    assert message.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert (message.cseq_number, message.cseq_method) == (9, "INVITE")
    assert message.to_tag == "1918181833n"
    assert message.from_tag == "98asjd8"
    assert message.content_length == 150
    assert "sip.header.folded" in message.defects
    assert message.header("NewFangledHeader") == "newfangled value continued newfangled value"
    assert message.branch == "390skdjuw"
    assert message.header_values("Via")[1].split(",")[0].split() == [
        "SIP", "/", "2.0", "/", "TCP", "spindle.example.com", ";", "branch", "=", "z9hG4bK9ikj8"
    ]


def test_unusual_method_token_of_intmeth():
    message = parse_message(torture("intmeth.dat"))
    assert message.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert message.cseq_method == message.method
    assert "sip.cseq.method_mismatch" not in message.defects


def test_two_requests_in_one_datagram_give_one_message_with_trailing_bytes():
    # RFC 4475 section 3.3.9 (dblreq): the second request in the datagram is not a message.
    message = parse_message(torture("dblreq.dat"))
    assert message.method == "REGISTER"
    assert message.defects == ["sip.datagram.trailing_bytes"]
    assert message.body == b""


def test_defects_for_missing_and_inconsistent_headers():
    message = parse_message(b"OPTIONS sip:x SIP/2.0\r\nCSeq: 1 INVITE\r\nBad line\r\n\r\n")
    assert message.defects == [
        "sip.header.no_colon", "sip.call_id.missing", "sip.from.missing", "sip.to.missing", "sip.via.missing",
        "sip.cseq.method_mismatch",
    ]
    assert parse_message(make_request(content_length=10)).defects == ["sip.content_length.mismatch"]
    assert "sip.content_length.invalid" in parse_message(make_request(extra="", content_length=0).replace(
        b"Content-Length: 0", b"Content-Length: zero")).defects
    assert "sip.header.duplicate_single" in parse_message(make_request(extra="Call-ID: second\r\n")).defects
    assert parse_message(make_request(extra="Call-ID: second\r\n")).call_id == "call-1@example.com"


def test_stream_messages_need_content_length():
    raw = make_request().replace(b"Content-Length: 0\r\n", b"")
    assert "sip.content_length.missing" in parse_message(raw, stream=True).defects
    assert "sip.content_length.missing" not in parse_message(raw).defects


def test_version_and_whitespace_defects():
    assert "sip.version.unknown" in parse_message(torture("badvers.dat")).defects
    assert "sip.start_line.whitespace" in parse_message(make_request().replace(b"INVITE ", b"INVITE  ", 1)).defects


def test_not_sip_and_malformed():
    assert parse_message(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") is NOT_SIP
    assert parse_message(b"\x80\x00\x01\x02rtp") is NOT_SIP
    assert parse_message(b"") is NOT_SIP
    broken = parse_message(b"SIP/2.0 2OO OK\r\n\r\n")
    assert isinstance(broken, Malformed) and "status line" in broken.reason
    assert isinstance(parse_message(b"INVITE sip:x SIP/2.0 extra\r\n\r\n"), Malformed)


def test_leading_crlf_and_bare_lf_lines():
    message = parse_message(b"\r\n\r\n" + make_request())
    assert message.method == "INVITE" and message.defects == []
    lf = parse_message(make_request().replace(b"\r\n", b"\n"))
    assert lf.call_id == "call-1@example.com"
    assert lf.defects == ["sip.headers.bare_lf"]


def test_raw_bytes_are_kept_exactly():
    raw = make_request(body=b"v=0\r\n")
    message = parse_message(raw)
    assert message.raw is raw
    assert message.body == b"v=0\r\n"


def test_every_defect_the_parser_reports_is_registered():
    samples = [torture(name) for name in ("wsinv.dat", "badvers.dat", "dblreq.dat", "mcl01.dat", "ncl.dat")]
    for raw in samples:
        message = parse_message(raw)
        if not isinstance(message, Malformed) and message is not NOT_SIP:
            assert set(message.defects) <= set(DEFECTS)


@pytest.mark.parametrize("name", sorted(p.name for p in (MESSAGES / "resiprocate").glob("*")) if MESSAGES.exists() else [])
def test_no_torture_message_raises(name):
    data = (MESSAGES / "resiprocate" / name).read_bytes()
    parse_message(data)
    parse_message(data, stream=True)


def test_numbers_too_long_to_be_numbers_are_defects_not_crashes():
    # Python refuses int() of more than 4300 digits; a crafted message must not turn that into an exception.
    huge = b"9" * 5000
    message = parse_message(make_request().replace(b"Content-Length: 0", b"Content-Length: " + huge))
    assert message.defects == ["sip.content_length.too_large"]
    message = parse_message(make_request().replace(b"CSeq: 1 INVITE", b"CSeq: " + huge + b" INVITE"))
    assert message.defects == ["sip.cseq.invalid"] and message.cseq_number is None
    assert parse_message(make_request().replace(b"CSeq: 1 ", b"CSeq: 2147483647 ")).cseq_number == 2147483647


def test_a_continuation_line_with_nothing_to_continue():
    # Found by the property test: a header block that begins with white space.
    message = parse_message(b"INVITE sip:a@b SIP/2.0\r\n Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n")
    assert message.method == "INVITE"
    assert message.defects[:2] == ["sip.header.folded", "sip.header.bad_name"]
    assert message.call_id is None
    assert parse_message(b"INVITE sip:a@b SIP/2.0\r\n ").method == "INVITE"


def test_header_lines_past_the_bound_are_noted_and_not_made_into_objects():
    raw = make_request(extra="X-Filler: 1\r\n" * 30)
    message = parse_message(raw, max_headers=10)
    assert message.defects == ["sip.headers.too_many"]
    assert len(message.headers) == 10
    assert message.call_id == "call-1@example.com"  # a key header after the bound is read all the same
    assert parse_message(raw).defects == []
