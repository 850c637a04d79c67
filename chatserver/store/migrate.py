"""Bring the database schema up to date with Alembic, from code (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))


@cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """This code's head revisions, and every revision it knows."""
    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return frozenset(script.get_heads()), known


async def schema_is_behind(engine: AsyncEngine) -> bool:
    """Whether migrations this code needs are not yet applied.

    A revision this code does not know is taken as newer: in a rolling upgrade the new
    release migrates first, and the old nodes keep serving on the (additive) new schema.
    """
    heads, known = _revisions()
    async with engine.connect() as connection:
        current = frozenset(
            await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_heads()
            )
        )
    if not current:
        return True
    return current != heads and current <= known
