"""Research ids and export jobs in the database, so every node sees the same.

Research ids are random and kept per conversation: a person's id is the one their
earliest conversation already has, so re-exports give the same id to the same person,
and linking conversations later keeps the id the person was first exported under.

An export job row is also the export log: the file is purged after a while, the row
(who, when, which year, which options, what came out) stays.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from chatserver.errors import NotFound
from chatserver.store.schema import StaffRow
from chatserver.store.transaction import Store
from triage.schema import ResearchExportRow, ResearchIdRow

#: 64 random bits as hex: unrelated to any internal id, and no two persons share one.
RESEARCH_ID_BYTES = 8
#: Conversation ids per ``IN (...)``: well under every backend's parameter limit.
CHUNK = 500

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class ExportJob:
    """An export as the log shows it; the file itself is read with :meth:`ResearchStore.file`."""

    id: str
    requested_by: str | None
    requested_by_username: str | None
    requested_via: str
    requested_at: datetime
    year: int
    level: str
    format: str
    options: dict[str, Any]
    status: str
    progress: int
    summary: dict[str, Any] | None
    error: dict[str, Any] | None
    filename: str | None
    updated_at: datetime
    finished_at: datetime | None
    downloaded_at: datetime | None
    purged_at: datetime | None
    has_file: bool


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str


class ResearchStore(Store):
    # -- research ids ---------------------------------------------------------------------------

    async def research_ids(
        self, persons: Mapping[str, Sequence[str]], *, now: datetime
    ) -> dict[str, str]:
        """Each person's research id, by person key.

        ``persons`` lists each person's conversations, oldest first. A new person gets a
        new random id, and all their conversations keep it.
        """
        try:
            return await self._assign(persons, now)
        except IntegrityError:  # another export assigned one of them meanwhile: read it
            return await self._assign(persons, now)

    async def _assign(self, persons: Mapping[str, Sequence[str]], now: datetime) -> dict[str, str]:
        async with self._transaction() as session:
            wanted = [cid for conversations in persons.values() for cid in conversations]
            known: dict[str, ResearchIdRow] = {}
            for start in range(0, len(wanted), CHUNK):
                rows = await session.scalars(
                    select(ResearchIdRow).where(
                        ResearchIdRow.conversation_id.in_(wanted[start : start + CHUNK])
                    )
                )
                known.update((row.conversation_id, row) for row in rows)
            assigned: dict[str, str] = {}
            taken: set[str] = set()
            for key, conversations in persons.items():
                # Unlinked conversations may share an id from before: the first keeps it.
                earlier = [
                    known[cid].research_id
                    for cid in conversations
                    if cid in known and known[cid].research_id not in taken
                ]
                research_id = earlier[0] if earlier else secrets.token_hex(RESEARCH_ID_BYTES)
                taken.add(research_id)
                for cid in conversations:
                    row = known.get(cid)
                    if row is None:
                        session.add(
                            ResearchIdRow(
                                conversation_id=cid, research_id=research_id, assigned_at=now
                            )
                        )
                    elif row.research_id != research_id:
                        row.research_id, row.assigned_at = research_id, now
                assigned[key] = research_id
            return assigned

    # -- export jobs ----------------------------------------------------------------------------

    async def create_job(
        self,
        *,
        requested_by: str | None,
        requested_via: str,
        year: int,
        level: str,
        format: str,
        options: dict[str, Any],
        now: datetime,
    ) -> ExportJob:
        row = ResearchExportRow(
            id=secrets.token_hex(16),
            requested_by=requested_by,
            requested_via=requested_via,
            requested_at=now,
            year=year,
            level=level,
            format=format,
            options=options,
            status=QUEUED,
            progress=0,
            updated_at=now,
        )
        async with self._transaction() as session:
            session.add(row)
        return await self.job(row.id)

    async def job(self, job_id: str) -> ExportJob:
        jobs = await self._jobs(ResearchExportRow.id == job_id)
        if not jobs:
            raise NotFound("No such export.")
        return jobs[0]

    async def jobs(self, requested_by: str | None = None) -> list[ExportJob]:
        """Newest first; every export when ``requested_by`` is ``None``."""
        if requested_by is None:
            return await self._jobs()
        return await self._jobs(ResearchExportRow.requested_by == requested_by)

    async def _jobs(self, *where: Any) -> list[ExportJob]:
        query = (
            select(
                ResearchExportRow,
                StaffRow.username,
                ResearchExportRow.result.is_not(None).label("has_file"),
            )
            .outerjoin(StaffRow, StaffRow.id == ResearchExportRow.requested_by)
            .options(defer(ResearchExportRow.result))
            .where(*where)
            .order_by(ResearchExportRow.requested_at.desc(), ResearchExportRow.id)
        )
        async with self._transaction() as session:
            rows = (await session.execute(query)).all()
            return [_job(row, username, bool(has_file)) for row, username, has_file in rows]

    async def progress(self, job_id: str, progress: int, *, now: datetime) -> None:
        await self._update(job_id, status=RUNNING, progress=progress, updated_at=now)

    async def finish(
        self, job_id: str, file: ExportFile, summary: dict[str, Any], *, now: datetime
    ) -> None:
        await self._update(
            job_id,
            status=DONE,
            progress=100,
            result=file.content,
            filename=file.filename,
            media_type=file.media_type,
            summary=summary,
            updated_at=now,
            finished_at=now,
        )

    async def fail(self, job_id: str, error: dict[str, Any], *, now: datetime) -> None:
        await self._update(job_id, status=FAILED, error=error, updated_at=now, finished_at=now)

    async def file(self, job_id: str, *, now: datetime) -> ExportFile | None:
        """The job's file (and the download noted in the log), or ``None`` if there is none."""
        async with self._transaction() as session:
            row = await session.get(ResearchExportRow, job_id)
            if row is None or row.result is None or row.filename is None or not row.media_type:
                return None
            row.downloaded_at = now
            return ExportFile(row.result, row.filename, row.media_type)

    async def purge(self, finished_before: datetime, *, now: datetime) -> None:
        """Delete old files; their log rows stay."""
        await self._execute(
            update(ResearchExportRow)
            .where(
                ResearchExportRow.finished_at < finished_before,
                ResearchExportRow.result.is_not(None),
            )
            .values(result=None, purged_at=now)
        )

    async def _update(self, job_id: str, **values: Any) -> None:
        await self._execute(
            update(ResearchExportRow).where(ResearchExportRow.id == job_id).values(**values)
        )

    async def _execute(self, statement: Any) -> None:
        async with self._transaction() as session:
            await session.execute(statement)


def _job(row: ResearchExportRow, username: str | None, has_file: bool) -> ExportJob:
    return ExportJob(
        id=row.id,
        requested_by=row.requested_by,
        requested_by_username=username,
        requested_via=row.requested_via,
        requested_at=row.requested_at,
        year=row.year,
        level=row.level,
        format=row.format,
        options=dict(row.options),
        status=row.status,
        progress=row.progress,
        summary=row.summary,
        error=row.error,
        filename=row.filename,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        downloaded_at=row.downloaded_at,
        purged_at=row.purged_at,
        has_file=has_file,
    )
