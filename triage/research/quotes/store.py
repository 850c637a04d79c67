"""Quote reads and writes; each change commits with its audit entry.

The original message text is read here and handed to the caller in memory only: what is
written is the de-identified text the caller passes back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.domain.records import VISITOR, Kind
from chatserver.errors import Conflict, InvalidInput, NotFound
from chatserver.store.schema import ConversationRow, MessageRow
from chatserver.store.transaction import Store
from triage.schema import QuoteRow
from triage.store import add_audit_entry

SPEAKERS = {VISITOR: "visitor"}
STAFF_SPEAKER = "counsellor"


@dataclass(frozen=True)
class Message:
    """What a quote is made from; its text never leaves the process."""

    text: str
    speaker: str
    month: str


@dataclass(frozen=True)
class Quote:
    id: str
    conversation_id: str | None
    seq: int
    month: str
    speaker: str
    edition: str
    variable: str | None
    text: str
    selected_by: str
    selected_at: datetime


class QuoteStore(Store):
    async def message(self, conversation_id: str, seq: int) -> Message:
        """The typed message at ``seq``, if it is still there and not yet a quote."""
        async with self._transaction() as session:
            if await session.get(ConversationRow, conversation_id) is None:
                raise NotFound("No such conversation.")
            row = await session.scalar(
                select(MessageRow).where(
                    MessageRow.conversation_id == conversation_id, MessageRow.seq == seq
                )
            )
            if row is None:
                raise NotFound("No such message in this conversation (or its transcript is gone).")
            if row.kind != Kind.TEXT or not (
                row.author == VISITOR or row.author.startswith("staff:")
            ):
                raise InvalidInput("Only typed messages can be quoted.", field="seq")
            await _refuse_second_quote(session, conversation_id, seq)
            speaker = SPEAKERS.get(row.author, STAFF_SPEAKER)
            return Message(row.body, speaker, row.created_at.strftime("%Y-%m"))

    async def add(
        self,
        conversation_id: str,
        seq: int,
        message: Message,
        *,
        text: str,
        edition: str,
        variable: str | None,
        by: str,
        now: datetime,
    ) -> Quote:
        row = QuoteRow(
            id=secrets.token_hex(16),
            conversation_id=conversation_id,
            seq=seq,
            month=message.month,
            speaker=message.speaker,
            edition=edition,
            variable=variable,
            text=text,
            selected_by=by,
            selected_at=now,
        )
        try:
            async with self._transaction() as session:
                session.add(row)
                add_audit_entry(
                    session, now, by, "quote_selected", conversation_id, quote_id=row.id, seq=seq
                )
        except IntegrityError:  # selected twice at once
            raise Conflict("This message is already a quote.") from None
        return _quote(row)

    async def for_conversation(self, conversation_id: str) -> list[Quote]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(QuoteRow)
                .where(QuoteRow.conversation_id == conversation_id)
                .order_by(QuoteRow.seq)
            )
            return [_quote(row) for row in rows]

    async def get(self, quote_id: str) -> Quote:
        async with self._transaction() as session:
            row = await session.get(QuoteRow, quote_id)
            if row is None:
                raise NotFound("No such quote.")
            return _quote(row)

    async def delete(self, quote_id: str, *, by: str, now: datetime) -> None:
        async with self._transaction() as session:
            row = await session.get(QuoteRow, quote_id, with_for_update=True)
            if row is None:
                raise NotFound("No such quote.")
            await session.delete(row)
            add_audit_entry(
                session, now, by, "quote_deleted", row.conversation_id, quote_id=quote_id
            )

    async def of_year(self, year: int) -> list[Quote]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(QuoteRow)
                .where(QuoteRow.month.between(f"{year:04d}-01", f"{year:04d}-12"))
                .order_by(QuoteRow.month, QuoteRow.selected_at)
            )
            return [_quote(row) for row in rows]


async def _refuse_second_quote(session: AsyncSession, conversation_id: str, seq: int) -> None:
    existing = await session.scalar(
        select(QuoteRow.id).where(QuoteRow.conversation_id == conversation_id, QuoteRow.seq == seq)
    )
    if existing is not None:
        raise Conflict("This message is already a quote.")


def _quote(row: QuoteRow) -> Quote:
    return Quote(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        month=row.month,
        speaker=row.speaker,
        edition=row.edition,
        variable=row.variable,
        text=row.text,
        selected_by=row.selected_by,
        selected_at=row.selected_at,
    )
