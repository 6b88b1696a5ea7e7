"""Counts over the whole capture, as tshark's ``-z sip,stat`` gives them, plus the calls' outcomes and times."""

from __future__ import annotations

from .findings import SEVERITIES


class Stats:
    """Requests by method and responses by code (each with how many were retransmissions), call outcomes, and
    setup times (INVITE to the first 18x or 2xx)."""

    def __init__(self) -> None:
        self.requests: dict[str, list[int]] = {}  # method -> [count, retransmissions]
        self.responses: dict[int, list[int]] = {}  # status -> [count, retransmissions]
        self.outcomes: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.setup = [0, 0.0, None, None]  # count, sum, min, max (seconds)
        self.uncorrelated = 0
        """Messages without a Call-ID: counted, but part of no call."""
        self.findings: dict[str, int] = {}

    def request(self, method: str, again: bool) -> None:
        counts = self.requests.get(method)
        if counts is None:
            counts = self.requests[method] = [0, 0]
        counts[0] += 1
        if again:
            counts[1] += 1

    def response(self, status: int, again: bool) -> None:
        counts = self.responses.get(status)
        if counts is None:
            counts = self.responses[status] = [0, 0]
        counts[0] += 1
        if again:
            counts[1] += 1

    def call(self, summary: dict) -> None:
        self.kinds[summary["kind"]] = self.kinds.get(summary["kind"], 0) + 1
        if summary["kind"] == "call":
            self.outcomes[summary["outcome"]] = self.outcomes.get(summary["outcome"], 0) + 1
        setup = summary["setup_time"]
        if setup is not None:
            count, total, low, high = self.setup
            self.setup = [count + 1, total + setup, setup if low is None else min(low, setup),
                          setup if high is None else max(high, setup)]

    def add(self, other: Stats) -> None:
        """Add the counts of another part of the same capture (another worker's Call-IDs)."""
        for mine, theirs in ((self.requests, other.requests), (self.responses, other.responses)):
            for key, (count, again) in theirs.items():
                counts = mine.setdefault(key, [0, 0])
                counts[0] += count
                counts[1] += again
        for mine, theirs in ((self.outcomes, other.outcomes), (self.kinds, other.kinds),
                             (self.findings, other.findings)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        count, total, low, high = other.setup
        if count:
            mine_count, mine_total, mine_low, mine_high = self.setup
            self.setup = [mine_count + count, mine_total + total, low if mine_low is None else min(low, mine_low),
                          high if mine_high is None else max(high, mine_high)]
        self.uncorrelated += other.uncorrelated

    def finding(self, severity: str) -> None:
        self.findings[severity] = self.findings.get(severity, 0) + 1

    def as_dict(self) -> dict:
        count, total, low, high = self.setup
        return {
            "requests": {m: {"count": c, "retransmissions": r} for m, (c, r) in sorted(self.requests.items())},
            "responses": {str(s): {"count": c, "retransmissions": r} for s, (c, r) in sorted(self.responses.items())},
            "call_ids": dict(sorted(self.kinds.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "setup_time": {"count": count, "min": low, "max": high,
                           "avg": round(total / count, 6) if count else None},
            "findings": {severity: self.findings[severity] for severity in SEVERITIES if severity in self.findings},
            "uncorrelated_messages": self.uncorrelated,
        }
