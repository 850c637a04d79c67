"""How a chat ends: the visitor leaves, the counsellor ends it, or the visitor is gone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from chatserver.domain.records import Event, Message, Staff, Status
from chatserver.store.schema import ConversationRow
from chatserver.store.steps import (
    append_event,
    close,
    end_by_system,
    locked_conversation,
    require_holder,
)
from chatserver.store.transaction import Store

#: Chats ended per round of the abandonment sweep; the next round takes the rest.
ABANDON_BATCH = 200


class EndingStore(Store):
    async def end_by_visitor(
        self, conversation_id: str, *, event: Event, now: datetime
    ) -> Message | None:
        """End the chat and forget the resume token; ``None`` if it had already ended."""
        async with self._transaction() as session:
            row = await locked_conversation(session, conversation_id)
            row.resume_token_hash = None
            if row.status == Status.ENDED:
                return None
            return await end_by_system(session, row, event, now)

    async def end_by_staff(self, conversation_id: str, *, by: Staff, now: datetime) -> Message:
        async with self._transaction() as session:
            row = await locked_conversation(session, conversation_id)
            require_holder(row, by)
            close(row, now)
            # The visitor's open screen already shows the end; nobody can resume it later (a
            # shared device, a token read from its storage).
            row.resume_token_hash = None
            return await append_event(session, row, Event.ENDED_BY_COUNSELLOR, by, now)

    async def end_abandoned(
        self, status: Status, *, seen_before: datetime, event: Event, now: datetime
    ) -> list[Message]:
        """End the chats in ``status`` whose visitor nobody has seen since ``seen_before``.

        A visitor who never opened a socket counts as seen when their chat was queued.
        Rows another node is ending right now are skipped: it ends them.
        """
        seen = func.coalesce(ConversationRow.visitor_seen_at, ConversationRow.queued_at)
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ConversationRow)
                .where(ConversationRow.status == status, seen < seen_before)
                .order_by(ConversationRow.id)
                .limit(ABANDON_BATCH)
                .with_for_update(skip_locked=True)
            )
            return [await end_by_system(session, row, event, now) for row in rows.all()]
