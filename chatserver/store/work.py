"""The proof-of-work mode in the database, so that every node asks for work alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from chatserver.domain.work import WorkMode, WorkState
from chatserver.store.schema import WorkModeRow
from chatserver.store.transaction import Store

#: The one row (created by migration 0011).
ROW_ID = 1


def work_state(row: WorkModeRow) -> WorkState:
    until = row.auto_until.timestamp() if row.auto_until is not None else 0.0
    return WorkState(WorkMode(row.mode), until, bytes.fromhex(row.secret))


class WorkModeStore(Store):
    async def state(self) -> WorkState:
        async with self._transaction() as session:
            row = await session.scalar(select(WorkModeRow).where(WorkModeRow.id == ROW_ID))
        assert row is not None, "migration 0011 creates the work_mode row"
        return work_state(row)

    async def extend_auto(self, until: float) -> None:
        """``auto`` asks for work until at least ``until``; a later time already set stays."""
        at = datetime.fromtimestamp(until, UTC)
        async with self._transaction() as session:
            await session.execute(
                update(WorkModeRow)
                .where(WorkModeRow.id == ROW_ID)
                .where((WorkModeRow.auto_until.is_(None)) | (WorkModeRow.auto_until < at))
                .values(auto_until=at)
            )
