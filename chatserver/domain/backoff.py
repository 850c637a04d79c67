"""Exponential backoff for login attempts: a few free tries, then each one waits twice as long.

Attempts are counted *before* the password is checked and forgiven on success, so guesses
sent in parallel are counted too, and a caller that is blocked costs no password hashing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Attempts are forgotten after this long without one (a typo a week ago does not count).
FORGET_AFTER_S = 24 * 60 * 60.0


@dataclass(frozen=True)
class BackoffPolicy:
    free: int
    base_s: float
    max_s: float

    def delay_s(self, count: int) -> float:
        """How long the attempt after the ``count``-th unforgiven one must wait."""
        if count < self.free:
            return 0.0
        return min(self.max_s, self.base_s * 2.0 ** min(count - self.free, 32))


@dataclass(frozen=True)
class Attempts:
    """Unforgiven attempts of one account or source; times are seconds since the epoch."""

    count: int = 0
    last_at: float = 0.0
    blocked_until: float = 0.0

    def wait_s(self, now: float) -> float:
        return max(0.0, self.blocked_until - now)

    def one_more(self, now: float, policy: BackoffPolicy) -> Attempts:
        count = 1 if now - self.last_at >= FORGET_AFTER_S else self.count + 1
        # A free attempt blocks nobody: stamping ``now`` would turn away a parallel attempt
        # whose clock was read a moment earlier (twenty logins at a shift change).
        delay = policy.delay_s(count)
        return Attempts(count, now, now + delay if delay else 0.0)
