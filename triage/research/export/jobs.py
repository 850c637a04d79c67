"""Research exports as jobs: requested, run with progress, logged, downloaded, purged.

The node that accepts a request runs the job in the background; progress, the file
and the outcome are in the database, so any node answers for it. A job whose node
stopped (no progress for :data:`STALE_AFTER`) is marked failed when next looked at.
Researchers and supervisors export; each sees their own exports, and supervisors also
read the whole export log. Only the one who asked downloads the file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.domain.records import Staff
from chatserver.domain.roles import Role
from chatserver.errors import ChatError, Conflict, Forbidden, InvalidInput, NotFound
from chatserver.settings import Settings, SettingsError
from triage.codebook import current_edition
from triage.research.dataset.loader import load_year
from triage.research.export.build import (
    Disclosure,
    ExportOptions,
    check_quasi_identifiers,
    make_file,
    parse_options,
)
from triage.research.store import DONE, QUEUED, RUNNING, ExportFile, ExportJob, ResearchStore

EXPORTERS = frozenset({Role.RESEARCHER, Role.SUPERVISOR})
STALE_AFTER = timedelta(minutes=10)
#: Progress after each step; the file is stored at 100.
LOADED, IDENTIFIED, MADE = 30, 50, 90

Progress = Callable[[int], Awaitable[None]]
#: A job's work: reports progress through the callable, returns the file and its summary.
Work = Callable[[Progress], Awaitable[tuple[ExportFile, dict[str, Any]]]]
logger = logging.getLogger("triage.research")


@dataclass(frozen=True)
class JobRequest:
    """What the log records of a job (an export or a yearly report) when it is asked for."""

    year: int
    level: str
    format: str
    options: dict[str, Any]


class Exports:
    def __init__(self, engine: AsyncEngine, settings: Settings, clock: Callable[[], datetime]):
        self.store = ResearchStore(engine)
        self._engine = engine
        self._clock = clock
        self._keep = timedelta(hours=settings.research_export_keep_hours)
        self._timezone = ZoneInfo(settings.research_timezone)
        self._disclosure = Disclosure(settings.research_k, settings.research_quasi_identifiers)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- use cases ------------------------------------------------------------------------------

    async def request(self, staff: Staff, body: dict[str, Any]) -> ExportJob:
        """Log the request and start the job here; the caller polls for progress."""
        _require_exporter(staff)
        options = parse_options(body, this_year=self._clock().year)
        return await self.start(staff, _logged(options), partial(self._make, options))

    async def export_now(self, options: ExportOptions, progress: Progress) -> ExportFile:
        """An export from the command line: logged as such, run here, the file returned."""
        return await self.now(_logged(options), partial(self._make, options), progress)

    async def start(self, staff: Staff, request: JobRequest, work: Work) -> ExportJob:
        """Log the request and run ``work`` as a job here; the caller polls for progress."""
        _require_exporter(staff)
        job = await self._create(request, requested_by=staff.id, requested_via="api")
        task = asyncio.create_task(
            self.perform(job.id, work), name=f"research-{request.level}-{job.id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def now(self, request: JobRequest, work: Work, progress: Progress) -> ExportFile:
        """A job from the command line: logged as such, run here, the file returned."""
        job = await self._create(request, requested_by=None, requested_via="cli")
        await self.perform(job.id, work, progress)
        finished = await self.store.job(job.id)
        if finished.status != DONE:
            error = finished.error or {}
            raise Conflict(str(error.get("message", "The export failed.")))
        file = await self.store.file(job.id, now=self._clock())
        assert file is not None
        await progress(100)
        return file

    async def status(self, staff: Staff, job_id: str) -> ExportJob:
        _require_exporter(staff)
        job = await self._visible(staff, job_id)
        if job.status in (QUEUED, RUNNING) and self._clock() - job.updated_at > STALE_AFTER:
            await self.store.fail(job_id, _interrupted(), now=self._clock())
            job = await self.store.job(job_id)
        return job

    async def log(self, staff: Staff) -> list[ExportJob]:
        """The caller's exports; for supervisors, every export (the export log)."""
        _require_exporter(staff)
        return await self.store.jobs(None if staff.role is Role.SUPERVISOR else staff.id)

    async def download(self, staff: Staff, job_id: str) -> ExportFile:
        _require_exporter(staff)
        job = await self.store.job(job_id)
        if job.requested_by != staff.id:
            raise NotFound("No such export.")
        await self._purge()
        if job.status != DONE:
            raise Conflict("The export is not ready.")
        file = await self.store.file(job_id, now=self._clock())
        if file is None:
            raise NotFound("The export's file was deleted after its retention time.")
        return file

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the job --------------------------------------------------------------------------------

    async def perform(self, job_id: str, work: Work, progress: Progress | None = None) -> None:
        """Run ``work`` as the job: progress and the file stored, any failure logged on it."""

        async def step(done: int) -> None:
            await self.store.progress(job_id, done, now=self._clock())
            if progress is not None:
                await progress(done)

        try:
            await step(5)
            file, summary = await work(step)
            await self.store.finish(job_id, file, summary, now=self._clock())
        except asyncio.CancelledError:
            await self.store.fail(job_id, _interrupted(), now=self._clock())
            raise
        except ChatError as error:
            details = error.details()
            failure = {"code": error.code, "message": error.message}
            await self.store.fail(job_id, {**failure, "errors": details}, now=self._clock())
        except Exception:
            logger.exception("research export failed", extra={"export_id": job_id})
            failure = {"code": "internal", "message": ChatError.public_message}
            await self.store.fail(job_id, failure, now=self._clock())

    async def _make(
        self, options: ExportOptions, step: Progress
    ) -> tuple[ExportFile, dict[str, Any]]:
        """Load, count, identify, make the file."""
        year = await load_year(self._engine, options.year, timezone=self._timezone)
        await step(LOADED)
        persons = {p.key: [c.conversation_id for c in p.conversations] for p in year.persons}
        research_ids = await self.store.research_ids(persons, now=self._clock())
        await step(IDENTIFIED)
        file, summary = await asyncio.to_thread(
            make_file, year, research_ids, options, self._disclosure
        )
        await step(MADE)
        return file, summary

    async def _create(
        self, request: JobRequest, *, requested_by: str | None, requested_via: str
    ) -> ExportJob:
        await self._purge()
        return await self.store.create_job(
            requested_by=requested_by,
            requested_via=requested_via,
            year=request.year,
            level=request.level,
            format=request.format,
            options=request.options,
            now=self._clock(),
        )

    async def _visible(self, staff: Staff, job_id: str) -> ExportJob:
        job = await self.store.job(job_id)
        if job.requested_by != staff.id and staff.role is not Role.SUPERVISOR:
            raise NotFound("No such export.")
        return job

    async def _purge(self) -> None:
        now = self._clock()
        await self.store.purge(now - self._keep, now=now)


def check_settings(settings: Settings) -> None:
    """Refuse to start with quasi-identifiers that are not dataset columns."""
    try:
        check_quasi_identifiers(current_edition(), settings.research_quasi_identifiers)
    except InvalidInput as error:
        raise SettingsError(f"RESEARCH_QUASI_IDENTIFIERS: {error.message}") from None


def _logged(options: ExportOptions) -> JobRequest:
    return JobRequest(options.year, options.level, options.format, options.as_json())


def _require_exporter(staff: Staff) -> None:
    if staff.role not in EXPORTERS:
        raise Forbidden("Only researchers and supervisors export research data.")


def _interrupted() -> dict[str, Any]:
    return {"code": "interrupted", "message": "The export stopped before it finished; ask again."}
