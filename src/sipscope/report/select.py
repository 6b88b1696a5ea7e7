"""Which calls a report shows: ``--call-id``, ``--user``, ``--ip``, ``--from``/``--to``, ``--method``, ``--status``,
``--problems``, and which findings it drops (``--ignore``).

Within one option any value may match; every option given must match. A call is judged whole, on its flow.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..analysis.analyzer import SEVERITY_ORDER

WARNING = SEVERITY_ORDER["warning"]
_URI_USER = re.compile(r"^(?:sips?|tel):([^@;?>]*)", re.I)


class SelectionError(ValueError):
    """An option's value cannot be understood (a usage error)."""


@dataclass
class Selection:
    call_ids: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    networks: list = field(default_factory=list)
    """``ipaddress`` networks (a single address is a /32 or /128)."""
    since: float | str | None = None
    """Seconds since the capture's first frame (a number), or an absolute time (epoch seconds, as a string)."""
    until: float | str | None = None
    methods: set[str] = field(default_factory=set)
    statuses: list[str] = field(default_factory=list)
    """Codes (``486``) or classes (``4xx``)."""
    problems: bool = False
    ignore: list[str] = field(default_factory=list)
    """Finding ids to drop; shell patterns (``response.*``) allowed."""

    @property
    def active(self) -> bool:
        """Whether some calls may be left out."""
        return bool(self.call_ids or self.users or self.networks or self.since is not None or
                    self.until is not None or self.methods or self.statuses or self.problems)

    def as_dict(self) -> dict:
        """The selection as the JSON document states it."""
        return {"call_ids": self.call_ids, "users": self.users, "ips": [str(n) for n in self.networks],
                "from": self.since, "to": self.until, "methods": sorted(self.methods), "statuses": self.statuses,
                "problems": self.problems, "ignore": self.ignore}

    def kept(self, findings: list) -> list:
        if not self.ignore:
            return findings
        return [f for f in findings if not any(fnmatch.fnmatchcase(f.id, pattern) for pattern in self.ignore)]

    def matches(self, summary: dict, findings: list, capture_start: int | None) -> bool:
        """Whether the call of ``summary`` (with its flow) and its ``findings`` (already without the ignored
        ones) is selected; ``capture_start`` is the first frame's time in ns."""
        if not self.active:
            return True
        flow = summary["flow"]
        if self.call_ids and summary["call_id"] not in self.call_ids:
            return False
        if self.problems and not any(SEVERITY_ORDER[f.severity] <= WARNING for f in findings):
            return False
        if self.methods and not any(step.method in self.methods for step in flow):
            return False
        if self.statuses and not any(step.status is not None and _status_matches(step.status, self.statuses)
                                     for step in flow):
            return False
        if self.networks and not any(_ip_in(address, self.networks) for step in flow
                                     for address in (step.src, step.dst)):
            return False
        if self.users and not _user_matches(summary, flow, self.users):
            return False
        if flow and (self.since is not None or self.until is not None):
            first, last = flow[0].time / 1e9, flow[-1].time / 1e9
            if self.since is not None and last < _absolute(self.since, capture_start):
                return False
            if self.until is not None and first > _absolute(self.until, capture_start):
                return False
        return True


def parse_time(text: str) -> float | str:
    """``--from``/``--to``: seconds since the capture's first frame (``12.5``), or a date and time in ISO 8601
    (``2024-05-01T10:00:00``, UTC unless it names a zone), kept as epoch seconds in a string."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SelectionError(f"{text!r} is neither seconds from the capture's start nor an ISO 8601 date and "
                             "time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return str(moment.timestamp())


def parse_network(text: str):
    try:
        return ipaddress.ip_network(text.strip().strip("[]"), strict=False)
    except ValueError:
        raise SelectionError(f"{text!r} is not an IP address or network") from None


def parse_status(text: str) -> str:
    value = text.strip().lower()
    if re.fullmatch(r"[1-6](?:\d\d|xx)", value):
        return value
    raise SelectionError(f"{text!r} is not a response code (486) or class (4xx)")


def party_address(party: str) -> str:
    """``user@host`` of a call's caller or callee as ``Call.summary`` gives it (``"Display" <user@host>``)."""
    if party.endswith(">") and "<" in party:
        return party[party.rindex("<") + 1 : -1]
    return party


def _absolute(value: float | str, capture_start: int | None) -> float:
    if isinstance(value, str):
        return float(value)
    return (capture_start or 0) / 1e9 + value


def _status_matches(status: int, wanted: list[str]) -> bool:
    code = str(status)
    return any(code == w or (w.endswith("xx") and code[0] == w[0]) for w in wanted)


def _ip_in(address: str, networks: list) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]") if address.count(":") == 1 or address.startswith("[") \
        else address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _user_matches(summary: dict, flow, wanted: list[str]) -> bool:
    """A user matches the user part of From, To or a Request-URI: the same name (any case), or, for a number,
    the same last digits (``5551234`` matches ``+1-555-555-1234``)."""
    users = set()
    for party in (summary.get("caller"), summary.get("callee")):
        address = party_address(party or "")
        if "@" in address:
            users.add(address.rpartition("@")[0])
    for step in flow:
        if step.uri:
            found = _URI_USER.match(step.uri)
            if found:
                users.add(found.group(1))
    for user in users:
        digits = re.sub(r"[^0-9]", "", user)
        for query in wanted:
            if user.lower() == query.lower():
                return True
            query_digits = re.sub(r"[^0-9]", "", query)
            if query_digits and re.fullmatch(r"\+?[0-9 ().-]+", query) and digits.endswith(query_digits):
                return True
    return False
