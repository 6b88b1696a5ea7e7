"""URIs (sip.uri): SIP and SIPS URIs part by part, tel URIs, other schemes kept opaque, and what is wrong with them."""

from __future__ import annotations

import pytest

from sipscope.sip.defects import DEFECTS
from sipscope.sip.uri import check_host, is_ip_address, parse_uri, unescape


def parts(text: str) -> tuple:
    uri = parse_uri(text)
    return uri.scheme, uri.user, uri.password, uri.host, uri.port


@pytest.mark.parametrize(("text", "expected"), [
    ("sip:alice@atlanta.com", ("sip", "alice", None, "atlanta.com", None)),
    ("SIPS:Alice@AtLanta.COM:5061", ("sips", "Alice", None, "atlanta.com", 5061)),  # host is case-insensitive
    ("sip:alice:secretword@atlanta.com;transport=tcp", ("sip", "alice", "secretword", "atlanta.com", None)),
    ("sip:+1-212-555-1212:1234@gateway.com;user=phone", ("sip", "+1-212-555-1212", "1234", "gateway.com", None)),
    ("sip:192.0.2.4", ("sip", None, None, "192.0.2.4", None)),
    ("sip:atlanta.com:0", ("sip", None, None, "atlanta.com", 0)),
    ("sip:[2001:db8::10]:5070", ("sip", None, None, "[2001:db8::10]", 5070)),
    ("sip:alice@[::ffff:192.0.2.2]", ("sip", "alice", None, "[::ffff:192.0.2.2]", None)),
    ("sip:host.example.com.", ("sip", None, None, "host.example.com.", None)),  # a fully qualified name
])
def test_sip_uri_parts(text, expected):
    uri = parse_uri(text)
    assert parts(text) == expected
    assert uri.defects == [] and uri.raw == text and str(uri) == text and uri.is_sip


def test_params_and_headers_are_unescaped_once():
    uri = parse_uri("sip:cal%6Cer@host.example.net;%6C%72;n%61me=v%61lue%25%34%31?Subject=Hi%20there&Priority=urgent")
    assert uri.user == "caller"
    assert dict(uri.params) == {"lr": None, "name": "value%41"}  # RFC 4475 section 3.1.1.3: once, never twice
    assert uri.params.names == ["lr", "name"]
    assert uri.headers == {"Subject": "Hi there", "Priority": "urgent"}
    assert parse_uri("sip:%00%00@h").user == "\x00\x00"
    assert parse_uri("sip:I%20have%20spaces@h").user == "I have spaces"


def test_param_names_are_case_insensitive_and_kept_as_written():
    uri = parse_uri("sip:h;Transport=TCP;LR;maddr=239.255.255.1;ttl=15;method=REGISTER;user=phone")
    assert uri.params["transport"] == "TCP" and uri.params["lr"] is None
    assert uri.params.names[:2] == ["Transport", "LR"]
    assert uri.params["ttl"] == "15" and uri.params["user"] == "phone"


def test_user_part_may_hold_semicolons_question_marks_and_escaped_at():
    # RFC 4475 section 3.1.1.9 and 3.1.1.2: the user part ends at the "@", not at ";" or "?".
    uri = parse_uri("sip:user;par=u%40example.net@example.com")
    assert (uri.user, uri.host, dict(uri.params)) == ("user;par=u@example.net", "example.com", {})
    uri = parse_uri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
                    "(doesn't-it)@example.com")
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert (uri.host, dict(uri.params), uri.headers, uri.defects) == ("example.com", {}, {}, [])


def test_ipv6_references():
    # RFC 5118: the reference is bracketed; the port goes after "]".
    uri = parse_uri("sip:[2001:db8::10:5070]")
    assert (uri.host, uri.host_address, uri.port, uri.defects) == ("[2001:db8::10:5070]", "2001:db8::10:5070", None,
                                                                   [])
    uri = parse_uri("sip:user@[2001:db8:::192.0.2.1]")  # RFC 5118 section 4.10: tolerated, and said
    assert uri.host == "[2001:db8:::192.0.2.1]" and uri.defects == ["sip.uri.ipv6_three_colons"]
    uri = parse_uri("sip:2001:db8::10")  # RFC 5118 section 4.2: no brackets
    assert (uri.host, uri.port) == ("2001", None)
    assert uri.defects == ["sip.uri.host_invalid", "sip.uri.port_invalid"]
    assert parse_uri("sip:[2001:db8::zz]").defects == ["sip.uri.host_invalid"]
    assert parse_uri("sip:[2001:db8::1").defects != []


@pytest.mark.parametrize(("text", "defects"), [
    ("sip:", ["sip.uri.host_missing"]),
    ("sip:alice@", ["sip.uri.host_missing"]),
    ("sip:alice@-bad-.com", ["sip.uri.host_invalid"]),
    ("sip:alice@host_name.com", ["sip.uri.host_invalid"]),
    ("sip:alice@1example.123", ["sip.uri.host_invalid"]),  # the last label starts with a letter
    ("sip:alice@300.1.1.1", ["sip.uri.host_invalid"]),
    ("sip:alice@host:", ["sip.uri.port_invalid"]),
    ("sip:alice@host:65536", ["sip.uri.port_invalid"]),
    ("sip:alice@host:5o60", ["sip.uri.port_invalid"]),
    ("sip:alice@host;lr;lr", ["sip.uri.param_duplicate"]),
    ("sip:alice@host;", ["sip.uri.invalid"]),
    ("sip:alice@host;a=b=c", ["sip.uri.invalid"]),
    ("sip:ali\"ce@host", ["sip.uri.invalid"]),
    ("sip:a@b@c", ["sip.uri.invalid"]),  # an unescaped "@" in the user part
    ("sip:alice@host?=x", ["sip.uri.invalid"]),
    ("alice@atlanta.com", ["sip.uri.invalid"]),  # no scheme (resiprocate RSP-2)
    ("", ["sip.uri.invalid"]),
    ("1sip:alice@host", ["sip.uri.invalid"]),
])
def test_defects(text, defects):
    assert parse_uri(text).defects == defects
    assert set(defects) <= set(DEFECTS)


def test_white_space_is_a_defect_read_liberally_next_to_delimiters():
    # RFC 4475 section 3.1.2.8: "sip:user@example.com; lr" may be read as sip:user@example.com;lr.
    uri = parse_uri("sip:user@example.com; lr")
    assert (uri.host, dict(uri.params), uri.defects) == ("example.com", {"lr": None}, ["sip.uri.whitespace"])
    assert uri.raw == "sip:user@example.com; lr"
    # Elsewhere it is not guessed away: the grammar breaks where it stands.
    assert parse_uri("sip:a b@c").defects == ["sip.uri.invalid", "sip.uri.whitespace"]
    assert parse_uri("Bob sip:bob@x").scheme == ""


def test_angle_brackets_around_a_bare_uri():
    # RFC 4475 section 3.1.2.7: a Request-URI in <>; read as the URI inside, with a defect.
    uri = parse_uri("<sip:user@example.com>")
    assert (uri.scheme, uri.user, uri.host, uri.raw) == ("sip", "user", "example.com", "<sip:user@example.com>")
    assert uri.defects == ["sip.uri.bracketed"]


@pytest.mark.parametrize(("text", "number", "params", "defects"), [
    ("tel:+1-201-555-0123", "+1-201-555-0123", {}, []),
    ("tel:+358-555-1234567;postd=pp22", "+358-555-1234567", {"postd": "pp22"}, []),
    ("tel:7042;phone-context=example.com", "7042", {"phone-context": "example.com"}, []),
    ("tel:863-1234;phone-context=+1-914-555", "863-1234", {"phone-context": "+1-914-555"}, []),
    ("tel:*21#;phone-context=+1", "*21#", {"phone-context": "+1"}, []),
    ("tel:7042", "7042", {}, ["sip.uri.tel_context_missing"]),  # RFC 3966 section 5.1.5
    ("TEL:+1(212)555-1212;ext=42", "+1(212)555-1212", {"ext": "42"}, []),
    ("tel:+", "+", {}, ["sip.uri.invalid"]),
    ("tel:+1-800-FLOWERS", "+1-800-FLOWERS", {}, ["sip.uri.invalid"]),  # letters only in local numbers
])
def test_tel_uris(text, number, params, defects):
    uri = parse_uri(text)
    assert (uri.scheme, uri.number, dict(uri.params), uri.defects) == ("tel", number, params, defects)
    assert uri.host is None and uri.as_dict()["number"] == number


@pytest.mark.parametrize(("text", "scheme", "opaque"), [
    ("nobodyKnowsThisScheme:totallyopaquecontent", "nobodyknowsthisscheme", "totallyopaquecontent"),
    ("soap.beep://192.0.2.103:3002", "soap.beep", "//192.0.2.103:3002"),
    ("isbn:2983792873", "isbn", "2983792873"),
    ("http://www.example.com/a?b=c#", "http", None),
    ("urn:service:sos", "urn", "service:sos"),
    ("mailto:alice@example.com", "mailto", "alice@example.com"),
    ("im:alice@example.com", "im", "alice@example.com"),
])
def test_other_schemes_stay_opaque(text, scheme, opaque):
    # RFC 4475 sections 3.3.2 to 3.3.4: a URI of a scheme nobody knows is still a URI.
    uri = parse_uri(text)
    assert uri.scheme == scheme and uri.user is None and uri.host is None and not uri.is_sip
    if opaque is None:
        assert uri.defects == ["sip.uri.invalid"]  # "#" is not a URI character of RFC 3261's grammar
    else:
        assert (uri.opaque, uri.defects) == (opaque, [])
        assert uri.as_dict() == {"scheme": scheme, "opaque": opaque}
    assert parse_uri("foo:").defects == ["sip.uri.invalid"]
    assert parse_uri("foo:a<b>").defects == ["sip.uri.invalid"]


def test_as_dict():
    assert parse_uri("sip:bob@h:5060;lr?X=1").as_dict() == {
        "scheme": "sip", "user": "bob", "password": None, "host": "h", "port": 5060, "params": {"lr": None},
        "headers": {"X": "1"}}


def test_host_and_address_helpers():
    defects: list = []
    assert check_host("example.com", defects) == "example.com" and defects == []
    check_host("", defects)
    assert defects == ["sip.uri.host_missing"]
    assert is_ip_address("192.0.2.1") and is_ip_address("2001:db8::1") and is_ip_address("::ffff:192.0.2.2")
    assert not is_ip_address("[2001:db8::1]") and not is_ip_address("192.0.2.256") and not is_ip_address("host")
    assert unescape("a%20b%zz") == "a b%zz" and unescape("%C3%A9") == "é" and unescape("%FF") == "\\xff"


def test_never_raises_on_junk():
    for text in ("sip:[", "sip:]", "sip:@", "sip::", "sip:;", "sip:?", "sip:%", "tel:", "tel:;;", "<>", "<", ">",
                 "sip:a@[::1]:99999999999999999999", "sip:" + "9" * 5000, "sip:h;" + "x;" * 1000, "\x00:\x00"):
        parse_uri(text)


def test_uri_headers_need_a_name_and_an_equals_sign():
    assert parse_uri("sip:h?Subject").defects == ["sip.uri.invalid"]
    assert parse_uri("sip:h?").defects == ["sip.uri.invalid"]
    assert parse_uri("sip:h?a=1&&b=2").headers == {"a": "1", "b": "2"}
    assert parse_uri("sip:h?a=1&&b=2").defects == ["sip.uri.invalid"]
    assert parse_uri("sip:h?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2").headers == {
        "Replaces": "abc@host;to-tag=1;from-tag=2"}
    assert parse_uri("tel:+1;").defects == ["sip.uri.invalid"]
