"""Argon2id password hashing, run in a worker thread so a login never stalls the chat loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


class PasswordHasher:
    def __init__(self, *, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Verified against unknown usernames so that timing does not reveal which exist.
        self._dummy_hash = self._argon2.hash("no such account")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(
            self._verify, password_hash or self._dummy_hash, password, password_hash is not None
        )

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str, password: str, real: bool) -> bool:
        try:
            return self._argon2.verify(password_hash, password) and real
        except (VerificationError, InvalidHashError):
            return False
