"""Every read and write the chat needs, each in one transaction.

Rules that must hold under concurrency are enforced here, inside the
transaction that changes the data: the gap-free per-conversation sequence, the
idempotent append on ``client_msg_id``, the atomic queue claim (no visitor
taken twice) and the counsellor's chat cap. On PostgreSQL the rows involved are
locked (``FOR UPDATE``; ``SKIP LOCKED`` for the queue); SQLite serialises
writers with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import CursorResult, Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chatserver.domain.profile import VisitorProfile
from chatserver.domain.records import (
    SYSTEM,
    VISITOR,
    Conversation,
    Event,
    Kind,
    Message,
    Note,
    Staff,
    Status,
    TwoFactorSecret,
    WaitingVisitor,
    staff_author,
)
from chatserver.domain.roles import CHAT_ROLES, Role
from chatserver.errors import (
    AtCapacity,
    Conflict,
    ConversationEnded,
    Forbidden,
    NotFound,
    QueueEmpty,
    Unavailable,
)
from chatserver.store.engine import release_deleted_pages
from chatserver.store.schema import (
    ConversationRow,
    MessageRow,
    NoteRow,
    StaffRow,
    StaffSessionRow,
)
from chatserver.store.transaction import Store

CONVERSATIONS = cast(Table, ConversationRow.__table__)
MESSAGES = cast(Table, MessageRow.__table__)

PSEUDONYM_ATTEMPTS = 20
#: The line is served in this order (chatserver/domain/queue.py), oldest id breaking ties.
QUEUE_ORDER = (ConversationRow.queue_order_at, ConversationRow.queued_at, ConversationRow.id)
#: Chats ended per round of the abandonment sweep; the next round takes the rest.
ABANDON_BATCH = 200
#: A session's last-seen time is written at most this often (or a quarter of the idle
#: timeout, if shorter), not on every request.
SESSION_TOUCH_INTERVAL = timedelta(seconds=30)


def new_id() -> str:
    return secrets.token_hex(16)


class Occupancy(NamedTuple):
    """The helpline's state right now, for every node's metrics."""

    waiting: int
    oldest_queued_at: datetime | None
    active: int


class Repository(Store):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._engine = engine

    # -- conversations ---------------------------------------------------------------------------

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
            return _conversation(row)
        raise Unavailable("No free pseudonym could be found; try again.")

    async def conversation(self, conversation_id: str) -> Conversation:
        async with self._transaction() as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                raise NotFound("No such conversation.")
            return _conversation(row)

    async def conversation_by_token(self, token_hash: str) -> Conversation | None:
        async with self._transaction() as session:
            row = await session.scalar(
                select(ConversationRow).where(ConversationRow.resume_token_hash == token_hash)
            )
            return None if row is None else _conversation(row)

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
            return [_conversation(row) for row in rows]

    # -- messages --------------------------------------------------------------------------------

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
            return [_message(row) for row in rows]

    async def newest_seqs(self, conversation_ids: Collection[str]) -> dict[str, int]:
        """Each conversation's last sequence, in one read for many.

        After a broker gap this tells which followed conversations are behind, so only
        those are re-read (docs/architecture.md); unknown ids are left out.
        """
        if not conversation_ids:
            return {}
        async with self._transaction() as session:
            rows = await session.execute(
                select(CONVERSATIONS.c.id, CONVERSATIONS.c.last_seq).where(
                    CONVERSATIONS.c.id.in_(list(conversation_ids))
                )
            )
            return {str(id_): int(seq) for id_, seq in rows}

    # -- queue -----------------------------------------------------------------------------------

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
            return await _append_event(session, row, Event.COUNSELLOR_JOINED, staff, now)

    async def transfer(
        self, conversation_id: str, *, by: Staff, to_staff_id: str, cap: int, now: datetime
    ) -> Message:
        async with self._transaction() as session:
            # The holder check comes first so that a colleague learns nothing about the
            # target from a chat they do not hold.
            row = await _locked_conversation(session, conversation_id)
            _require_holder(row, by)
            target = await session.get(StaffRow, to_staff_id)
            if target is None or not target.active or Role(target.role) not in CHAT_ROLES:
                raise NotFound("No such active counsellor.")
            if target.id == by.id:
                raise Conflict("You already hold this chat.")
            await _lock_counsellor_under_cap(session, target.id, cap)
            row.counsellor_id = target.id
            return await _append_event(session, row, Event.TRANSFERRED, _staff(target), now)

    async def end_by_visitor(
        self, conversation_id: str, *, event: Event, now: datetime
    ) -> Message | None:
        """End the chat and forget the resume token; ``None`` if it had already ended."""
        async with self._transaction() as session:
            row = await _locked_conversation(session, conversation_id)
            row.resume_token_hash = None
            if row.status == Status.ENDED:
                return None
            return await _end_by_system(session, row, event, now)

    async def end_by_staff(self, conversation_id: str, *, by: Staff, now: datetime) -> Message:
        async with self._transaction() as session:
            row = await _locked_conversation(session, conversation_id)
            _require_holder(row, by)
            _close(row, now)
            # The visitor's open screen already shows the end; nobody can resume it later (a
            # shared device, a token read from its storage).
            row.resume_token_hash = None
            return await _append_event(session, row, Event.ENDED_BY_COUNSELLOR, by, now)

    # -- visitors who left ------------------------------------------------------------------------

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
            return [await _end_by_system(session, row, event, now) for row in rows.all()]

    # -- notes -----------------------------------------------------------------------------------

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
                return _note(existing, by.display_name), False
            row = await _locked_conversation(session, conversation_id)
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
            return _note(note, by.display_name), True

    async def notes(self, conversation_id: str) -> list[Note]:
        async with self._transaction() as session:
            rows = await session.execute(
                select(NoteRow, StaffRow.display_name)
                .join(StaffRow, StaffRow.id == NoteRow.staff_id)
                .where(NoteRow.conversation_id == conversation_id)
                .order_by(NoteRow.id)
            )
            return [_note(row, name) for row, name in rows]

    # -- retention -------------------------------------------------------------------------------

    async def delete_transcripts(self, ended_before: datetime, *, now: datetime, batch: int) -> int:
        """Delete messages and notes of chats that ended before ``ended_before``.

        The conversation row (and everything coded about it) stays, marked as deleted.
        """
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
            row = await _locked_conversation(session, conversation_id)
            if row.status != Status.ENDED:
                raise Conflict("End the chat before deleting its transcript.")
            await _delete_transcripts(session, [row.id], now)
        await release_deleted_pages(self._engine)

    # -- staff and sessions ----------------------------------------------------------------------

    async def create_staff(
        self, *, username: str, display_name: str, role: Role, password_hash: str, now: datetime
    ) -> Staff:
        row = StaffRow(
            id=new_id(),
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=now,
        )
        try:
            async with self._transaction() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict("That username is taken.", field="username") from None
        return _staff(row)

    async def staff_credentials(self, username: str) -> tuple[Staff, str] | None:
        async with self._transaction() as session:
            row = await session.scalar(select(StaffRow).where(StaffRow.username == username))
            return None if row is None else (_staff(row), row.password_hash)

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None:
        async with self._transaction() as session:
            await session.execute(
                update(StaffRow).where(StaffRow.id == staff_id).values(password_hash=password_hash)
            )

    async def two_factor(self, staff_id: str) -> TwoFactorSecret | None:
        async with self._transaction() as session:
            row = await session.get(StaffRow, staff_id)
            if row is None:
                raise NotFound("No such account.")
            if row.totp_secret is None:
                return None
            return TwoFactorSecret(row.totp_secret, enabled=row.totp_enabled_at is not None)

    async def set_two_factor_secret(self, staff_id: str, secret: str | None) -> None:
        """A new secret, not in force until confirmed; ``None`` turns two-factor login off."""
        async with self._transaction() as session:
            result = await session.execute(
                update(StaffRow)
                .where(StaffRow.id == staff_id)
                .values(totp_secret=secret, totp_enabled_at=None, totp_last_step=None)
            )
            if cast(CursorResult[object], result).rowcount != 1:
                raise NotFound("No such account.")

    async def use_two_factor_step(
        self, staff_id: str, secret: str, step: int, *, enable_at: datetime | None = None
    ) -> bool:
        """Spend the code of time ``step``: false if it or a later one was spent (a replay),
        or the secret changed meanwhile. ``enable_at`` also puts the secret in force."""
        values: dict[str, object] = {"totp_last_step": step}
        if enable_at is not None:
            values["totp_enabled_at"] = enable_at
        async with self._transaction() as session:
            result = await session.execute(
                update(StaffRow)
                .where(
                    StaffRow.id == staff_id,
                    StaffRow.totp_secret == secret,
                    or_(StaffRow.totp_last_step.is_(None), StaffRow.totp_last_step < step),
                )
                .values(values)
            )
            return cast(CursorResult[object], result).rowcount == 1

    async def chat_load(self) -> list[tuple[Staff, int]]:
        """Active counsellors and supervisors with the number of chats each holds."""
        async with self._transaction() as session:
            holding = (
                select(ConversationRow.counsellor_id, func.count().label("chats"))
                .where(ConversationRow.status == Status.ACTIVE)
                .group_by(ConversationRow.counsellor_id)
                .subquery()
            )
            rows = await session.execute(
                select(StaffRow, func.coalesce(holding.c.chats, 0))
                .outerjoin(holding, holding.c.counsellor_id == StaffRow.id)
                .where(StaffRow.active.is_(True), StaffRow.role.in_(list(CHAT_ROLES)))
                .order_by(StaffRow.display_name)
            )
            return [(_staff(row), int(chats)) for row, chats in rows]

    async def list_staff(self) -> list[Staff]:
        async with self._transaction() as session:
            rows = await session.scalars(select(StaffRow).order_by(StaffRow.username))
            return [_staff(row) for row in rows]

    async def set_staff_active(self, staff_id: str, active: bool) -> Staff:
        async with self._transaction() as session:
            row = await session.get(StaffRow, staff_id)
            if row is None:
                raise NotFound("No such account.")
            row.active = active
            if not active:
                await session.execute(
                    delete(StaffSessionRow).where(StaffSessionRow.staff_id == staff_id)
                )
            return _staff(row)

    async def create_session(
        self, staff_id: str, *, token_hash: str, now: datetime, lifetime: timedelta
    ) -> None:
        async with self._transaction() as session:
            session.add(
                StaffSessionRow(
                    token_hash=token_hash,
                    staff_id=staff_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )

    async def session_staff(
        self, token_hash: str, *, now: datetime, idle_timeout: timedelta, touch: bool
    ) -> Staff | None:
        """The active staff member behind a live session; ends it if it ran out.

        ``touch`` marks activity; a check made by the server itself must not.
        """
        async with self._transaction() as session:
            found = (
                await session.execute(
                    select(StaffSessionRow, StaffRow)
                    .join(StaffRow, StaffRow.id == StaffSessionRow.staff_id)
                    .where(StaffSessionRow.token_hash == token_hash)
                )
            ).first()
            if found is None:
                return None
            row, staff = found
            if now >= row.expires_at or now - row.last_seen_at >= idle_timeout or not staff.active:
                await session.delete(row)
                return None
            if touch and now - row.last_seen_at >= min(SESSION_TOUCH_INTERVAL, idle_timeout / 4):
                row.last_seen_at = now
            return _staff(staff)

    async def delete_expired_sessions(self, *, now: datetime, idle_timeout: timedelta) -> int:
        """Delete sessions past their absolute or idle timeout; how many.

        The same rule as :meth:`session_staff`, which ends a session only when it is used.
        """
        async with self._transaction() as session:
            expired = await session.scalars(
                delete(StaffSessionRow)
                .where(
                    (StaffSessionRow.expires_at <= now)
                    | (StaffSessionRow.last_seen_at <= now - idle_timeout)
                )
                .returning(StaffSessionRow.token_hash)
            )
            return len(expired.all())

    async def delete_session(self, token_hash: str) -> None:
        async with self._transaction() as session:
            await session.execute(
                delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash)
            )

    async def count_staff(self) -> int:
        async with self._transaction() as session:
            return await session.scalar(select(func.count()).select_from(StaffRow)) or 0


# -- helpers that run inside a transaction ---------------------------------------------------------


async def _locked_conversation(session: AsyncSession, conversation_id: str) -> ConversationRow:
    row = await session.scalar(
        select(ConversationRow).where(ConversationRow.id == conversation_id).with_for_update()
    )
    if row is None:
        raise NotFound("No such conversation.")
    return row


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


def _require_writer(author: str, status: Status, counsellor_id: str | None) -> None:
    if status is Status.ENDED:
        raise ConversationEnded()
    if author != VISITOR and (
        status is not Status.ACTIVE or author != staff_author(counsellor_id or "")
    ):
        raise Forbidden("You are not the counsellor of this chat.")


def _require_holder(row: ConversationRow, staff: Staff) -> None:
    if row.status == Status.ENDED:
        raise ConversationEnded()
    if row.status != Status.ACTIVE or row.counsellor_id != staff.id:
        raise Forbidden("You are not the counsellor of this chat.")


def _close(row: ConversationRow, now: datetime) -> None:
    row.status = Status.ENDED
    row.ended_at = now


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
    return None if row is None else _message(row)


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
    row = await _locked_conversation(session, conversation_id)
    if row.status == Status.ENDED:
        return None
    return await _append(session, row, kind, SYSTEM, author_name, None, body, now)


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
    return [await _end_by_system(session, row, event, now) for row in rows.all()]


async def _end_by_system(
    session: AsyncSession, row: ConversationRow, event: Event, now: datetime
) -> Message:
    _close(row, now)
    return await _append(session, row, Kind.EVENT, SYSTEM, row.pseudonym, None, event, now)


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


async def _append_event(
    session: AsyncSession, row: ConversationRow, event: Event, staff: Staff, now: datetime
) -> Message:
    return await _append(
        session, row, Kind.EVENT, staff_author(staff.id), staff.display_name, None, event, now
    )


async def _append(
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
    return _message(row)


# -- row to record ---------------------------------------------------------------------------------


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        pseudonym=row.pseudonym,
        status=Status(row.status),
        counsellor_id=row.counsellor_id,
        last_seq=row.last_seq,
        visitor_age=row.visitor_age,
        visitor_gender=row.visitor_gender,
        created_at=row.created_at,
        queued_at=row.queued_at,
        assigned_at=row.assigned_at,
        ended_at=row.ended_at,
        in_danger=row.in_danger,
        visitor_seen_at=row.visitor_seen_at,
    )


def _message(row: MessageRow) -> Message:
    return Message(
        conversation_id=row.conversation_id,
        seq=row.seq,
        kind=Kind(row.kind),
        author=row.author,
        author_name=row.author_name,
        client_msg_id=row.client_msg_id,
        text=row.body,
        sent_at=row.created_at,
    )


def _note(row: NoteRow, author_name: str) -> Note:
    return Note(
        id=row.id,
        conversation_id=row.conversation_id,
        staff_id=row.staff_id,
        author_name=author_name,
        client_note_id=row.client_note_id,
        text=row.body,
        written_at=row.created_at,
    )


def _staff(row: StaffRow) -> Staff:
    return Staff(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        active=row.active,
    )
