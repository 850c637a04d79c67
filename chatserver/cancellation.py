"""Database work that a leaving client must not cut in half.

A client that goes away cancels the tasks that served its socket. Cancelled inside a
transaction, the work stops between two round trips, and SQLAlchemy has to roll back
and hand the connection back from a task that is being cancelled: it logs an error
and throws the connection away. Shielded, the work ends on its own (commit or
rollback) and only the waiting for it is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def shielded(work: Awaitable[T]) -> T:
    """Await ``work``; if the caller is cancelled, ``work`` still runs to its end."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_forget)
    return await asyncio.shield(task)


def _forget(task: asyncio.Future[Any]) -> None:
    """Nobody waits for an abandoned task any more: its failure is nobody's to report."""
    if not task.cancelled():
        task.exception()
