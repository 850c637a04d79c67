"""What every refused HTTP request must look like, and proof that it changed nothing.

The error body is ``{"error": {"code", "message", "field"?}}`` (docs/protocol.md).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.pilots import Counsellor
from tests.support.server import Server


def assert_http_error(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    if field is None:
        assert "field" not in error, error
    else:
        assert error.get("field") == field, error
    return error


async def assert_nobody_waiting(server: Server) -> None:
    """No chat was queued: a counsellor who asks for the next visitor finds nobody."""
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    refused = await counsellor.request({"type": "accept_next"})
    assert (refused["type"], refused["code"]) == ("error", "queue_empty")
    await counsellor.ws.close()
