"""Registrations (RFC 3261 section 10): REGISTER, its digest challenge (section 22), and the bindings it stored."""

from __future__ import annotations

from .findings import Finding
from .transactions import seconds

CHALLENGES = (401, 407)


class Attempt:
    __slots__ = ("frame", "time", "credentials", "status", "reason", "final_frame", "final_time")

    def __init__(self, frame: int, time: int, credentials: bool):
        self.frame = frame
        self.time = time
        self.credentials = credentials
        self.status: int | None = None
        self.reason = ""
        self.final_frame: int | None = None
        self.final_time: int | None = None


class Registration:
    """The REGISTERs of one address of record inside one Call-ID, in order, and what they achieved."""

    __slots__ = ("aor", "attempts", "bindings", "expires")

    def __init__(self, aor: str):
        self.aor = aor
        self.attempts: list[Attempt] = []
        self.bindings: list[tuple[str, int | None]] = []
        """(contact URI, seconds) the registrar confirmed in its last 2xx (section 10.3 step 8)."""
        self.expires: int | None = None
        """The longest binding's lifetime in seconds, from the last 2xx."""

    def requested(self, frame: int, time: int, credentials: bool) -> Attempt:
        attempt = Attempt(frame, time, credentials)
        self.attempts.append(attempt)
        return attempt

    @staticmethod
    def answered(attempt: Attempt, status: int, reason: str, frame: int, time: int) -> None:
        if status >= 200 and attempt.status is None:
            attempt.status, attempt.reason, attempt.final_frame, attempt.final_time = status, reason, frame, time

    def bound(self, contacts: list[tuple[str, int | None]], default_expires: int | None) -> None:
        """The Contacts of a 2xx: each with its expires parameter, else the Expires header (section 10.2.4)."""
        self.bindings = [(uri, default_expires if expires is None else expires) for uri, expires in contacts]
        lifetimes = [expires for _uri, expires in self.bindings if expires is not None]
        self.expires = max(lifetimes) if lifetimes else default_expires

    @property
    def challenges(self) -> int:
        return sum(1 for a in self.attempts if a.status in CHALLENGES)

    @property
    def outcome(self) -> str:
        """``registered``, ``unregistered`` (bindings removed), ``challenged`` (no credentials followed),
        ``failed`` or ``unanswered`` (no final response), from the last REGISTER."""
        last = self.attempts[-1]
        if last.status is None:
            return "unanswered"
        if last.status < 300:
            return "registered" if self.expires else "unregistered"
        if last.status in CHALLENGES and not last.credentials:
            return "challenged"
        return "failed"

    def findings(self, call_id: str) -> list[Finding]:
        last = self.attempts[-1]
        if last.status is None or last.status < 300 or last.status in CHALLENGES or \
                last.credentials and last.status == 403:
            return []  # a rejected credential is auth.rejected; no answer is request.unanswered
        return [Finding("register.failed", call_id, [last.frame, last.final_frame],
                        f"REGISTER for {self.aor} failed with {last.status} {last.reason}".rstrip(), last.time)]

    def as_dict(self, start: int) -> dict:
        return {
            "aor": self.aor, "outcome": self.outcome, "challenges": self.challenges,
            "attempts": [{"frame": a.frame, "after": seconds(a.time - start), "credentials": a.credentials,
                          "status": a.status, "final_frame": a.final_frame} for a in self.attempts],
            "bindings": [{"contact": uri, "expires": expires} for uri, expires in self.bindings],
            "expires": self.expires,
        }
