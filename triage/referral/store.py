"""Referral rows, their event log and the delivery outbox.

A step of a referral, its event, the chat message the visitor sees and (when sending)
the outbox row commit in one transaction: a crash leaves either all of them or none.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chatserver.domain.records import Kind, Message
from chatserver.domain.records import Status as ChatStatus
from chatserver.errors import Conflict, Forbidden, NotFound
from chatserver.store.schema import ConversationRow
from chatserver.store.steps import append_system_message
from chatserver.store.transaction import Store
from triage.referral.record import ANNOUNCED, OPEN, Status, can_move
from triage.schema import ReferralEventRow, ReferralOutboxRow, ReferralRow

#: ``staff``, ``visitor``, ``relay`` or ``unit``: who took a step.
Actor = str


@dataclass(frozen=True)
class Referral:
    id: str
    conversation_id: str | None
    unit: str
    status: Status
    shares: dict[str, Any]
    consent: dict[str, Any] | None
    idempotency_key: str
    proposed_by: str
    outcome: str | None
    #: When each status was reached, keyed by status; ``None`` if not (yet).
    times: dict[str, datetime | None]
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    trusted_adult: bool | None = None
    failure: str | None = None


@dataclass(frozen=True)
class ReferralEvent:
    at: datetime
    status: str
    actor: Actor
    staff_id: str | None


@dataclass(frozen=True)
class Delivery:
    referral_id: str
    unit: str
    idempotency_key: str
    body: str
    attempts: int
    urgent: bool = False


@dataclass(frozen=True)
class Step:
    """One move of a referral: who made it, and how the chat shows it."""

    to: Status
    actor: Actor
    staff_id: str | None
    #: The name shown as the chat message's author.
    author_name: str
    now: datetime


#: Renders the snapshot the visitor is shown, for the chat message.
Render = Callable[[Referral], dict[str, Any]]
#: Extra checks and changes inside the step's transaction; raise to refuse.
Change = Callable[[AsyncSession, ReferralRow], Awaitable[None]]


class ReferralStore(Store):
    def __init__(self, engine: AsyncEngine, render: Render) -> None:
        super().__init__(engine)
        self._render = render

    # -- reading ----------------------------------------------------------------------------------

    async def get(self, referral_id: str) -> Referral:
        async with self._transaction() as session:
            row = await session.get(ReferralRow, referral_id)
            if row is None:
                raise NotFound("No such referral.")
            return await _referral(session, row)

    async def for_conversation(self, conversation_id: str) -> list[Referral]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ReferralRow)
                .where(ReferralRow.conversation_id == conversation_id)
                .order_by(ReferralRow.proposed_at)
            )
            return [await _referral(session, row) for row in rows]

    async def all(self, limit: int) -> list[Referral]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ReferralRow).order_by(ReferralRow.proposed_at.desc()).limit(limit)
            )
            return [await _referral(session, row) for row in rows]

    async def events(self, referral_id: str) -> list[ReferralEvent]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ReferralEventRow)
                .where(ReferralEventRow.referral_id == referral_id)
                .order_by(ReferralEventRow.id)
            )
            return [ReferralEvent(r.at, r.status, r.actor, r.staff_id) for r in rows]

    async def undelivered_since(self, before: datetime) -> list[str]:
        """Referrals still waiting for delivery that were sent off before ``before``."""
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ReferralOutboxRow.referral_id)
                .where(
                    ReferralOutboxRow.delivered_at.is_(None),
                    ReferralOutboxRow.stopped_at.is_(None),
                    ReferralOutboxRow.created_at <= before,
                )
                .order_by(ReferralOutboxRow.created_at)
            )
            return list(rows)

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many referrals wait in the outbox, and when the oldest of them went in."""
        async with self._transaction() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(ReferralOutboxRow.created_at)).where(
                        ReferralOutboxRow.delivered_at.is_(None),
                        ReferralOutboxRow.stopped_at.is_(None),
                    )
                )
            ).one()
            return int(count), oldest

    # -- the lifecycle ----------------------------------------------------------------------------

    async def propose(
        self,
        conversation_id: str,
        *,
        staff_id: str,
        author_name: str,
        unit: str,
        shares: dict[str, Any],
        trusted_adult: bool | None,
        now: datetime,
    ) -> tuple[Referral, Message | None]:
        async with self._transaction() as session:
            conversation = await session.get(ConversationRow, conversation_id, with_for_update=True)
            if conversation is None:
                raise NotFound("No such conversation.")
            if conversation.status != ChatStatus.ACTIVE or conversation.counsellor_id != staff_id:
                raise Forbidden("Only the counsellor holding this chat may propose a referral.")
            still_open = await session.scalar(
                select(ReferralRow.id).where(
                    ReferralRow.conversation_id == conversation_id,
                    ReferralRow.status.in_([status.value for status in OPEN]),
                )
            )
            if still_open is not None:
                raise Conflict("This chat already has an open referral; cancel it first.")
            row = ReferralRow(
                id=secrets.token_hex(16),
                conversation_id=conversation_id,
                unit=unit,
                status=Status.PROPOSED,
                shares=shares,
                consent=None,
                idempotency_key=secrets.token_hex(32),
                proposed_by=staff_id,
                proposed_at=now,
                trusted_adult=trusted_adult,
            )
            session.add(row)
            await session.flush()
            step = Step(Status.PROPOSED, "staff", staff_id, author_name, now)
            return await self._record(session, row, step)

    async def move(
        self, referral_id: str, step: Step, change: Change | None = None
    ) -> tuple[Referral, Message | None]:
        """Take one step of the lifecycle, or refuse and change nothing."""
        async with self._transaction() as session:
            row = await session.get(ReferralRow, referral_id, with_for_update=True)
            if row is None:
                raise NotFound("No such referral.")
            if not can_move(Status(row.status), step.to):
                raise Conflict(f"A referral that is {row.status} cannot become {step.to}.")
            if change is not None:
                await change(session, row)
            return await self._advance(session, row, step)

    async def amend(
        self, referral_id: str, step: Step, change: Change
    ) -> tuple[Referral, Message | None]:
        """Change a referral within its status (``step.to``), logged like a step."""
        async with self._transaction() as session:
            row = await session.get(ReferralRow, referral_id, with_for_update=True)
            if row is None:
                raise NotFound("No such referral.")
            if row.status != step.to:
                raise Conflict(f"The referral is {row.status}, no longer {step.to}.")
            await change(session, row)
            return await self._record(session, row, step)

    async def delivered(self, referral_id: str, step: Step) -> tuple[Referral, Message | None]:
        """The unit has it: close the outbox row, and mark it sent unless the unit's
        callback already said more (received or closed)."""
        async with self._transaction() as session:
            row = await session.get(ReferralRow, referral_id, with_for_update=True)
            if row is None:
                raise NotFound("No such referral.")
            outbox = await session.get(ReferralOutboxRow, row.id, with_for_update=True)
            if outbox is not None:
                outbox.attempts += 1
                outbox.delivered_at = step.now
                outbox.leased_until = None
                outbox.last_error = None
            if row.status != Status.SENDING:
                return await _referral(session, row), None
            return await self._advance(session, row, step)

    async def _advance(
        self, session: AsyncSession, row: ReferralRow, step: Step
    ) -> tuple[Referral, Message | None]:
        row.status = step.to
        setattr(row, f"{step.to.value}_at", step.now)
        return await self._record(session, row, step)

    async def _record(
        self, session: AsyncSession, row: ReferralRow, step: Step
    ) -> tuple[Referral, Message | None]:
        session.add(
            ReferralEventRow(
                referral_id=row.id,
                at=step.now,
                status=step.to,
                actor=step.actor,
                staff_id=step.staff_id,
            )
        )
        referral = await _referral(session, row)
        message = None
        if step.to in ANNOUNCED and row.conversation_id is not None:
            body = json.dumps(self._render(referral), ensure_ascii=False, sort_keys=True)
            message = await append_system_message(
                session, row.conversation_id, Kind.REFERRAL, step.author_name, body, step.now
            )
        return referral, message

    # -- the outbox -------------------------------------------------------------------------------

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Lease due deliveries to this node; a node that dies lets its lease run out."""
        async with self._transaction() as session:
            rows = list(
                await session.scalars(
                    select(ReferralOutboxRow)
                    .where(
                        ReferralOutboxRow.delivered_at.is_(None),
                        ReferralOutboxRow.stopped_at.is_(None),
                        ReferralOutboxRow.next_attempt_at <= now,
                        or_(
                            ReferralOutboxRow.leased_until.is_(None),
                            ReferralOutboxRow.leased_until < now,
                        ),
                    )
                    # Acutely unsafe first, then in the order they became due.
                    .order_by(
                        ReferralOutboxRow.urgent.desc(),
                        ReferralOutboxRow.next_attempt_at,
                        ReferralOutboxRow.created_at,
                    )
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            deliveries = []
            for outbox in rows:
                outbox.leased_until = now + lease
                referral = await session.get(ReferralRow, outbox.referral_id)
                assert referral is not None
                deliveries.append(
                    Delivery(
                        referral_id=referral.id,
                        unit=referral.unit,
                        idempotency_key=referral.idempotency_key,
                        body=outbox.body,
                        attempts=outbox.attempts,
                        urgent=outbox.urgent,
                    )
                )
            return deliveries

    async def delivery_failed(self, referral_id: str, error: str, retry_at: datetime) -> None:
        async with self._transaction() as session:
            outbox = await session.get(ReferralOutboxRow, referral_id, with_for_update=True)
            if outbox is None or outbox.delivered_at is not None:
                return
            outbox.attempts += 1
            outbox.last_error = error[:200]
            outbox.next_attempt_at = retry_at
            outbox.leased_until = None

    async def stopped(
        self, referral_id: str, step: Step, reason: str
    ) -> tuple[Referral | None, Message | None]:
        """The unit refused it for good: stop the outbox row and mark the referral failed.

        ``None`` when it changed meanwhile (withdrawn, or the unit's callback came first)."""
        async with self._transaction() as session:
            row = await session.get(ReferralRow, referral_id, with_for_update=True)
            outbox = await session.get(ReferralOutboxRow, referral_id, with_for_update=True)
            if row is None or outbox is None or outbox.delivered_at is not None:
                return None, None
            outbox.attempts += 1
            outbox.last_error = reason[:200]
            outbox.leased_until = None
            outbox.stopped_at = step.now
            if not can_move(Status(row.status), step.to):
                return None, None
            row.failure = reason[:200]
            return await self._advance(session, row, step)

    async def urgent_unreceived(self, before: datetime) -> list[str]:
        """Urgent referrals sent off before ``before`` that no unit has said it received,
        and that no supervisor was alerted about yet."""
        async with self._transaction() as session:
            rows = await session.scalars(
                select(ReferralOutboxRow.referral_id)
                .join(ReferralRow, ReferralRow.id == ReferralOutboxRow.referral_id)
                .where(
                    ReferralOutboxRow.urgent.is_(True),
                    ReferralOutboxRow.urgent_alerted_at.is_(None),
                    ReferralOutboxRow.created_at <= before,
                    ReferralRow.status.in_([Status.SENDING.value, Status.SENT.value]),
                )
                .order_by(ReferralOutboxRow.created_at)
            )
            return list(rows)

    async def urgent_alert_once(self, referral_id: str, now: datetime) -> bool:
        """Mark the urgent alert as raised; ``False`` if it already was (another node)."""
        return await self._mark_once(referral_id, "urgent_alerted_at", now)

    async def alert_once(self, referral_id: str, now: datetime) -> bool:
        """Mark the referral's alert as raised; ``False`` if it already was."""
        return await self._mark_once(referral_id, "alerted_at", now)

    async def _mark_once(self, referral_id: str, column: str, now: datetime) -> bool:
        """Set the outbox row's ``column`` to ``now`` unless it is set: one alert, once."""
        async with self._transaction() as session:
            outbox = await session.get(ReferralOutboxRow, referral_id, with_for_update=True)
            if outbox is None or getattr(outbox, column) is not None:
                return False
            setattr(outbox, column, now)
            return True


def add_to_outbox(session: AsyncSession, row: ReferralRow, body: str, now: datetime) -> None:
    session.add(
        ReferralOutboxRow(
            referral_id=row.id,
            body=body,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            urgent=bool(row.shares.get("acutely_unsafe")),
        )
    )


async def take_back_from_outbox(session: AsyncSession, row: ReferralRow, now: datetime) -> None:
    """Withdraw a referral that has not gone out; refuse while a relay is sending it."""
    outbox = await session.get(ReferralOutboxRow, row.id, with_for_update=True)
    if outbox is None:
        return
    if outbox.leased_until is not None and outbox.leased_until >= now:
        raise Conflict("The referral is being delivered right now; try again in a moment.")
    await session.delete(outbox)


async def _referral(session: AsyncSession, row: ReferralRow) -> Referral:
    outbox = await session.get(ReferralOutboxRow, row.id)
    return Referral(
        id=row.id,
        conversation_id=row.conversation_id,
        unit=row.unit,
        status=Status(row.status),
        shares=dict(row.shares),
        consent=None if row.consent is None else dict(row.consent),
        idempotency_key=row.idempotency_key,
        proposed_by=row.proposed_by,
        outcome=row.outcome,
        times={status.value: getattr(row, f"{status.value}_at") for status in Status},
        attempts=0 if outbox is None else outbox.attempts,
        last_error=None if outbox is None else outbox.last_error,
        next_attempt_at=(
            None
            if outbox is None or outbox.delivered_at or outbox.stopped_at
            else outbox.next_attempt_at
        ),
        trusted_adult=row.trusted_adult,
        failure=row.failure,
    )
