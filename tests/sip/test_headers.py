"""Structured header values (sip.headers, sip.grammar): each parser on its own, with the grammar rule it enforces."""

from __future__ import annotations

import pytest

from sipscope.sip.defects import DEFECTS
from sipscope.sip.grammar import parse_params, split_outside, unquote
from sipscope.sip.headers import PARSERS, SINGLE, parse_values
from sipscope.sip.message import SipMessage
from sipscope.sip.parse import parse_message
from sipscope.testing import make_request


def one(name: str, text: str):
    values = parse_values(name, text)
    assert len(values) == 1, values
    return values[0]


# --- grammar helpers ---------------------------------------------------------------------------------------------


def test_params_names_values_and_quoting():
    defects: list = []
    params = parse_params(' ; Tag = abc ;lr; X="a;b, \\"c\\"" ;received=[2001:db8::1]', defects)
    assert dict(params) == {"tag": "abc", "lr": None, "x": 'a;b, "c"', "received": "[2001:db8::1]"}
    assert params.names == ["Tag", "lr", "X", "received"] and defects == []


@pytest.mark.parametrize(("text", "defects"), [
    (";a;;b", ["sip.param.empty"]),  # RFC 4475 section 3.1.2.1
    (";a;", ["sip.param.empty"]),
    (";;;;", ["sip.param.empty"]),
    (";a=1;A=2", ["sip.param.duplicate"]),
    (";a b=1", ["sip.param.invalid"]),
    (";a=", ["sip.param.invalid"]),
    (";=1", ["sip.param.invalid"]),
    (";a=x y", ["sip.param.invalid"]),
    (';a="open', ["sip.quoted_string.unterminated"]),
    ("a=1", ["sip.param.invalid"]),  # no leading semicolon
])
def test_param_defects(text, defects):
    found: list = []
    parse_params(text, found)
    assert found == defects


def test_split_outside_quotes_and_angle_brackets():
    assert split_outside('"a, b" <sip:x;y,z>, c', ",") == (['"a, b" <sip:x;y,z>', " c"], True)
    assert split_outside('"a\\", b", c', ",") == (['"a\\", b"', " c"], True)
    assert split_outside('"open, x', ",") == (['"open, x'], False)
    assert unquote('"a \\"b\\""') == ('a "b"', True) and unquote("plain") == ("plain", False)


def test_list_elements_and_empty_items():
    assert [t.value for t in parse_values("allow", "INVITE,ACK , BYE")] == ["INVITE", "ACK", "BYE"]
    values = parse_values("allow", "INVITE, , BYE,")
    assert [t.value for t in values] == ["INVITE", "BYE"] and values[0].defects == ["sip.header.empty_item"]
    assert parse_values("allow", "") == [] and parse_values("supported", "") == [] and parse_values("accept", "") == []
    # A list that needs one element at least: an empty value is an empty element, and its parser says so.
    assert one("via", "").defects == ["sip.via.invalid"]
    assert one("require", "").defects == ["sip.option_tag.invalid"]
    assert one("contact", "").defects == ["sip.uri.invalid"]
    assert one("via", " , ").defects == ["sip.via.invalid", "sip.header.empty_item"]
    assert parse_values("route", '<sip:a;lr>, "x, y" <sip:b>')[1].display_name == "x, y"
    assert "sip.quoted_string.unterminated" in parse_values("route", '<sip:a>, "open')[-1].defects


def test_unknown_headers_are_text():
    value = one("x-anything", ";;,,;;,;")
    assert type(value).__name__ == "Text" and value.raw == ";;,,;;,;" and value.defects == []


def test_single_headers():
    assert {"from", "to", "call-id", "cseq", "max-forwards", "content-length", "content-type"} <= SINGLE
    assert not {"via", "contact", "route", "allow", "supported"} & SINGLE


# --- Via -------------------------------------------------------------------------------------------------------


def test_via_fields():
    via = one("via", "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5060"
                     ";maddr=224.2.0.1;ttl=16")
    assert (via.protocol, via.transport, via.host, via.port, via.sent_by) == (
        "SIP/2.0", "UDP", "pc33.atlanta.com", 5066, "pc33.atlanta.com:5066")
    assert (via.branch, via.received, via.rport, via.maddr, via.ttl) == (
        "z9hG4bK776asdhds", "192.0.2.1", 5060, "224.2.0.1", 16)
    assert via.defects == [] and via.as_dict()["params"]["rport"] == "5060"


def test_via_white_space_and_case():
    # RFC 3261 section 25.1: SLASH and COLON allow white space around them (RFC 4475 section 3.1.1.1).
    via = one("via", "SIP  /   2.0 / udp  First.Example.com : 4000 ; branch = z9hG4bKa ; rport")
    assert (via.protocol, via.transport, via.host, via.port, via.branch) == (
        "SIP/2.0", "UDP", "first.example.com", 4000, "z9hG4bKa")
    assert "rport" in via.params and via.rport is None and via.defects == []


def test_via_hops_of_one_line():
    hops = parse_values("via", "SIP/2.0/TCP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP [2001:db8::9:1]:6050")
    assert [(h.transport, h.host, h.host_address, h.port) for h in hops] == [
        ("TCP", "a.example.com", "a.example.com", None), ("UDP", "[2001:db8::9:1]", "2001:db8::9:1", 6050)]


def test_via_received():
    # RFC 5118 section 4.5: received with and without the IPv6 brackets.
    bare = one("via", "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3")
    bracketed = one("via", "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3")
    assert bare.received == bracketed.received == "2001:db8::9:255"
    assert bracketed.params["received"] == "[2001:db8::9:255]"
    assert bare.defects == bracketed.defects == []
    for received in ("127.0.0.1:5060", "[192.0.2.1]", "host.example.com", "[zz]", "300.1.1.1"):
        assert one("via", f"SIP/2.0/UDP h;received={received}").defects == ["sip.via.received_invalid"]


@pytest.mark.parametrize(("text", "defects"), [
    ("SIP/2.0/UDP h;branch=z9hG4bK", ["sip.via.branch_empty"]),  # RFC 4475 section 3.2.1
    ("SIP/2.0/UDP h;branch=z9hG4bK-", []),
    ("SIP/2.0/UDP h;branch=390skdjuw", []),  # an RFC 2543 branch
    ("SIP/2.0/UDP h", []),  # no branch at all (RFC 2543)
    ("SIP/2.0/UDP h;branch", ["sip.via.invalid"]),
    ("SIP/2.0/UDP h;branch=", ["sip.param.invalid", "sip.via.invalid"]),
    ("SIP/2.0/UDP 192.0.2.15;;", ["sip.param.empty"]),
    ("SIP/2.0/UDP", ["sip.via.invalid"]),
    ("SIP/2.0 h", ["sip.via.invalid"]),
    ("SIP/2.0/UDP h h", ["sip.via.invalid"]),
    ("SIP/2.0/UDP h:99999", ["sip.via.invalid"]),
    ("SIP/2.0/UDP h (a comment as RFC 2543 allowed)", ["sip.via.invalid"]),
    ("SIP/2.0/UDP user@host:0", ["sip.via.host_invalid"]),
    ("SIP/2.0/UDP [2001:db8:::192.0.2.1]", ["sip.uri.ipv6_three_colons"]),
    ("SIP/7.0/UDP c.example.com", []),  # a version the start line reports, not the Via's grammar
    ("SIP/2.0/UNKNOWN t4.example.com", []),
])
def test_via_defects(text, defects):
    assert one("via", text).defects == defects


# --- name-addr: From, To, Contact, Route... ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "display", "uri", "params"), [
    ("Bob <sip:bob@biloxi.com>;tag=a6c85cf", "Bob", "sip:bob@biloxi.com", {"tag": "a6c85cf"}),
    ('"Bob \\"B\\" Smith" <sip:bob@x>', 'Bob "B" Smith', "sip:bob@x", {}),
    ('"" <sip:bob@x>', "", "sip:bob@x", {}),
    ("caller<sip:caller@example.com>;tag=323", "caller", "sip:caller@example.com", {"tag": "323"}),
    ('"Joe"<sip:joe@x>', "Joe", "sip:joe@x", {}),
    ("A. G. Bell <sip:agb@bell-telephone.com> ;tag = 4", "A. G. Bell", "sip:agb@bell-telephone.com", {"tag": "4"}),
    ("sip:+12125551212@server.phone2net.com;tag=887s", None, "sip:+12125551212@server.phone2net.com",
     {"tag": "887s"}),
    ("<sip:a@b;transport=tcp;lr>;expires=60", None, "sip:a@b;transport=tcp;lr", {"expires": "60"}),
    ('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33',
     'Quoted string ""', "sip:jdrosen@example.com", {"newparam": "newvalue", "secondparam": None, "q": "0.33"}),
    ("<tel:+1-201-555-0123>", None, "tel:+1-201-555-0123", {}),
    ("<urn:service:sos>", None, "urn:service:sos", {}),
])
def test_name_addr(text, display, uri, params):
    value = one("to", text)
    assert (value.display_name, value.uri.raw, dict(value.params), value.defects) == (display, uri, params, [])
    assert value.wildcard is False


def test_name_addr_parameters_belong_to_the_uri_inside_brackets_and_to_the_header_outside():
    # RFC 3261 section 20.10 (RFC 4475 sections 3.3.12 and 3.3.13).
    bare = one("contact", "sip:+19725552222@gw1.example.net;unknownparam")
    bracketed = one("contact", "<sip:+19725552222@gw1.example.net;unknownparam>")
    assert (dict(bare.uri.params), dict(bare.params)) == ({}, {"unknownparam": None})
    assert (dict(bracketed.uri.params), dict(bracketed.params)) == ({"unknownparam": None}, {})


@pytest.mark.parametrize(("text", "defects"), [
    ("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", ["sip.name_addr.display_name_invalid"]),
    ('"Mr. J. User <sip:j.user@example.com>', ["sip.quoted_string.unterminated"]),
    ("sip:user@example.com?Route=%3Csip:sip.example.com%3E", ["sip.name_addr.unbracketed_uri"]),
    ('"Watson, Thomas" < sip:t.watson@example.org >', ["sip.uri.whitespace"]),
    ('"Bob" sip:bob@x', ["sip.name_addr.invalid"]),
    ("<sip:bob@x", ["sip.name_addr.invalid"]),
    ("Bob <sip:bob@x>;tag=a;tag=b", ["sip.param.duplicate"]),
    ("<sip:bob@x>;tag", ["sip.param.invalid"]),  # tag-param = "tag" EQUAL token
    ('"Joe" <sip:joe@example.org>;;;;', ["sip.param.empty"]),
    ("<sip:bob@x:port>", ["sip.uri.port_invalid"]),
    ("", ["sip.uri.invalid"]),
    ("*", ["sip.uri.invalid"]),  # only a Contact may be "*"
])
def test_name_addr_defects(text, defects):
    value = one("from", text)
    assert value.defects == defects
    assert value.tag is None or isinstance(value.tag, str)


def test_contact_wildcard():
    star = one("contact", " * ")
    assert (star.wildcard, star.uri, star.display_name, dict(star.params), star.defects) == (True, None, None, {}, [])
    assert star.as_dict() == {"wildcard": True} and star.tag is None and star.expires is None
    # RFC 3261 section 20.10: STAR takes no parameters and stands alone.
    with_params = one("contact", "*;expires=0")
    assert with_params.wildcard and with_params.params["expires"] == "0"
    assert with_params.defects == ["sip.name_addr.invalid"]
    mixed = parse_values("contact", "<sip:a@b>, *")
    assert [v.wildcard for v in mixed] == [False, True] and mixed[1].defects == ["sip.name_addr.invalid"]


def test_contact_q_and_expires():
    contacts = parse_values("contact", '"A, B" <sip:a@b>;q=0.7;expires=3600, <sip:c@d>;q=1.0, <sip:e@f>')
    assert [(c.display_name, c.q, c.expires) for c in contacts] == [("A, B", 0.7, 3600), (None, 1.0, None),
                                                                   (None, None, None)]
    assert all(c.defects == [] for c in contacts)
    for q in ("1.5", "0.1234", "1.001", "abc", ".5"):
        assert one("contact", f"<sip:a@b>;q={q}").defects == ["sip.param.invalid"]
    assert one("contact", "<sip:a@b>;q").defects == ["sip.param.invalid"]
    # RFC 4475 section 3.1.2.4: an expires beyond 2**32 - 1.
    big = one("contact", "<sip:user@host129.example.com>;expires=280297596632815")
    assert (big.expires, big.defects) == (None, ["sip.expires.invalid"])
    assert one("contact", "<sip:a@b>;expires=4294967295").expires == 4294967295
    assert one("contact", "<sip:a@b>;expires=4294967296").defects == ["sip.expires.invalid"]
    assert one("contact", "<sip:a@b>;expires=soon").defects == ["sip.expires.invalid"]


# --- numbers, CSeq, media types, tokens, Call-ID ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "value", "defects"), [
    ("max-forwards", "0068", 68, []),
    ("max-forwards", "0", 0, []),
    ("max-forwards", "255", 255, []),
    ("max-forwards", "300", None, ["sip.max_forwards.invalid"]),
    ("max-forwards", "-1", None, ["sip.max_forwards.invalid"]),
    ("expires", "1" + "0" * 100, None, ["sip.expires.invalid"]),
    ("expires", "4294967295", 4294967295, []),
    ("min-expires", "60", 60, []),
    ("rseq", "988789", 988789, []),
    ("content-length", "-999", None, ["sip.content_length.invalid"]),
    ("content-length", "five", None, ["sip.content_length.invalid"]),
    ("content-length", "99999999999", None, ["sip.content_length.too_large"]),
    ("content-length", " 150 ", 150, []),
])
def test_numbers(name, text, value, defects):
    parsed = one(name, text)
    assert (parsed.value, parsed.defects) == (value, defects)


@pytest.mark.parametrize(("text", "number", "method", "defects"), [
    ("4711 INVITE", 4711, "INVITE", []),
    ("0009\t INVITE", 9, "INVITE", []),  # LWS may be a tab
    ("2147483647 ACK", 2147483647, "ACK", []),
    ("2147483648 ACK", None, "ACK", ["sip.cseq.invalid"]),  # RFC 3261 section 8.1.1.5: below 2**31
    ("36893488147419103232 REGISTER", None, "REGISTER", ["sip.cseq.invalid"]),
    ("1", 1, None, ["sip.cseq.invalid"]),
    ("INVITE", None, None, ["sip.cseq.invalid"]),
    ("1 IN/VITE", 1, "IN/VITE", ["sip.cseq.invalid"]),
])
def test_cseq(text, number, method, defects):
    cseq = one("cseq", text)
    assert (cseq.number, cseq.method, cseq.defects) == (number, method, defects)


def test_media_types():
    content_type = one("content-type", 'Multipart/Mixed ; boundary = "7a9c bec" ; charset=utf-8')
    assert (content_type.type, content_type.subtype, content_type.media_type) == ("Multipart", "Mixed",
                                                                                  "multipart/mixed")
    assert dict(content_type.params) == {"boundary": "7a9c bec", "charset": "utf-8"}
    accept = parse_values("accept", "application/sdp;q=0.8, */*, text/nobodyKnowsThis")
    assert [a.media_type for a in accept] == ["application/sdp", "*/*", "text/nobodyknowsthis"]
    assert accept[0].params["q"] == "0.8" and all(not a.defects for a in accept)
    assert one("content-type", "application").defects == ["sip.content_type.invalid"]
    assert one("content-type", "app lication/sdp").defects == ["sip.content_type.invalid"]
    assert one("accept", "text/").defects == ["sip.accept.invalid"]


def test_tokens():
    assert [t.value for t in parse_values("require", "nothingSupportsThis, nothingSupportsThisEither")] == [
        "nothingSupportsThis", "nothingSupportsThisEither"]
    assert one("supported", "100rel").defects == []
    assert one("allow", "IN VITE").defects == ["sip.allow.invalid"]
    assert one("content-encoding", "gzip").value == "gzip"
    assert one("allow-events", "presence.winfo").defects == []


@pytest.mark.parametrize(("text", "valid"), [
    ("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com", True),
    ("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", True),  # RFC 4475 section 3.1.1.2
    ("a@b@c", False),
    ("abc def", False),
    ("", False),
])
def test_call_id(text, valid):
    assert one("call-id", text).defects == ([] if valid else ["sip.call_id.invalid"])


# --- event packages and the rest of the extensions --------------------------------------------------------------


def test_event():
    event = one("event", "presence;id=1234")
    assert (event.package, event.templates, event.id, event.defects) == ("presence", [], "1234", [])
    event = one("event", "presence.winfo")
    assert (event.package, event.templates, event.id) == ("presence", ["winfo"], None)
    event = one("event", "refer;id=93809824")
    assert (event.package, event.id) == ("refer", "93809824")
    assert one("event", "dialog;call-id=abc;from-tag=x").params["call-id"] == "abc"
    assert one("event", "").defects == ["sip.event.invalid"]
    assert one("event", "pres..x").defects == ["sip.event.invalid"]


@pytest.mark.parametrize(("text", "fields", "defects"), [
    ("active;expires=3600", ("active", None, 3600, None), []),
    ("Pending", ("pending", None, None, None), []),
    ("terminated;reason=timeout;retry-after=30", ("terminated", "timeout", None, 30), []),
    ("terminated;reason=noresource", ("terminated", "noresource", None, None), []),
    ("active;expires=soon", ("active", None, None, None), ["sip.subscription_state.invalid"]),
    ("", ("", None, None, None), ["sip.subscription_state.invalid"]),
])
def test_subscription_state(text, fields, defects):
    state = one("subscription-state", text)
    assert ((state.state, state.reason, state.expires, state.retry_after), state.defects) == (fields, defects)


@pytest.mark.parametrize(("text", "fields", "defects"), [
    ("776656 1 INVITE", (776656, 1, "INVITE"), []),
    ("776656  1\tINVITE", (776656, 1, "INVITE"), []),
    ("776656 1", (None, None, None), ["sip.rack.invalid"]),
    ("x 1 INVITE", (None, 1, "INVITE"), ["sip.rack.invalid"]),
    ("1 2147483648 INVITE", (1, None, "INVITE"), ["sip.rack.invalid"]),
])
def test_rack(text, fields, defects):
    rack = one("rack", text)
    assert ((rack.rseq, rack.cseq, rack.method), rack.defects) == (fields, defects)


def test_reason():
    # RFC 3326: a protocol, its cause and a text; several in one line.
    sip, q850 = parse_values("reason", 'SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16;'
                                       'text="Terminated"')
    assert (sip.protocol, sip.cause, sip.text) == ("SIP", 200, "Call completed elsewhere")
    assert (q850.protocol, q850.cause, q850.text, q850.defects) == ("Q.850", 16, "Terminated", [])
    assert one("reason", "SIP;cause=abc").defects == ["sip.reason.invalid"]
    assert one("reason", ";cause=1").defects == ["sip.reason.invalid"]


def test_warning():
    first, second = parse_values(
        "warning", '307 isi.edu "Session parameter \'foo\' not understood", 399 example.com:5060 "a, \\"b\\""')
    assert (first.code, first.agent, first.text) == (307, "isi.edu", "Session parameter 'foo' not understood")
    assert (second.code, second.agent, second.text, second.defects) == (399, "example.com:5060", 'a, "b"', [])
    for text in ('1812 overture "In Progress"', '30 isi.edu "x"', "301 isi.edu unquoted", '301 "no agent"'):
        assert one("warning", text).defects == ["sip.warning.invalid"]


@pytest.mark.parametrize(("text", "fields", "defects"), [
    ("18000;duration=3600", (18000, None, 3600), []),
    ("120 (I'm in a meeting)", (120, "I'm in a meeting", None), []),
    ("120 (I'm in a meeting);duration=3600", (120, "I'm in a meeting", 3600), []),
    ("5 (in (nested) comments, \\) too)", (5, "in (nested) comments, \\) too", None), []),  # RFC 3261 comment
    ("7 (unclosed", (7, "unclosed", None), ["sip.retry_after.invalid"]),
    ("949302838503028349304023988", (None, None, None), ["sip.retry_after.invalid"]),  # RFC 4475 3.1.2.5
    ("60;duration=soon", (60, None, None), ["sip.retry_after.invalid"]),
    ("soon", (None, None, None), ["sip.retry_after.invalid"]),
])
def test_retry_after(text, fields, defects):
    value = one("retry-after", text)
    assert ((value.seconds, value.comment, value.duration), value.defects) == (fields, defects)


def test_session_expires_and_min_se():
    value = one("session-expires", "1800;refresher=uac")
    assert (value.seconds, value.refresher, value.defects) == (1800, "uac", [])
    assert one("session-expires", "4000 ; refresher = UAS").refresher == "UAS"
    assert one("session-expires", "1800").refresher is None
    assert one("session-expires", "1800;refresher=proxy").defects == ["sip.session_expires.invalid"]
    assert one("session-expires", "abc").defects == ["sip.session_expires.invalid"]
    assert one("min-se", "90").seconds == 90


def test_replaces():
    value = one("replaces", "98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff")
    assert (value.call_id, value.to_tag, value.from_tag, value.early_only, value.defects) == (
        "98732@sip.example.com", "ff87ff", "r33th4x0r", False, [])
    assert one("replaces", "12345@192.168.118.3;to-tag=12345;from-tag=54321;early-only").early_only
    assert one("replaces", "12345@host;to-tag=1").defects == ["sip.replaces.invalid"]
    assert one("replaces", ";to-tag=1;from-tag=2").defects == ["sip.replaces.invalid"]


def test_refer_sub():
    assert one("refer-sub", "false").value is False and one("refer-sub", "TRUE").value is True
    assert one("refer-sub", "maybe").defects == ["sip.refer_sub.invalid"]


# --- authentication ------------------------------------------------------------------------------------------


def test_challenge_with_several_params():
    (challenge,) = parse_values(
        "www-authenticate", 'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth,auth-int", '
                            'nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5')
    assert challenge.scheme == "Digest" and challenge.defects == []
    assert dict(challenge.params) == {"realm": "atlanta.com", "domain": "sip:boxesbybob.com",
                                      "qop": "auth,auth-int", "nonce": "f84f1cec41e6cbe5aea9c8e88d359",
                                      "opaque": "", "stale": "FALSE", "algorithm": "MD5"}


def test_two_challenges_in_one_line():
    # RFC 7235 section 4.1 (RFC 8760: SHA-256 then MD5 from one server).
    sha, md5 = parse_values("proxy-authenticate", 'Digest realm="a", nonce="1", algorithm=SHA-256,'
                                                  'Digest realm="a",nonce="1", algorithm=MD5')
    assert (sha.scheme, sha.params["algorithm"], md5.scheme, md5.params["algorithm"]) == (
        "Digest", "SHA-256", "Digest", "MD5")
    assert sha.raw.startswith("Digest") and md5.raw.startswith("Digest")


def test_credentials():
    (credentials,) = parse_values(
        "authorization", 'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                         'uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", '
                         'response="6629fae49393a05397450978507c4ef1"')
    assert credentials.params["uri"] == "sip:bob@biloxi.com" and credentials.params["nc"] == "00000001"
    assert credentials.defects == []
    # RFC 4475 section 3.3.7: an unknown scheme is no defect.
    unknown = one("authorization", "NoOneKnowsThisScheme opaque-data=here")
    assert (unknown.scheme, dict(unknown.params), unknown.defects) == ("NoOneKnowsThisScheme",
                                                                      {"opaque-data": "here"}, [])
    basic = one("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    assert dict(basic.params) == {"token68": "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="} and basic.defects == []


@pytest.mark.parametrize(("text", "defect"), [
    ("", "sip.auth.invalid"),
    ('Digest uri=sip:bob@biloxi.com', "sip.auth.invalid"),  # auth-param = name EQUAL ( token / quoted-string )
    ('Digest realm="x", nonce', "sip.auth.invalid"),
    ('Digest realm="x",, nonce="y"', "sip.header.empty_item"),
    ('Digest realm="open', "sip.quoted_string.unterminated"),
])
def test_auth_defects(text, defect):
    assert defect in parse_values("authorization", text)[0].defects


# --- Date ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "moment", "defects"), [
    ("Sat, 13 Nov 2010 23:29:00 GMT", "2010-11-13T23:29:00+00:00", []),
    ("Fri, 01 Jan 2010 16:00:00 EST", "2010-01-01T21:00:00+00:00", ["sip.date.invalid"]),  # RFC 4475 3.1.2.12
    ("Fri, 01 Jan 2010 16:00:00 +0100", "2010-01-01T15:00:00+00:00", ["sip.date.invalid"]),
    ("Sat, 13 Nov 2010 23:29:00 UTC", "2010-11-13T23:29:00+00:00", ["sip.date.invalid"]),
    ("Sat, 31 Feb 2010 23:29:00 GMT", None, ["sip.date.invalid"]),
    ("Sat, 13 Nov 2010 24:00:00 GMT", None, ["sip.date.invalid"]),
    ("Sat, 13 Nov 2010 23:29:00  GMT", None, ["sip.date.invalid"]),
    ("13 Nov 2010 23:29:00 GMT", None, ["sip.date.invalid"]),
    ("yesterday", None, ["sip.date.invalid"]),
])
def test_date(text, moment, defects):
    date = one("date", text)
    assert (date.datetime.isoformat() if date.datetime else None, date.defects) == (moment, defects)


# --- all parsers: never raise, register their defects -----------------------------------------------------------

JUNK = ["", " ", ",", ";", '"', "<", ">", "<>", "*", "=", "\x00", "\\", "(", ")", "9" * 5000, ";" * 1000,
        '"' + "\\" * 999, "a" * 10000, "<sip:[::1>", "SIP/2.0/UDP [", "Digest ,,,", "1 (((", "é"]


@pytest.mark.parametrize("name", sorted(set(PARSERS) | {"authorization", "www-authenticate"}))
def test_parsers_never_raise_and_use_registered_ids(name):
    for text in JUNK:
        for value in parse_values(name, text):
            assert set(value.defects) <= set(DEFECTS), (name, text, value.defects)
            value.as_dict()
            repr(value)


# --- what the parser of a message reports agrees with the value parsers ----------------------------------------
# The message parser checks header values with fast recognizers (validate.py) before it falls back on the parsers
# above; a value the recognizers accept must be one the parsers find nothing wrong with.

HEADER_CASES = [
    ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK;rport", ["sip.via.branch_empty"]),
    ("Via", "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bK1", []),
    ("Via", "SIP/2.0/UDP h;received=10.0.0.1:5060;branch=z9hG4bK1", ["sip.via.received_invalid"]),
    ("Via", "SIP/2.0/UDP h;;branch=z9hG4bK1", ["sip.param.empty"]),
    ("From", "<sip:a@b>;tag", ["sip.param.invalid"]),
    ("From", '"Joe" <sip:joe@example.org>;tag=1;', ["sip.param.empty"]),
    ("To", "Bell, Alexander <sip:a@b>", ["sip.name_addr.display_name_invalid"]),
    ("To", "<sip:a@b;lr;lr>", ["sip.uri.param_duplicate"]),
    ("To", "<sip:a@b?X>", ["sip.uri.invalid"]),
    ("CSeq", "1\tINVITE", []),
    ("Contact", "<sip:a@b>;expires=60;q=0.5", []),
    ("Contact", "<sip:a@b>;expires=280297596632815", ["sip.expires.invalid"]),
    ("Contact", "<sip:a@b>;q=2", ["sip.param.invalid"]),
    ("Contact", "*", []),
    ("Contact", "<sip:a@b>, *", ["sip.name_addr.invalid"]),
    ("Date", "Fri, 01 Jan 2010 16:00:00 EST", ["sip.date.invalid"]),
    ("Retry-After", "120 (I'm (really) busy);duration=60", []),
    ("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", []),
    ("Authorization", 'Digest username="bob", uri=sip:bob@biloxi.com', ["sip.auth.invalid"]),
]


@pytest.mark.parametrize(("header", "value", "defects"), HEADER_CASES, ids=[f"{h}: {v}" for h, v, _ in HEADER_CASES])
def test_message_parser_agrees_with_value_parsers(header, value, defects):
    assert [d for v in parse_values(header.lower(), value) for d in v.defects] == defects
    lines = make_request().split(b"\r\n")
    prefix = header.encode() + b":"
    index = next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)
    if index is None:
        lines.insert(1, prefix + b" " + value.encode())
    else:
        lines[index] = prefix + b" " + value.encode()
    message = parse_message(b"\r\n".join(lines))
    assert isinstance(message, SipMessage)
    found = message.check()
    assert set(defects) <= set(found)
    if not defects:
        assert found == []
