"""Referral use cases: who may take which step, with whose consent.

Counsellors refer from chats they took part in, supervisors oversee; researchers never
see referrals (they hold contact details). The visitor answers with their resume token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.broker import Broker, publish_hint
from chatserver.chat import ChatService
from chatserver.domain import topics
from chatserver.domain.records import Conversation, Message, Staff
from chatserver.domain.roles import Role
from chatserver.errors import Conflict, Forbidden, InvalidInput, NotFound
from chatserver.protocol.server import timestamp
from chatserver.settings import Settings
from triage.codebook import current_edition
from triage.referral.record import (
    Status,
    family_perpetrator,
    parse_consent_answer,
    parse_outcome,
    parse_proposal,
    parse_trusted_adult,
)
from triage.referral.store import (
    Change,
    Referral,
    ReferralEvent,
    ReferralStore,
    Step,
    add_to_outbox,
    take_back_from_outbox,
)
from triage.referral.units import NATIONAL_UNIT, NOT_A_TARGET, UNITS_BY_CODE, Endpoint
from triage.referral.views import Alert, alert_frame
from triage.schema import ReferralRow
from triage.service import Triage

OVERVIEW_LIMIT = 500


@dataclass(frozen=True)
class Overview:
    referrals: list[Referral]
    alerts: list[str]


class Referrals:
    def __init__(
        self,
        store: ReferralStore,
        triage: Triage,
        chat: ChatService,
        endpoints: Mapping[str, Endpoint],
        settings: Settings,
        clock: Callable[[], datetime],
        broker: Broker,
    ) -> None:
        self.store = store
        self._broker = broker
        self.endpoints = endpoints
        self._triage = triage
        self._chat = chat
        self._settings = settings
        self._clock = clock
        #: Set when a referral enters the outbox, so this node's relay need not wait.
        self.outbox_changed = asyncio.Event()

    # -- staff ------------------------------------------------------------------------------------

    async def propose(
        self, staff: Staff, conversation_id: str, body: Mapping[str, Any]
    ) -> Referral:
        shares = parse_proposal(body, current_edition())
        unit = body.get("unit")
        if unit == NATIONAL_UNIT:
            raise InvalidInput(NOT_A_TARGET, field="unit")
        if not isinstance(unit, str) or unit not in UNITS_BY_CODE:
            raise InvalidInput(f"'unit' must be one of {sorted(UNITS_BY_CODE)}", field="unit")
        trusted_adult = parse_trusted_adult(body, await self.family_perpetrator(conversation_id))
        if unit not in self.endpoints:
            raise InvalidInput(f"unit {unit!r} has no intake endpoint configured", field="unit")
        referral, message = await self.store.propose(
            conversation_id,
            staff_id=staff.id,
            author_name=staff.display_name,
            unit=unit,
            shares=shares,
            trusted_adult=trusted_adult,
            now=self._clock(),
        )
        await self._announce(message)
        return referral

    async def family_perpetrator(self, conversation_id: str) -> bool:
        """Whether the chat's coding names a family member as perpetrator: then the console
        does not offer "a trusted adult is involved" and the API refuses it."""
        return family_perpetrator((await self._triage.store.view(conversation_id)).codings)

    async def for_conversation(self, staff: Staff, conversation_id: str) -> list[Referral]:
        await self._require_access(staff, conversation_id)
        return await self.store.for_conversation(conversation_id)

    async def get(self, staff: Staff, referral_id: str) -> tuple[Referral, list[ReferralEvent]]:
        referral = await self._accessible(staff, referral_id)
        return referral, await self.store.events(referral_id)

    async def send(self, staff: Staff, referral_id: str) -> Referral:
        await self._accessible(staff, referral_id, supervisors=True)
        now = self._clock()

        async def queue(session: AsyncSession, row: ReferralRow) -> None:
            add_to_outbox(session, row, self._payload(row), now)

        sent = await self._step(
            referral_id, Step(Status.SENDING, "staff", staff.id, staff.display_name, now), queue
        )
        self.outbox_changed.set()
        return sent

    async def cancel(self, staff: Staff, referral_id: str) -> Referral:
        referral = await self._accessible(staff, referral_id, supervisors=True)
        if referral.status not in (Status.PROPOSED, Status.CONSENTED):
            raise Conflict(f"A referral that is {referral.status} cannot be cancelled.")
        step = Step(Status.CANCELLED, "staff", staff.id, staff.display_name, self._clock())
        return await self._step(referral_id, step)

    async def close(self, staff: Staff, referral_id: str, body: Mapping[str, Any]) -> Referral:
        outcome = parse_outcome(body)
        if staff.role is not Role.SUPERVISOR:
            raise Forbidden("Only supervisors close referrals.")
        referral = await self.store.get(referral_id)
        if referral.status not in (Status.SENT, Status.RECEIVED):
            raise Conflict(f"A referral that is {referral.status} cannot be closed.")
        return await self._set_outcome(
            referral_id,
            Step(Status.CLOSED, "staff", staff.id, staff.display_name, self._clock()),
            outcome,
        )

    async def overview(self, staff: Staff) -> Overview:
        if staff.role is not Role.SUPERVISOR:
            raise Forbidden("Only supervisors see every referral.")
        alert_after = timedelta(seconds=self._settings.referral_alert_after_s)
        referrals = await self.store.all(OVERVIEW_LIMIT)
        late = await self.store.undelivered_since(self._clock() - alert_after)
        failed = [r.id for r in referrals if r.status is Status.FAILED and r.id not in late]
        return Overview(referrals=referrals, alerts=late + failed)

    # -- the visitor ------------------------------------------------------------------------------

    async def visitor_answer(
        self, token: str, referral_id: str, body: Mapping[str, Any]
    ) -> Referral:
        consent = parse_consent_answer(body)
        conversation = await self._visitors_chat(token, referral_id)
        now = self._clock()
        if not consent:
            step = Step(Status.REFUSED, "visitor", None, conversation.pseudonym, now)
            return await self._step(referral_id, step)

        async def record(session: AsyncSession, row: ReferralRow) -> None:
            row.consent = {"party": "victim", "method": "in_chat", "at": timestamp(now)}

        step = Step(Status.CONSENTED, "visitor", None, conversation.pseudonym, now)
        return await self._step(referral_id, step, record)

    async def visitor_withdraw(self, token: str, referral_id: str) -> Referral:
        conversation = await self._visitors_chat(token, referral_id)
        now = self._clock()

        async def take_back(session: AsyncSession, row: ReferralRow) -> None:
            await take_back_from_outbox(session, row, now)

        step = Step(Status.WITHDRAWN, "visitor", None, conversation.pseudonym, now)
        return await self._step(referral_id, step, take_back)

    # -- the unit and the relay -------------------------------------------------------------------

    async def unit_update(self, unit: str, body: Mapping[str, Any]) -> Referral:
        """A unit's signed callback: it has received the referral, or closed it."""
        referral_id, status = body.get("referral_id"), body.get("status")
        if not isinstance(referral_id, str):
            raise InvalidInput("'referral_id' must be the referral's id", field="referral_id")
        if status not in (Status.RECEIVED, Status.CLOSED):
            raise InvalidInput("'status' must be 'received' or 'closed'", field="status")
        outcome = parse_outcome({"outcome": body.get("outcome")})
        referral = await self.store.get(referral_id)
        if referral.unit != unit:
            raise NotFound("No such referral.")
        if referral.status == status:
            return referral
        step = Step(
            Status(status), "unit", None, self._settings.referral_organisation, self._clock()
        )
        return await self._set_outcome(referral_id, step, outcome)

    async def failed(self, referral_id: str, reason: str) -> None:
        """The unit refused it for good: no more retries; the referral is failed and every
        supervisor's console is alerted, on every node."""
        step = Step(
            Status.FAILED, "relay", None, self._settings.referral_organisation, self._clock()
        )
        referral, message = await self.store.stopped(referral_id, step, reason)
        await self._announce(message)
        if referral is not None:
            await self.alert(referral, Alert.FAILED)

    async def alert(self, referral: Referral, kind: str) -> None:
        """A live alert on every supervisor's console (a hint: the overview lists it too)."""
        frame = alert_frame(self.endpoints, referral, kind)
        await publish_hint(self._broker, topics.SUPERVISORS, {"kind": "frame", "frame": frame})

    async def delivered(self, referral_id: str) -> None:
        step = Step(Status.SENT, "relay", None, self._settings.referral_organisation, self._clock())
        _, message = await self.store.delivered(referral_id, step)
        await self._announce(message)

    # -- shared -----------------------------------------------------------------------------------

    async def _step(
        self,
        referral_id: str,
        step: Step,
        change: Change | None = None,
    ) -> Referral:
        referral, message = await self.store.move(referral_id, step, change)
        await self._announce(message)
        return referral

    async def _set_outcome(self, referral_id: str, step: Step, outcome: str | None) -> Referral:
        async def keep(session: AsyncSession, row: ReferralRow) -> None:
            if outcome is not None:
                row.outcome = outcome

        return await self._step(referral_id, step, keep)

    async def _announce(self, message: Message | None) -> None:
        if message is not None:
            await self._chat.announce(message)

    async def _require_access(self, staff: Staff, conversation_id: str) -> None:
        if staff.role is Role.RESEARCHER:
            raise Forbidden("Researchers do not see referrals.")
        await self._triage.require_access(staff, conversation_id)

    async def _accessible(
        self, staff: Staff, referral_id: str, *, supervisors: bool = False
    ) -> Referral:
        referral = await self.store.get(referral_id)
        if supervisors and staff.role is Role.SUPERVISOR:
            return referral
        if referral.conversation_id is None:
            raise Forbidden("Only supervisors handle referrals whose chat is gone.")
        await self._require_access(staff, referral.conversation_id)
        return referral

    async def _visitors_chat(self, token: str, referral_id: str) -> Conversation:
        """The visitor's conversation, which must be the referral's."""
        conversation = await self._chat.resume_visitor(token)
        referral = await self.store.get(referral_id)
        if referral.conversation_id != conversation.id:
            raise NotFound("No such referral.")
        return conversation

    def _payload(self, row: ReferralRow) -> str:
        """The exact bytes every delivery attempt sends (docs/referrals.md section 5)."""
        return json.dumps(
            {
                "referral_id": row.id,
                "unit": row.unit,
                "reporting_organisation": self._settings.referral_organisation,
                "proposed_at": timestamp(row.proposed_at),
                **row.shares,
                "consent": row.consent,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
