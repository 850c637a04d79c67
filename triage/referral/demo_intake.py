"""A demo police intake for ``run --demo``: one regional unit's side of the referral contract.

So that a newcomer can follow a referral to its end without a police system, this plays the
unit as docs/referrals.md (section 5) describes it: it checks each delivery's signature,
registers a referral once per ``Idempotency-Key``, answers 200 and then tells the helpline
"received" through the signed callback. It keeps what it registered in memory only, and shows
it on its own page, marked as a demo. Only ``run --demo`` starts it; it is never a real unit.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from triage.referral.signing import signed_headers, verify
from triage.referral.units import UNITS_BY_CODE

logger = logging.getLogger("triage.referral.demo")

#: A regional unit: the demo's referrals go there.
DEMO_UNIT = "midden-nederland"
INTAKE_PATH = "/intake"
#: The relay records the delivery only after our answer; the callback waits for that.
CALLBACK_ATTEMPTS = 10
CALLBACK_PAUSE_S = 0.5


@dataclass
class DemoIntake:
    secret: str
    #: The helpline's ``/api/referrals/callback``.
    callback_url: str
    unit: str = DEMO_UNIT
    #: Registered referral ids by idempotency key, in the order they arrived.
    registered: dict[str, str] = field(default_factory=dict)

    @property
    def unit_name(self) -> str:
        return UNITS_BY_CODE[self.unit].name

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(INTAKE_PATH, self._intake, methods=["POST"]),
                Route("/", self._page, methods=["GET"]),
            ]
        )

    async def _intake(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("X-Referral-Timestamp", "")
        signature = request.headers.get("X-Referral-Signature", "")
        if not verify(self.secret, timestamp, signature, body, now=time.time()):
            return JSONResponse({"error": "signature"}, status_code=401)
        key = request.headers.get("Idempotency-Key", "")
        try:
            referral_id = json.loads(body)["referral_id"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "referral_id"}, status_code=400)
        if not key or not isinstance(referral_id, str):
            return JSONResponse({"error": "idempotency key"}, status_code=400)
        if key in self.registered:
            return JSONResponse({"status": "registered"})
        self.registered[key] = referral_id
        print(f"DEMO police intake ({self.unit_name}): received referral {referral_id}", flush=True)
        return JSONResponse(
            {"status": "registered"}, background=BackgroundTask(self._confirm, referral_id)
        )

    async def _confirm(self, referral_id: str) -> None:
        """Tell the helpline the unit has it, as a unit's intake system would."""
        body = json.dumps({"referral_id": referral_id, "status": "received"}).encode()
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(CALLBACK_ATTEMPTS):
                await asyncio.sleep(CALLBACK_PAUSE_S)
                headers = {
                    "Content-Type": "application/json",
                    "X-Referral-Unit": self.unit,
                    **signed_headers(self.secret, body, now=time.time()),
                }
                try:
                    answer = await client.post(self.callback_url, content=body, headers=headers)
                except httpx.HTTPError:
                    continue
                if answer.is_success:
                    return
        logger.warning("demo intake: callback not accepted", extra={"referral_id": referral_id})

    async def _page(self, request: Request) -> Response:
        items = "".join(
            f"<li><code>{html.escape(rid)}</code></li>" for rid in self.registered.values()
        )
        name = html.escape(self.unit_name)
        return HTMLResponse(
            "<!doctype html><html lang='nl'><meta charset='utf-8'>"
            f"<title>DEMO politie-intake {name}</title>"
            f"<h1>DEMO: politie-intake {name} (geen echte politie)</h1>"
            "<p>Deze pagina hoort bij <code>run --demo</code>. "
            "Demo only: not a police system; nothing is sent anywhere else.</p>"
            f"<h2>Ontvangen doorverwijzingen / referrals received</h2><ul>{items}</ul>"
        )
