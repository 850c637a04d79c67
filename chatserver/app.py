"""The composition root: settings in, a Starlette application out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import WebSocketRoute

from chatserver.assets import frontend_dir
from chatserver.chat import utc_now
from chatserver.errors import ChatError
from chatserver.lifecycle import Drain
from chatserver.runtime import Runtime
from chatserver.settings import Settings
from chatserver.transport import http_ops, http_staff, http_visitor, openapi
from chatserver.transport.http import chat_error_response
from chatserver.transport.middleware import SameOriginWrites, SecurityHeaders
from chatserver.transport.pages import Pages
from chatserver.transport.routing import Frontend, one_route_per_path
from chatserver.transport.websocket import staff_endpoint, visitor_endpoint
from triage import flood, work
from triage import web as triage_web
from triage.referral import web as referral_web
from triage.referral.delivery import Relay
from triage.referral.service import Referrals
from triage.referral.store import ReferralStore
from triage.referral.units import load_endpoints
from triage.referral.views import snapshot
from triage.research import web as research_web
from triage.research.deidentify.service import deidentifier_for
from triage.research.export.jobs import Exports, check_settings
from triage.research.quotes import web as quotes_web
from triage.research.quotes.service import Quotes
from triage.research.quotes.store import QuoteStore
from triage.research.report import web as report_web
from triage.research.report.jobs import Reports
from triage.service import Triage
from triage.store import TriageStore


def create_app(settings: Settings, drain: Drain | None = None) -> Starlette:
    """``drain`` is begun by whoever stops the server (chatserver/lifecycle.py)."""
    drain = drain or Drain()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        endpoints = load_endpoints(settings.referral_units_file)
        check_settings(settings)
        runtime = Runtime.build(settings)
        triage = Triage(TriageStore(runtime.engine), utc_now)
        referrals = Referrals(
            ReferralStore(runtime.engine, partial(snapshot, endpoints)),
            triage,
            runtime.chat,
            endpoints,
            settings,
            utc_now,
            runtime.broker,
        )
        relay = Relay(referrals, settings, utc_now)
        exports = Exports(runtime.engine, settings, utc_now)
        app.state.runtime = runtime
        app.state.triage = triage
        app.state.referrals = referrals
        app.state.exports = exports
        app.state.drain = drain
        app.state.metric_probes = (runtime.chat.readings, relay.readings)
        app.state.reports = Reports(exports, runtime.engine, settings, utc_now)
        deidentifier = deidentifier_for(settings)
        app.state.quotes = Quotes(QuoteStore(runtime.engine), triage, deidentifier, utc_now)
        await runtime.start()
        relay.start()
        try:
            yield
        finally:
            drain.begin()
            await relay.close()
            await exports.close()
            deidentifier.close()
            await runtime.close()

    routes = [
        *http_ops.routes,
        *http_visitor.routes,
        *http_staff.routes,
        *triage_web.routes,
        *flood.routes,
        *work.routes,
        *referral_web.routes,
        *research_web.routes,
        *report_web.routes,
        *quotes_web.routes,
        *openapi.routes,
        WebSocketRoute("/ws/visitor", visitor_endpoint),
        WebSocketRoute("/ws/staff", staff_endpoint),
        Frontend("/", Pages(frontend_dir(), settings)),
    ]
    return Starlette(
        routes=one_route_per_path(routes),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SameOriginWrites, origins=settings.origins),
        ],
        exception_handlers={ChatError: chat_error_response},
        lifespan=lifespan,
    )
