"""The real PostgreSQL and Redis on this machine: reachable or not, and a fresh database each."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
POSTGRES_USER = os.environ.get("CHAT_TEST_POSTGRES_USER", "postgres")
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


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
    name = f"chat_test_{secrets.token_hex(6)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
