"""A call's messages as a flow: what a ladder diagram, a call selection and a capture export need of each message.

A call records its flow only when a report asks for it (``Analyzer(flow=...)``): the steps of the calls still open
are what it costs. The raw bytes are kept only for the reports that show them (HTML).
"""

from __future__ import annotations

from typing import NamedTuple

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


_make = tuple.__new__  # a Step without the generated __new__'s extra call: this runs for every message


def step(message, again: bool, raw: bool) -> Step:
    return _make(Step, (message.frames, message.time, message.src, message.dst, message.transport, message.method,
                        message.uri, message.status, message.reason, message.cseq_number, message.cseq_method, again,
                        message.raw if raw else None))


def user_agent(message) -> str | None:
    """The message's User-Agent (a request) or Server (a response) value, cut to ``AGENT_LENGTH``."""
    agent = message.agent
    return agent[:AGENT_LENGTH] if agent else None
