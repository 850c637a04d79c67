"""Referral steps over the HTTP API, and the settings and proposal the referral tests share.

The contract is docs/referrals.md.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.pilots import Counsellor, Visitor

#: The secret the test units share with the server (tests/support/intake.py).
SECRET = "oost-brabant-avim-intake-test-secret-4f1c9a7e"
ORGANISATION = "Test Hulplijn Mensenhandel"
ALERT_AFTER_S = 2.0
REFERRAL_SETTINGS = {
    "REFERRAL_ORGANISATION": ORGANISATION,
    "REFERRAL_RETRY_MAX_S": "1",
    "REFERRAL_ALERT_AFTER_S": str(ALERT_AFTER_S),
    "REFERRAL_RELAY_INTERVAL_S": "0.2",
    "REFERRAL_TIMEOUT_S": "2",
}
#: What a counsellor proposes, unless a test changes some of it.
PROPOSAL: dict[str, Any] = {
    "unit": "oost-brabant",
    "exploitation_forms": ["sexual", "labour"],
    "sectors": ["escort_hotel"],
    "gender": "female",
    "age": 19,
    "nationality": "PL",
    "contact": {"method": "phone", "detail": "+31 6 1234 5678"},
    "acutely_unsafe": False,
    "summary": "Wil met de politie praten over de uitbuiting; belt liefst na 18:00.",
}


async def propose(counsellor: Counsellor, conversation_id: str, **body: Any) -> httpx.Response:
    return await counsellor.http(
        "POST", f"/api/triage/conversations/{conversation_id}/referrals", json=body
    )


async def proposed(counsellor: Counsellor, conversation_id: str, **changes: Any) -> dict[str, Any]:
    response = await propose(counsellor, conversation_id, **{**PROPOSAL, **changes})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def as_visitor(
    visitor: Visitor, path: str, body: dict[str, Any], token: str | None = None
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{visitor.server.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token or visitor.token}"},
        )


async def answer(
    visitor: Visitor, referral_id: str, token: str | None = None, **body: Any
) -> httpx.Response:
    return await as_visitor(visitor, f"/api/visitor/referrals/{referral_id}/consent", body, token)


async def consents(visitor: Visitor, referral_id: str, **body: Any) -> dict[str, Any]:
    response = await answer(visitor, referral_id, consent=True, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def withdraw(visitor: Visitor, referral_id: str) -> httpx.Response:
    return await as_visitor(visitor, f"/api/visitor/referrals/{referral_id}/withdraw", {})


async def step(staff: Counsellor, referral_id: str, action: str, **body: Any) -> httpx.Response:
    return await staff.http("POST", f"/api/triage/referrals/{referral_id}/{action}", json=body)


async def send(staff: Counsellor, referral_id: str) -> httpx.Response:
    return await step(staff, referral_id, "send")


async def referral(staff: Counsellor, referral_id: str) -> dict[str, Any]:
    response = await staff.http("GET", f"/api/triage/referrals/{referral_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())
