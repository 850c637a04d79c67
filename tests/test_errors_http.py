"""Bad HTTP requests get a clear status and JSON error body, and change nothing.

Each test sends one kind of bad request to the real server and checks the status, the
``{"error": {"code", "message", "field"?}}`` body, and that nothing changed: no chat was
queued, no account was created or altered, no session or chat was ended.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chatserver.settings import Settings
from tests.support.http_errors import assert_http_error, assert_nobody_waiting
from tests.support.pilots import TEST_USER_AGENT, Counsellor, Visitor
from tests.support.server import Server

HTTP_BODY_MAX_BYTES = Settings.http_body_max_bytes

VALID_ACCOUNT = {
    "username": "sanne",
    "display_name": "Sanne",
    "role": "counsellor",
    "password": "a-long-first-password",
}


# -- helpers ---------------------------------------------------------------------------------------


async def call(
    server: Server, method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(headers={"User-Agent": TEST_USER_AGENT}) as client:
        return await client.request(method, f"{server.base_url}{path}", headers=headers, **kwargs)


async def usernames(supervisor: Counsellor) -> list[str]:
    response = await supervisor.http("GET", "/api/staff/accounts")
    assert response.status_code == 200, response.text
    return sorted(account["username"] for account in response.json()["accounts"])


async def login(server: Server, username: Any, password: Any) -> httpx.Response:
    return await call(
        server, "POST", "/api/staff/login", json={"username": username, "password": password}
    )


async def still_signed_in(pilot: Counsellor) -> bool:
    return (await pilot.http("GET", "/api/staff/me")).status_code == 200


async def assert_visitor_chat_goes_on(visitor: Visitor) -> None:
    """The chat was not ended: the visitor resumes it, still waiting, and can write."""
    welcome = await visitor.connect()
    assert welcome["status"] == "waiting"
    assert (await visitor.say("ben er nog"))["seq"] == 1


def padded(body: bytes, size: int) -> bytes:
    """``body`` (a JSON object) padded with JSON white space to exactly ``size`` bytes."""
    assert body.endswith(b"}")
    return body[:-1] + b" " * (size - len(body)) + b"}"


async def chunks(body: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# -- starting a chat: the body ---------------------------------------------------------------------


async def test_start_chat_with_malformed_json_gets_400_and_creates_no_chat(server: Server) -> None:
    response = await call(server, "POST", "/api/visitor/chats", content=b'{"age": 16,')
    assert_http_error(response, 400, "invalid")
    await assert_nobody_waiting(server)


@pytest.mark.parametrize(
    "body",
    [b"[]", b'[{"age": 16}]', b'"age"', b"42", b"null", b"true"],
    ids=["empty-array", "array-of-object", "string", "number", "null", "boolean"],
)
async def test_start_chat_with_a_body_that_is_not_an_object_gets_400_and_creates_no_chat(
    server: Server, body: bytes
) -> None:
    response = await call(server, "POST", "/api/visitor/chats", content=body)
    assert_http_error(response, 400, "invalid")
    await assert_nobody_waiting(server)


async def test_start_chat_with_a_body_over_the_limit_gets_413_and_creates_no_chat(
    server: Server,
) -> None:
    body = padded(b'{"age": 16}', HTTP_BODY_MAX_BYTES + 1)
    response = await call(server, "POST", "/api/visitor/chats", content=body)
    error = assert_http_error(response, 413, "too_large")
    assert str(HTTP_BODY_MAX_BYTES) in error["message"]
    await assert_nobody_waiting(server)


async def test_start_chat_with_a_chunked_body_over_the_limit_gets_413_and_creates_no_chat(
    server: Server,
) -> None:
    """The limit holds without a Content-Length, while the body streams in."""
    body = padded(b'{"age": 16}', 4 * HTTP_BODY_MAX_BYTES)
    response = await call(server, "POST", "/api/visitor/chats", content=chunks(body))
    assert_http_error(response, 413, "too_large")
    await assert_nobody_waiting(server)


async def test_start_chat_with_a_body_of_exactly_the_limit_is_accepted(server: Server) -> None:
    body = padded(b'{"age": 16}', HTTP_BODY_MAX_BYTES)
    response = await call(server, "POST", "/api/visitor/chats", content=body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"age": 0}, "age"),
        ({"age": -1}, "age"),
        ({"age": 121}, "age"),
        ({"age": 200}, "age"),
        ({"age": "15"}, "age"),
        ({"age": True}, "age"),
        ({"age": 15.5}, "age"),
        ({"age": [15]}, "age"),
        ({"gender": "x"}, "gender"),
        ({"gender": "Female"}, "gender"),
        ({"gender": ""}, "gender"),
        ({"gender": 1}, "gender"),
        ({"gender": True}, "gender"),
        ({"gender": ["female"]}, "gender"),
        ({"gender": {}}, "gender"),
        ({"age": 16, "name": "Anna"}, "name"),
        ({"postcode": "1012AB"}, "postcode"),
    ],
    ids=[
        "age-0",
        "age-negative",
        "age-121",
        "age-200",
        "age-as-string",
        "age-true",
        "age-fraction",
        "age-list",
        "gender-x",
        "gender-capitalised",
        "gender-empty",
        "gender-number",
        "gender-true",
        "gender-list",
        "gender-object",
        "unknown-field-with-valid-age",
        "unknown-field-alone",
    ],
)
async def test_start_chat_with_an_invalid_profile_gets_400_naming_the_field_and_creates_no_chat(
    server: Server, profile: dict[str, Any], field: str
) -> None:
    response = await call(server, "POST", "/api/visitor/chats", json=profile)
    assert_http_error(response, 400, "invalid", field)
    await assert_nobody_waiting(server)


async def test_start_chat_with_a_lone_surrogate_in_the_body_gets_400_and_creates_no_chat(
    server: Server,
) -> None:
    response = await call(server, "POST", "/api/visitor/chats", content=b'{"gender": "\\ud800"}')
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error.get("field", "gender") == "gender"
    await assert_nobody_waiting(server)


# -- logging in ------------------------------------------------------------------------------------


async def test_a_wrong_password_and_an_unknown_user_get_the_same_401(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]

    wrong_password = await login(server, username, password + "x")
    unknown_user = await login(server, "nobody-here", password)

    first = assert_http_error(wrong_password, 401, "unauthenticated")
    second = assert_http_error(unknown_user, 401, "unauthenticated")
    assert first == second
    assert first["message"] == "Wrong username or password."
    assert (await login(server, username, password)).status_code == 200


async def test_a_deactivated_account_gets_the_same_401_as_a_wrong_password(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    leaving = await Counsellor.create(server, supervisor, "leaving")
    response = await supervisor.http("POST", f"/api/staff/accounts/{leaving.id}/deactivate")
    assert response.status_code == 200, response.text

    refused = await login(server, "leaving", "leaving-long-password-1")
    wrong = await login(server, "leaving", "not-the-password-at-all")

    assert assert_http_error(refused, 401, "unauthenticated") == assert_http_error(
        wrong, 401, "unauthenticated"
    )


async def test_an_overlong_password_gets_the_same_401_as_a_wrong_one(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]
    overlong = await login(server, username, "p" * 1025)
    wrong = await login(server, username, password + "x")
    assert assert_http_error(overlong, 401, "unauthenticated") == assert_http_error(
        wrong, 401, "unauthenticated"
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "demo"},
        {"password": "some-password-here"},
        {"username": 42, "password": "some-password-here"},
        {"username": "demo", "password": None},
        {"username": ["demo"], "password": "some-password-here"},
    ],
    ids=[
        "empty",
        "no-password",
        "no-username",
        "username-number",
        "password-null",
        "username-list",
    ],
)
async def test_login_with_missing_or_non_string_fields_gets_400(
    server: Server, body: dict[str, Any]
) -> None:
    response = await call(server, "POST", "/api/staff/login", json=body)
    assert_http_error(response, 400, "invalid")


async def test_login_with_malformed_json_gets_400(server: Server) -> None:
    response = await call(server, "POST", "/api/staff/login", content=b'{"username": "demo"')
    assert_http_error(response, 400, "invalid")


async def test_login_with_a_body_that_is_not_an_object_gets_400(server: Server) -> None:
    response = await call(server, "POST", "/api/staff/login", content=b'["demo", "password"]')
    assert_http_error(response, 400, "invalid")


async def test_login_with_an_unknown_field_gets_400_naming_it(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]
    body = {"username": username, "password": password, "remember_me": True}
    response = await call(server, "POST", "/api/staff/login", json=body)
    assert_http_error(response, 400, "invalid", "remember_me")


async def test_login_with_a_body_over_the_limit_gets_413(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]
    body = padded(
        f'{{"username": "{username}", "password": "{password}"}}'.encode(),
        HTTP_BODY_MAX_BYTES + 1,
    )
    response = await call(server, "POST", "/api/staff/login", content=body)
    assert_http_error(response, 413, "too_large")


async def test_login_with_a_lone_surrogate_in_the_username_gets_400(server: Server) -> None:
    body = b'{"username": "demo\\ud800", "password": "some-password-here"}'
    response = await call(server, "POST", "/api/staff/login", content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid"


# -- bearer tokens ---------------------------------------------------------------------------------


def _authorization_variants() -> list[tuple[str, Any]]:
    """(id, function from the real token to the Authorization header, or None for none)."""
    return [
        ("no-header", None),
        ("unknown-token", lambda real: "Bearer not-a-real-session-token"),
        ("scheme-without-token", lambda real: "Bearer"),
        ("real-token-without-scheme", lambda real: real),
        ("real-token-as-basic", lambda real: "Basic " + base64.b64encode(real.encode()).decode()),
        ("real-token-altered", lambda real: f"Bearer {real}x"),
    ]


@pytest.mark.parametrize(
    "make_header",
    [variant for _, variant in _authorization_variants()],
    ids=[name for name, _ in _authorization_variants()],
)
async def test_staff_endpoints_without_a_valid_bearer_token_get_401_and_change_nothing(
    server: Server, make_header: Any
) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    visitor = await Visitor.start(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    accounts_before = await usernames(supervisor)

    headers = {} if make_header is None else {"Authorization": make_header(supervisor.token)}
    endpoints = [
        ("GET", "/api/staff/me", None),
        ("POST", "/api/staff/logout", None),
        ("GET", "/api/staff/colleagues", None),
        ("GET", "/api/staff/accounts", None),
        ("POST", "/api/staff/accounts", VALID_ACCOUNT),
        ("POST", f"/api/staff/accounts/{counsellor.id}/deactivate", None),
        ("POST", f"/api/staff/accounts/{counsellor.id}/activate", None),
        ("GET", f"/api/staff/conversations/{conversation_id}", None),
    ]
    for method, path, body in endpoints:
        response = await call(server, method, path, headers=headers, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert_http_error(response, 401, "unauthenticated")

    assert await usernames(supervisor) == accounts_before
    assert await still_signed_in(supervisor)
    assert await still_signed_in(counsellor)
    assert visitor.conversation_id == conversation_id
    detail = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    assert detail.json()["conversation"]["status"] == "active"


async def test_a_visitor_resume_token_gets_401_at_staff_endpoints(server: Server) -> None:
    visitor = await Visitor.start(server)
    response = await call(server, "GET", "/api/staff/me", token=visitor.token)
    assert_http_error(response, 401, "unauthenticated")
    await assert_visitor_chat_goes_on(visitor)


async def test_logout_with_a_bad_token_gets_401_and_ends_no_session(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    response = await call(server, "POST", "/api/staff/logout", token=counsellor.token + "x")
    assert_http_error(response, 401, "unauthenticated")
    assert await still_signed_in(counsellor)
    assert (await counsellor.request({"type": "ping"}))["type"] == "pong"


# -- roles -----------------------------------------------------------------------------------------


async def test_a_counsellor_listing_accounts_gets_403(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    assert_http_error(await counsellor.http("GET", "/api/staff/accounts"), 403, "forbidden")


async def test_a_counsellor_creating_an_account_gets_403_and_no_account_is_made(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    before = await usernames(supervisor)

    response = await counsellor.http(
        "POST", "/api/staff/accounts", json={**VALID_ACCOUNT, "role": "supervisor"}
    )

    assert_http_error(response, 403, "forbidden")
    assert await usernames(supervisor) == before
    assert_http_error(
        await login(server, VALID_ACCOUNT["username"], VALID_ACCOUNT["password"]),
        401,
        "unauthenticated",
    )


async def test_a_counsellor_deactivating_a_supervisor_gets_403_and_the_supervisor_stays(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")

    response = await counsellor.http("POST", f"/api/staff/accounts/{supervisor.id}/deactivate")

    assert_http_error(response, 403, "forbidden")
    assert await still_signed_in(supervisor)
    accounts = (await supervisor.http("GET", "/api/staff/accounts")).json()["accounts"]
    assert all(account["active"] for account in accounts)


async def test_a_counsellor_activating_an_account_gets_403_and_it_stays_deactivated(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    leaving = await Counsellor.create(server, supervisor, "leaving")
    deactivated = await supervisor.http("POST", f"/api/staff/accounts/{leaving.id}/deactivate")
    assert deactivated.status_code == 200, deactivated.text

    response = await counsellor.http("POST", f"/api/staff/accounts/{leaving.id}/activate")

    assert_http_error(response, 403, "forbidden")
    assert_http_error(
        await login(server, "leaving", "leaving-long-password-1"), 401, "unauthenticated"
    )


async def test_a_researcher_calling_supervisor_endpoints_gets_403_and_changes_nothing(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    before = await usernames(supervisor)

    listing = await researcher.http("GET", "/api/staff/accounts")
    creating = await researcher.http("POST", "/api/staff/accounts", json=VALID_ACCOUNT)
    deactivating = await researcher.http("POST", f"/api/staff/accounts/{supervisor.id}/deactivate")

    for response in (listing, creating, deactivating):
        assert_http_error(response, 403, "forbidden")
    assert await usernames(supervisor) == before
    assert await still_signed_in(supervisor)


async def test_a_researcher_listing_colleagues_gets_403(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    assert_http_error(await researcher.http("GET", "/api/staff/colleagues"), 403, "forbidden")


async def test_reading_a_chat_held_by_a_colleague_gets_403(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    await Visitor.start(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()

    for outsider in (supervisor, researcher):
        response = await outsider.http("GET", f"/api/staff/conversations/{conversation_id}")
        assert_http_error(response, 403, "forbidden")


async def test_reading_a_waiting_chat_that_nobody_holds_gets_403(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    visitor = await Visitor.start(server)
    response = await counsellor.http("GET", f"/api/staff/conversations/{visitor.conversation_id}")
    assert_http_error(response, 403, "forbidden")
    await assert_visitor_chat_goes_on(visitor)


async def test_reading_an_unknown_conversation_gets_404(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    response = await counsellor.http("GET", "/api/staff/conversations/0123456789abcdef")
    assert_http_error(response, 404, "not_found")


# -- quick exit ------------------------------------------------------------------------------------


async def test_quick_exit_with_an_unknown_bearer_token_gets_401_and_ends_no_chat(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    response = await call(server, "POST", "/api/visitor/exit", token="not-a-resume-token")
    assert_http_error(response, 401, "resume_impossible")
    await assert_visitor_chat_goes_on(visitor)


async def test_quick_exit_with_an_unknown_token_in_the_body_gets_401_and_ends_no_chat(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    response = await call(
        server, "POST", "/api/visitor/exit", json={"resume_token": visitor.token + "x"}
    )
    assert_http_error(response, 401, "resume_impossible")
    await assert_visitor_chat_goes_on(visitor)


async def test_quick_exit_without_any_token_gets_401_and_ends_no_chat(server: Server) -> None:
    visitor = await Visitor.start(server)
    response = await call(server, "POST", "/api/visitor/exit")
    assert_http_error(response, 401, "unauthenticated")
    await assert_visitor_chat_goes_on(visitor)


async def test_quick_exit_with_a_staff_token_gets_401_and_the_session_stays(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    response = await call(server, "POST", "/api/visitor/exit", token=counsellor.token)
    assert_http_error(response, 401, "resume_impossible")
    assert await still_signed_in(counsellor)


async def test_a_second_quick_exit_with_the_same_token_gets_401(server: Server) -> None:
    visitor = await Visitor.start(server)
    first = await call(server, "POST", "/api/visitor/exit", token=visitor.token)
    assert first.status_code == 204, first.text

    second = await call(server, "POST", "/api/visitor/exit", token=visitor.token)

    assert_http_error(second, 401, "resume_impossible")


async def test_quick_exit_with_malformed_json_gets_400_and_ends_no_chat(server: Server) -> None:
    visitor = await Visitor.start(server)
    response = await call(
        server, "POST", "/api/visitor/exit", token=visitor.token, content=b'{"resume_token": '
    )
    assert_http_error(response, 400, "invalid")
    await assert_visitor_chat_goes_on(visitor)


@pytest.mark.parametrize(
    "body",
    [{"resume_token": 5}, {"resume_token": ""}, {"resume_token": None}, {"token": "x"}],
    ids=["number", "empty", "null", "unknown-field"],
)
async def test_quick_exit_with_a_bad_body_gets_400_even_with_a_good_header_and_ends_no_chat(
    server: Server, body: dict[str, Any]
) -> None:
    visitor = await Visitor.start(server)
    response = await call(server, "POST", "/api/visitor/exit", token=visitor.token, json=body)
    assert_http_error(response, 400, "invalid", next(iter(body)))
    await assert_visitor_chat_goes_on(visitor)


# -- creating accounts -----------------------------------------------------------------------------


async def create_is_refused(
    server: Server, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    """A supervisor's create with ``changes`` is refused; the account list is as before."""
    supervisor = await Counsellor.demo(server, "supervisor")
    before = await usernames(supervisor)
    response = await supervisor.http(
        "POST", "/api/staff/accounts", json={**VALID_ACCOUNT, **changes}
    )
    assert_http_error(response, status, code, field)
    assert await usernames(supervisor) == before


@pytest.mark.parametrize(
    "password",
    ["short-pass1", "", "p" * 1025, 123456789012345, None],
    ids=["11-characters", "empty", "1025-characters", "number", "null"],
)
async def test_creating_an_account_with_a_bad_password_gets_400_naming_password(
    server: Server, password: Any
) -> None:
    await create_is_refused(server, {"password": password}, 400, "invalid", "password")
    assert_http_error(
        await login(
            server, VALID_ACCOUNT["username"], password if isinstance(password, str) else "x"
        ),
        401,
        "unauthenticated",
    )


@pytest.mark.parametrize(
    "username",
    ["x", "has space", ".starts-with-dot", "-starts-with-dash", "a" * 65, "naïve", "", 42, None],
    ids=[
        "one-character",
        "space",
        "leading-dot",
        "leading-dash",
        "65-characters",
        "non-ascii",
        "empty",
        "number",
        "null",
    ],
)
async def test_creating_an_account_with_a_bad_username_gets_400_naming_username(
    server: Server, username: Any
) -> None:
    await create_is_refused(server, {"username": username}, 400, "invalid", "username")


@pytest.mark.parametrize(
    "role",
    ["admin", "Supervisor", "", None, 1, ["counsellor"], {}],
    ids=["admin", "capitalised", "empty", "null", "number", "list", "object"],
)
async def test_creating_an_account_with_a_bad_role_gets_400_naming_role(
    server: Server, role: Any
) -> None:
    await create_is_refused(server, {"role": role}, 400, "invalid", "role")


@pytest.mark.parametrize(
    "display_name",
    ["", "   ", "d" * 65, None, 7],
    ids=["empty", "blank", "65-characters", "null", "number"],
)
async def test_creating_an_account_with_a_bad_display_name_gets_400_naming_it(
    server: Server, display_name: Any
) -> None:
    await create_is_refused(server, {"display_name": display_name}, 400, "invalid", "display_name")


async def test_creating_an_account_with_an_unknown_field_gets_400_naming_it(
    server: Server,
) -> None:
    await create_is_refused(server, {"is_admin": True}, 400, "invalid", "is_admin")


@pytest.mark.parametrize("variant", ["demo", "DEMO", "  demo "], ids=["same", "upper", "padded"])
async def test_creating_an_account_with_a_taken_username_gets_409_and_keeps_the_old_account(
    server: Server, variant: str
) -> None:
    username, password = server.demo_passwords["counsellor"]
    assert username == "demo"

    await create_is_refused(
        server,
        {"username": variant, "display_name": "Impostor", "password": "an-impostors-password"},
        409,
        "conflict",
        "username",
    )

    assert_http_error(
        await login(server, username, "an-impostors-password"), 401, "unauthenticated"
    )
    still = await login(server, username, password)
    assert still.status_code == 200, still.text
    assert still.json()["staff"]["display_name"] == "Demo Counsellor"
    assert still.json()["staff"]["role"] == "counsellor"


async def test_creating_an_account_with_malformed_json_gets_400_and_makes_no_account(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    before = await usernames(supervisor)
    response = await supervisor.http("POST", "/api/staff/accounts", content=b'{"username": "x",')
    assert_http_error(response, 400, "invalid")
    assert await usernames(supervisor) == before


async def test_creating_an_account_with_a_body_over_the_limit_gets_413_and_makes_no_account(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    before = await usernames(supervisor)
    body = padded(json.dumps(VALID_ACCOUNT).encode(), HTTP_BODY_MAX_BYTES + 1)
    response = await supervisor.http("POST", "/api/staff/accounts", content=body)
    assert_http_error(response, 413, "too_large")
    assert await usernames(supervisor) == before


# -- activating and deactivating -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["deactivate", "activate"])
async def test_changing_an_unknown_account_gets_404(server: Server, action: str) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    response = await supervisor.http("POST", f"/api/staff/accounts/0123456789abcdef/{action}")
    assert_http_error(response, 404, "not_found")


async def test_a_supervisor_deactivating_themselves_gets_400_and_stays_active(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    response = await supervisor.http("POST", f"/api/staff/accounts/{supervisor.id}/deactivate")
    assert_http_error(response, 400, "invalid")
    assert await still_signed_in(supervisor)


# -- paths and methods -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/staff/login", {"POST"}),
        ("DELETE", "/api/staff/me", {"GET", "HEAD"}),
        ("OPTIONS", "/api/staff/accounts", {"GET", "HEAD", "POST"}),
        ("POST", "/api/triage/conversations/c1/exclusion", {"PUT", "DELETE"}),
    ],
    ids=["get-login", "delete-me", "options-accounts", "post-exclusion"],
)
async def test_a_wrong_method_on_an_api_path_gets_405_allowing_every_method_it_has(
    server: Server, method: str, path: str, allowed: set[str]
) -> None:
    response = await call(server, method, path)
    assert response.status_code == 405, response.text
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


async def test_an_unknown_api_path_gets_404_from_the_api_not_the_frontend(server: Server) -> None:
    response = await call(server, "GET", "/api/staff/nothing-here")
    assert response.status_code == 404
    assert (await call(server, "GET", "/")).status_code == 200
