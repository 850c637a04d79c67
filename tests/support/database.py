"""Look into a server's database from outside, as an auditor would."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import asyncpg

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


async def postgres_contents(database_url: str) -> bytes:
    """Every row of every table of a PostgreSQL database, as JSON text: what a dump holds."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        rows = [
            row[0]
            for table in tables
            for row in await connection.fetch(
                f'SELECT row_to_json(t)::text FROM "{table[0]}" t'  # noqa: S608  (catalogue names)
            )
        ]
    finally:
        await connection.close()
    return "\n".join(rows).encode()
