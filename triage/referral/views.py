"""Referrals as the API and the chat show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatserver.protocol.server import timestamp
from triage.referral.store import Referral, ReferralEvent
from triage.referral.units import (
    AREAS,
    PROVINCES,
    UNITS,
    UNITS_BY_CODE,
    Endpoint,
    default_contact_text,
)


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
        "areas": [
            {"code": area.code, "name": area.name, "province": area.province, "unit": area.unit}
            for area in AREAS
        ],
    }


def fallback(endpoints: Mapping[str, Endpoint], unit: str) -> str:
    """Staff only: how to reach the unit when delivery failed (the units file's ``fallback``)."""
    endpoint = endpoints.get(unit)
    return endpoint.fallback if endpoint else ""


def snapshot(endpoints: Mapping[str, Endpoint], referral: Referral) -> dict[str, Any]:
    """What the visitor is shown in the chat: the unit and exactly what would be shared."""
    return {
        "id": referral.id,
        "status": referral.status.value,
        "unit": unit_view(endpoints, referral.unit),
        "shares": referral.shares,
    }


def referral_view(endpoints: Mapping[str, Endpoint], referral: Referral) -> dict[str, Any]:
    times = {
        f"{status}_at": None if moment is None else timestamp(moment)
        for status, moment in referral.times.items()
    }
    return {
        **snapshot(endpoints, referral),
        "unit": {
            **unit_view(endpoints, referral.unit),
            "fallback": fallback(endpoints, referral.unit),
        },
        "conversation_id": referral.conversation_id,
        "trusted_adult": referral.trusted_adult,
        "failure": referral.failure,
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


class Alert:
    """Why supervisors are alerted about a referral (the ``reason`` of a ``referral_alert``)."""

    FAILED = "failed"  # the unit refused it for good
    UNDELIVERED = "undelivered"  # still not delivered after REFERRAL_ALERT_AFTER_S
    URGENT_UNRECEIVED = "urgent_unreceived"  # urgent, not received in REFERRAL_URGENT_ALERT_AFTER_S


def alert_frame(
    endpoints: Mapping[str, Endpoint], referral: Referral, reason: str
) -> dict[str, Any]:
    """The staff frame a supervisor's console shows at once: ids, the unit, why; no content."""
    return {
        "type": "referral_alert",
        "referral_id": referral.id,
        "conversation_id": referral.conversation_id,
        "reason": reason,
        "status": referral.status.value,
        "urgent": bool(referral.shares.get("acutely_unsafe")),
        "failure": referral.failure,
        "unit": {
            **unit_view(endpoints, referral.unit),
            "fallback": fallback(endpoints, referral.unit),
        },
    }
