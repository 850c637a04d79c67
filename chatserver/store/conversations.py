"""A visitor's conversation: opened under a pseudonym, found again by its resume token."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chatserver.domain.profile import VisitorProfile
from chatserver.domain.records import Conversation, Status
from chatserver.errors import NotFound, Unavailable
from chatserver.store.rows import conversation_record, new_id
from chatserver.store.schema import ConversationRow
from chatserver.store.transaction import Store

PSEUDONYM_ATTEMPTS = 20


class ConversationStore(Store):
    async def create_conversation(
        self,
        *,
        token_hash: str,
        profile: VisitorProfile,
        draw_pseudonym: Callable[[], str],
        now: datetime,
        in_danger: bool | None = None,
        queue_order_at: datetime | None = None,
    ) -> Conversation:
        for _ in range(PSEUDONYM_ATTEMPTS):
            row = ConversationRow(
                id=new_id(),
                pseudonym=draw_pseudonym(),
                resume_token_hash=token_hash,
                status=Status.WAITING,
                last_seq=0,
                visitor_age=profile.age,
                visitor_gender=profile.gender,
                created_at=now,
                queued_at=now,
                in_danger=in_danger,
                queue_order_at=queue_order_at or now,
            )
            try:
                async with self._transaction() as session:
                    session.add(row)
            except IntegrityError:
                continue  # pseudonym in use by an open conversation: draw again
            return conversation_record(row)
        raise Unavailable("No free pseudonym could be found; try again.")

    async def conversation(self, conversation_id: str) -> Conversation:
        async with self._transaction() as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                raise NotFound("No such conversation.")
            return conversation_record(row)

    async def conversation_by_token(self, token_hash: str) -> Conversation | None:
        async with self._transaction() as session:
            row = await session.scalar(
                select(ConversationRow).where(ConversationRow.resume_token_hash == token_hash)
            )
            return None if row is None else conversation_record(row)

    async def set_profile(self, conversation_id: str, profile: VisitorProfile) -> None:
        async with self._transaction() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id)
                .values(visitor_age=profile.age, visitor_gender=profile.gender)
            )

    async def conversations_of(self, staff_id: str) -> list[Conversation]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ConversationRow)
                .where(
                    ConversationRow.counsellor_id == staff_id,
                    ConversationRow.status == Status.ACTIVE,
                )
                .order_by(ConversationRow.assigned_at)
            )
            return [conversation_record(row) for row in rows]

    async def touch_visitors(self, conversation_ids: Collection[str], *, now: datetime) -> None:
        """These visitors have a socket on this node now: one write for all of them."""
        if not conversation_ids:
            return
        async with self._transaction() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id.in_(list(conversation_ids)))
                .values(visitor_seen_at=now)
            )

    async def newest_seqs(self, conversation_ids: Collection[str]) -> dict[str, int]:
        """Each conversation's last sequence, in one read for many.

        After a broker gap this tells which followed conversations are behind, so only
        those are re-read (docs/architecture.md); unknown ids are left out.
        """
        if not conversation_ids:
            return {}
        async with self._transaction() as session:
            rows = await session.execute(
                select(ConversationRow.id, ConversationRow.last_seq).where(
                    ConversationRow.id.in_(list(conversation_ids))
                )
            )
            return {str(id_): int(seq) for id_, seq in rows}
