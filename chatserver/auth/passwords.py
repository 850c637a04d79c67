"""Argon2id password hashing in worker threads, a bounded number at a time.

A hash is meant to be costly (about a core for tens of milliseconds). Unbounded, a burst
of staff logins (a shift change) took every core from the chat's event loop and moved its
p99 from 18 ms to 0.7 s (issue 18). So at most ``concurrency`` hashes run at once, at most
``queue`` more wait, and any beyond are refused at once with :class:`Busy`. The hashing
threads are their own pool at the lowest CPU priority (Linux): on a core shared with the
event loop, the loop comes first and a login waits a little longer instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TypeVar

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.errors import Busy
from chatserver.metrics import LOGINS_REFUSED_BUSY

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
#: What a refused login is told to wait: a queue of hashes drains in about this long.
BUSY_RETRY_AFTER_S = 1

_T = TypeVar("_T")
#: Whether this task holds a place (:meth:`PasswordHasher.admitted`) already.
_holding: ContextVar[bool] = ContextVar("holding_hash_place", default=False)


class PasswordHasher:
    def __init__(
        self,
        *,
        memory_kib: int,
        time_cost: int,
        parallelism: int,
        concurrency: int = 1,
        queue: int = 10,
    ) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Verified against unknown usernames so that timing does not reveal which exist.
        self._dummy_hash = self._argon2.hash("no such account")
        self._slots = asyncio.Semaphore(concurrency)
        self._threads = ThreadPoolExecutor(
            concurrency, thread_name_prefix="argon2", initializer=_lowest_priority
        )
        #: Hashes running or waiting; past ``concurrency + queue`` new ones are refused.
        self._admitted = 0
        self._limit = concurrency + queue

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """A place among the hashes running or waiting, held for a whole login.

        Refused at once with :class:`Busy`, before the login is counted as an attempt, or
        never: the hashes inside (verify, and a rehash) do not ask again.
        """
        if self._admitted >= self._limit:
            LOGINS_REFUSED_BUSY.inc()
            raise Busy(BUSY_RETRY_AFTER_S)
        self._admitted += 1
        holding = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(holding)
            self._admitted -= 1

    async def hash(self, password: str) -> str:
        return await self._in_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._in_thread(
            self._verify, password_hash or self._dummy_hash, password, password_hash is not None
        )

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)

    async def _in_thread(self, work: Callable[..., _T], *args: object) -> _T:
        async with self._turn():
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if _holding.get():
            async with self._slots:
                yield
        else:
            with self.admitted():
                async with self._slots:
                    yield

    def _verify(self, password_hash: str, password: str, real: bool) -> bool:
        try:
            return self._argon2.verify(password_hash, password) and real
        except (VerificationError, InvalidHashError):
            return False


def _lowest_priority() -> None:
    """Nice this thread only (Linux threads have their own nice value; elsewhere it would
    be the whole process, so it is left alone)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
