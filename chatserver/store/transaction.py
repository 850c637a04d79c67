"""One transaction per use case, shared by the chat and triage stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chatserver.errors import Unavailable


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit on success; a lost or refused database connection becomes :class:`Unavailable`.

    Integrity errors pass through: callers turn them into answers (a resend, a taken name).
    """
    try:
        async with sessions() as session, session.begin():
            yield session
    except IntegrityError:
        raise
    except (DBAPIError, OSError) as exc:
        raise Unavailable() from exc
