"""Endpoints for operators and machines: liveness, readiness and metrics.

``/healthz`` says the process answers (restart it if not). ``/readyz`` says it can serve
(send it clients if so): the database is reachable with every migration applied, the
broker answers, and the node is not shutting down. Its reasons are fixed words: no
exception text, no URL. ``/metrics`` needs ``METRICS_TOKEN`` (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.errors import NotFound, Unauthenticated
from chatserver.lifecycle import Drain
from chatserver.metrics import Probe, exposition
from chatserver.store.migrate import schema_is_behind
from chatserver.transport.http import bearer_token, runtime_of

#: A dependency that does not answer within this long is taken as unreachable.
CHECK_TIMEOUT_S = 2.0
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    drain: Drain = request.app.state.drain
    runtime = runtime_of(request)
    problems = [] if not drain.started else ["shutting down"]
    try:
        if await asyncio.wait_for(schema_is_behind(runtime.engine), CHECK_TIMEOUT_S):
            problems.append("database schema is behind this release: run migrate")
    except Exception:
        problems.append("database unreachable")
    try:
        await asyncio.wait_for(runtime.broker.ping(), CHECK_TIMEOUT_S)
    except Exception:
        problems.append("broker unreachable")
    if problems:
        body = {"status": "not ready", "reasons": problems}
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})


async def metrics(request: Request) -> Response:
    token = runtime_of(request).settings.metrics_token
    if not token:
        raise NotFound("Not found.")
    if not hmac.compare_digest(bearer_token(request).encode(), token.encode()):
        raise Unauthenticated()
    probes: Sequence[Probe] = request.app.state.metric_probes
    return Response(
        await exposition(probes),
        media_type=METRICS_CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )


routes = [
    Route("/healthz", healthz),
    Route("/readyz", readyz),
    Route("/metrics", metrics),
]
