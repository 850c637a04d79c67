"""Engines for SQLite and PostgreSQL; every dialect quirk lives here.

SQLite gets WAL, ``synchronous=FULL`` (a committed message survives power loss,
not only a crash), foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` so that
concurrent writers queue for the lock instead of failing on upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_timeout_s: float = 30.0
) -> AsyncEngine:
    """``pool_timeout_s``: how long a use case waits for a connection before ``unavailable``."""
    if not is_sqlite(url):
        return create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout_s,
            pool_pre_ping=True,
            hide_parameters=True,
        )
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # One connection: transactions queue in asyncio, in order, instead of sleeping in
    # SQLite's busy handler. SQLite has one writer at a time anyway.
    engine = create_async_engine(
        url, hide_parameters=True, pool_size=1, max_overflow=0, pool_timeout=pool_timeout_s
    )
    _configure_sqlite(engine)
    return engine


async def release_deleted_pages(engine: AsyncEngine) -> None:
    """After a deletion: on SQLite, copy the WAL back and truncate it, so the old page
    images of deleted rows are gone from disk too. PostgreSQL's VACUUM does this itself."""
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            # Outside any transaction: SQLite refuses a checkpoint inside one.
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=10000",
            # Deleted transcripts are overwritten with zeros, not left in free pages.
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
