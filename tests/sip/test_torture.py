"""Torture tests: every message of RFC 4475 (and resiprocate's extras) and of RFC 5118, each with what it must
parse to, and the sip2json captures read as far as they go.

``TABLE`` has one entry per file of ``messages/resiprocate`` and ``messages/ersip`` (68 files): the RFC section, a
verdict, the exact set of defect ids the message gets (datagram mode, as the RFC 4475 messages "ostensibly arrived
over UDP"), and for most of them a check of the tricky values the message is about. The expectations come from the
RFCs (notes in /tmp/sipscope-notes/torture-spec.md were the starting point); where the RFC leaves a choice, the
entry's ``note`` says what was chosen and why.

Verdicts:

- ``valid``: RFC 4475 3.1.1 and the like. Must parse, with no defect of severity error. Every RFC 4475 SDP body
  has ``a=rtpmap:31 LPC`` without a clock rate; RFC 8866 section 6.6 makes the clock rate mandatory, so
  ``sip.sdp.rtpmap_invalid`` (a warning) is right and expected, an artefact of the RFC that no test is about.
- ``invalid``: the RFC calls the message malformed; the defect names what is wrong. Only a start line that cannot
  be read makes it something other than a message (``Malformed``); a readable start line with a wrong value (the
  ten-digit status code of bigcode) is a message with a defect.
- ``liberal``: malformed, but the RFC lets a receiver recover a value; the defect is there and so is the value.
- ``application``: RFC 4475 3.2 to 3.4: well-formed messages whose point is what an element does with them (416,
  420, 483...). The parser raises no error for them, and reads the value the RFC talks about.
- ``extra``: not described by an RFC (resiprocate's regression files, the archive's test.dat).
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass
from typing import Callable

import pytest

from sipscope.sip.defects import DEFECTS, ERROR
from sipscope.sip.framing import NEED_DATA, Framed, Skipped, StreamFramer
from sipscope.sip.headers import AUTH_HEADERS, PARSERS, parse_values
from sipscope.sip.message import SipMessage
from sipscope.sip.parse import NOT_SIP, Malformed, parse_message

from ..corpus import MESSAGES

VALID, INVALID, LIBERAL, APPLICATION, EXTRA = "valid", "invalid", "liberal", "application", "extra"
RTPMAP = "sip.sdp.rtpmap_invalid"  # a=rtpmap:31 LPC, in every RFC 4475 SDP body (see the module docstring)

@dataclass(frozen=True)
class Expect:
    section: str
    verdict: str
    defects: frozenset = frozenset()
    """The exact set of ``message.check()``; ignored when ``malformed`` is set."""
    malformed: str | None = None
    """For input that is not a message: a fragment of the ``Malformed`` reason."""
    note: str = ""


def _e(section: str, verdict: str, *defects: str, **fields) -> Expect:
    return Expect(section, verdict, frozenset(defects), **fields)


TABLE: dict[str, Expect] = {
    # --- RFC 4475 section 3.1.1: valid messages ---
    "resiprocate/wsinv.dat": _e(
        "RFC 4475 3.1.1.1 A Short Tortuous INVITE", VALID, "sip.header.folded", RTPMAP,
        note="folding everywhere, LWS around every separator, escaped quotes, unknown headers and params"),
    "resiprocate/intmeth.dat": _e(
        "RFC 4475 3.1.1.2 Wide Range of Valid Characters", VALID,
        note="every token/word character in the method, URI user and password, branch, Call-ID, header name"),
    "resiprocate/esc01.dat": _e(
        "RFC 4475 3.1.1.3 Valid Use of the % Escaping Mechanism", VALID, "sip.header.folded", RTPMAP,
        note="escapes undone exactly once: %25%34%31 is %41, not A"),
    "resiprocate/escnull.dat": _e(
        "RFC 4475 3.1.1.4 Escaped Nulls in URIs", VALID, note="%00 decodes to NUL and does not cut the user"),
    "resiprocate/esc02.dat": _e(
        "RFC 4475 3.1.1.5 Use of % When It Is Not an Escape", VALID,
        note="% is literal outside URIs: RE%47IST%45R is an unknown method, C%6Fntact an unknown header"),
    "resiprocate/lwsdisp.dat": _e(
        "RFC 4475 3.1.1.6 Message with No LWS between Display Name and <", VALID,
        note="caller<sip:...>: RFC 4475 calls the missing LWS a grammar bug and says accept"),
    "resiprocate/longreq.dat": _e(
        "RFC 4475 3.1.1.7 Long Values in Header Fields", VALID, RTPMAP,
        note="34 Via hops under every spelling of the name; no hop but the last has a branch (no defect: RFC "
             "2543 peers send none, and the RFC calls the message valid)"),
    "resiprocate/dblreq.dat": _e(
        "RFC 4475 3.1.1.8 Extra Trailing Octets in a UDP Datagram", VALID, "sip.datagram.trailing_bytes",
        note="one REGISTER; the 450 bytes after it are noise (RFC 3261 18.3), a warning, not a second message"),
    "resiprocate/semiuri.dat": _e(
        "RFC 4475 3.1.1.9 Semicolon-Separated Parameters in URI User Part", VALID, "sip.header.folded",
        note="user;par=u%40example.net is all user part"),
    "resiprocate/transports.dat": _e(
        "RFC 4475 3.1.1.10 Varied and Unknown Transport Types", VALID, note="UNKNOWN is a legal transport token"),
    "resiprocate/mpart01.dat": _e(
        "RFC 4475 3.1.1.11 Multipart MIME Message", VALID,
        note="binary part with NULs, bare CRs and LFs: framing by Content-Length, no bare-LF defect"),
    "resiprocate/unreason.dat": _e(
        "RFC 4475 3.1.1.12 Unusual Reason Phrase", VALID, RTPMAP, note="UTF-8 reason phrase, kept exactly"),
    "resiprocate/noreason.dat": _e(
        "RFC 4475 3.1.1.13 Empty Reason Phrase", VALID,
        note="'SIP/2.0 100 ' with the SP the grammar requires: no whitespace defect"),
    # --- RFC 4475 section 3.1.2: invalid messages ---
    "resiprocate/badinv01.dat": _e(
        "RFC 4475 3.1.2.1 Extraneous Header Field Separators", INVALID,
        "sip.via.invalid", "sip.param.empty", "sip.header.empty_item", RTPMAP,
        note="Via ';;,;,,': empty params and list elements and a ';' hop; Contact ';;;;': empty params"),
    "resiprocate/clerr.dat": _e(
        "RFC 4475 3.1.2.2 Content Length Larger Than Message", INVALID, "sip.content_length.mismatch", RTPMAP,
        note="9999 announced, 154 present; the 154 are kept as the body"),
    "resiprocate/ncl.dat": _e(
        "RFC 4475 3.1.2.3 Negative Content-Length", INVALID, "sip.content_length.invalid", RTPMAP),
    "resiprocate/scalar02.dat": _e(
        "RFC 4475 3.1.2.4 Request Scalar Fields with Overlarge Values", INVALID,
        "sip.cseq.invalid", "sip.max_forwards.invalid", "sip.expires.invalid", "sip.header.folded",
        note="CSeq 2**65, Max-Forwards 300, Expires 10**100, Contact expires 280297596632815: nothing wraps"),
    "resiprocate/scalarlg.dat": _e(
        "RFC 4475 3.1.2.5 Response Scalar Fields with Overlarge Values", INVALID,
        "sip.cseq.invalid", "sip.retry_after.invalid", "sip.warning.invalid",
        note="CSeq > 2**64, 27-digit Retry-After, four-digit warn-code"),
    "resiprocate/quotbal.dat": _e(
        "RFC 4475 3.1.2.6 Unterminated Quoted String in Display Name", INVALID,
        "sip.quoted_string.unterminated", RTPMAP),
    "resiprocate/ltgtruri.dat": _e(
        "RFC 4475 3.1.2.7 <> Enclosing Request-URI", LIBERAL, "sip.uri.bracketed", RTPMAP,
        note="read as sip:user@example.com, as the RFC allows; the defect stays (the brackets must not be "
             "forwarded). The Via has no branch: not a defect (RFC 2543 peers)."),
    "resiprocate/lwsruri.dat": _e(
        "RFC 4475 3.1.2.8 Malformed SIP Request-URI (embedded LWS)", LIBERAL, "sip.uri.whitespace", RTPMAP,
        note="read as sip:user@example.com;lr; SIP/2.0 is still the version"),
    "resiprocate/lwsstart.dat": _e(
        "RFC 4475 3.1.2.9 Multiple SP Separating Request-Line Elements", LIBERAL, "sip.start_line.whitespace",
        RTPMAP),
    "resiprocate/trws.dat": _e(
        "RFC 4475 3.1.2.10 SP Characters at End of Request-Line", LIBERAL, "sip.start_line.whitespace",
        note="the version still compares equal to SIP/2.0"),
    "resiprocate/escruri.dat": _e(
        "RFC 4475 3.1.2.11 Escaped Headers in SIP Request-URI", LIBERAL, "sip.request_uri.headers", RTPMAP,
        note="the URI header Route=<sip:example.com> is read (and must never become a Route header)"),
    "resiprocate/baddate.dat": _e(
        "RFC 4475 3.1.2.12 Invalid Time Zone in Date Header Field", LIBERAL, "sip.date.invalid", RTPMAP,
        note="EST: a defect, but the moment is read (16:00 EST is 21:00 GMT), as the RFC lets receivers convert"),
    "resiprocate/regbadct.dat": _e(
        "RFC 4475 3.1.2.13 Failure to Enclose name-addr URI in <>", LIBERAL, "sip.name_addr.unbracketed_uri",
        note="the URI (with its escaped Route header) is still read"),
    "resiprocate/badaspec.dat": _e(
        "RFC 4475 3.1.2.14 Spaces within addr-spec", LIBERAL, "sip.uri.whitespace",
        note="'< sip:t.watson@example.org >' read without the spaces; the quoted From with a comma is fine"),
    "resiprocate/baddn.dat": _e(
        "RFC 4475 3.1.2.15 Non-token Characters in Display Name", INVALID,
        "sip.name_addr.display_name_invalid", "sip.headers.unterminated",
        note="From and To both (a message reports each id once); this copy, like the RFC's archive, has no "
             "empty line after the headers"),
    "resiprocate/badvers.dat": _e(
        "RFC 4475 3.1.2.16 Unknown Protocol Version", INVALID, "sip.version.unknown"),
    "resiprocate/mismatch01.dat": _e(
        "RFC 4475 3.1.2.17 Start Line and CSeq Method Mismatch", INVALID, "sip.cseq.method_mismatch"),
    "resiprocate/mismatch02.dat": _e(
        "RFC 4475 3.1.2.18 Unknown Method with CSeq Method Mismatch", INVALID, "sip.cseq.method_mismatch",
        RTPMAP, "sip.sdp.session_name_missing", "sip.sdp.time_missing",
        note="its SDP also lacks s= and t= (true defects of the RFC's body)"),
    "resiprocate/bigcode.dat": _e(
        "RFC 4475 3.1.2.19 Overlarge Response Code", INVALID, "sip.status.invalid",
        note="a readable status line with a ten-digit code: a message with a defect, the code kept unwrapped"),
    # --- RFC 4475 sections 3.2 to 3.4 ---
    "resiprocate/badbranch.dat": _e(
        "RFC 4475 3.2.1 Missing Transaction Identifier", APPLICATION, "sip.via.branch_empty",
        note="branch=z9hG4bK: the cookie with no transaction id (a warning: the message still parses)"),
    "resiprocate/insuf.dat": _e(
        "RFC 4475 3.3.1 Missing Required Header Fields", INVALID,
        "sip.call_id.missing", "sip.from.missing", "sip.to.missing", RTPMAP),
    "resiprocate/unkscm.dat": _e(
        "RFC 4475 3.3.2 Request-URI with Unknown Scheme", APPLICATION, note="kept opaque; an element answers 416"),
    "resiprocate/novelsc.dat": _e(
        "RFC 4475 3.3.3 Request-URI with Known but Atypical Scheme", APPLICATION, note="soap.beep, kept opaque"),
    "resiprocate/unksm2.dat": _e(
        "RFC 4475 3.3.4 Unknown URI Schemes in Header Fields", APPLICATION, note="isbn:, http:, name: URIs"),
    "resiprocate/bext01.dat": _e(
        "RFC 4475 3.3.5 Proxy-Require and Require", APPLICATION, note="unknown option tags: 420, not a defect"),
    "resiprocate/invut.dat": _e(
        "RFC 4475 3.3.6 Unknown Content-Type", APPLICATION, note="application/unknownformat: 415, not a defect"),
    "resiprocate/regaut01.dat": _e(
        "RFC 4475 3.3.7 Unknown Authorization Scheme", APPLICATION, note="NoOneKnowsThisScheme opaque-data=here"),
    "resiprocate/multi01.dat": _e(
        "RFC 4475 3.3.8 Multiple Values in Single Value Required Fields", INVALID, "sip.header.duplicate_single",
        RTPMAP, note="CSeq, Call-ID, To, From, Max-Forwards twice each; the first of each is used"),
    "resiprocate/mcl01.dat": _e(
        "RFC 4475 3.3.9 Multiple Content-Length Values", INVALID,
        "sip.header.duplicate_single", "sip.content_length.conflicting",
        note="13 and 5: equivalent to an invalid Content-Length, the body's extent is unknown"),
    "resiprocate/bcast.dat": _e(
        "RFC 4475 3.3.10 200 OK Response with Broadcast Via Header Field Value", APPLICATION, RTPMAP,
        note="255.255.255.255 is a well-formed sent-by; dropping it is the proxy's business"),
    "resiprocate/zeromf.dat": _e(
        "RFC 4475 3.3.11 Max-Forwards of Zero", APPLICATION, note="0 is legal: a proxy answers 483"),
    "resiprocate/cparam01.dat": _e(
        "RFC 4475 3.3.12 REGISTER with a Contact Header Parameter", VALID,
        note="addr-spec form: unknownparam is the Contact's parameter, not the URI's"),
    "resiprocate/cparam02.dat": _e(
        "RFC 4475 3.3.13 REGISTER with a url-parameter", VALID, note="name-addr form: unknownparam is the URI's"),
    "resiprocate/regescrt.dat": _e(
        "RFC 4475 3.3.14 REGISTER with a URL Escaped Header", VALID,
        note="<sip:user@example.com?Route=%3Csip:sip.example.com%3E>: legal in a Contact"),
    "resiprocate/sdp01.dat": _e(
        "RFC 4475 3.3.15 Unacceptable Accept Offering", APPLICATION, RTPMAP, note="Accept: text/nobodyKnowsThis"),
    "resiprocate/inv2543.dat": _e(
        "RFC 4475 3.4.1 INVITE with RFC 2543 Syntax", VALID,
        note="no branch, no From tag, no Max-Forwards, no Content-Length: all fine on a datagram"),
    # --- not described by an RFC ---
    "resiprocate/test.dat": _e(
        "RFC 4475 Appendix A archive, referenced by no section", EXTRA, malformed="start line cannot be read",
        note="'INVITE sip:alan@jasomi.com' has no SIP-Version: an unreadable start line, so Malformed"),
    "resiprocate/RSP-2_data1.msg": _e(
        "resiprocate test/RSP-2/data1.msg", EXTRA, "sip.uri.invalid", "sip.headers.bare_lf", "sip.call_id.missing",
        "sip.cseq.missing", "sip.from.missing", "sip.to.missing", "sip.via.missing",
        note="Request-URI bubba@caley has no scheme"),
    "resiprocate/RSP-2_data2.msg": _e(
        "resiprocate test/RSP-2/data2.msg", EXTRA, "sip.headers.bare_lf", "sip.call_id.missing"),
    "resiprocate/RSP-3_data1.msg": _e(
        "resiprocate test/RSP-3/data1.msg", EXTRA, malformed="no start line",
        note="begins with a To header"),
    "resiprocate/RSP-3_data2.msg": _e(
        "resiprocate test/RSP-3/data2.msg", EXTRA, "sip.headers.bare_lf", "sip.content_length.mismatch",
        note="Content-Length 6, body 5"),
    "resiprocate/RSP-3_data3.msg": _e(
        "resiprocate test/RSP-3/data3.msg", EXTRA, malformed="no start line", note="begins with a Via header"),
    # --- RFC 5118 ---
    "ersip/ipv6-good": _e("RFC 5118 4.1 Valid SIP Message with an IPv6 Reference", VALID),
    "ersip/ipv6-bad": _e(
        "RFC 5118 4.2 Invalid SIP Message with an IPv6 Reference", INVALID,
        "sip.uri.host_invalid", "sip.uri.port_invalid", note="sip:2001:db8::10 reads as host 2001, port db8::10"),
    "ersip/port-ambiguous": _e(
        "RFC 5118 4.3 Port Ambiguous in a SIP URI", VALID,
        note="[2001:db8::10:5070] is an address with no port: well formed, whatever the sender meant"),
    "ersip/port-unambiguous": _e("RFC 5118 4.4 Port Unambiguous in a SIP URI", VALID),
    "ersip/via-received-param-with-delim": _e(
        "RFC 5118 4.5 IPv6 Reference Delimiters in Via Header", VALID,
        note="received=[2001:db8::9:255]: RFC 5118 asks to accept the brackets"),
    "ersip/via-received-param-no-delim": _e("RFC 5118 4.5 IPv6 Reference Delimiters in Via Header", VALID),
    "ersip/ipv6-in-sdp": _e(
        "RFC 5118 4.6 SIP Request with IPv6 Addresses in SDP Body", VALID, "sip.datagram.trailing_bytes", RTPMAP,
        note="ersip's Content-Length (241) is 10 short of its CRLF body (251): the cut shows as trailing bytes "
             "and a clock rate cut off; artefacts of the copy, not of RFC 5118"),
    "ersip/mult-ip-in-header": _e("RFC 5118 4.7 Multiple IP Addresses in SIP Headers", VALID),
    "ersip/mult-ip-in-sdp": _e(
        "RFC 5118 4.8 Multiple IP Addresses in SDP", VALID, "sip.datagram.trailing_bytes",
        "sip.sdp.session_name_empty", RTPMAP,
        note="Content-Length 181, body 189 (the RFC counted LF line ends), and an empty s= line in the RFC itself"),
    "ersip/ipv4-mapped-ipv6": _e(
        "RFC 5118 4.9 IPv4-Mapped IPv6 Addresses", VALID, "sip.datagram.trailing_bytes", RTPMAP,
        note="Content-Length 236 counts LF line ends; the CRLF body is 245"),
    "ersip/ipv6-bug-abnf-3-colons": _e(
        "RFC 5118 4.10 IPv6 Reference Bug in RFC 3261 ABNF", VALID, "sip.uri.ipv6_three_colons",
        note="tolerated, as RFC 5118 asks, with an informational defect"),
    "ersip/ipv6-correct-abnf-2-colons": _e("RFC 5118 4.10 IPv6 Reference Bug in RFC 3261 ABNF", VALID),
    "ersip/baddn.dat": _e(
        "RFC 4475 3.1.2.15 Non-token Characters in Display Name (ersip's copy)", INVALID,
        "sip.name_addr.display_name_invalid", note="the resiprocate copy plus the final CRLF: headers terminated"),
}

def all_defects(parsed: SipMessage) -> list[str]:
    """Every defect of the message, the checks that wait until asked for included."""
    return parsed.check()


def _path(name: str):
    return MESSAGES / name


def load(name: str) -> bytes:
    path = _path(name)
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    return path.read_bytes()


def message(name: str) -> SipMessage:
    parsed = parse_message(load(name))
    assert isinstance(parsed, SipMessage), parsed
    return parsed


def _params():
    for name, expect in TABLE.items():
        yield pytest.param(name, expect, id=name)


def test_the_table_has_every_file_and_only_those():
    if not MESSAGES.is_dir():
        pytest.skip("../shared/corpus is not present")
    files = {f"{folder}/{path.name}" for folder in ("resiprocate", "ersip")
             for path in (MESSAGES / folder).iterdir() if path.is_file()}
    assert files == set(TABLE)
    assert len(TABLE) == 68


def test_expected_ids_are_registered():
    expected = set().union(*(expect.defects for expect in TABLE.values()))
    assert expected <= set(DEFECTS)


@pytest.mark.parametrize(("name", "expect"), list(_params()))
def test_defects(name, expect):
    parsed = parse_message(load(name))
    if expect.malformed is not None:
        assert isinstance(parsed, Malformed), parsed
        assert expect.malformed in parsed.reason
        return
    assert isinstance(parsed, SipMessage), parsed
    defects = all_defects(parsed)
    assert set(defects) == expect.defects
    assert len(defects) == len(set(defects))


@pytest.mark.parametrize("name", [name for name, expect in TABLE.items() if expect.verdict in (VALID, APPLICATION)])
def test_valid_messages_have_no_error(name):
    expect = TABLE[name]
    assert not [defect for defect in expect.defects if DEFECTS[defect][0] == ERROR]
    parsed = parse_message(load(name))
    errors = [defect for defect in all_defects(parsed) if DEFECTS.get(defect, (ERROR,))[0] == ERROR]
    assert errors == []


@pytest.mark.parametrize("name", sorted(TABLE))
def test_stream_mode_and_every_header_parse_without_raising(name):
    data = load(name)
    for parsed in (parse_message(data), parse_message(data, stream=True)):
        if isinstance(parsed, SipMessage):
            all_defects(parsed)
            for header in parsed.headers:
                parsed.values(header.name)
            if parsed.request_uri is not None:
                parsed.request_uri.as_dict()
            if parsed.body_part is not None:
                parsed.body_part.all_defects()
        else:
            assert parsed is NOT_SIP or isinstance(parsed, Malformed)


# --- per-file checks of the values each message is about ------------------------------------------------------

CHECKS: dict[str, Callable[[SipMessage], None]] = {}


def check(name: str):
    def register(function):
        CHECKS[name] = function
        return function

    return register


def vias(m: SipMessage) -> list[tuple]:
    return [(v.protocol, v.transport, v.host, v.port, v.branch) for v in m.values("Via")]


@check("resiprocate/wsinv.dat")
def _(m):
    uri = m.request_uri
    assert (m.method, uri.scheme, uri.user, uri.host, uri.port) == ("INVITE", "sip", "vivekg",
                                                                      "chair-dnrc.example.com", None)
    assert dict(uri.params) == {"unknownparam": None}
    to = m.value("To")
    assert to.display_name is None and to.uri.raw == "sip:vivekg@chair-dnrc.example.com"
    assert dict(to.params) == {"tag": "1918181833n"} and not to.uri.params
    sender = m.value("From")
    assert sender.display_name == 'J Rosenberg \\"' and len(sender.display_name) == 14
    assert sender.uri.raw == "sip:jdrosen@example.com" and sender.tag == "98asjd8"
    assert m.value("Max-Forwards").value == 68
    assert (m.cseq_number, m.cseq_method) == (9, "INVITE")
    assert m.value("CSeq").number == 9
    assert vias(m) == [
        ("SIP/2.0", "UDP", "192.0.2.2", None, "390skdjuw"),
        ("SIP/2.0", "TCP", "spindle.example.com", None, "z9hG4bK9ikj8"),
        ("SIP/2.0", "UDP", "192.168.255.111", None, "z9hG4bK30239"),
    ]
    assert m.header("Subject") == "" and m.headers[[h.key for h in m.headers].index("subject")].raw_name == "s"
    assert m.header("NewFangledHeader") == "newfangled value continued newfangled value"
    assert m.header_values("UnknownHeaderWithUnusualValue") == [";;,,;;,;"]
    assert [v.raw for v in m.values("UnknownHeaderWithUnusualValue")] == [";;,,;;,;"]  # one opaque value
    route = m.values("Route")
    assert len(route) == 1 and route[0].uri.host == "services.example.com"
    assert dict(route[0].uri.params) == {"lr": None, "unknownwith": "value", "unknown-no-value": None}
    contact = m.value("Contact")
    assert contact.display_name == 'Quoted string ""' and contact.uri.raw == "sip:jdrosen@example.com"
    assert dict(contact.params) == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert contact.q == 0.33
    assert m.value("Content-Type").media_type == "application/sdp"
    assert m.content_length == 150 and len(m.body) == 150
    assert m.body_part.sdp.connection.address == "192.0.2.4"
    assert [h.raw_name for h in m.headers][:3] == ["TO", "from", "MaX-fOrWaRdS"]


@check("resiprocate/intmeth.dat")
def _(m):
    method = "!interesting-Method0123456789_*+`.%indeed'~"
    assert m.method == method and (m.cseq_number, m.cseq_method) == (139122385, method)
    uri = m.request_uri
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert (uri.host, uri.port, dict(uri.params), uri.headers) == ("example.com", None, {}, {})
    assert m.branch == "z9hG4bK-.!%66*_+`'~"  # %66 is not an escape outside a URI
    to = m.value("To")
    assert to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert to.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*" and to.uri.password is None
    assert to.tag is None
    sender = m.value("From")
    assert sender.display_name == "token1~` token2'+_ token3*%!.-"
    assert sender.uri.raw == "sip:mundane@example.com"
    assert sender.params.names == ["fromParam''~+*_!.-%", "tag"]
    assert sender.params["fromparam''~+*_!.-%"] == "работающий"
    assert sender.tag == "_token~1'+`*%!-."
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert m.value("Max-Forwards").value == 255
    assert m.header("extensionHeader-!.%*+_`'~") == "\ufeff大停電"
    assert m.content_length == 0


@check("resiprocate/esc01.dat")
def _(m):
    uri = m.request_uri
    assert uri.user == "sips:user@example.com" and uri.host == "example.net" and not uri.params
    assert m.value("To").uri.user == "user" and m.value("To").uri.host == "example.com"
    sender = m.value("From")
    assert sender.uri.user == "I have spaces" and sender.tag == "938"
    contact = m.value("Contact")
    assert (contact.uri.user, contact.uri.host) == ("caller", "host5.example.net")
    assert dict(contact.uri.params) == {"lr": None, "name": "value%41"}  # unescaped once, never twice
    assert not contact.params
    assert m.call_id == "esc01.239409asdfakjkn23onasd0-3234"
    assert m.headers[[h.key for h in m.headers].index("content-type")].raw_name == "C"
    assert m.value("Content-Type").media_type == "application/sdp"


@check("resiprocate/escnull.dat")
def _(m):
    assert m.value("To").uri.user == "null-\x00-null" and len(m.value("To").uri.user) == 11
    assert m.value("From").uri.user == "null-\x00-null" and m.from_tag == "839923423"
    users = [contact.uri.user for contact in m.values("Contact")]
    assert users == ["\x00", "\x00\x00"]  # two different bindings
    assert m.content_length == 0 and m.headers[-1].raw_name == "L"


@check("resiprocate/esc02.dat")
def _(m):
    assert m.method == "RE%47IST%45R" and m.cseq_method == "RE%47IST%45R"
    assert m.value("To").display_name == "%Z%45" and m.value("From").display_name == "%Z%45"
    assert m.branch == "z9hG4bK209%fzsnel234"
    assert [c.uri.raw for c in m.values("Contact")] == ["sip:alias1@host1.example.com", "sip:alias3@host3.example.com"]
    assert m.header("C%6Fntact") == "<sip:alias2@host2.example.com>"


@check("resiprocate/lwsdisp.dat")
def _(m):
    sender = m.value("From")
    assert (sender.display_name, sender.uri.raw, sender.tag) == ("caller", "sip:caller@example.com", "323")


@check("resiprocate/longreq.dat")
def _(m):
    to = m.value("To")
    assert to.display_name == "I have a user name of " + "extreme" * 10 + " proportion"
    assert len(to.display_name) == 103
    assert to.uri.port == 6000 and to.tag is None
    assert to.uri.params.names == ["unknownparam1", "longparam" + "name" * 25, "very" + "long" * 25
                                   + "ParameterNameWithNoValue"]
    assert to.uri.params["unknownparam1"] == "very" + "long" * 20 + "value"
    assert to.uri.params["longparam" + "name" * 25] == "shortvalue"
    assert [len(name) for name in to.uri.params.names] == [13, 109, 128]
    sender = m.value("From")
    assert sender.uri.user == "amazinglylongcallername" * 5 and len(sender.uri.user) == 115
    assert sender.tag == "12" + "982" * 50 + "424" and len(sender.tag) == 155
    long_name = "unknownheaderparam" + "name" * 20
    assert sender.params[long_name.lower()] == "unknowheaderparam" + "value" * 15
    assert len(long_name) == 98 and len(sender.params[long_name.lower()]) == 92
    assert sender.params.names[2] == "unknownValueless" + "paramname" * 10 and len(sender.params.names[2]) == 106
    assert not sender.uri.params  # addr-spec form: every parameter is the header's
    assert m.call_id == "longreq.one" + "really" * 20 + "longcallid" and len(m.call_id) == 141
    unknown = "Unknown-" + "Long" * 20 + "-Name"
    assert len(unknown) == 93 and len(m.header(unknown)) == 306
    hops = m.values("Via")
    assert len(hops) == 34
    assert [hop.host for hop in hops[:33]] == [f"sip{n}.example.com" for n in range(33, 0, -1)]
    assert all(hop.transport == "TCP" and not hop.params for hop in hops[:33])
    last = hops[33]
    assert last.host == "host.example.com" and last.received == "192.0.2.5"
    assert last.branch == "very" + "long" * 50 + "branchvalue" and len(last.branch) == 215
    assert [h.raw_name for h in m.headers if h.key == "via"][:17] == [
        "Via", "v", "V", "Via", "ViA", "VIa", "VIA", "via", "viA", "vIa", "vIA", "V", "v", "V", "v", "Via", "Via"]
    assert m.value("Contact").uri.user == "amazinglylongcallername" * 5
    assert m.content_length == 150


@check("resiprocate/dblreq.dat")
def _(m):
    assert m.method == "REGISTER" and m.body == b"" and m.content_length == 0
    assert m.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    assert len(m.raw) - m.body_end == 450 and m.raw[m.body_end :].startswith(b"\r\nINVITE sip:joe@example.com")
    assert m.value("Contact").uri.raw == "sip:j.user@host.example.com"


@check("resiprocate/semiuri.dat")
def _(m):
    uri = m.request_uri
    assert uri.user == "user;par=u@example.net" and uri.host == "example.com"
    assert not uri.params and not uri.headers
    assert [a.media_type for a in m.values("Accept")] == [
        "application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed", "message/sip",
        "message/sipfrag"]


@check("resiprocate/transports.dat")
def _(m):
    assert [(v.transport, v.host, v.branch) for v in m.values("Via")] == [
        ("UDP", "t1.example.com", "z9hG4bKkdjuw"), ("SCTP", "t2.example.com", "z9hG4bKklasjdhf"),
        ("TLS", "t3.example.com", "z9hG4bK2980unddj"), ("UNKNOWN", "t4.example.com", "z9hG4bKasd0f3en"),
        ("TCP", "t5.example.com", "z9hG4bK0a9idfnee")]
    assert all(v.protocol == "SIP/2.0" and v.port is None for v in m.values("Via"))
    assert m.call_id == "transports.kijh4akdnaqjkwendsasfdj"


@check("resiprocate/mpart01.dat")
def _(m):
    via = m.value("Via")
    assert (via.host, via.port, via.branch) == ("127.0.0.1", 5070, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-")
    assert "rport" in via.params and via.rport is None
    assert (m.value("Route").uri.host, m.value("Route").uri.port) == ("127.0.0.1", 5080)
    assert m.value("Date").datetime.isoformat() == "2005-10-15T04:44:56+00:00"
    assert m.content_length == 553 and len(m.body) == 553
    body = m.body_part
    assert body.media_type == "multipart/mixed" and body.content_type.params["boundary"] == "7a9cbec02ceef655"
    text, binary = body.parts
    assert (text.media_type, text.data) == ("text/plain", b"Hello")
    assert binary.media_type == "application/octet-stream" and len(binary.data) == 342
    assert binary.data.count(b"\x00") == 2 and binary.data[:4] == b"\x30\x82\x01\x52"
    assert body.all_defects() == []


@check("resiprocate/unreason.dat")
def _(m):
    assert m.status == 200
    assert m.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    assert len(m.reason.encode()) == 74 and len(m.reason) == 47


@check("resiprocate/noreason.dat")
def _(m):
    assert (m.status, m.reason, m.version) == (100, "", "SIP/2.0")
    assert m.to_tag == "902jndnke3"


@check("resiprocate/badinv01.dat")
def _(m):
    first, second = m.values("Via")
    assert (first.transport, first.host, first.branch) == ("UDP", "192.0.2.15", None)
    assert "sip.param.empty" in first.defects and "sip.header.empty_item" in first.defects
    assert "sip.via.invalid" in second.defects  # the ";" between the commas
    contact = m.value("Contact")
    assert (contact.display_name, contact.uri.raw, dict(contact.params)) == ("Joe", "sip:joe@example.org", {})
    assert contact.defects == ["sip.param.empty"]


@check("resiprocate/clerr.dat")
def _(m):
    assert m.content_length == 9999 and len(m.body) == 154


@check("resiprocate/ncl.dat")
def _(m):
    assert m.content_length is None and m.value("Content-Length").value is None
    assert len(m.body) == 152  # -999 is never used as a length


@check("resiprocate/scalar02.dat")
def _(m):
    assert m.cseq_number is None and m.value("CSeq").number is None
    assert m.value("CSeq").defects == ["sip.cseq.invalid"]
    assert m.value("Max-Forwards").value is None
    assert m.value("Expires").value is None
    contact = m.value("Contact")
    assert contact.params["expires"] == "280297596632815" and contact.expires is None
    assert contact.defects == ["sip.expires.invalid"]


@check("resiprocate/scalarlg.dat")
def _(m):
    assert m.status == 503 and m.cseq_number is None
    assert m.value("Retry-After").seconds is None and m.value("Warning").code is None
    assert m.value("Via").received == "192.0.2.129"


@check("resiprocate/quotbal.dat")
def _(m):
    assert m.value("To").defects == ["sip.quoted_string.unterminated"]
    assert m.value("Via").port == 5050 and m.content_length == 152


@check("resiprocate/ltgtruri.dat")
def _(m):
    assert m.uri == "<sip:user@example.com>"  # as written: a proxy must not forward it so
    uri = m.request_uri
    assert (uri.scheme, uri.user, uri.host) == ("sip", "user", "example.com")
    assert uri.defects == ["sip.uri.bracketed"]
    assert m.value("Via").branch is None


@check("resiprocate/lwsruri.dat")
def _(m):
    assert m.version == "SIP/2.0" and m.uri == "sip:user@example.com; lr"
    uri = m.request_uri
    assert (uri.user, uri.host, dict(uri.params)) == ("user", "example.com", {"lr": None})
    assert uri.defects == ["sip.uri.whitespace"]
    assert m.cseq_number == 2130706432


@check("resiprocate/lwsstart.dat")
def _(m):
    assert (m.method, m.uri, m.version) == ("INVITE", "sip:user@example.com", "SIP/2.0")


@check("resiprocate/trws.dat")
def _(m):
    assert (m.method, m.uri, m.version) == ("OPTIONS", "sip:remote-target@example.com", "SIP/2.0")
    assert m.value("Via").host == "host1.examle.com"  # sic, in the RFC


@check("resiprocate/escruri.dat")
def _(m):
    uri = m.request_uri
    assert (uri.user, uri.host) == ("user", "example.com") and uri.headers == {"Route": "<sip:example.com>"}
    assert m.header("Route") is None


@check("resiprocate/baddate.dat")
def _(m):
    date = m.value("Date")
    assert date.defects == ["sip.date.invalid"]
    assert date.datetime.isoformat() == "2010-01-01T21:00:00+00:00"


@check("resiprocate/regbadct.dat")
def _(m):
    contact = m.value("Contact")
    assert contact.uri.raw == "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"} and contact.uri.host == "example.com"


@check("resiprocate/badaspec.dat")
def _(m):
    to = m.value("To")
    assert (to.display_name, to.uri.raw) == ("Watson, Thomas", "sip:t.watson@example.org")
    assert to.defects == ["sip.uri.whitespace"]
    sender = m.value("From")
    assert (sender.display_name, sender.tag, sender.defects) == ("Bell, Alexander", "433423", [])


def _baddn(m):
    sender, to = m.value("From"), m.value("To")
    assert (sender.display_name, sender.uri.raw, sender.tag) == ("Bell, Alexander", "sip:a.g.bell@example.com", "43")
    assert (to.display_name, to.uri.raw) == ("Watson, Thomas", "sip:t.watson@example.org")
    assert sender.defects == to.defects == ["sip.name_addr.display_name_invalid"]
    assert m.cseq_number == 3923239 and m.value("Max-Forwards").value == 70


check("resiprocate/baddn.dat")(_baddn)
check("ersip/baddn.dat")(_baddn)


@check("resiprocate/badvers.dat")
def _(m):
    assert m.version == "SIP/7.0"
    via = m.value("Via")
    assert (via.protocol, via.transport, via.host, via.branch) == ("SIP/7.0", "UDP", "c.example.com", "z9hG4bKkdjuw")
    assert (m.value("From").display_name, m.value("To").display_name) == ("A. Bell", "T. Watson")


@check("resiprocate/mismatch01.dat")
def _(m):
    assert (m.method, m.cseq_method) == ("OPTIONS", "INVITE")


@check("resiprocate/mismatch02.dat")
def _(m):
    assert (m.method, m.cseq_method, m.content_length) == ("NEWMETHOD", "INVITE", 138)


@check("resiprocate/bigcode.dat")
def _(m):
    assert m.status == 4294967301  # not 5: nothing wraps at 32 bits
    assert m.reason == "better not break the receiver" and m.cseq_number == 353494


@check("resiprocate/badbranch.dat")
def _(m):
    via = m.value("Via")
    assert via.branch == "z9hG4bK" and via.defects == ["sip.via.branch_empty"]


@check("resiprocate/insuf.dat")
def _(m):
    assert m.call_id is None and m.header("From") is None and m.header("To") is None
    assert m.header("Max-Forwards") is None
    assert (m.cseq_number, m.branch, m.content_length) == (193942, "z9hG4bKkdj.insuf", 152)


@check("resiprocate/unkscm.dat")
def _(m):
    uri = m.request_uri
    assert (uri.scheme, uri.opaque, uri.defects) == ("nobodyknowsthisscheme", "totallyopaquecontent", [])
    assert uri.raw == "nobodyKnowsThisScheme:totallyopaquecontent" and uri.host is None


@check("resiprocate/novelsc.dat")
def _(m):
    uri = m.request_uri
    assert (uri.scheme, uri.opaque, uri.defects) == ("soap.beep", "//192.0.2.103:3002", [])


@check("resiprocate/unksm2.dat")
def _(m):
    to, sender, contact = m.value("To"), m.value("From"), m.value("Contact")
    assert (to.uri.scheme, to.uri.opaque) == ("isbn", "2983792873")
    assert (sender.uri.scheme, sender.uri.opaque, sender.tag) == ("http", "//www.example.com", "3234233")
    assert (contact.uri.scheme, contact.uri.opaque) == ("name", "John_Smith")
    assert to.defects == sender.defects == contact.defects == []
    assert m.value("Via").port == 5060


@check("resiprocate/bext01.dat")
def _(m):
    assert [t.value for t in m.values("Require")] == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert [t.value for t in m.values("Proxy-Require")] == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]
    assert m.value("Via").transport == "TLS"


@check("resiprocate/invut.dat")
def _(m):
    assert m.value("Content-Type").media_type == "application/unknownformat"
    assert m.body == b'<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n' and m.body_part.sdp is None


@check("resiprocate/regaut01.dat")
def _(m):
    auth = m.value("Authorization")
    assert (auth.scheme, dict(auth.params), auth.defects) == ("NoOneKnowsThisScheme", {"opaque-data": "here"}, [])
    assert m.content_length == 0


@check("resiprocate/multi01.dat")
def _(m):
    assert (m.call_id, m.cseq_number) == ("multi01.98asdh@192.0.2.1", 5)
    assert m.from_tag == "3413415" and m.value("To").uri.user == "user"
    for name in ("CSeq", "Call-ID", "To", "From", "Max-Forwards", "Contact"):
        assert len(m.values(name)) == 2
    assert [v.value for v in m.values("Max-Forwards")] == [70, 5]


@check("resiprocate/mcl01.dat")
def _(m):
    assert [v.value for v in m.values("Content-Length")] == [13, 5]


@check("resiprocate/bcast.dat")
def _(m):
    assert [(v.host, v.branch) for v in m.values("Via")] == [
        ("192.0.2.198", "z9hG4bK1324923"), ("255.255.255.255", "z9hG4bK1saber23")]
    assert all(not v.defects for v in m.values("Via"))


@check("resiprocate/zeromf.dat")
def _(m):
    assert m.value("Max-Forwards").value == 0 and m.value("Max-Forwards").defects == []


@check("resiprocate/cparam01.dat")
def _(m):
    contact = m.value("Contact")
    assert contact.uri.raw == "sip:+19725552222@gw1.example.net" and contact.uri.user == "+19725552222"
    assert not contact.uri.params and dict(contact.params) == {"unknownparam": None}


@check("resiprocate/cparam02.dat")
def _(m):
    contact = m.value("Contact")
    assert dict(contact.uri.params) == {"unknownparam": None} and not contact.params


@check("resiprocate/regescrt.dat")
def _(m):
    contact = m.value("Contact")
    assert m.headers[[h.key for h in m.headers].index("contact")].raw_name == "M"
    assert (contact.uri.user, contact.uri.host) == ("user", "example.com")
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"} and contact.defects == []
    assert m.content_length == 0


@check("resiprocate/sdp01.dat")
def _(m):
    accept = m.values("Accept")
    assert len(accept) == 1 and (accept[0].type, accept[0].subtype) == ("text", "nobodyKnowsThis")
    assert m.body_part.sdp is not None


@check("resiprocate/inv2543.dat")
def _(m):
    assert m.branch is None and m.from_tag is None and m.header("Max-Forwards") is None
    assert m.content_length is None and len(m.body) == 105 and m.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n")
    to = m.value("To")
    assert to.uri.raw == "sip:+16505552222@ss1.example.net" and dict(to.params) == {"user": "phone"}
    assert dict(m.value("From").uri.params) == {"user": "phone"}
    assert m.value("Record-Route").uri.params["maddr"] == "ss1.example.com"


@check("resiprocate/RSP-2_data1.msg")
def _(m):
    assert (m.method, m.uri) == ("MESSAGE", "bubba@caley")
    assert m.request_uri.scheme == "" and m.request_uri.defects == ["sip.uri.invalid"]


@check("resiprocate/RSP-2_data2.msg")
def _(m):
    via = m.value("Via")
    assert (via.host, via.port, via.branch, "rport" in via.params) == ("localhost", 1234, "my-silly-branch", True)
    assert m.body == b"Hiya\n" and m.from_tag is None


@check("resiprocate/RSP-3_data2.msg")
def _(m):
    assert m.call_id == "bob-and-his-silly-call-random-hex-badc0de-0af123876badef82"
    assert m.content_length == 6 and m.body == b"Hiya\n" and m.branch is None


def _ipv6(host: str) -> str:
    assert host[0] == "[" and host[-1] == "]", host
    return str(ipaddress.IPv6Address(host[1:-1]))


@check("ersip/ipv6-good")
def _(m):
    assert (m.request_uri.host, m.request_uri.host_address, m.request_uri.port) == ("[2001:db8::10]", "2001:db8::10",
                                                                                    None)
    via = m.value("Via")
    assert (via.host, via.host_address, via.port, via.branch) == ("[2001:db8::9:1]", "2001:db8::9:1", None,
                                                                  "z9hG4bKas3-111")
    contact = m.value("Contact")
    assert (contact.display_name, contact.uri.user, contact.uri.host) == ("Caller", "caller", "[2001:db8::1]")


@check("ersip/ipv6-bad")
def _(m):
    assert m.uri == "sip:2001:db8::10" and m.request_uri.host == "2001" and m.request_uri.port is None


@check("ersip/port-ambiguous")
def _(m):
    uri = m.request_uri
    assert (uri.host, uri.port) == ("[2001:db8::10:5070]", None)
    assert _ipv6(uri.host) == "2001:db8::10:5070"


@check("ersip/port-unambiguous")
def _(m):
    assert (m.request_uri.host, m.request_uri.port) == ("[2001:db8::10]", 5070)


@check("ersip/via-received-param-with-delim")
def _(m):
    via = m.value("Via")
    assert via.params["received"] == "[2001:db8::9:255]" and via.received == "2001:db8::9:255"
    assert (via.host, via.branch, via.defects) == ("[2001:db8::9:1]", "z9hG4bKas3-111", [])
    assert m.to_tag == "bd76ya" and m.method == "BYE"


@check("ersip/via-received-param-no-delim")
def _(m):
    via = m.value("Via")
    assert (via.received, via.branch, via.defects) == ("2001:db8::9:255", "z9hG4bKas3", [])


@check("ersip/ipv6-in-sdp")
def _(m):
    assert m.request_uri.host == "[2001:db8::10]" and m.value("Via").host == "[2001:db8::20]"
    assert m.content_length == 241 and len(m.raw) - m.body_end == 10
    sdp = m.body_part.sdp
    assert (sdp.origin.addrtype, sdp.origin.address) == ("IP6", "2001:db8::20")
    assert (sdp.connection.addrtype, sdp.connection.address) == ("IP6", "2001:db8::20")
    assert [(media.media, media.port, media.connection.address) for media in sdp.media] == [
        ("audio", 6000, "2001:db8::20"), ("video", 6024, "2001:db8::20")]


@check("ersip/mult-ip-in-header")
def _(m):
    assert vias(m) == [
        ("SIP/2.0", "UDP", "[2001:db8::9:1]", 6050, "z9hG4bKas3-111"),
        ("SIP/2.0", "UDP", "192.0.2.1", None, "z9hG4bKjhja8781hjuaij65144"),
        ("SIP/2.0", "TCP", "[2001:db8::9:255]", None, "z9hG4bK451jj"),
    ]
    assert m.values("Via")[2].received == "192.0.2.200"


@check("ersip/mult-ip-in-sdp")
def _(m):
    sdp = m.body_part.sdp
    assert (sdp.origin.addrtype, sdp.origin.address, sdp.connection) == ("IP4", "host.example.com", None)
    assert [(media.media, media.connection.addrtype, media.connection.address) for media in sdp.media] == [
        ("audio", "IP4", "192.0.2.1"), ("video", "IP6", "2001:db8::1")]
    assert sdp.session_name == ""


@check("ersip/ipv4-mapped-ipv6")
def _(m):
    first, second = m.values("Via")
    assert (first.host, first.port, _ipv6(first.host)) == ("[::ffff:192.0.2.10]", 19823, "::ffff:c000:20a")
    assert (second.host, second.port, _ipv6(second.host)) == ("[::ffff:192.0.2.2]", None, "::ffff:c000:202")
    contact = m.value("Contact")
    assert (contact.display_name, contact.uri.user, contact.uri.host) == ("T. desk phone", "ted",
                                                                         "[::ffff:192.0.2.2]")
    sdp = m.body_part.sdp
    assert (sdp.origin.addrtype, sdp.origin.address) == ("IP6", "::ffff:192.0.2.2")
    assert (sdp.connection.addrtype, sdp.connection.address) == ("IP6", "::ffff:192.0.2.2")


@check("ersip/ipv6-bug-abnf-3-colons")
def _(m):
    for uri in (m.request_uri, m.value("To").uri):
        assert uri.host == "[2001:db8:::192.0.2.1]" and uri.defects == ["sip.uri.ipv6_three_colons"]
    # Read as the address with two colons (RFC 5118 section 4.10).
    assert str(ipaddress.IPv6Address("2001:db8:::192.0.2.1".replace(":::", "::"))) == "2001:db8::c000:201"


@check("ersip/ipv6-correct-abnf-2-colons")
def _(m):
    assert _ipv6(m.request_uri.host) == _ipv6(m.value("To").uri.host) == "2001:db8::c000:201"


def test_every_check_names_a_file_of_the_table():
    assert set(CHECKS) <= set(TABLE)
    # Every message of the table that parses has a check, except the few whose point is only their defects.
    unchecked = {name for name, expect in TABLE.items() if expect.malformed is None} - set(CHECKS)
    assert unchecked == set()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_values(name):
    CHECKS[name](message(name))


# --- value parsers against every header of the corpus ---------------------------------------------------------


def test_every_structured_header_of_the_torture_files_parses():
    """Each structured header line of the files gives values whose defects are registered ids."""
    if not MESSAGES.is_dir():
        pytest.skip("../shared/corpus is not present")
    for name in TABLE:
        parsed = parse_message(load(name))
        if not isinstance(parsed, SipMessage):
            continue
        for header in parsed.headers:
            if header.key in PARSERS or header.key in AUTH_HEADERS:
                for value in parse_values(header.key, header.value):
                    assert set(value.defects) <= set(DEFECTS), (name, header)


def test_message_defects_include_what_the_value_parsers_find():
    """Across the whole corpus (torture files as datagrams, every file also framed as a stream), each defect the
    value parsers find in a header is among the message's defects: the fast checks of the message parser
    (validate.py) never let through what the full parsers reject."""
    if not MESSAGES.is_dir():
        pytest.skip("../shared/corpus is not present")
    gaps = set()
    for path in sorted(p for p in MESSAGES.rglob("*") if p.is_file()):
        data = path.read_bytes()
        messages = [parse_message(data)]
        if path.parent.name == "sip2json":
            messages += frame(data)[0]
        for parsed in messages:
            if not isinstance(parsed, SipMessage):
                continue
            for header in parsed.headers:
                for value in parse_values(header.key, header.value):
                    for defect in set(value.defects) - set(all_defects(parsed)):
                        gaps.add((header.key, header.value, defect))
    assert gaps == set()


# --- sip2json: LF line ends, log noise, truncations, several messages per file ----------------------------------

SIP2JSON = MESSAGES / "sip2json"


def sip2json(name: str) -> bytes:
    path = SIP2JSON / name
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    return path.read_bytes()


def frame(data: bytes) -> tuple[list[SipMessage], list[Skipped]]:
    """The messages a stream of these bytes holds, and what was skipped."""
    framer = StreamFramer()
    framer.feed(data)
    events = []
    while (event := framer.next_event()) is not NEED_DATA:
        events.append(event)
    closed = framer.close()
    if closed is not None:
        events.append(closed)
    assert events[0].start == 0 and events[-1].end == len(data)
    assert all(a.end == b.start for a, b in itertools.pairwise(events))  # every byte accounted for, once
    messages = [parse_message(event.data, stream=True) for event in events if isinstance(event, Framed)]
    return messages, [event for event in events if isinstance(event, Skipped)]


def _sip2json_files():
    return sorted(path.name for path in SIP2JSON.iterdir()) if SIP2JSON.is_dir() else []


@pytest.mark.parametrize("name", _sip2json_files())
def test_sip2json_is_read_as_far_as_it_goes(name):
    data = sip2json(name)
    whole = parse_message(data)
    assert whole is NOT_SIP or isinstance(whole, (Malformed, SipMessage))
    if isinstance(whole, SipMessage):
        all_defects(whole)
        for header in whole.headers:
            whole.values(header.name)
    messages, _ = frame(data)
    for parsed in messages:
        assert isinstance(parsed, (SipMessage, Malformed)) or parsed is NOT_SIP
        if isinstance(parsed, SipMessage):
            assert "sip.headers.bare_lf" in all_defects(parsed)  # every file has LF line ends
            for header in parsed.headers:
                parsed.values(header.name)
            if parsed.body_part is not None:
                parsed.body_part.all_defects()


def test_sip2json_multiline_contact_register():
    messages, skipped = frame(sip2json("OK_REGISTER_Multiline_ContactHeader_1.sip"))
    assert [(s.reason, s.end - s.start) for s in skipped] == [("not sip", 228)]  # the log banner
    assert [m.start_line for m in messages] == ["SIP/2.0 200 OK"] * 3
    first = messages[0]
    assert (first.call_id, first.cseq_number, first.cseq_method) == ("callid002000000000000000000", 1, "REGISTER")
    contacts = first.values("Contact")
    assert [(c.uri.raw, c.expires) for c in contacts] == [("sip:user.jc@example.com", 1593725109)] * 2 + [
        ("sip:user.jc@example.com", 1593725269)]
    assert [c.params["tag"] for c in contacts] == [
        "sp2(263988)_IL-PS-CONGO-02.example.net", "sp2(26392)_IL-PS-CONGO-01.example.net",
        "callid002000000000000000000__sp3[USCHEQ-ASRTA01.example.net]"]
    assert "sip.param.invalid" in contacts[0].defects  # "(" is not a token character
    assert "sip.header.folded" in all_defects(first)
    auth = first.value("Authorization")
    assert auth.scheme == "X-Signed" and auth.params["confwiz"] == "my string" and auth.defects == []
    # The second message's Via sent-by is "user.jc@example.com@example.com:0"; its Basic credentials a token68.
    assert messages[1].value("Via").defects == ["sip.via.host_invalid"]
    assert messages[1].value("Authorization").params == {"token68": "HelloSailor"}
    # The third ends its Contact list with a comma and an empty folded line.
    assert "sip.header.empty_item" in messages[2].value("Contact").defects


def test_sip2json_single_messages():
    (register,), skipped = frame(sip2json("REGISTER_1.sip"))
    assert skipped == [] and register.method == "REGISTER"
    assert register.call_id == "00000001-0000-4000-8000-000000000000"
    contact = register.value("Contact")
    assert (contact.uri.raw, contact.expires, contact.params["tag"]) == (
        "sip:subscribe_to_call_events@example.com", 300, "8176__PMD4-US")
    (unauthorized,), _ = frame(sip2json("REGISTER_401_Unauthorized.sip"))
    assert (unauthorized.status, unauthorized.reason) == (401, "Unauthorized")
    (trying,), _ = frame(sip2json("Trying_INVITE_1.sip"))
    assert (trying.status, trying.cseq_number, trying.cseq_method) == (100, 3, "INVITE")
    assert trying.header("Subject") == "Gaaa Caaaaaa'a Maaaaaa Raaa"


def test_sip2json_via_received_with_ports_is_a_defect():
    # "received=127.0.0.1:48114:442357920" is no IP address (RFC 3261 section 20.42).
    (notify,), _ = frame(sip2json("Test_check_Via.sip"))
    hops = notify.values("Via")
    assert [hop.params.get("received") for hop in hops] == [
        "127.0.0.1:48114:442357920", "127.0.0.1:32900:215271", "127.0.0.1:32900:21527168"]
    assert all("sip.via.received_invalid" in hop.defects for hop in hops)
    assert hops[1].branch == "something@somewhere.host"


def test_sip2json_truncated_notify_is_an_incomplete_stream_and_a_short_datagram():
    data = sip2json("NOTIFY_CallEnd.sip")
    messages, skipped = frame(data)
    assert messages == [] and [s.reason for s in skipped] == ["incomplete message at the end of the stream"]
    whole = parse_message(data)
    assert (whole.method, whole.call_id, whole.cseq_number) == ("NOTIFY", "callid0020000000000000000000", 49)
    assert whole.content_length == 1287 and "sip.content_length.mismatch" in all_defects(whole)
    assert whole.value("To").display_name == "matthew.gabbard"
    assert whole.body_part.sdp.origin.username == "user.mg@example.com"


def test_sip2json_mixed_stream():
    messages, skipped = frame(sip2json("Mixed_Stream_1.sip"))
    assert len(messages) == 14 and all(isinstance(m, SipMessage) for m in messages)
    assert {m.call_id for m in messages} >= {"callid002000000000000000000"}
    assert any(m.method == "NOTIFY" for m in messages) and any(m.status == 100 for m in messages)
    assert all(s.reason in ("not sip", "keep-alive") for s in skipped[:-1])
