"""Deleting transcripts: by the retention period, or one chat's on request.

The conversation row (and everything coded about it) stays, marked as deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chatserver.domain.records import Status
from chatserver.errors import Conflict
from chatserver.store.engine import release_deleted_pages
from chatserver.store.schema import ConversationRow, MessageRow, NoteRow
from chatserver.store.steps import locked_conversation
from chatserver.store.transaction import Store


class TranscriptStore(Store):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._engine = engine

    async def delete_transcripts(self, ended_before: datetime, *, now: datetime, batch: int) -> int:
        """Delete messages and notes of chats that ended before ``ended_before``."""
        async with self._transaction() as session:
            ids = list(
                await session.scalars(
                    select(ConversationRow.id)
                    .where(
                        ConversationRow.status == Status.ENDED,
                        ConversationRow.ended_at < ended_before,
                        ConversationRow.transcript_deleted_at.is_(None),
                    )
                    .limit(batch)
                )
            )
            await _delete_transcripts(session, ids, now)
        if ids:
            await release_deleted_pages(self._engine)
        return len(ids)

    async def delete_transcript(self, conversation_id: str, *, now: datetime) -> None:
        """Delete one ended chat's transcript now, on request."""
        async with self._transaction() as session:
            row = await locked_conversation(session, conversation_id)
            if row.status != Status.ENDED:
                raise Conflict("End the chat before deleting its transcript.")
            await _delete_transcripts(session, [row.id], now)
        await release_deleted_pages(self._engine)


async def _delete_transcripts(session: AsyncSession, ids: list[str], now: datetime) -> None:
    if not ids:
        return
    await session.execute(delete(MessageRow).where(MessageRow.conversation_id.in_(ids)))
    await session.execute(delete(NoteRow).where(NoteRow.conversation_id.in_(ids)))
    await session.execute(
        update(ConversationRow)
        .where(ConversationRow.id.in_(ids))
        .values(transcript_deleted_at=now, resume_token_hash=None)
    )
