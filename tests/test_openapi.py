"""docs/openapi.json describes every HTTP route of the app, and nothing else.

Routes are added in many places (chatserver/transport, triage): walking the app's own
route table is the only list that cannot go stale. To add a route to the document, copy a
neighbour in docs/openapi.json: its path, ``security``, request body and responses.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import schemathesis
from starlette.routing import BaseRoute, Mount, Route

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.transport.openapi import DOCS, document
from tests.support.server import Server

SPEC: dict[str, Any] = json.loads((DOCS / "openapi.json").read_text())
METHODS = {"get", "put", "post", "patch", "delete"}


def app_operations(routes: list[BaseRoute]) -> set[str]:
    """``METHOD /path`` for every HTTP route; WebSockets and the static frontend are not
    HTTP API routes."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Route):
            found |= {f"{m} {route.path}" for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount) and route.routes:
            found |= {
                f"{op.split()[0]} {route.path}{op.split()[1]}"
                for op in app_operations(route.routes)
            }
    return found


def documented_operations() -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in SPEC["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_route_of_the_app_is_in_the_openapi_document() -> None:
    missing = app_operations(create_app(Settings()).routes) - documented_operations()
    assert not missing, f"add these routes to docs/openapi.json: {sorted(missing)}"


def test_the_openapi_document_describes_no_route_the_app_lacks() -> None:
    stale = documented_operations() - app_operations(create_app(Settings()).routes)
    assert not stale, f"docs/openapi.json describes routes the app does not have: {sorted(stale)}"


def test_every_operation_says_who_may_call_it_and_how_it_fails() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert "security" in operation, f"{method} {path}: say which token, or []"
            if operation["security"] and {} not in operation["security"]:
                assert "401" in operation["responses"], f"{method} {path}: document 401"
            if "requestBody" in operation:
                assert "400" in operation["responses"], f"{method} {path}: document 400"


async def test_the_server_serves_the_document_as_one_valid_openapi_3_1_file(
    server: Server,
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/api/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == document()
    assert served["openapi"].startswith("3.1")
    assert '"$ref": "protocol.schema.json' not in json.dumps(served)
    schemathesis.openapi.from_dict(served).validate()
