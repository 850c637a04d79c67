"""The retention job: transcripts are deleted a set time after a chat ends.

Messages and notes go; the conversation row and everything coded about it stay, so
research figures outlive the words. Every node runs the job; the deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.errors import ChatError
from chatserver.settings import Settings
from chatserver.store.engine import release_deleted_pages
from chatserver.store.repository import Repository

logger = logging.getLogger("chatserver.retention")

BATCH = 500


class RetentionJob:
    def __init__(
        self,
        repository: Repository,
        engine: AsyncEngine,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._engine = engine
        self._keep = timedelta(days=settings.transcript_retention_days)
        self._interval = settings.retention_interval_s
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> int:
        """Delete every transcript that is due; how many."""
        total = 0
        while True:
            now = self._clock()
            deleted = await self._repository.delete_transcripts(
                now - self._keep, now=now, batch=BATCH
            )
            total += deleted
            if deleted < BATCH:
                break
        if total:
            await release_deleted_pages(self._engine)
            logger.info("transcripts deleted", extra={"count": total})
        return total

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except ChatError as error:
                logger.warning("retention paused", extra={"code": error.code})
            except Exception:
                logger.exception("retention failed")
            await asyncio.sleep(self._interval)
