"""The retention job: transcripts are deleted a set time after a chat ends.

Messages and notes go; the conversation row and everything coded about it stay, so
research figures outlive the words. Staff sessions that timed out go too: a session is
otherwise ended only when its token is used again, which may be never. Every node runs
the job; the deletes are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from chatserver.background import Periodic
from chatserver.settings import Settings
from chatserver.store.repository import Repository

logger = logging.getLogger("chatserver.retention")

BATCH = 500


class RetentionJob:
    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._keep = timedelta(days=settings.transcript_retention_days)
        self._staff_idle = timedelta(seconds=settings.staff_idle_timeout_s)
        self._clock = clock
        self._periodic = Periodic("retention", self.run_once, settings.retention_interval_s, logger)

    def start(self) -> None:
        self._periodic.start()

    async def close(self) -> None:
        await self._periodic.close()

    async def run_once(self) -> int:
        """Delete expired staff sessions, then every transcript that is due; how many
        transcripts."""
        purged = await self._repository.delete_expired_sessions(
            now=self._clock(), idle_timeout=self._staff_idle
        )
        if purged:
            logger.info("staff sessions purged", extra={"count": purged})
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
            logger.info("transcripts deleted", extra={"count": total})
        return total
