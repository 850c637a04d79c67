"""One transaction per use case, shared by the chat and triage stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chatserver.errors import Unavailable


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit on success; a lost or refused database connection becomes :class:`Unavailable`.

    So does a pool with no connection free in time: under overload the client is told to
    retry on the socket it has, instead of getting ``internal`` and reconnecting in a storm.

    Integrity errors pass through: callers turn them into answers (a resend, a taken name).
    """
    try:
        async with sessions() as session, session.begin():
            yield session
    except IntegrityError:
        raise
    except (DBAPIError, PoolTimeout, DisconnectionError, OSError, TimeoutError) as exc:
        raise Unavailable() from exc


class Store:
    """What every store stands on: its engine's sessions, one :func:`transaction` a use case."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def _transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return transaction(self._sessions)
