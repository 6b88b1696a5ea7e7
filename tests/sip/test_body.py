"""Message bodies: Content-Encoding, multipart splitting (RFC 2046 section 5.1), the lazy SDP and sipfrag views."""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipscope.sip.body import MAX_DECODED, MAX_DEPTH, Part, parse_body
from sipscope.sip.defects import DEFECTS

from ..corpus import MESSAGES

SDP = (b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
       b"m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
PIDF = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        b'entity="sip:alice@example.com">\r\n<tuple id="t1"><status><basic>open</basic></status></tuple>\r\n'
        b"</presence>\r\n")


def multipart(boundary: bytes, *parts: bytes, preamble: bytes = b"", epilogue: bytes = b"", close=True,
              eol: bytes = b"\r\n") -> bytes:
    """A multipart body from whole parts (headers, empty line, content), delimited as RFC 2046 section 5.1.1 says."""
    body = preamble + eol if preamble else b""
    for index, part in enumerate(parts):
        body += (eol if index else b"") + b"--" + boundary + eol + part
    if close:
        body += eol + b"--" + boundary + b"--" + eol + epilogue
    return body


def torture(name: str) -> bytes:
    path = MESSAGES / "resiprocate" / name
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    return path.read_bytes()


# --- RFC 4475 section 3.1.1.11 ----------------------------------------------------------------------------------


def test_rfc4475_multipart_message_with_a_binary_part():
    message = torture("mpart01.dat")
    head, _, body = message.partition(b"\r\n\r\n")
    content_type = next(line.split(b":", 1)[1].strip().decode()
                        for line in head.split(b"\r\n") if line.lower().startswith(b"content-type:"))
    assert content_type == "multipart/mixed;boundary=7a9cbec02ceef655"

    # What the parts must be, found by hand: the text part sits between the first empty line after the first
    # delimiter and the CRLF before the second one; the binary part runs from the empty line after its headers to
    # the CRLF before the close delimiter.
    delimiter, close = b"\r\n--7a9cbec02ceef655", b"\r\n--7a9cbec02ceef655--"
    first_start = body.index(b"\r\n\r\n") + 4
    first_end = body.index(delimiter, first_start)
    second_start = body.index(b"\r\n\r\n", first_end + len(delimiter)) + 4
    second_end = body.index(close, second_start)
    binary = body[second_start:second_end]
    # The binary part is a DER SEQUENCE (30 82 hi lo): its own header says how long it is.
    assert binary[:2] == b"\x30\x82" and len(binary) == 4 + int.from_bytes(binary[2:4], "big")
    assert b"\n" in binary and b"\r" in binary and b"\0" in binary  # line ends and NULs inside: truly binary

    part = parse_body(content_type, None, body)
    assert part.media_type == "multipart/mixed"
    assert part.all_defects() == []
    assert [p.media_type for p in part.parts] == ["text/plain", "application/octet-stream"]
    text, octets = part.parts
    assert text.data == body[first_start:first_end] == b"Hello"
    assert octets.data == octets.raw == binary
    assert len(octets.data) == second_end - second_start
    assert text.header("Content-Transfer-Encoding") == "binary"
    assert [h.name for h in octets.headers] == ["Content-Type", "Content-Transfer-Encoding"]
    assert part.data == part.raw == body


# --- multipart ---------------------------------------------------------------------------------------------------


def test_multipart_mixed_with_sdp_and_pidf():
    body = multipart(b"unique-boundary-1",
                     b"Content-Type: application/sdp\r\nContent-Disposition: session\r\n\r\n" + SDP,
                     b"Content-Type: application/pidf+xml\r\nContent-ID: <pidf@example.com>\r\n\r\n" + PIDF)
    part = parse_body('multipart/mixed; boundary="unique-boundary-1"', None, body)
    assert part.all_defects() == []
    sdp, pidf = part.parts
    assert sdp.media_type == "application/sdp" and sdp.data == SDP
    assert sdp.header("content-disposition") == "session"
    assert sdp.sdp is not None and sdp.sdp.defects == [] and len(sdp.sdp.media) == 1
    assert pidf.media_type == "application/pidf+xml" and pidf.data == PIDF
    assert pidf.header("Content-ID") == "<pidf@example.com>"
    assert pidf.sdp is None and pidf.sipfrag is None
    assert part.sdp is None  # the multipart itself is not SDP


def test_alternative_nested_in_mixed_and_walk_order():
    inner = multipart(b"inner", b"Content-Type: text/plain\r\n\r\nplain", b"Content-Type: text/html\r\n\r\n<b>html</b>")
    outer = multipart(b"outer", b"Content-Type: application/sdp\r\n\r\n" + SDP,
                      b"Content-Type: multipart/alternative; boundary=inner\r\n\r\n" + inner)
    part = parse_body("multipart/mixed;boundary=outer", None, outer)
    assert part.all_defects() == []
    assert [p.media_type for p in part.walk()] == [
        "multipart/mixed", "application/sdp", "multipart/alternative", "text/plain", "text/html"]
    alternative = part.parts[1]
    assert alternative.data == inner
    assert [p.data for p in alternative.parts] == [b"plain", b"<b>html</b>"]


def test_preamble_and_epilogue_are_ignored():
    body = multipart(b"b1", b"Content-Type: text/plain\r\n\r\nfirst", b"Content-Type: text/plain\r\n\r\nsecond",
                     preamble=b"This is a preamble.\r\n--b1 is not a delimiter here", epilogue=b"epilogue\r\n--b1\r\n")
    part = parse_body("multipart/mixed; boundary=b1", None, body)
    assert [p.data for p in part.parts] == [b"first", b"second"]
    assert part.all_defects() == []


def test_crlf_before_a_delimiter_belongs_to_it():
    # The content's own line ends stay; only the CRLF right before "--boundary" goes with the delimiter.
    body = multipart(b"b", b"Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert part.parts[0].data == b"line one\r\nline two\r\n"


def test_transport_padding_and_lookalike_lines():
    body = (b"--b \t\r\nContent-Type: text/plain\r\n\r\none\r\n--bx not a delimiter\r\n--b-\r\n"
            b"--b\t\r\n\r\ntwo\r\n--b-- \r\n")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert [p.data for p in part.parts] == [b"one\r\n--bx not a delimiter\r\n--b-", b"two"]
    assert part.all_defects() == []


def test_part_without_headers_defaults_to_text_plain():
    body = multipart(b"b", b"\r\nno headers here", b"Content-Type: application/sdp\r\n\r\n" + SDP)
    part = parse_body("multipart/mixed;boundary=b", None, body)
    first = part.parts[0]
    assert first.headers == [] and first.data == b"no headers here"
    assert first.media_type == "text/plain" and first.content_type.params["charset"] == "us-ascii"
    assert part.all_defects() == []


def test_digest_parts_default_to_message_rfc822():
    body = multipart(b"d", b"\r\nSubject: hi\r\n\r\nhello")
    part = parse_body("multipart/digest;boundary=d", None, body)
    assert part.parts[0].media_type == "message/rfc822"


def test_empty_part_and_headers_only_part():
    body = b"--b\r\n\r\n--b\r\nContent-Type: text/plain\r\n--b--"
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert [(p.media_type, p.data) for p in part.parts] == [("text/plain", b""), ("text/plain", b"")]
    assert part.parts[1].headers[0].value == "text/plain"
    assert part.all_defects() == []


def test_missing_boundary_keeps_the_body_whole():
    body = multipart(b"b", b"Content-Type: text/plain\r\n\r\nx")
    for content_type in ("multipart/mixed", 'multipart/mixed; boundary=""', "multipart/mixed;boundary"):
        part = parse_body(content_type, None, body)
        assert part.parts == [] and part.data == body
        assert part.all_defects() == ["sip.multipart.boundary_missing"]


def test_invalid_boundary_is_flagged_but_used():
    boundary = b"x" * 71  # at most 70 characters (RFC 2046 section 5.1.1)
    part = parse_body("multipart/mixed; boundary=" + boundary.decode(), None,
                      multipart(boundary, b"\r\nhello"))
    assert [p.data for p in part.parts] == [b"hello"]
    assert part.all_defects() == ["sip.multipart.boundary_invalid"]


def test_missing_close_delimiter_keeps_the_parts():
    body = multipart(b"b", b"Content-Type: text/plain\r\n\r\none", b"Content-Type: application/sdp\r\n\r\n" + SDP,
                     close=False)
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert [p.data for p in part.parts] == [b"one", SDP]
    assert part.parts[1].sdp.defects == []
    assert part.all_defects() == ["sip.multipart.unterminated"]
    # Cut right after a delimiter: the empty remainder is not a part.
    cut = parse_body("multipart/mixed;boundary=b", None, b"--b\r\n\r\none\r\n--b\r\n")
    assert [p.data for p in cut.parts] == [b"one"]
    assert cut.all_defects() == ["sip.multipart.unterminated"]


def test_no_delimiter_at_all():
    part = parse_body("multipart/mixed;boundary=b", None, b"just text\r\n")
    assert part.parts == [] and part.data == b"just text\r\n"
    assert part.all_defects() == ["sip.multipart.no_parts"]
    closed_only = parse_body("multipart/mixed;boundary=b", None, b"--b--\r\n")
    assert closed_only.all_defects() == ["sip.multipart.no_parts"]


def test_lf_only_line_ends_are_read_and_flagged():
    body = multipart(b"b", b"Content-Type: text/plain\n\none\ntwo", b"Content-Type: application/sdp\n\nv=0\n",
                     eol=b"\n")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert [p.data for p in part.parts] == [b"one\ntwo", b"v=0\n"]
    assert [p.media_type for p in part.parts] == ["text/plain", "application/sdp"]
    assert part.defects == ["sip.multipart.bare_lf"]


def test_part_that_is_not_a_body_part():
    body = multipart(b"b", b"some content without headers or an empty line")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert part.parts[0].data == b"some content without headers or an empty line"
    assert part.parts[0].media_type == "text/plain"
    assert part.all_defects() == ["sip.multipart.part_invalid"]


def test_nesting_deeper_than_the_limit_is_kept_whole():
    body = b"\r\ninnermost"
    for level in range(MAX_DEPTH + 1):
        boundary = f"level{level}".encode()
        body = multipart(boundary, b"Content-Type: multipart/mixed; boundary=level%d\r\n\r\n" % (level - 1) + body
                         if level else body)
    part = parse_body(f"multipart/mixed; boundary=level{MAX_DEPTH}", None, body)
    chain = list(part.walk())
    multiparts = [p for p in chain if p.media_type == "multipart/mixed"]
    assert len(multiparts) == MAX_DEPTH + 1
    deepest = multiparts[-1]
    assert deepest.parts == [] and deepest.defects == ["sip.multipart.too_deep"]
    assert deepest.data.startswith(b"--level0\r\n")
    assert part.all_defects() == ["sip.multipart.too_deep"]
    shallow = parse_body("multipart/mixed; boundary=level0", None, multipart(b"level0", b"\r\ninnermost"))
    assert shallow.parts[0].data == b"innermost"


def test_part_content_type_defects_are_reported():
    body = multipart(b"b", b"Content-Type: nonsense\r\n\r\nx")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    assert part.parts[0].defects == part.parts[0].content_type.defects != []


def test_part_transfer_encodings():
    body = multipart(b"b",
                     b"Content-Type: application/sdp\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                     + base64.encodebytes(SDP),
                     b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                     b"caf=C3=A9 =\r\nok",
                     b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8BIT\r\n\r\n\xc3\xa9",
                     b"Content-Type: application/sdp\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644",
                     b"Content-Type: application/sdp\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDR")
    part = parse_body("multipart/mixed;boundary=b", None, body)
    b64, qp, eight, unknown, bad = part.parts
    assert b64.data == SDP and b64.decoded and b64.sdp.defects == []
    assert qp.data == "café ok".encode()
    assert eight.data == b"\xc3\xa9" and eight.defects == []
    assert unknown.data == unknown.raw == b"begin 644" and not unknown.decoded and unknown.sdp is None
    assert unknown.defects == ["sip.body.transfer_encoding_unknown"]
    assert bad.data == b"QUJDR" and not bad.decoded and bad.defects == ["sip.body.transfer_encoding_invalid"]


# --- Content-Encoding --------------------------------------------------------------------------------------------


def test_gzip_encoded_sdp():
    compressed = gzip.compress(SDP)
    part = parse_body("application/sdp", "gzip", compressed)
    assert part.raw == compressed and part.data == SDP and part.decoded
    assert part.sdp.defects == [] and part.all_defects() == []
    assert parse_body("application/sdp", " X-GZip ", compressed).data == SDP


def test_deflate_zlib_and_raw():
    assert parse_body("application/sdp", "deflate", zlib.compress(SDP)).data == SDP
    raw = zlib.compressobj(wbits=-15)
    assert parse_body("application/sdp", "deflate", raw.compress(SDP) + raw.flush()).data == SDP


def test_stacked_codings_are_undone_last_first():
    data = zlib.compress(gzip.compress(SDP))
    part = parse_body("application/sdp", "gzip, identity, deflate", data)
    assert part.data == SDP and part.all_defects() == []


def test_identity_or_absent_encoding_keeps_the_bytes():
    for encoding in (None, "identity", ""):
        part = parse_body("application/sdp", encoding, SDP)
        assert part.data == part.raw == SDP and part.all_defects() == []


def test_corrupt_gzip_is_kept_raw():
    for data in (b"\x1f\x8b\x08\x00garbage that is not deflate", b"plainly not gzip", gzip.compress(SDP)[:-6]):
        part = parse_body("application/sdp", "gzip", data)
        assert part.data == part.raw == data
        assert not part.decoded and part.sdp is None
        assert part.all_defects() == ["sip.body.gzip_invalid"]


def test_concatenated_gzip_members_and_trailing_bytes():
    part = parse_body("text/plain", "gzip", gzip.compress(b"one ") + gzip.compress(b"two"))
    assert part.data == b"one two" and part.all_defects() == []
    trailing = parse_body("text/plain", "gzip", gzip.compress(b"one") + b"junk")
    assert trailing.data == b"one" and trailing.decoded
    assert trailing.all_defects() == ["sip.body.gzip_invalid"]


def test_gzip_bomb_is_cut_at_the_cap():
    bomb = gzip.compress(b"\0" * (MAX_DECODED * 8))
    assert len(bomb) < MAX_DECODED // 64
    part = parse_body("application/octet-stream", "gzip", bomb)
    assert len(part.data) == MAX_DECODED and part.decoded
    assert part.all_defects() == ["sip.body.too_large"]


def test_the_cap_is_shared_by_all_parts():
    chunk = gzip.compress(b"a" * (MAX_DECODED // 2 + 1))
    body = multipart(b"b", *[b"Content-Type: text/plain\r\nContent-Encoding: gzip\r\n\r\n" + chunk] * 3)
    part = parse_body("multipart/mixed;boundary=b", None, body)
    sizes = [len(p.data) for p in part.parts]
    assert sizes[0] == MAX_DECODED // 2 + 1 and sum(sizes[:2]) == MAX_DECODED
    assert part.parts[2].data == b""  # nothing left of the allowance
    assert part.parts[1].defects == part.parts[2].defects == ["sip.body.too_large"]


def test_unknown_encoding_is_not_decoded():
    part = parse_body("application/sdp", "compress", b"\x1f\x9d\x90v=0")
    assert part.data == part.raw and not part.decoded and part.sdp is None
    assert part.all_defects() == ["sip.body.encoding_unsupported"]
    multi = parse_body("multipart/mixed;boundary=b", "br", multipart(b"b", b"\r\nx"))
    assert multi.parts == [] and multi.all_defects() == ["sip.body.encoding_unsupported"]


def test_empty_body_with_an_encoding_is_fine():
    part = parse_body("application/sdp", "gzip", b"")
    assert part.data == b"" and part.decoded and part.all_defects() == []
    assert part.sdp is None  # an empty body holds no session description, and is not flagged as one


def test_gzip_encoded_multipart():
    body = multipart(b"b", b"Content-Type: application/sdp\r\n\r\n" + SDP)
    part = parse_body("multipart/mixed;boundary=b", "gzip", gzip.compress(body))
    assert part.data == body and part.parts[0].data == SDP


# --- other types -------------------------------------------------------------------------------------------------


def test_sipfrag_body():
    part = parse_body("message/sipfrag;version=2.0", None, b"SIP/2.0 180 Ringing\r\n")
    assert part.sipfrag.status == 180 and not part.sipfrag.is_final
    assert part.sdp is None and part.all_defects() == []
    bad = parse_body("message/sipfrag", None, b"not a fragment")
    assert bad.all_defects() == ["sip.sipfrag.invalid"]


def test_defects_of_sdp_and_nested_parts_are_gathered_once():
    body = multipart(b"b", b"Content-Type: application/sdp\r\n\r\nnot sdp",
                     b"Content-Type: application/sdp\r\n\r\nnor this",
                     b"Content-Type: message/sipfrag\r\n\r\n???", close=False)
    part = parse_body("multipart/mixed;boundary=b", None, body)
    found = part.all_defects()
    assert found[0] == "sip.multipart.unterminated"
    assert "sip.sipfrag.invalid" in found and len(found) == len(set(found))
    assert set(found) - {"sip.multipart.unterminated", "sip.sipfrag.invalid"} == set(part.parts[0].sdp.defects)


def test_no_content_type_or_an_unreadable_one():
    for content_type in (None, "", "garbage"):
        part = parse_body(content_type, None, b"v=0\r\n")
        assert part.media_type is None and part.parts == [] and part.sdp is None and part.sipfrag is None
        assert part.all_defects() == []
    assert isinstance(parse_body("text/plain", None, bytearray(b"x")).data, bytes)


# --- never raises ------------------------------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTENT_TYPES = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(["multipart/mixed;boundary=b", "multipart/alternative; boundary=\"b\"", "application/sdp",
                     "message/sipfrag", "multipart/digest;boundary=b", "multipart/mixed"]),
)
ENCODINGS = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["gzip", "deflate", "identity", "x-gzip, gzip"]))
PIECES = st.sampled_from([b"--b", b"--b--", b"\r\n", b"\n", b"\r", b"Content-Type: multipart/mixed;boundary=b",
                          b"Content-Type: application/sdp", b"Content-Encoding: gzip",
                          b"Content-Transfer-Encoding: base64", b": ", b" ", b"v=0", b"\x1f\x8b"])
BODIES = st.one_of(st.binary(max_size=400),
                   st.lists(st.one_of(PIECES, st.binary(max_size=12)), max_size=40).map(b"".join))


@SETTINGS
@given(CONTENT_TYPES, ENCODINGS, BODIES)
def test_parse_body_never_raises(content_type, encoding, data):
    part = parse_body(content_type, encoding, data)
    assert isinstance(part, Part)
    for defect in part.all_defects():
        assert defect in DEFECTS or not defect.startswith(("sip.multipart.", "sip.body."))
    for inner in part.walk():
        assert isinstance(inner.data, bytes) and isinstance(inner.raw, bytes)


BOUNDARY = b"=_b0undary_="


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["text/plain", "application/sdp", "application/octet-stream"]),
                          st.binary(max_size=60).filter(lambda content: b"--" + BOUNDARY not in content)),
                min_size=1, max_size=5),
       st.booleans())
def test_built_multiparts_come_back_part_for_part(parts, compress):
    body = multipart(BOUNDARY, *[f"Content-Type: {kind}\r\n\r\n".encode() + content for kind, content in parts])
    part = parse_body("multipart/mixed; boundary=" + BOUNDARY.decode(), "gzip" if compress else None,
                      gzip.compress(body) if compress else body)
    assert [(p.media_type, p.data) for p in part.parts] == parts
    assert part.defects == []
