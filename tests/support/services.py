"""The real PostgreSQL and Redis on this machine: reachable or not, and a fresh database each.

Where they are comes from the environment, so that two suites can share one machine (each with
its own Redis database and database-name prefix):

- ``CHAT_TEST_POSTGRES_URL`` [postgresql://postgres@127.0.0.1:5432]: server and user (a trusted
  login that may create databases); ``CHAT_TEST_POSTGRES_USER`` still overrides the user.
- ``CHAT_TEST_DATABASE_PREFIX`` [chat_test_]: the test databases' names start with it.
- ``CHAT_TEST_REDIS_URL`` [redis://127.0.0.1:6379/0]: server and database number.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import asyncpg
import pytest

_POSTGRES = urlsplit(
    os.environ.get("CHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
)
_REDIS = urlsplit(os.environ.get("CHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
POSTGRES_HOST, POSTGRES_PORT = _POSTGRES.hostname or "127.0.0.1", _POSTGRES.port or 5432
POSTGRES_USER = os.environ.get("CHAT_TEST_POSTGRES_USER", _POSTGRES.username or "postgres")
DATABASE_PREFIX = os.environ.get("CHAT_TEST_DATABASE_PREFIX", "chat_test_")
REDIS_HOST, REDIS_PORT = _REDIS.hostname or "127.0.0.1", _REDIS.port or 6379
REDIS_DB = int(_REDIS.path.strip("/") or 0)
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


def proxied_redis_url(port: int) -> str:
    """The test Redis database through a local proxy on ``port``."""
    return f"redis://127.0.0.1:{port}/{REDIS_DB}"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(host: str, port: int, name: str) -> None:
    """Skip locally when a service is down; in CI (CHAT_TEST_REQUIRE_SERVICES=1) fail loudly."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CHAT_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _admin(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database="postgres"
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty database for one test; dropped afterwards."""
    require(POSTGRES_HOST, POSTGRES_PORT, "PostgreSQL")
    name = f"{DATABASE_PREFIX}{secrets.token_hex(6)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
