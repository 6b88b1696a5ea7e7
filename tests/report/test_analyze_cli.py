"""``sipscope CAPTURE`` end to end: the default command, the selection options, exit codes, ``--call``, the CSV
table, the capture export and the diagram texts, on captures built in the test."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess

import pytest

import sipscope
from sipscope.cli import main
from sipscope.testing import DEFAULT_TS, make_request, make_response, udp_frame, write_pcap

from .captures import ALICE, CAROL, three_calls


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "three.pcap"
    facts = three_calls(path)
    facts["path"] = str(path)
    return facts


def run(capsys, monkeypatch, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "100")
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def table(text: str) -> list[list[str]]:
    """The calls table's rows (the lines under its heading, up to the first empty one), split on spaces."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("   #  ")), len(lines))
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or not line.startswith(" "):
            break
        rows.append(line.split())
    return rows


def test_capture_alone_is_the_analyze_command(calls, capsys, monkeypatch):
    code, out, _err = run(capsys, monkeypatch, calls["path"])
    assert code == 1  # ack.missing is an error, and --fail-on error is the default
    assert "Calls: 3\n" in out
    assert [row[0] for row in table(out)] == ["1", "2", "3"]
    assert "call 3, frames 11,12,13,14: 200 OK to INVITE (CSeq 1) never got its ACK" in out
    assert run(capsys, monkeypatch, "analyze", calls["path"])[1] == out


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_sets_the_exit_code(calls, capsys, monkeypatch, fail_on, expected):
    assert run(capsys, monkeypatch, calls["path"], "--fail-on", fail_on)[0] == expected


def test_ignoring_the_error_leaves_exit_code_0_and_no_such_finding(calls, capsys, monkeypatch):
    code, out, _err = run(capsys, monkeypatch, calls["path"], "--ignore", "ack.*")
    assert code == 0
    assert "ack.missing" not in out and "Findings: 1 (error 0, warning 0, info 1)" in out
    code, _out, _err = run(capsys, monkeypatch, calls["path"], "--ignore", "ack.*", "--fail-on", "info")
    assert code == 1  # the busy call's invite.failed is info


@pytest.mark.parametrize(("options", "numbers"), [
    (["--call-id", "busy@example.com"], ["2"]),
    (["--user", "carol"], ["2"]),
    (["--user", "5551234567"], ["1"]),  # a number matches by its last digits: +15551234567
    (["--user", "erin", "--user", "dave"], ["2", "3"]),
    (["--ip", CAROL], ["2"]),
    (["--ip", "192.0.2.0/24"], ["1", "3"]),
    (["--method", "bye"], ["1"]),
    (["--status", "486"], ["2"]),
    (["--status", "4xx"], ["2"]),
    (["--status", "2xx", "--ip", ALICE], ["1", "3"]),
    (["--problems"], ["3"]),  # the only call with a finding at warning or above
    (["--from", "10", "--to", "20"], ["3"]),
    (["--to", "5"], ["1"]),
    (["--from", "2023-11-14T22:13:30Z"], ["3"]),
])
def test_selection_keeps_each_calls_number(calls, capsys, monkeypatch, options, numbers):
    code, out, err = run(capsys, monkeypatch, calls["path"], *options)
    assert code in (0, 1), err
    assert [row[0] for row in table(out)] == numbers
    assert f"selected: {len(numbers)} Call-IDs ({3 - len(numbers)} left out by the selection)" in out


def test_statistics_of_a_selection_count_only_its_calls(calls, capsys, monkeypatch):
    _code, out, _err = run(capsys, monkeypatch, calls["path"], "--call-id", "no-ack@example.com")
    assert "Statistics of the selected calls\n  requests: INVITE 1\n  responses: 200 4 (resent: 3)\n" in out


def test_json_follows_the_selection(calls, capsys, monkeypatch):
    _code, out, _err = run(capsys, monkeypatch, calls["path"], "--json", "--status", "486")
    document = json.loads(out)
    assert [c["call_id"] for c in document["calls"]] == ["busy@example.com"]
    assert [m["frames"][0] for m in document["messages"]] == calls["busy_frames"]
    assert [f["id"] for f in document["findings"]] == ["invite.failed"]
    assert document["stats"]["requests"] == {"ACK": {"count": 1, "retransmissions": 0},
                                             "INVITE": {"count": 1, "retransmissions": 0}}
    assert document["selection"]["statuses"] == ["486"]


@pytest.mark.parametrize("value", ["2", "busy@example.com"])
def test_call_draws_one_ladder(calls, capsys, monkeypatch, value):
    _code, out, _err = run(capsys, monkeypatch, calls["path"], "--call", value)
    assert [row[0] for row in table(out)] == ["2"]
    assert out.count("call-id busy@example.com") == 1 and "call 2  call-id busy@example.com" in out
    assert re.search(r"\n +8 0\.010 +│◀─+ 486 Busy Here ─+│\n", out)


def test_a_call_number_that_does_not_exist_is_a_usage_error(calls, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, calls["path"], "--call", "4")
    assert code == 2 and out == "" and err == "sipscope: there is no call 4 in the calls table\n"


@pytest.mark.parametrize("bad", [["--ip", "not-an-ip"], ["--status", "99x"], ["--from", "yesterday"]])
def test_bad_selection_values_are_usage_errors(calls, capsys, monkeypatch, bad):
    code, out, err = run(capsys, monkeypatch, calls["path"], *bad)
    assert code == 2 and out == "" and err.startswith("sipscope: ") and err.count("\n") == 1


def test_ladders_are_drawn_for_every_call_when_there_are_few(calls, capsys, monkeypatch):
    _code, out, _err = run(capsys, monkeypatch, calls["path"])
    assert [line.split()[:2] for line in out.splitlines() if line.startswith("call ")] == \
        [["call", "1"], ["call", "2"], ["call", "3"]]
    assert max(len(line) for line in out.splitlines() if "│" in line) <= 100


def test_csv_has_every_selected_call_with_stable_numbers(calls, capsys, monkeypatch, tmp_path):
    out = tmp_path / "calls.csv"
    run(capsys, monkeypatch, calls["path"], "--csv", str(out), "--ip", "192.0.2.0/24")
    rows = list(csv.DictReader(out.open()))
    assert [(r["number"], r["call_id"], r["outcome"], r["findings"], r["worst"]) for r in rows] == [
        ("1", "answered@example.com", "answered", "0", ""), ("3", "no-ack@example.com", "answered", "1", "error")]
    assert rows[0]["start"] == "2023-11-14T22:13:20.000000+00:00" and rows[0]["duration"] == "2.020000"


def test_write_exports_exactly_the_frames_of_the_selected_calls(calls, capsys, monkeypatch, tmp_path):
    out = tmp_path / "busy.pcap"
    run(capsys, monkeypatch, calls["path"], "--write", str(out), "--status", "486")
    messages = list(sipscope.ingest([str(out)], strict=True))
    assert [m.start_line.split()[0] for m in messages] == ["INVITE", "SIP/2.0", "ACK"]
    assert {m.call_id for m in messages} == {"busy@example.com"}
    original = {m.frames[0]: m.raw for m in sipscope.ingest([calls["path"]])}
    assert [m.raw for m in messages] == [original[frame] for frame in calls["busy_frames"]]
    if shutil.which("tshark"):  # Wireshark reads it too, frames in the same order
        listing = subprocess.run(["tshark", "-r", str(out), "-T", "fields", "-e", "sip.Call-ID"],
                                 capture_output=True, text=True, check=True).stdout.split()
        assert listing == ["busy@example.com"] * 3


def test_write_refuses_standard_input(capsys, monkeypatch):
    code, _out, err = run(capsys, monkeypatch, "-", "--write", "x.pcap")
    assert code == 2 and "standard input" in err


def test_mermaid_and_plantuml_draw_the_chosen_call(calls, capsys, monkeypatch):
    _code, out, _err = run(capsys, monkeypatch, calls["path"], "--call", "3", "--mermaid")
    lines = out.splitlines()
    assert lines[:4] == ["sequenceDiagram", "    title Call-ID no-ack@example.com",
                         "    participant E0 as 192.0.2.10:5060", "    participant E1 as 192.0.2.20:5060"]
    assert lines[4] == "    E0->>E1: INVITE (frame 10, +0.000 s)"
    assert lines[5] == "    E1-->>E0: 200 OK (frame 11, +0.010 s)"
    assert lines[6].startswith("    Note over E0,E1: error ack.missing: 200 OK to INVITE (CSeq 1) never got")
    assert lines[7] == "    E1-->>E0: 200 OK (resent) (frame 12, +0.510 s)"
    _code, out, _err = run(capsys, monkeypatch, calls["path"], "--call", "3", "--plantuml")
    lines = out.splitlines()
    assert lines[0] == "@startuml" and lines[-1] == "@enduml"
    assert lines[2:6] == ['participant "192.0.2.10:5060" as E0', 'participant "192.0.2.20:5060" as E1',
                          "E0 -> E1 : INVITE (frame 10, +0.000 s)", "E1 --> E0 : 200 OK (frame 11, +0.010 s)"]


def test_a_diagram_without_call_draws_the_first_and_says_so(calls, capsys, monkeypatch):
    _code, out, err = run(capsys, monkeypatch, calls["path"], "--mermaid")
    assert "title Call-ID answered@example.com" in out
    assert "3 calls were selected; drawing the first" in err


def test_a_status_code_out_of_range_is_drawn_without_a_note(tmp_path, capsys):
    # RFC 4475 section 3.1.2.4 ("bigcode"): the parser reads the code and notes sip.status.invalid.
    path = tmp_path / "bigcode.pcap"
    big = make_response(200, "better not break the receiver").replace(b"SIP/2.0 200", b"SIP/2.0 4294967301")
    write_pcap(path, [(DEFAULT_TS, udp_frame(make_request())), (DEFAULT_TS + 10**6, udp_frame(big))])
    assert main([str(path), "--html", str(tmp_path / "page.html"), "--fail-on", "never"]) == 0
    out = capsys.readouterr().out
    assert "4294967301 better not break the receiver" in out
    assert "4294967301 better not break the receiver" in (tmp_path / "page.html").read_text(encoding="utf-8")
