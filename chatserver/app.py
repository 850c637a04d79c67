"""The composition root: settings in, a Starlette application out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from chatserver.chat import utc_now
from chatserver.errors import ChatError
from chatserver.runtime import Runtime
from chatserver.settings import Settings
from chatserver.transport import http_staff, http_visitor, openapi
from chatserver.transport.http import chat_error_response
from chatserver.transport.middleware import SecurityHeaders
from chatserver.transport.routing import Frontend, one_route_per_path
from chatserver.transport.websocket import staff_endpoint, visitor_endpoint
from triage import web as triage_web
from triage.referral import web as referral_web
from triage.referral.delivery import Relay
from triage.referral.service import Referrals
from triage.referral.store import ReferralStore
from triage.referral.units import load_endpoints
from triage.referral.views import snapshot
from triage.service import Triage
from triage.store import TriageStore

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        endpoints = load_endpoints(settings.referral_units_file)
        runtime = Runtime.build(settings)
        triage = Triage(TriageStore(runtime.engine), utc_now)
        referrals = Referrals(
            ReferralStore(runtime.engine, partial(snapshot, endpoints)),
            triage,
            runtime.chat,
            endpoints,
            settings,
            utc_now,
        )
        relay = Relay(referrals, settings, utc_now)
        app.state.runtime = runtime
        app.state.triage = triage
        app.state.referrals = referrals
        await runtime.start()
        relay.start()
        try:
            yield
        finally:
            await relay.close()
            await runtime.close()

    routes = [
        Route("/healthz", health),
        *http_visitor.routes,
        *http_staff.routes,
        *triage_web.routes,
        *referral_web.routes,
        *openapi.routes,
        WebSocketRoute("/ws/visitor", visitor_endpoint),
        WebSocketRoute("/ws/staff", staff_endpoint),
        Frontend("/", StaticFiles(directory=FRONTEND, html=True, check_dir=False)),
    ]
    return Starlette(
        routes=one_route_per_path(routes),
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={ChatError: chat_error_response},
        lifespan=lifespan,
    )
