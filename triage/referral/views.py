"""Referrals as the API and the chat show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatserver.protocol.server import timestamp
from triage.referral.record import needs_guardian
from triage.referral.store import Referral, ReferralEvent
from triage.referral.units import PROVINCES, UNITS, UNITS_BY_CODE, Endpoint, default_contact_text


def contact_text(endpoints: Mapping[str, Endpoint], unit: str) -> str:
    endpoint = endpoints.get(unit)
    return endpoint.contact_text if endpoint else default_contact_text(UNITS_BY_CODE[unit])


def unit_view(endpoints: Mapping[str, Endpoint], unit: str) -> dict[str, str]:
    return {
        "code": unit,
        "name": UNITS_BY_CODE[unit].name,
        "contact_text": contact_text(endpoints, unit),
    }


def catalogue(endpoints: Mapping[str, Endpoint]) -> dict[str, Any]:
    return {
        "units": [
            {**unit_view(endpoints, unit.code), "configured": unit.code in endpoints}
            for unit in UNITS
        ],
        "provinces": [
            {"code": province.code, "name": province.name, "units": list(province.units)}
            for province in PROVINCES
        ],
    }


def snapshot(endpoints: Mapping[str, Endpoint], referral: Referral) -> dict[str, Any]:
    """What the visitor is shown in the chat: the unit and exactly what would be shared."""
    return {
        "id": referral.id,
        "status": referral.status.value,
        "unit": unit_view(endpoints, referral.unit),
        "shares": referral.shares,
        "needs_guardian_consent": needs_guardian(referral.shares, referral.consent),
    }


def referral_view(endpoints: Mapping[str, Endpoint], referral: Referral) -> dict[str, Any]:
    times = {
        f"{status}_at": None if moment is None else timestamp(moment)
        for status, moment in referral.times.items()
    }
    return {
        **snapshot(endpoints, referral),
        "conversation_id": referral.conversation_id,
        "consent": referral.consent,
        "proposed_by": referral.proposed_by,
        "outcome": referral.outcome,
        **times,
        "delivery": {
            "attempts": referral.attempts,
            "last_error": referral.last_error,
            "next_attempt_at": (
                None if referral.next_attempt_at is None else timestamp(referral.next_attempt_at)
            ),
        },
    }


def event_view(event: ReferralEvent) -> dict[str, Any]:
    return {
        "at": timestamp(event.at),
        "status": event.status,
        "actor": event.actor,
        "staff_id": event.staff_id,
    }
