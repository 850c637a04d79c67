"""Proof of work for chat starts: a small hashcash puzzle that makes a flood cost something.

A challenge is stateless: the server signs what it needs to check later (difficulty, expiry,
a random id) with a secret every node shares, so any node verifies a solution without having
kept anything. A solution is a nonce such that SHA-256 of ``challenge + ":" + nonce`` starts
with ``difficulty`` zero bits. That it is used once is up to a spent set shared by the nodes
(the broker's :meth:`claim`); :class:`SpentSet` is the in-process one.

Times are seconds since the epoch: challenges travel between nodes, so a node's monotonic
clock would mean nothing to another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

VERSION = "w1"
#: A nonce is what the widget counts with: short, so a solution costs nothing to send.
NONCE = re.compile(r"[0-9a-z]{1,32}")
MAX_CHALLENGE_CHARS = 200


class WorkMode(StrEnum):
    """``auto`` asks for work only while a flood or a near-full queue says so."""

    OFF = "off"
    AUTO = "auto"
    ON = "on"


class Fault(StrEnum):
    """Why a solution was not accepted; the visitor is given a fresh challenge either way."""

    MALFORMED = "malformed"
    EXPIRED = "expired"
    WRONG = "wrong"
    REUSED = "reused"


@dataclass(frozen=True)
class WorkState:
    """What every node reads from the store: the mode, until when ``auto`` asks, the secret."""

    mode: WorkMode
    auto_until: float
    secret: bytes

    def required(self, now: float) -> bool:
        if self.mode is WorkMode.AUTO:
            return now < self.auto_until
        return self.mode is WorkMode.ON


@dataclass(frozen=True)
class Puzzle:
    challenge: str
    difficulty: int
    expires_at: float


@dataclass(frozen=True)
class Checked:
    """A solution that is right and in time; ``key`` is what may be spent once, until then."""

    key: str
    expires_at: float


class BadWork(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.value)
        self.fault = fault


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def work_digest(challenge: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()


class Challenges:
    """Issues and checks challenges under one secret, difficulty and lifetime."""

    def __init__(self, secret: bytes, *, difficulty: int, lifetime_s: float) -> None:
        self._secret = secret
        self._difficulty = difficulty
        self._lifetime_s = lifetime_s

    def issue(self, now: float) -> Puzzle:
        expires_at = int(now + self._lifetime_s) + 1
        body = f"{VERSION}.{self._difficulty}.{expires_at}.{secrets.token_hex(16)}"
        return Puzzle(f"{body}.{self._sign(body)}", self._difficulty, expires_at)

    def check(self, challenge: str, nonce: str, now: float) -> Checked:
        """The solution's key to spend, or :class:`BadWork`; never spends anything itself.

        The difficulty is the one signed into the challenge, so changing the setting does
        not break the puzzles visitors are solving at that moment.
        """
        too_long = len(challenge) > MAX_CHALLENGE_CHARS
        if too_long or not challenge.isascii() or not NONCE.fullmatch(nonce):
            raise BadWork(Fault.MALFORMED)
        body, _, mac = challenge.rpartition(".")
        parts = body.split(".")
        signed = hmac.compare_digest(mac.encode(), self._sign(body).encode())
        if len(parts) != 4 or parts[0] != VERSION or not signed:
            raise BadWork(Fault.MALFORMED)
        difficulty, expires_at, key = int(parts[1]), int(parts[2]), parts[3]
        if now >= expires_at:
            raise BadWork(Fault.EXPIRED)
        if leading_zero_bits(work_digest(challenge, nonce)) < difficulty:
            raise BadWork(Fault.WRONG)
        return Checked(key, expires_at)

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), "sha256").hexdigest()


class SpentSet:
    """Keys claimed once until they expire, in one process (the embedded mode)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def claim(self, key: str, until: float, now: float) -> bool:
        """Whether ``key`` was not claimed before; it stays claimed until ``until``."""
        self._forget_expired(now)
        if key in self._until:
            return False
        self._until[key] = until
        return True

    def _forget_expired(self, now: float) -> None:
        # Keys arrive with about the same lifetime, so the oldest expire first.
        while self._until:
            key, until = next(iter(self._until.items()))
            if until > now:
                return
            del self._until[key]


class SpreadDetector:
    """How many different sources started a chat within the last ``window_s`` seconds.

    One source is held back by its own limit; many sources at once is a flood from many
    machines, which only work makes expensive. Sources are their keyed hashes (sources.py).
    """

    def __init__(self, window_s: float, max_sources: int) -> None:
        self._window_s = window_s
        self._max_sources = max_sources
        self._seen: dict[bytes, float] = {}

    def note(self, digest: bytes, now: float) -> int:
        self._seen.pop(digest, None)
        self._seen[digest] = now  # now the most recently seen
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._window_s and len(self._seen) <= self._max_sources:
                break
            del self._seen[oldest]
        return len(self._seen)


@dataclass(frozen=True)
class AutoPolicy:
    """When ``auto`` asks for work, and for how long after the last sign of a flood."""

    sources: int
    queue_share: float
    calm_s: float

    def flooded(self, spread: int, waiting: int, queue_max: int) -> bool:
        near_full = queue_max > 0 and waiting >= self.queue_share * queue_max
        return spread >= self.sources or near_full
