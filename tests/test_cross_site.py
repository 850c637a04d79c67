"""A page of another site cannot act here, and every response carries the security headers.

docs/security.md sections 5 and 6. Cross-site WebSocket handshakes are refused in
tests/test_errors_websocket.py ("the origin check").
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.http_errors import assert_http_error, assert_nobody_waiting
from tests.support.pilots import Visitor
from tests.support.server import Server, StartServer

FOREIGN = "https://evil.example"
PARTNER = "https://partner.example"
#: What a foreign page's <form> can send: no custom headers, only these content types.
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: <form enctype="text/plain"> with a field named '{"age": 16, "x": "' and the value '"}'.
TEXT_PLAIN_JSON = '{"age": 16, "x": "="}'


async def post(server: Server, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        return await client.post(path, **kwargs)


# -- state-changing requests from other sites ----------------------------------------------------


async def test_a_cross_site_form_post_cannot_start_a_chat(server: Server) -> None:
    response = await post(
        server, "/api/visitor/chats", content="age=16", headers={**FORM, "Origin": FOREIGN}
    )

    assert_http_error(response, 403, "cross_site")
    await assert_nobody_waiting(server)


async def test_a_cross_site_text_plain_form_that_parses_as_json_cannot_start_a_chat(
    server: Server,
) -> None:
    response = await post(
        server,
        "/api/visitor/chats",
        content=TEXT_PLAIN_JSON,
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )

    assert_http_error(response, 403, "cross_site")
    await assert_nobody_waiting(server)


async def test_a_cross_site_form_cannot_end_a_visitors_chat_even_knowing_the_token(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    response = await post(
        server,
        "/api/visitor/exit",
        content=json.dumps({"resume_token": visitor.token}),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )

    assert_http_error(response, 403, "cross_site")
    assert (await visitor.connect())["type"] == "welcome"


async def test_a_cross_site_form_cannot_log_in(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]
    response = await post(
        server,
        "/api/staff/login",
        content=json.dumps({"username": username, "password": password}),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )

    assert_http_error(response, 403, "cross_site")


@pytest.mark.parametrize("origin", ["null", "{ours}.evil.example", "http://localhost:1"])
async def test_a_null_or_look_alike_origin_is_foreign_too(server: Server, origin: str) -> None:
    response = await post(
        server, "/api/visitor/chats", json={}, headers={"Origin": origin.format(ours=server.origin)}
    )

    assert_http_error(response, 403, "cross_site")


async def test_without_origin_sec_fetch_site_cross_site_is_refused(server: Server) -> None:
    response = await post(
        server, "/api/visitor/chats", json={}, headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert_http_error(response, 403, "cross_site")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_every_state_changing_method_is_checked(server: Server, method: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.request(method, "/api/triage/links/x", headers={"Origin": FOREIGN})

    assert_http_error(response, 403, "cross_site")


# -- what is still let through ---------------------------------------------------------------------


async def test_the_same_post_from_our_own_page_works(server: Server) -> None:
    response = await post(
        server, "/api/visitor/chats", json={"age": 16}, headers={"Origin": server.origin}
    )

    assert response.status_code == 201, response.text


async def test_an_allowed_partner_origin_may_post(start_server: StartServer) -> None:
    server = await start_server(ALLOWED_ORIGINS=PARTNER)

    response = await post(
        server,
        "/api/visitor/chats",
        json={},
        headers={"Origin": PARTNER, "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 201, response.text


async def test_clients_that_are_not_browsers_send_no_origin_and_are_not_affected(
    server: Server,
) -> None:
    response = await post(server, "/api/visitor/chats", json={})

    assert response.status_code == 201, response.text


async def test_a_cross_site_read_is_answered_without_letting_the_page_read_it(
    server: Server,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get("/api/staff/me", headers={"Origin": FOREIGN})

    assert_http_error(response, 401, "unauthenticated")
    assert not any(name.lower().startswith("access-control-") for name in response.headers)


# -- security headers ------------------------------------------------------------------------------


CSP_DIRECTIVES = {
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def assert_security_headers(response: httpx.Response) -> None:
    headers = response.headers
    csp = {directive.strip() for directive in headers["content-security-policy"].split(";")}
    assert csp >= CSP_DIRECTIVES, csp
    assert not any("unsafe" in directive or "*" in directive for directive in csp), csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert {"camera=()", "microphone=()", "geolocation=()"} <= {
        policy.strip() for policy in headers["permissions-policy"].split(",")
    }
    assert "set-cookie" not in headers


@pytest.mark.parametrize("path", ["/", "/console/", "/visitor/app.js", "/no-such-page"])
async def test_pages_and_files_carry_the_security_headers(server: Server, path: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get(path)

    assert_security_headers(response)
    if path.endswith("/"):
        assert response.headers["content-type"].startswith("text/html")


async def test_api_answers_and_refusals_carry_the_security_headers_and_no_store(
    server: Server,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        responses = [
            await client.post("/api/visitor/chats", json={}),
            await client.get("/api/staff/me"),
            await client.post("/api/visitor/chats", json={}, headers={"Origin": FOREIGN}),
            await client.post("/api/staff/login", json={"username": 1}),
        ]

    assert [response.status_code for response in responses] == [201, 401, 403, 400]
    for response in responses:
        assert_security_headers(response)
        assert response.headers["cache-control"] == "no-store"
