"""A server holding a synthetic year, and the staff who study it: what the research tests share.

The fixtures here are registered for the whole suite (``pytest_plugins`` in tests/conftest.py);
they stand on the ``server`` of the module that asks for them, which must be module-scoped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.support.pilots import Counsellor
from tests.support.server import QUICK_HASHING, Server, run_cli, sqlite_server


async def nothing(server: Server) -> None:
    pass


@asynccontextmanager
async def synthetic_year_server(
    directory: Path,
    year: int,
    visitors: int,
    seed: int,
    meanwhile: Callable[[Server], Awaitable[None]] = nothing,
) -> AsyncIterator[Server]:
    """A running server whose year was made on the command line, as an operator would.

    ``meanwhile`` runs against the server while the year is made, for slow preparations.
    """
    server = sqlite_server(directory, **QUICK_HASHING)
    await asyncio.to_thread(server.start)
    try:
        synthesize = ("synthesize", "--year", str(year), "--visitors", str(visitors))
        made, _ = await asyncio.gather(
            asyncio.to_thread(run_cli, server, *synthesize, "--seed", str(seed)),
            meanwhile(server),
        )
        assert made.returncode == 0, made.stderr
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def supervisor(server: Server) -> Counsellor:
    return await Counsellor.demo(server, "supervisor")


@pytest.fixture(scope="module")
async def researcher(server: Server, supervisor: Counsellor) -> Counsellor:
    return await Counsellor.create(server, supervisor, "researcher", role="researcher")
