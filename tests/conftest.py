from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Server, sqlite_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh single-node server (SQLite + memory broker) for each test."""
    running = sqlite_server(tmp_path).start()
    yield running
    running.stop()
