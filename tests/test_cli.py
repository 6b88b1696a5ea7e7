"""The ``sipscope messages`` command on the recorded samples: its lines, its JSON, its exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sipscope.cli import main
from sipscope.knowledge import Knowledge

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BASIC_CALL = ["INVITE", 100, 180, 200, "ACK", "BYE", 200]


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sipscope", *args], input=stdin, capture_output=True, timeout=120)


def json_lines(output: bytes) -> list[dict]:
    return [json.loads(line) for line in output.decode().splitlines()]


def sequence(lines: list[dict]) -> list:
    return [line.get("method", line.get("status")) for line in lines if line["type"] == "message"]


def test_json_lines_for_a_basic_udp_call():
    result = run_cli("messages", "--json", str(SAMPLES / "basic-call-udp.pcap"))
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    messages, summary = lines[:-1], lines[-1]
    assert sequence(lines) == BASIC_CALL
    assert [m["frames"] for m in messages] == [[1], [2], [3], [4], [5], [6], [7]]
    assert {m["transport"] for m in messages} == {"udp"}
    assert len({m["call_id"] for m in messages}) == 1
    assert [m["cseq"] for m in messages] == [[1, "INVITE"]] * 4 + [[1, "ACK"]] + [[2, "BYE"]] * 2
    invite = messages[0]
    assert (invite["src"], invite["dst"]) == ("127.0.0.1:5160", "127.0.0.1:5161")
    assert invite["uri"].startswith("sip:") and invite["defects"] == []
    assert messages[3]["reason"] == "OK"
    assert isinstance(invite["time"], float) and invite["time"] > 1.7e9
    assert summary["type"] == "summary"
    assert summary["frames"] == 7 and summary["sip_messages"] == 7
    assert summary["by_category"]["sip"] == 7


def test_text_listing_for_a_tcp_call_ends_with_the_accounting():
    result = run_cli("messages", str(SAMPLES / "basic-call-tcp.pcap"))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    rows = [line for line in text.splitlines() if "call-id=" in line]
    assert [row.split()[0] for row in rows] == ["4", "6", "8", "10", "12", "14", "16"]
    assert all(" tcp " in row for row in rows)
    assert "INVITE sip:bob@127.0.0.1:5163 SIP/2.0" in rows[0]
    assert "19 frames, 7 SIP messages" in text
    assert "other: tcp: no payload: 12" in text


def test_stdin_and_several_files_merged_in_time_order():
    udp = (SAMPLES / "basic-call-udp.pcap").read_bytes()
    result = run_cli("messages", "--json", "-", stdin=udp)
    assert sequence(json_lines(result.stdout)) == BASIC_CALL
    merged = run_cli("messages", "--json", str(SAMPLES / "busy-udp.pcap"), str(SAMPLES / "cancel-udp.pcap"))
    lines = json_lines(merged.stdout)
    times = [line["time"] for line in lines if line["type"] == "message"]
    assert times == sorted(times)
    assert [line["frames"][0] for line in lines[:-1]] == list(range(1, 12))
    assert lines[-1]["frames"] == 11 and len(lines[-1]["files"]) == 2


def test_not_a_capture_is_a_one_line_error_with_exit_code_2(tmp_path):
    junk = tmp_path / "notes.pcap"
    junk.write_text("these are meeting notes, not packets\n")
    result = run_cli("messages", str(junk))
    assert result.returncode == 2
    assert result.stdout == b""
    error = result.stderr.decode()
    assert error.count("\n") == 1 and "Traceback" not in error
    assert str(junk) in error and "not a pcap or pcapng capture" in error


def test_missing_file_and_usage_errors_exit_2(tmp_path, capsys):
    assert run_cli("messages", str(tmp_path / "absent.pcap")).returncode == 2
    with pytest.raises(SystemExit) as usage:
        main(["messages"])
    assert usage.value.code == 2


def test_in_process_main_writes_the_listing(capsys):
    assert main(["messages", "--json", str(SAMPLES / "refer-transfer-udp.pcap")]) == 0
    lines = json_lines(capsys.readouterr().out.encode())
    assert sequence(lines) == ["INVITE", 100, 180, 200, "ACK", "REFER", 202, "NOTIFY", 200, "NOTIFY", 200, "BYE", 200]


def _capture_with_value_defects(tmp_path) -> Path:
    """One INVITE whose header values and body are wrong in ways only the full check sees."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    from sipscope.testing import make_request, write_pcap

    body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n"
    invite = make_request(
        extra="Date: Fri, 01 Jan 2010 16:00:00 EST\r\nContact: < sip:alice@192.0.2.1 >\r\n",
        body=body, content_type="application/sdp",
    )
    frame = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2") / \
        UDP(sport=5060, dport=5060) / invite
    path = tmp_path / "values.pcap"
    write_pcap(path, [(1_700_000_000_000_000_000, bytes(frame))])
    return path


def test_check_adds_what_only_the_full_check_finds(tmp_path):
    path = _capture_with_value_defects(tmp_path)
    plain = json_lines(run_cli("messages", "--json", str(path)).stdout)[0]
    assert plain["defects"] == []
    checked = json_lines(run_cli("messages", "--json", "--check", str(path)).stdout)[0]
    assert checked["defects"] == [
        "sip.date.invalid", "sip.uri.whitespace", "sip.sdp.media_invalid", "sip.sdp.connection_missing",
    ]
    text = run_cli("messages", "--check", str(path)).stdout.decode()
    assert "defects=sip.date.invalid,sip.uri.whitespace," in text


def test_headers_shows_each_header_as_read(tmp_path):
    path = _capture_with_value_defects(tmp_path)
    line = json_lines(run_cli("messages", "--json", "--headers", str(path)).stdout)[0]
    assert "sip.date.invalid" in line["defects"]
    by_name = {header["name"]: header for header in line["headers"]}
    via = by_name["Via"]["parsed"][0]
    assert (via["transport"], via["host"], via["port"], via["params"]) == (
        "UDP", "192.0.2.1", 5060, {"branch": "z9hG4bK-1"})
    assert by_name["From"]["parsed"][0]["params"] == {"tag": "from-1"}
    assert by_name["Contact"]["parsed"][0]["defects"] == ["sip.uri.whitespace"]
    assert by_name["Max-Forwards"]["parsed"] == [{"value": 70, "defects": []}]
    assert line["request_uri"]["host"] == "example.com" and line["request_uri"]["user"] == "bob"
    text = run_cli("messages", "--headers", str(path)).stdout.decode()
    assert "      Date: Fri, 01 Jan 2010 16:00:00 EST\n" in text
    assert "defects=sip.date.invalid" in text


def test_analyze_json_is_one_document_with_every_part():
    result = run_cli("analyze", "--json", str(SAMPLES / "refer-transfer-udp.pcap"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "sipscope.analysis/1"
    assert list(document) == ["schema", "messages", "calls", "transactions", "findings", "knowledge", "linked_calls",
                              "stats", "capture"]
    assert [m["frames"] for m in document["messages"]] == [[n] for n in range(1, 14)]
    [call] = document["calls"]
    assert (call["outcome"], call["messages"]) == ("answered", list(range(13)))
    assert [(t["method"], t["cseq"], t["final"]) for t in document["transactions"]] == [
        ("INVITE", 1, 200), ("REFER", 101, 202), ("NOTIFY", 2, 200), ("NOTIFY", 3, 200), ("BYE", 102, 200)]
    assert document["findings"] == [{
        "id": "refer.transfer_failed", "severity": "warning", "call_id": call["call_id"], "frames": [6, 10],
        "summary": "transfer to <sip:carol@127.0.0.1:5199> failed: the NOTIFY reports 486 Busy Here",
        "inferred": False, "conclusive": True, "knowledge": "refer.transfer_failed",
    }]
    assert document["stats"]["requests"]["NOTIFY"] == {"count": 2, "retransmissions": 0}
    assert document["stats"]["outcomes"] == {"answered": 1}
    assert document["capture"]["frames"] == 13


def test_analyze_json_ties_responses_and_findings_to_the_knowledge_base():
    result = run_cli("analyze", "--json", "--lang", "fr", str(SAMPLES / "refer-transfer-udp.pcap"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    responses = [(m["status"], m["knowledge"]) for m in document["messages"] if "status" in m]
    assert responses == [(100, "100"), (180, "180"), (200, "200/INVITE"), (202, "202/REFER"), (200, "200/NOTIFY"),
                         (200, "200/NOTIFY"), (200, "200/BYE")]
    assert all("knowledge" not in m for m in document["messages"] if "status" not in m)
    invite, refer = document["transactions"][:2]
    assert [r["knowledge"] for r in invite["responses"]] == ["100", "180", "200/INVITE"]
    assert "context" not in invite["responses"][0]
    knowledge = Knowledge("fr")
    ok, ack = document["messages"][3], document["messages"][4]
    assert (ok["status"], ack["method"]) == (200, "ACK")
    after = f"{round(ack['time'] - ok['time'], 6)} s"
    assert invite["responses"][2]["context"] == knowledge.label("guidance.ack.came", after=after, frame=5)
    assert refer["responses"][0]["context"] == knowledge.label("guidance.refer.outcome", frame=10, status=486,
                                                               reason="Busy Here")
    assert set(document["knowledge"]) == {"100", "180", "200/INVITE", "202/REFER", "200/NOTIFY", "200/BYE",
                                          "refer.transfer_failed"}
    entry = document["knowledge"]["202/REFER"]
    assert entry == Knowledge("fr").response(202, "REFER").as_dict()
    assert entry["language"] == "fr" and entry["untranslated"] == []


def squeezed(text: str) -> str:
    """``text`` without white space: what stays the same however the report wraps it."""
    return re.sub(r"\s+", "", text)


def test_analyze_text_report_lists_calls_findings_and_statistics():
    result = run_cli("analyze", str(SAMPLES / "busy-udp.pcap"), str(SAMPLES / "missing-ack-udp.pcap"))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "Calls: 2\n" in text
    assert "busy 486" in text and "answered" in text
    assert "Findings: 2 (error 0, warning 1, info 1)" in text
    assert "ack.missing" in text and "[inconclusive]" in text
    assert "responses: 100 2, 180 1, 200 4 (resent: 3), 486 1" in text
    assert squeezed(f"What to do: {Knowledge('en').finding('ack.missing').texts['fix']}") in squeezed(text)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_analyze_reads_standard_input_in_one_process(jobs):
    sample = (SAMPLES / "refer-transfer-udp.pcap").read_bytes()
    result = run_cli("analyze", "--jobs", jobs, "-", stdin=sample)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "  <stdin> (pcap)\n" in text and "  13 frames, 13 SIP messages\n" in text
    assert "refer.transfer_failed" in text


def test_analyze_in_two_processes_writes_the_report_of_one():
    paths = [str(SAMPLES / "busy-udp.pcap"), str(SAMPLES / "missing-ack-udp.pcap")]
    one, two = run_cli("analyze", "--jobs", "1", *paths), run_cli("analyze", "--jobs", "2", *paths)
    assert one.returncode == two.returncode == 0
    assert two.stdout == one.stdout and "Calls: 2" in one.stdout.decode()


def test_analyze_unreadable_input_is_exit_code_2(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    result = run_cli("analyze", str(bad))
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1 and "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("language", ["fr", "ar", "ru", "ja"])
def test_analyze_text_report_speaks_the_chosen_language(language):
    result = run_cli("analyze", "--lang", language, str(SAMPLES / "missing-ack-udp.pcap"))
    assert result.returncode == 0, result.stderr
    text, knowledge = result.stdout.decode(), Knowledge(language)
    assert f"{knowledge.label('report.calls')}: 1\n" in text
    fix = knowledge.finding("ack.missing").texts["fix"]
    assert squeezed(f"{knowledge.label('report.guidance')}: {fix}") in squeezed(text)
    assert f"{knowledge.label('report.frames')} 4,5,6,7" in text and f"[{knowledge.label('report.inconclusive')}]" in text
    assert f"200 4 ({knowledge.label('report.resent', count=3)})" in text
    assert "What to do" not in text and "Statistics" not in text


def test_a_bug_is_one_line_and_exit_code_3_and_strict_shows_the_traceback(monkeypatch, capsys):
    from sipscope.report import terminal

    def broken(*_args, **_kwargs):
        raise ValueError("boom \x1b[31m")

    monkeypatch.setattr(terminal, "render", broken)
    assert main([str(SAMPLES / "busy-udp.pcap")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sipscope: internal error (a bug, please report it): ValueError: boom \\x1b[31m (at ")
    with pytest.raises(ValueError):
        main([str(SAMPLES / "busy-udp.pcap"), "--strict"])


@pytest.mark.parametrize("output", [[], ["--json"]])
def test_a_bug_in_the_analysis_names_the_frame_and_the_run_goes_on(monkeypatch, capsys, output):
    from sipscope.analysis.calls import Call

    real = Call._request

    def broken(self, message, index):
        if message.method == "BYE":
            raise RuntimeError("analysis bug")
        return real(self, message, index)

    monkeypatch.setattr(Call, "_request", broken)
    path = str(SAMPLES / "basic-call-udp.pcap")
    assert main([path, *output]) == 3
    out = capsys.readouterr().out
    if output:
        errors = json.loads(out)["capture"]["internal_errors"]
        assert [(e["frame"], e["error"]) for e in errors] == [(6, "RuntimeError: analysis bug")]
    else:
        assert "internal error at frame 6: RuntimeError: analysis bug" in out
        assert "Calls: 1" in out  # the rest of the capture was analysed
    with pytest.raises(RuntimeError):
        main([path, "--strict", *output])
