"""What every HTTP endpoint shares: bounded JSON bodies, bearer tokens, typed errors."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.domain.records import Staff
from chatserver.errors import (
    Busy,
    ChatError,
    InvalidInput,
    LoginThrottled,
    SourceLimited,
    TooLarge,
    Unauthenticated,
    WorkRequired,
)
from chatserver.protocol.frames import load_json
from chatserver.protocol.server import timestamp
from chatserver.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def read_body(request: Request) -> bytes:
    """The raw request body, refusing one over the limit before reading it all."""
    limit = runtime_of(request).settings.http_body_max_bytes
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"request body is larger than {limit} bytes")
    return bytes(body)


def parse_json_object(body: bytes, fields: Collection[str]) -> dict[str, Any]:
    """A JSON object of the given ``fields``; an empty body is an empty object."""
    if not body:
        return {}
    data = load_json(body)
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object")
    refuse_unknown_fields(data, fields)
    return data


async def read_json(request: Request, fields: Collection[str]) -> dict[str, Any]:
    """The request body as a JSON object of the given ``fields``.

    Oversized or malformed bodies and unknown fields are refused before anything changes.
    """
    return parse_json_object(await read_body(request), fields)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


async def current_staff(request: Request) -> Staff:
    return await runtime_of(request).accounts.authenticate(bearer_token(request))


def ok(data: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


async def chat_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChatError)
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field is not None:
        error["field"] = exc.field
    if details := exc.details():
        error["errors"] = details
    if isinstance(exc, WorkRequired):
        error["work"] = {
            "challenge": exc.puzzle.challenge,
            "difficulty": exc.puzzle.difficulty,
            "expires_at": timestamp(datetime.fromtimestamp(exc.puzzle.expires_at, UTC)),
        }
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, LoginThrottled | SourceLimited | Busy):
        headers["Retry-After"] = str(exc.retry_after_s)
    return JSONResponse({"error": error}, status_code=exc.status, headers=headers)
