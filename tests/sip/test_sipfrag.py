"""message/sipfrag (RFC 3420): the fragments REFER's NOTIFYs carry (RFC 3515 section 2.4.5) and the odd ones."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipscope.sip.sipfrag import SipFrag, parse_sipfrag


def test_status_line_without_crlf():
    frag = parse_sipfrag(b"SIP/2.0 200 OK")
    assert (frag.version, frag.status, frag.reason) == ("SIP/2.0", 200, "OK")
    assert frag.method is None and frag.uri is None and not frag.is_request
    assert frag.is_final and frag.headers == [] and frag.body == b"" and frag.defects == []


def test_status_line_with_crlf():
    for data, status, reason, final in ((b"SIP/2.0 200 OK\r\n", 200, "OK", True),
                                        (b"SIP/2.0 100 Trying\r\n", 100, "Trying", False),
                                        (b"SIP/2.0 183 Session Progress\r\n", 183, "Session Progress", False),
                                        (b"SIP/2.0 603 Declined\r\n", 603, "Declined", True),
                                        (b"SIP/2.0 503 Service Unavailable\r\n\r\n", 503, "Service Unavailable", True)):
        frag = parse_sipfrag(data)
        assert (frag.status, frag.reason, frag.is_final) == (status, reason, final)
        assert isinstance(frag.status, int)
        assert frag.headers == [] and frag.body == b"" and frag.defects == []


def test_status_line_with_headers_and_body():
    data = (b"SIP/2.0 486 Busy Here\r\nContact: <sip:bob@192.0.2.4>\r\nWarning: 399 pc.example.com\r\n \"busy\"\r\n"
            b"Content-Type: text/plain\r\n\r\nbusy, try later")
    frag = parse_sipfrag(data)
    assert frag.status == 486 and frag.is_final
    assert [(h.name, h.value) for h in frag.headers] == [
        ("Contact", "<sip:bob@192.0.2.4>"), ("Warning", '399 pc.example.com "busy"'), ("Content-Type", "text/plain")]
    assert frag.header("contact") == "<sip:bob@192.0.2.4>" and frag.header("c") == "text/plain"
    assert frag.body == b"busy, try later" and frag.defects == []


def test_request_line_fragment():
    # RFC 3420 section 3 has fragments of requests too.
    frag = parse_sipfrag(b"INVITE sip:alice@atlanta.example.com SIP/2.0\r\nSubject: Where are you?\r\n"
                         b"i: 843817637684230@998sdasdh09\r\n")
    assert (frag.method, frag.uri, frag.version) == ("INVITE", "sip:alice@atlanta.example.com", "SIP/2.0")
    assert frag.status is None and frag.reason is None and frag.is_request and not frag.is_final
    assert [(h.raw_name, h.name) for h in frag.headers] == [("Subject", "Subject"), ("i", "Call-ID")]
    assert frag.header("Call-ID") == "843817637684230@998sdasdh09"
    assert frag.defects == []


def test_headers_only_fragment():
    frag = parse_sipfrag(b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
                         b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n")
    assert frag.method is frag.status is frag.version is None
    assert [h.name for h in frag.headers] == ["From", "To", "Via"]
    assert frag.defects == [] and not frag.is_final


def test_empty_fragment_and_body_only_fragment():
    empty = parse_sipfrag(b"")
    assert empty.status is None and empty.headers == [] and empty.body == b"" and empty.defects == []
    body_only = parse_sipfrag(b"\r\nsome body")
    assert body_only.status is None and body_only.body == b"some body" and body_only.defects == []


def test_garbage_is_flagged_and_kept():
    for data in (b"hello world", b"\x00\x01\x02", b" SIP/2.0 200 OK", b"<xml/>"):
        frag = parse_sipfrag(data)
        assert frag.defects == ["sip.sipfrag.invalid"]
        assert frag.status is None and frag.method is None and frag.body == data


def test_unreadable_start_line_then_headers():
    frag = parse_sipfrag(b"SIP/2.0 OK\r\nContact: <sip:x@example.com>\r\n")
    assert frag.status is None and frag.defects == ["sip.sipfrag.invalid"]
    assert [h.name for h in frag.headers] == ["Contact"]


def test_line_that_is_not_a_header():
    frag = parse_sipfrag(b"SIP/2.0 200 OK\r\nthis is not a header\r\nContact: <sip:x@example.com>\r\n")
    assert frag.status == 200 and [h.name for h in frag.headers] == ["Contact"]
    assert frag.defects == ["sip.sipfrag.invalid"]


def test_start_line_defects_are_kept():
    assert parse_sipfrag(b"SIP/2.0 999 Odd\r\n").defects == ["sip.status.invalid"]
    assert parse_sipfrag(b"SIP/2.0  200 OK").defects == ["sip.start_line.whitespace"]
    assert parse_sipfrag(b"SIP/3.0 200 OK").defects == ["sip.version.unknown"]


def test_bare_lf_is_read_and_flagged():
    frag = parse_sipfrag(b"SIP/2.0 200 OK\nContact: <sip:x@example.com>\n\nbody")
    assert frag.status == 200 and frag.header("Contact") == "<sip:x@example.com>" and frag.body == b"body"
    assert frag.defects == ["sip.headers.bare_lf"]
    assert parse_sipfrag(b"SIP/2.0 200 OK\n").defects == ["sip.headers.bare_lf"]


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECES = st.sampled_from([b"SIP/2.0 200 OK", b"SIP/2.0 ", b"INVITE sip:x SIP/2.0", b"\r\n", b"\n", b"\r", b"Via:",
                          b": ", b" ", b"\t", b"SIP/", b"200"])


@SETTINGS
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=30).map(b"".join)))
def test_parse_sipfrag_never_raises(data):
    frag = parse_sipfrag(data)
    assert isinstance(frag, SipFrag)
    assert frag.status is None or isinstance(frag.status, int)
    assert isinstance(frag.body, bytes) and len(frag.body) <= len(data)
