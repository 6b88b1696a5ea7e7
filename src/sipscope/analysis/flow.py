"""A call's messages as a flow: what a ladder diagram, a call selection and a capture export need of each message.

A call records its flow only when a report asks for it (``Analyzer(flow=...)``): the steps of the calls still open
are what it costs. The raw bytes are kept only for the reports that show them (HTML).
"""

from __future__ import annotations

import re
from sys import intern
from typing import NamedTuple

# Read from the raw header block, once per address and call: a header parse for one value would cost more.
_AGENT = re.compile(rb"\n(?:User-Agent|Server)[ \t]*:[ \t]*([^\r\n]*)", re.I)
AGENT_LENGTH = 80  # characters kept of a User-Agent or Server value


class Step(NamedTuple):
    """One message of a call, as a ladder draws it."""

    frames: tuple[int, ...]
    time: int
    """Capture time in nanoseconds."""
    src: str
    dst: str
    transport: str
    method: str | None
    """The request's method; None for a response."""
    uri: str | None
    status: int | None
    reason: str | None
    cseq: int | None
    cseq_method: str | None
    again: bool
    """A retransmission of a request or a response already in the flow (what the statistics count as one)."""
    raw: bytes | None
    """The message's bytes, when the flow was recorded with them."""


def step(message, again: bool, raw: bool) -> Step:
    # Addresses and reason phrases repeat from message to message: interned, each is held once.
    reason = message.reason
    return Step(message.frames, message.time, intern(message.src), intern(message.dst), message.transport,
                message.method, message.uri, message.status, None if reason is None else intern(reason),
                message.cseq_number, message.cseq_method, again, message.raw if raw else None)


def user_agent(message) -> str | None:
    """The message's User-Agent (a request) or Server (a response) value, cut to ``AGENT_LENGTH``."""
    found = _AGENT.search(message.raw, 0, message.body_start)
    if found is None:
        return None
    return found.group(1).decode("utf-8", "replace").strip()[:AGENT_LENGTH] or None
