"""Steps that run inside the caller's transaction, shared by the chat stores and triage.

Rules that must hold under concurrency are enforced inside the transaction that
changes the data: the gap-free per-conversation sequence is taken here, on a
conversation row locked with ``FOR UPDATE`` on PostgreSQL (SQLite serialises
writers with ``BEGIN IMMEDIATE``). Triage changes its own rows and a chat's
sequence together through :func:`append_system_message` and :func:`end_waiting`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.domain.records import SYSTEM, Event, Kind, Message, Staff, Status, staff_author
from chatserver.errors import ConversationEnded, Forbidden, NotFound
from chatserver.store.rows import message_record
from chatserver.store.schema import ConversationRow, MessageRow


async def locked_conversation(session: AsyncSession, conversation_id: str) -> ConversationRow:
    row = await session.scalar(
        select(ConversationRow).where(ConversationRow.id == conversation_id).with_for_update()
    )
    if row is None:
        raise NotFound("No such conversation.")
    return row


def require_holder(row: ConversationRow, staff: Staff) -> None:
    if row.status == Status.ENDED:
        raise ConversationEnded()
    if row.status != Status.ACTIVE or row.counsellor_id != staff.id:
        raise Forbidden("You are not the counsellor of this chat.")


def close(row: ConversationRow, now: datetime) -> None:
    row.status = Status.ENDED
    row.ended_at = now


async def append_system_message(
    session: AsyncSession,
    conversation_id: str,
    kind: Kind,
    author_name: str,
    body: str,
    now: datetime,
) -> Message | None:
    """Append a server-made message in the caller's transaction; ``None`` once it ended.

    For other parts of the product (a referral's state) that must change their own rows
    and the conversation's sequence together.
    """
    row = await locked_conversation(session, conversation_id)
    if row.status == Status.ENDED:
        return None
    return await append(session, row, kind, SYSTEM, author_name, None, body, now)


async def end_waiting(
    session: AsyncSession,
    *,
    queued_after: datetime | None,
    seen_before: datetime | None,
    event: Event,
    now: datetime,
) -> list[Message]:
    """End the waiting chats that match, in the caller's transaction (the flood clear).

    ``queued_after`` keeps those who were waiting before the flood; ``seen_before`` keeps
    visitors whose socket is open now (one that never connected has none).
    """
    query = select(ConversationRow).where(ConversationRow.status == Status.WAITING)
    if queued_after is not None:
        query = query.where(ConversationRow.queued_at >= queued_after)
    if seen_before is not None:
        seen = ConversationRow.visitor_seen_at
        query = query.where(or_(seen.is_(None), seen < seen_before))
    rows = await session.scalars(query.order_by(ConversationRow.id).with_for_update())
    return [await end_by_system(session, row, event, now) for row in rows.all()]


async def end_by_system(
    session: AsyncSession, row: ConversationRow, event: Event, now: datetime
) -> Message:
    close(row, now)
    return await append(session, row, Kind.EVENT, SYSTEM, row.pseudonym, None, event, now)


async def append_event(
    session: AsyncSession, row: ConversationRow, event: Event, staff: Staff, now: datetime
) -> Message:
    return await append(
        session, row, Kind.EVENT, staff_author(staff.id), staff.display_name, None, event, now
    )


async def append(
    session: AsyncSession,
    conversation: ConversationRow,
    kind: Kind,
    author: str,
    author_name: str,
    client_msg_id: str | None,
    text: str,
    now: datetime,
) -> Message:
    """Take the next sequence number and insert, in the caller's transaction."""
    conversation.last_seq += 1
    row = MessageRow(
        conversation_id=conversation.id,
        seq=conversation.last_seq,
        kind=kind,
        author=author,
        author_name=author_name,
        client_msg_id=client_msg_id,
        body=text,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return message_record(row)
