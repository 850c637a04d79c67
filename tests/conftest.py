from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import deidentification
from tests.support.server import DEDUCE_CACHE, QUICK_HASHING, Server, StartServer, sqlite_server
from triage.research.deidentify.engine import Engine, load_engine

#: Fixtures shared by the research tests: ``supervisor`` and ``researcher``.
pytest_plugins = ("tests.support.research",)


def pytest_configure(config: pytest.Config) -> None:
    """Set up what the whole run shares, before the test workers inherit the environment.

    The run's one de-identification service, and a Redis prefix of its own: Redis pub/sub
    ignores the database number, so two suites on one Redis would hear each other's hints.
    """
    if hasattr(config, "workerinput"):
        return
    os.environ.setdefault("REDIS_PREFIX", f"test-{secrets.token_hex(4)}:")
    if "DEIDENTIFY_SOCKET" not in os.environ:
        deidentification.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        deidentification.stop()


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """Start single-node servers (SQLite + memory broker) with extra settings.

    Password hashing is cheap unless a test passes its own argon2 settings; every server
    started is stopped after the test.
    """
    started: list[Server] = []

    async def start(**env: str) -> Server:
        server = sqlite_server(tmp_path, **{**QUICK_HASHING, **env})
        started.append(server)
        return await asyncio.to_thread(server.start)

    yield start
    for server in started:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def server(start_server: StartServer) -> Server:
    """A fresh single-node server for each test."""
    return await start_server()


@pytest.fixture(scope="session")
def deidentify_engine() -> Engine:
    """deduce loaded once per test session, from the cache the test servers use too."""
    return load_engine(DEDUCE_CACHE)
