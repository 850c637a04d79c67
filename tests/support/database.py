"""Look into a single-node server's SQLite file from outside, as an auditor would."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from tests.support.server import Server


def query(server: Server, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(server.data_dir / "chat.db")) as connection:
        return connection.execute(sql, params).fetchall()


def execute(server: Server, sql: str, *params: Any) -> None:
    """Change the file behind the server's back, as an operator's mistake would."""
    with closing(sqlite3.connect(server.data_dir / "chat.db")) as connection, connection:
        connection.execute(sql, params)


def database_bytes(server: Server) -> bytes:
    """Every byte on disk: the database file and its write-ahead log."""
    database = server.data_dir / "chat.db"
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
