"""The analysis's memory bounds (``--limit``): open calls, transactions and dialogs per call. Each limit hit is
counted, with example frames, in the capture's events; what was let go is still reported as far as it was seen."""

from __future__ import annotations

import contextlib
import io
import json

from sipscope.cli import main
from sipscope.testing import DEFAULT_TS, make_request, make_response, udp_frame, write_pcap

SECOND = 1_000_000_000


def analysis(tmp_path, payloads: list[bytes], *limits: str) -> dict:
    """The JSON analysis of a capture of these datagrams, one a millisecond, with ``--limit`` options."""
    path = tmp_path / "capture.pcap"
    write_pcap(path, [(DEFAULT_TS + i * SECOND // 1000, udp_frame(p)) for i, p in enumerate(payloads)])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([str(path), "--json", "--fail-on", "never", *(f"--limit={limit}" for limit in limits)])
    return json.loads(out.getvalue())


def events(document: dict) -> dict:
    return {e["event"]: (e["count"], e["examples"]) for e in document["capture"]["events"]}


def test_a_flood_of_calls_closes_the_first_ones_early(tmp_path):
    flood = [make_request(call_id=f"flood-{i}@example.com", branch=f"z9hG4bK-{i}") for i in range(10)]
    document = analysis(tmp_path, flood, "open-calls=3")
    # Calls 1 to 7 made room for calls 4 to 10 (frames 4 to 10); every call is still reported.
    assert events(document)["limit: open calls (the first closed early)"] == (7, [4, 5, 6, 7, 8, 9, 10])
    assert sorted(call["call_id"] for call in document["calls"]) == sorted(f"flood-{i}@example.com"
                                                                            for i in range(10))
    assert events(analysis(tmp_path, flood)) == {}  # the default bound is far above


def test_requests_past_the_transactions_bound_let_the_oldest_go(tmp_path):
    pings = [make_request("OPTIONS", call_id="pings@example.com", cseq=n, branch=f"z9hG4bK-{n}") for n in range(1, 21)]
    document = analysis(tmp_path, pings, "transactions=5")
    count, examples = events(document)["limit: transactions per call (the oldest let go)"]
    assert (count, examples) == (15, list(range(6, 16)))  # the first ten examples
    assert document["stats"]["requests"]["OPTIONS"]["count"] == 20  # every request is still counted


def test_answers_from_more_forks_than_the_dialogs_bound_are_not_followed(tmp_path):
    invite = make_request()
    forks = [make_response(180, "Ringing").replace(b"tag=to-1", f"tag=fork-{n}".encode()) for n in range(5)]
    document = analysis(tmp_path, [invite, *forks], "dialogs=2")
    assert events(document)["limit: dialogs per call (the others not followed)"] == (3, [4, 5, 6])
    assert len(document["calls"][0]["dialogs"]) == 2


def test_a_bad_limit_is_a_usage_error(capsys):
    for option in ("--limit=open-calls=0", "--limit=calls=5", "--limit=dialogs=x"):
        try:
            main(["x.pcap", option])
        except SystemExit as exit_:
            assert exit_.code == 2
        assert "--limit" in capsys.readouterr().err


def test_header_lines_past_the_bound_are_noted_and_counted(tmp_path):
    crowded = make_request(extra="X-Filler: 1\r\n" * 50)
    document = analysis(tmp_path, [crowded, make_request(call_id="plain@example.com")], "headers=20")
    assert events(document)["limit: header lines per message (the rest not read one by one)"] == (1, [1])
    defects = {m["frames"][0]: m.get("defects", []) for m in document["messages"]}
    assert "sip.headers.too_many" in defects[1] and "sip.headers.too_many" not in defects[2]
    assert document["calls"][0]["call_id"] == "call-1@example.com"  # the key headers are read all the same


def test_the_pipeline_bounds_are_set_from_the_command_line_too():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "samples" / "basic-call-tcp.pcap"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([str(sample), "--json", "--fail-on", "never", "--limit", "tcp-streams=1"])
    assert "limit: open tcp streams" in events(json.loads(out.getvalue()))
