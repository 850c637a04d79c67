"""docs/openapi.json describes every HTTP route of the app, and nothing else.

Routes are added in many places (chatserver/transport, triage): walking the app's own
route table is the only list that cannot go stale. To add a route to the document, copy a
neighbour in docs/openapi.json: its path, ``security``, request body and responses.
tests/test_openapi_fuzz.py fuzzes every operation; the answers here need data or secrets
the fuzzer does not have.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pyotp
import schemathesis
from starlette.routing import BaseRoute, Mount, Route

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.transport.openapi import DOCS, document
from tests.support.hours import hours_closed_now
from tests.support.openapi import assert_documented
from tests.support.pilots import Counsellor, in_conversation, login_attempt
from tests.support.server import Server, StartServer

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


def test_every_state_changing_operation_may_be_refused_as_cross_site() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in METHODS - {"get"}:
                assert "403" in operation["responses"], f"{method} {path}: document cross_site"


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


async def finished(staff: Counsellor, job: httpx.Response) -> dict[str, Any]:
    """Follow an export or report job until it is done or failed, checking each answer."""
    assert_documented(job)
    location = job.headers["location"]
    for _ in range(500):
        state: dict[str, Any] = job.json()
        if state["status"] in ("done", "failed"):
            return state
        await asyncio.sleep(0.02)
        job = await staff.http("GET", location)
        assert_documented(job)
    raise AssertionError(f"the job did not finish: {job.json()}")


async def test_research_exports_reports_their_files_and_the_log_are_as_documented(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    for options in (
        {"level": "person", "format": "sav"},
        {"level": "conversation", "format": "csv"},
    ):
        export = await supervisor.http(
            "POST", "/api/research/exports", json={"year": 2024, **options}
        )
        done = await finished(supervisor, export)
        assert_documented(await supervisor.http("GET", done["download"]))
    report = await supervisor.http("POST", "/api/research/reports", json={"year": 2024})
    done = await finished(supervisor, report)
    assert_documented(await supervisor.http("GET", done["download"]))
    log = await supervisor.http("GET", "/api/research/exports")
    assert_documented(log)
    assert len(log.json()["exports"]) == 3


async def test_a_refused_coding_names_each_wrong_value_as_documented(server: Server) -> None:
    _, counsellor, conversation_id = await in_conversation(server)
    refused = await counsellor.http(
        "PATCH",
        f"/api/triage/conversations/{conversation_id}/coding",
        json={"values": {"gender": "dragon", "age": "old"}},
    )
    assert refused.status_code == 400, refused.text
    assert len(refused.json()["error"]["errors"]) == 2
    assert_documented(refused)


async def test_two_factor_enrolment_login_and_reset_are_as_documented(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    sanne = await Counsellor.create(server, supervisor, "sanne")
    enrolled = await sanne.http("POST", "/api/staff/two-factor")
    assert_documented(enrolled)
    totp = pyotp.TOTP(enrolled.json()["secret"])
    answers = [
        await sanne.http("POST", "/api/staff/two-factor/confirm", json={"code": "000000x"}),
        await sanne.http("POST", "/api/staff/two-factor/confirm", json={"code": totp.now()}),
        await sanne.http("POST", "/api/staff/two-factor"),
        await login_attempt(server, "sanne", "sanne-long-password-1"),
        await login_attempt(server, "sanne", "sanne-long-password-1", code="000000"),
        await supervisor.http("DELETE", f"/api/staff/accounts/{sanne.id}/two-factor"),
        await supervisor.http("DELETE", f"/api/staff/accounts/{supervisor.id}/two-factor"),
    ]
    assert [answer.status_code for answer in answers] == [400, 200, 409, 401, 401, 204, 400]
    for answer in answers:
        assert_documented(answer)


async def test_a_throttled_login_is_as_documented(start_server: StartServer) -> None:
    server = await start_server(LOGIN_ACCOUNT_FREE_ATTEMPTS="1")
    await login_attempt(server, "sanne", "wrong")
    throttled = await login_attempt(server, "sanne", "wrong")
    assert throttled.status_code == 429, throttled.text
    assert_documented(throttled)


async def test_a_closed_helpline_is_as_documented(start_server: StartServer) -> None:
    server = await start_server(OPENING_HOURS=hours_closed_now())
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        status = await client.get("/api/visitor/status")
        refused = await client.post("/api/visitor/chats", json={})
    assert (status.json()["reason"], refused.status_code) == ("closed", 503)
    assert_documented(status)
    assert_documented(refused)


async def test_without_a_metrics_token_metrics_are_not_found_as_documented(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        metrics = await client.get("/metrics")
    assert metrics.status_code == 404
    assert_documented(metrics)
