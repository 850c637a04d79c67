"""Alembic environment: always run on a connection handed in by :mod:`chatserver.store.migrate`."""

from __future__ import annotations

from alembic import context

import chatserver.store.schema  # noqa: F401  (registers the chat tables)
import triage.schema  # noqa: F401  (and the triage tables: one history)
from chatserver.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m chatserver migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
