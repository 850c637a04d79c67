"""Login brute-force protection, per account name (in the database) and per source address.

A source address is kept only in this process's memory, and only as an HMAC under a key
that dies with the process: it is never stored, logged or sent anywhere (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import datetime

from chatserver.domain.backoff import Attempts, BackoffPolicy
from chatserver.errors import LoginThrottled
from chatserver.settings import Settings
from chatserver.store.login_attempts import LoginAttemptStore

#: Sources remembered at once; the least recently seen are forgotten first.
MAX_SOURCES = 50_000


class SourceAttempts:
    """Attempts per source address, in memory only."""

    def __init__(self, policy: BackoffPolicy) -> None:
        self._policy = policy
        self._key = secrets.token_bytes(32)
        self._attempts: dict[bytes, Attempts] = {}

    def admit(self, source: str, now: float) -> float:
        """Count one attempt from ``source``, or refuse it: the seconds still to wait."""
        key = self._digest(source)
        attempts = self._attempts.pop(key, Attempts())
        if wait := attempts.wait_s(now):
            self._attempts[key] = attempts
            return wait
        self._attempts[key] = attempts.one_more(now, self._policy)  # now the most recent
        if len(self._attempts) > MAX_SOURCES:
            del self._attempts[next(iter(self._attempts))]
        return 0.0

    def forgive(self, source: str) -> None:
        self._attempts.pop(self._digest(source), None)

    def _digest(self, source: str) -> bytes:
        return hmac.digest(self._key, source.encode(), "sha256")


class LoginThrottle:
    def __init__(
        self, store: LoginAttemptStore, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._clock = clock
        self._account_policy = BackoffPolicy(
            settings.login_account_free_attempts,
            settings.login_backoff_base_s,
            settings.login_backoff_max_s,
        )
        self._sources = SourceAttempts(
            BackoffPolicy(
                settings.login_source_free_attempts,
                settings.login_backoff_base_s,
                settings.login_backoff_max_s,
            )
        )

    async def admit(self, username: str, source: str | None) -> None:
        """Count a login attempt before the password is checked, or raise ``LoginThrottled``."""
        now = self._clock()
        if source is not None and (wait := self._sources.admit(source, now.timestamp())):
            raise LoginThrottled(math.ceil(wait))
        wait = await self._store.admit(_subject(username), now=now, policy=self._account_policy)
        if wait:
            raise LoginThrottled(math.ceil(wait))

    async def forgive(self, username: str, source: str | None) -> None:
        """A successful login: this account and this source start afresh."""
        if source is not None:
            self._sources.forgive(source)
        await self._store.forgive(_subject(username))


def _subject(username: str) -> str:
    return hashlib.sha256(username.encode()).hexdigest()
