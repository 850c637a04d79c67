"""Typed messages: the idempotent append on ``client_msg_id``, and reading a transcript back."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.domain.records import VISITOR, Kind, Message, Status, staff_author
from chatserver.errors import ConversationEnded, Forbidden, NotFound
from chatserver.store.rows import message_record
from chatserver.store.schema import ConversationRow, MessageRow
from chatserver.store.transaction import Store

CONVERSATIONS = cast(Table, ConversationRow.__table__)
MESSAGES = cast(Table, MessageRow.__table__)


class MessageStore(Store):
    async def append_message(
        self,
        conversation_id: str,
        *,
        author: str,
        author_name: str,
        client_msg_id: str,
        text: str,
        now: datetime,
    ) -> tuple[Message, bool]:
        """Append typed text once; a repeated ``client_msg_id`` returns the stored message.

        Returns the message and whether it was new. This is the hot path, so it is four
        round trips in Core: take the next sequence with ``UPDATE ... RETURNING`` (which
        also locks the conversation row), insert, and let the unique constraint catch a
        resend, which is rare.
        """
        try:
            async with self._transaction() as session:
                taken = (
                    await session.execute(
                        update(CONVERSATIONS)
                        .where(CONVERSATIONS.c.id == conversation_id)
                        .values(last_seq=CONVERSATIONS.c.last_seq + 1)
                        .returning(
                            CONVERSATIONS.c.last_seq,
                            CONVERSATIONS.c.status,
                            CONVERSATIONS.c.counsellor_id,
                        )
                    )
                ).first()
                if taken is None:
                    raise NotFound("No such conversation.")
                seq, status, counsellor_id = taken
                _require_writer(author, Status(status), counsellor_id)  # rolls back on refusal
                message = Message(
                    conversation_id, seq, Kind.TEXT, author, author_name, client_msg_id, text, now
                )
                await session.execute(
                    insert(MESSAGES).values(
                        conversation_id=conversation_id,
                        seq=seq,
                        kind=Kind.TEXT,
                        author=author,
                        author_name=author_name,
                        client_msg_id=client_msg_id,
                        body=text,
                        created_at=now,
                    )
                )
                return message, True
        except (IntegrityError, ConversationEnded, Forbidden):
            # A resend of a stored message is answered with it, even after the chat ended.
            async with self._transaction() as session:
                existing = await _message_by_client_id(
                    session, conversation_id, author, client_msg_id
                )
            if existing is None:
                raise
            return existing, False

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int = 500
    ) -> list[Message]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id, MessageRow.seq > after_seq)
                .order_by(MessageRow.seq)
                .limit(limit)
            )
            return [message_record(row) for row in rows]


def _require_writer(author: str, status: Status, counsellor_id: str | None) -> None:
    if status is Status.ENDED:
        raise ConversationEnded()
    if author != VISITOR and (
        status is not Status.ACTIVE or author != staff_author(counsellor_id or "")
    ):
        raise Forbidden("You are not the counsellor of this chat.")


async def _message_by_client_id(
    session: AsyncSession, conversation_id: str, author: str, client_msg_id: str
) -> Message | None:
    row = await session.scalar(
        select(MessageRow).where(
            MessageRow.conversation_id == conversation_id,
            MessageRow.author == author,
            MessageRow.client_msg_id == client_msg_id,
        )
    )
    return None if row is None else message_record(row)
