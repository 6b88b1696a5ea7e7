"""The analysis of each SIPp recording in samples/: the exact findings, and what the call came to.

The samples are described frame by frame in samples/README.md; the expectations below come from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sipscope import ingest
from sipscope.analysis.analyzer import analyze_messages

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def analyze(name: str):
    ingestion = ingest([SAMPLES / name], strict=True)
    return analyze_messages(list(ingestion), ingestion.pipeline.end_ts)


def findings(analysis) -> list[tuple]:
    return [(f.id, f.severity, f.frames, f.conclusive) for f in analysis.findings]


# sample: (every finding as (id, severity, frames, conclusive), outcome, final status, ended by)
EXPECTED = {
    "basic-call-udp.pcap": ([], "answered", 200, "caller"),
    "basic-call-tcp.pcap": ([], "answered", 200, "caller"),
    "busy-udp.pcap": ([("invite.failed", "info", [1, 3], True)], "busy", 486, None),
    "cancel-udp.pcap": ([], "cancelled", 487, "caller"),
    "missing-ack-udp.pcap": ([("ack.missing", "warning", [4, 5, 6, 7], False)], "answered", 200, None),
    "no-answer-udp.pcap": ([("request.unanswered", "error", [1, 2, 3, 4, 5, 6, 7], True)], "failed", None, None),
    "refer-success-udp.pcap": ([], "answered", 200, "callee"),
    "refer-transfer-udp.pcap": ([("refer.transfer_failed", "warning", [6, 10], True)], "answered", 200, "callee"),
    "refer-no-notify-udp.pcap": ([("refer.notify_missing", "error", [6, 7], True)], "answered", 200, "callee"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_findings_and_outcome(name):
    expected_findings, outcome, status, ended_by = EXPECTED[name]
    analysis = analyze(name)
    assert findings(analysis) == expected_findings
    [call] = analysis.calls
    assert (call["kind"], call["outcome"], call["status"], call["ended_by"]) == ("call", outcome, status, ended_by)
    assert call["caller"] == '"Alice" <alice@127.0.0.1>'
    assert call["callee"] == '"Bob" <bob@127.0.0.1>'


def test_every_sample_is_covered():
    # The registration is checked below; the TLS call, which the native reader cannot decrypt, in tests/capture.
    assert sorted(p.name for p in SAMPLES.glob("*.pcap")) == sorted([*EXPECTED, "register-digest-udp.pcap",
                                                                     "tls-call.pcap"])


def test_basic_call_times_and_transactions():
    analysis = analyze("basic-call-udp.pcap")
    [call] = analysis.calls
    assert call["messages"] == [0, 1, 2, 3, 4, 5, 6]
    # README: 180 at 0.001 s, 200 at 0.304 s, BYE at 1.308 s (recorded times vary by a few ms).
    assert 0 < call["setup_time"] < 0.01
    assert 0.29 < call["answer_time"] < 0.32
    assert 0.95 < call["duration"] < 1.05
    assert [(t.method, t.state, [r.status for r in t.responses]) for t in analysis.transactions] == [
        ("INVITE", "accepted", [100, 180, 200]), ("BYE", "completed", [200])]
    [dialog] = call["dialogs"]
    assert dialog["state"] == "terminated"
    assert dialog["acks"] == [{"cseq": 1, "status": 200, "frame": 4, "ack_frame": 5}]


def test_busy_call_ack_belongs_to_the_invite_transaction():
    analysis = analyze("busy-udp.pcap")
    [invite] = analysis.transactions
    assert (invite.state, invite.final.status, invite.ack[1]) == ("confirmed", 486, 4)


def test_cancelled_call_has_its_cancel_transaction():
    analysis = analyze("cancel-udp.pcap")
    invite, cancel = analysis.transactions
    assert invite.cancelled_by is cancel
    assert (cancel.method, cancel.final.status, invite.final.status) == ("CANCEL", 200, 487)
    assert analysis.calls[0]["setup_time"] is not None and analysis.calls[0]["answer_time"] is None


def test_missing_ack_names_the_retransmissions():
    [finding] = analyze("missing-ack-udp.pcap").findings
    assert finding.inferred and not finding.conclusive
    assert "resent 3 times" in finding.summary and "before 64*T1" in finding.summary


def test_unanswered_invite_is_conclusive_because_the_sender_gave_up():
    analysis = analyze("no-answer-udp.pcap")
    [finding] = analysis.findings
    assert "sent 7 times" in finding.summary and "64*T1" in finding.summary
    [invite] = analysis.transactions
    assert len(invite.copies) == 6 and invite.responses == []
    assert analysis.stats.requests["INVITE"] == [7, 6]


@pytest.mark.parametrize("name, outcome, progress", [
    ("refer-success-udp.pcap", "succeeded", [100, 200]),
    ("refer-transfer-udp.pcap", "failed", [100, 486]),
    ("refer-no-notify-udp.pcap", "unknown", []),
])
def test_transfer_outcome(name, outcome, progress):
    [call] = analyze(name).calls
    [refer] = call["subscriptions"]
    assert (refer["kind"], refer["outcome"], refer["progress"]) == ("refer", outcome, progress)
    assert refer["refer_to"] == "<sip:carol@127.0.0.1:5199>"
    assert refer["in_dialog"] and not refer["attended"] and refer["notify_expected"]


def test_register_with_digest_challenge():
    analysis = analyze("register-digest-udp.pcap")
    assert analysis.findings == []
    [call] = analysis.calls
    assert (call["kind"], call["outcome"], call["status"]) == ("register", "completed", 200)
    [registration] = call["registrations"]
    assert registration["outcome"] == "registered"
    assert registration["challenges"] == 1
    assert [(a["frame"], a["credentials"], a["status"]) for a in registration["attempts"]] == [
        (1, False, 401), (3, True, 200)]
    assert registration["bindings"] == [{"contact": "sip:alice@127.0.0.1:5176", "expires": 3600}]
