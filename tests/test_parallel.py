"""Two processes must give exactly what one gives: the same lines in the same order, the same accounting."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from scapy.all import IP, TCP, UDP, Ether, fragment

from sipscope.parallel import merge_summaries
from sipscope.pipeline import SHARE_BLOCK
from sipscope.testing import make_request, make_response, write_pcap

from .corpus import CAPTURES, corpus_captures


def sipscope(*args: str) -> bytes:
    result = subprocess.run([sys.executable, "-m", "sipscope", *args], capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def mixed_capture(tmp_path_factory):
    """UDP SIP over several share blocks, with a TCP conversation, fragments and noise woven through it."""
    a, b = "192.0.2.1", "192.0.2.2"
    frames = []
    tcp_seq = 1000
    for i in range(int(SHARE_BLOCK * 2.5)):
        call = f"udp-{i}@x"
        frames.append(Ether() / IP(src=a, dst=b) / UDP(sport=5060, dport=5060) / make_request(call_id=call))
        if i % 97 == 0:  # a TCP message cut in two segments, the second a few frames later
            message = make_response(call_id=f"tcp-{i}@x")
            half = len(message) // 2
            frames.append(Ether() / IP(src=b, dst=a) / TCP(sport=5060, dport=40000, seq=tcp_seq, flags="A") / message[:half])
            frames.append(Ether() / IP(src=b, dst=a) / TCP(sport=5060, dport=40000, seq=tcp_seq + half, flags="PA") / message[half:])
            tcp_seq += len(message)
        if i % 211 == 0:  # a large SIP datagram in three IPv4 fragments
            big = make_request("MESSAGE", call_id=f"frag-{i}@x", body=b"x" * 2500)
            frames.extend(fragment(Ether() / IP(src=a, dst=b, id=i) / UDP(sport=5060, dport=5060) / big, 1000))
        if i % 50 == 0:
            frames.append(Ether() / IP(src=a, dst=b) / UDP(sport=7000, dport=7002) / (b"\x80\x00" + bytes(160)))
    path = tmp_path_factory.mktemp("parallel") / "mixed.pcap"
    write_pcap(path, [(1_700_000_000_000_000_000 + n * 1_000_000, bytes(f)) for n, f in enumerate(frames)])
    return path


def test_two_processes_give_the_same_json_lines(mixed_capture):
    one = sipscope("messages", "--json", "--jobs", "1", str(mixed_capture))
    two = sipscope("messages", "--json", "--jobs", "2", str(mixed_capture))
    assert two == one
    lines = [json.loads(line) for line in one.splitlines()]
    summary = lines[-1]
    calls = [line["call_id"] for line in lines[:-1]]
    assert sum(c.startswith("udp-") for c in calls) == int(SHARE_BLOCK * 2.5)
    assert sum(c.startswith("tcp-") for c in calls) == 27
    assert sum(c.startswith("frag-") for c in calls) == 13
    assert summary["sip_messages"] == len(calls)
    assert sum(summary["by_category"].values()) == summary["frames"]


def test_two_processes_give_the_same_text(mixed_capture):
    assert sipscope("messages", "--jobs", "2", str(mixed_capture)) == sipscope("messages", "--jobs", "1", str(mixed_capture))


@pytest.mark.skipif(not corpus_captures(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("name", ["heplify/sip_tcp_websocket.pcap", "master_thesis_files/uac_train_model.pcap",
                                  "sngrep/aaa.pcap", "heplify/erspan_sip_ipv4_udp.pcapng"])
def test_corpus_captures_agree(name):
    path = str(CAPTURES / name)
    assert sipscope("messages", "--json", "--jobs", "2", path) == sipscope("messages", "--json", "--jobs", "1", path)


def test_merge_summaries_adds_up_and_keeps_the_first_examples():
    def summary(sip, other, examples):
        return {
            "files": [{"name": "f"}], "frames": 30, "sip_messages": sip,
            "by_category": {"sip": sip, "other": other, "malformed": 0, "truncated": 0, "unsupported": 0, "error": 0},
            "reasons": [{"category": "other", "reason": "udp: not sip", "frames": other, "examples": examples}],
            "events": [{"event": "tcp: gap", "count": 1, "examples": examples[:1]}],
            "internal_errors": [],
        }

    merged = merge_summaries([summary(10, 6, [2, 4, 6, 8, 10, 12]), summary(8, 6, [1, 3, 5, 7, 9, 11])])
    assert merged["frames"] == 30 and merged["sip_messages"] == 18
    assert merged["by_category"]["sip"] == 18 and merged["by_category"]["other"] == 12
    assert merged["reasons"] == [
        {"category": "other", "reason": "udp: not sip", "frames": 12, "examples": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
    ]
    assert merged["events"] == [{"event": "tcp: gap", "count": 2, "examples": [1, 2]}]
