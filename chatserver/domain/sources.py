"""Limits per source address that never keep the address.

A source is known only as an HMAC of its address under a random key that lives in this
process's memory and is replaced every ``rotate_s``: counts cannot be joined to an address
afterwards, not even by whoever reads the memory a day later (docs/security.md). The key
before the current one is kept so that a rotation does not hand every source a fresh budget.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass

#: Sources remembered at once per limit; the least recently seen are forgotten first.
MAX_SOURCES = 50_000


class SourceKeys:
    """The keyed hash of a source address, under a key that rotates."""

    def __init__(self, rotate_s: float, now: float) -> None:
        self._rotate_s = rotate_s
        self._current = secrets.token_bytes(32)
        self._previous = secrets.token_bytes(32)
        self._rotated_at = now

    def digests(self, source: str, now: float) -> tuple[bytes, bytes]:
        """The source under the current key, then under the previous one."""
        if now - self._rotated_at >= self._rotate_s:
            self._previous, self._current = self._current, secrets.token_bytes(32)
            self._rotated_at = now
        encoded = source.encode()
        return (
            hmac.digest(self._current, encoded, "sha256"),
            hmac.digest(self._previous, encoded, "sha256"),
        )

    def digest(self, source: str, now: float) -> bytes:
        return self.digests(source, now)[0]


class StartWindow:
    """At most ``limit`` events per source in any ``window_s`` seconds."""

    def __init__(self, keys: SourceKeys, limit: int, window_s: float) -> None:
        self._keys = keys
        self._limit = limit
        self._window_s = window_s
        self._events: dict[bytes, deque[float]] = {}

    def admit(self, source: str, now: float) -> float:
        """Count one event, or refuse it: the seconds until one is allowed again."""
        current, previous = self._keys.digests(source, now)
        events = self._events.pop(current, None) or self._events.pop(previous, None) or deque()
        while events and now - events[0] >= self._window_s:
            events.popleft()
        self._events[current] = events  # now the most recently seen
        if len(events) >= self._limit:
            return max(1.0, self._window_s - (now - events[0]))
        events.append(now)
        if len(self._events) > MAX_SOURCES:
            del self._events[next(iter(self._events))]
        return 0.0


@dataclass
class Held:
    """One place taken from a :class:`Concurrent` limit; given back once, however often asked."""

    limit: Concurrent
    digest: bytes
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limit.give_back(self.digest)


class Concurrent:
    """At most ``limit`` things (sockets) open at once per source."""

    def __init__(self, keys: SourceKeys, limit: int) -> None:
        self._keys = keys
        self._limit = limit
        self._open: dict[bytes, int] = {}
        self._total = 0

    def take(self, source: str, now: float) -> Held | None:
        """A place for one more from ``source``, or ``None`` when it holds its limit."""
        current, previous = self._keys.digests(source, now)
        if self._open.get(current, 0) + self._open.get(previous, 0) >= self._limit:
            return None
        self._open[current] = self._open.get(current, 0) + 1
        self._total += 1
        return Held(self, current)

    def give_back(self, digest: bytes) -> None:
        self._total -= 1
        left = self._open.get(digest, 0) - 1
        if left > 0:
            self._open[digest] = left
        else:
            self._open.pop(digest, None)

    def total(self) -> int:
        """Places held now, over every source."""
        return self._total


class SourceLimits:
    """Every per-source limit of one node, under one rotating key."""

    def __init__(
        self,
        *,
        rotate_s: float,
        starts: int,
        start_window_s: float,
        prehello: int,
        visitor_sockets: int,
        now: float,
    ) -> None:
        self.keys = keys = SourceKeys(rotate_s, now)
        self.starts = StartWindow(keys, starts, start_window_s)
        self.visitor_prehello = Concurrent(keys, prehello)
        #: Staff count apart: a visitor flood from an office's network never locks staff out.
        self.staff_prehello = Concurrent(keys, prehello)
        self.visitor_sockets = Concurrent(keys, visitor_sockets)
