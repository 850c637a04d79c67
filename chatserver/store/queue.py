"""The line of waiting visitors and who holds which chat: the atomic claim and the chat cap.

No visitor is taken twice: on PostgreSQL the claim skips rows another node has locked
(``SKIP LOCKED``), and the counsellor's row is locked while their chats are counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.domain.records import Event, Message, Staff, Status, WaitingVisitor
from chatserver.domain.roles import CHAT_ROLES, Role
from chatserver.errors import AtCapacity, Conflict, NotFound, QueueEmpty
from chatserver.store.rows import staff_record
from chatserver.store.schema import ConversationRow, StaffRow
from chatserver.store.steps import append_event, locked_conversation, require_holder
from chatserver.store.transaction import Store

#: The line is served in this order (chatserver/domain/queue.py), oldest id breaking ties.
QUEUE_ORDER = (ConversationRow.queue_order_at, ConversationRow.queued_at, ConversationRow.id)


class Occupancy(NamedTuple):
    """The helpline's state right now, for every node's metrics."""

    waiting: int
    oldest_queued_at: datetime | None
    active: int


class QueueStore(Store):
    async def waiting(self) -> list[WaitingVisitor]:
        async with self._transaction() as session:
            rows = await session.execute(
                select(
                    ConversationRow.id,
                    ConversationRow.pseudonym,
                    ConversationRow.queued_at,
                    ConversationRow.in_danger,
                )
                .where(ConversationRow.status == Status.WAITING)
                .order_by(*QUEUE_ORDER)
            )
            return [
                WaitingVisitor(id_, pseudonym, queued, bool(danger))
                for id_, pseudonym, queued, danger in rows
            ]

    async def occupancy(self) -> Occupancy:
        async with self._transaction() as session:
            rows = await session.execute(
                select(ConversationRow.status, func.count(), func.min(ConversationRow.queued_at))
                .where(ConversationRow.status.in_([Status.WAITING, Status.ACTIVE]))
                .group_by(ConversationRow.status)
            )
            found = {status: (int(count), oldest) for status, count, oldest in rows}
        waiting, oldest = found.get(Status.WAITING, (0, None))
        return Occupancy(waiting, oldest, found.get(Status.ACTIVE, (0, None))[0])

    async def recent_pickups(self, since: datetime) -> list[datetime]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ConversationRow.assigned_at)
                .where(ConversationRow.assigned_at >= since)
                .order_by(ConversationRow.assigned_at.desc())
                .limit(50)
            )
            return [at for at in rows if at is not None]

    async def claim_next(self, staff: Staff, *, cap: int, now: datetime) -> Message:
        """Assign the visitor first in line to ``staff``; returns the "joined" event."""
        async with self._transaction() as session:
            await _lock_counsellor_under_cap(session, staff.id, cap)
            row = await session.scalar(
                select(ConversationRow)
                .where(ConversationRow.status == Status.WAITING)
                .order_by(*QUEUE_ORDER)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                raise QueueEmpty()
            row.status = Status.ACTIVE
            row.counsellor_id = staff.id
            row.assigned_at = now
            return await append_event(session, row, Event.COUNSELLOR_JOINED, staff, now)

    async def transfer(
        self, conversation_id: str, *, by: Staff, to_staff_id: str, cap: int, now: datetime
    ) -> Message:
        async with self._transaction() as session:
            # The holder check comes first so that a colleague learns nothing about the
            # target from a chat they do not hold.
            row = await locked_conversation(session, conversation_id)
            require_holder(row, by)
            target = await session.get(StaffRow, to_staff_id)
            if target is None or not target.active or Role(target.role) not in CHAT_ROLES:
                raise NotFound("No such active counsellor.")
            if target.id == by.id:
                raise Conflict("You already hold this chat.")
            await _lock_counsellor_under_cap(session, target.id, cap)
            row.counsellor_id = target.id
            return await append_event(session, row, Event.TRANSFERRED, staff_record(target), now)


async def _lock_counsellor_under_cap(session: AsyncSession, staff_id: str, cap: int) -> None:
    # Locking the staff row serialises two claims by the same counsellor on PostgreSQL.
    await session.execute(select(StaffRow.id).where(StaffRow.id == staff_id).with_for_update())
    holding = await session.scalar(
        select(func.count())
        .select_from(ConversationRow)
        .where(
            ConversationRow.counsellor_id == staff_id,
            ConversationRow.status == Status.ACTIVE,
        )
    )
    if (holding or 0) >= cap:
        raise AtCapacity()
