"""A counsellor's private notes on a chat they hold, idempotent on ``client_note_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from chatserver.domain.records import Note, Staff
from chatserver.errors import Forbidden
from chatserver.store.rows import note_record
from chatserver.store.schema import NoteRow, StaffRow
from chatserver.store.steps import locked_conversation
from chatserver.store.transaction import Store


class NoteStore(Store):
    async def add_note(
        self, conversation_id: str, *, by: Staff, client_note_id: str, text: str, now: datetime
    ) -> tuple[Note, bool]:
        async with self._transaction() as session:
            existing = await session.scalar(
                select(NoteRow).where(
                    NoteRow.conversation_id == conversation_id,
                    NoteRow.staff_id == by.id,
                    NoteRow.client_note_id == client_note_id,
                )
            )
            if existing is not None:
                return note_record(existing, by.display_name), False
            row = await locked_conversation(session, conversation_id)
            if row.counsellor_id != by.id:
                raise Forbidden("You are not the counsellor of this chat.")
            note = NoteRow(
                conversation_id=conversation_id,
                staff_id=by.id,
                client_note_id=client_note_id,
                body=text,
                created_at=now,
            )
            session.add(note)
            await session.flush()
            return note_record(note, by.display_name), True

    async def notes(self, conversation_id: str) -> list[Note]:
        async with self._transaction() as session:
            rows = await session.execute(
                select(NoteRow, StaffRow.display_name)
                .join(StaffRow, StaffRow.id == NoteRow.staff_id)
                .where(NoteRow.conversation_id == conversation_id)
                .order_by(NoteRow.id)
            )
            return [note_record(row, name) for row, name in rows]
