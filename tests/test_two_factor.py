"""Optional two-factor login for staff (docs/security.md section 4), against a real server."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from tests.support.pilots import Counsellor, login_attempt
from tests.support.server import Server, StartServer

USERNAME = "sanne"
PASSWORD = f"{USERNAME}-long-password-1"


# -- helpers ---------------------------------------------------------------------------------------


def code(secret: str, steps_ahead: int = 0) -> str:
    """What the app shows now, or ``steps_ahead`` 30-second steps later."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def colleague(server: Server) -> tuple[Counsellor, Counsellor]:
    """A supervisor, and a counsellor the supervisor made."""
    supervisor = await Counsellor.demo(server, "supervisor")
    return supervisor, await Counsellor.create(server, supervisor, USERNAME)


async def enrol(staff: Counsellor) -> dict[str, Any]:
    response = await staff.http("POST", "/api/staff/two-factor")
    assert response.status_code == 201, response.text
    return dict(response.json())


async def confirm(staff: Counsellor, value: str) -> httpx.Response:
    return await staff.http("POST", "/api/staff/two-factor/confirm", json={"code": value})


async def with_two_factor(server: Server) -> tuple[Counsellor, Counsellor, str]:
    """A supervisor, and a counsellor with two-factor login on; the counsellor's secret."""
    supervisor, counsellor = await colleague(server)
    secret = (await enrol(counsellor))["secret"]
    assert (await confirm(counsellor, code(secret))).status_code == 200
    return supervisor, counsellor, secret


def assert_refused(response: httpx.Response, status: int, error_code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == error_code


async def two_factor_on(staff: Counsellor) -> bool:
    response = await staff.http("GET", "/api/staff/me")
    assert response.status_code == 200, response.text
    return bool(response.json()["two_factor"])


# -- enrolling -------------------------------------------------------------------------------------


async def test_enrolling_returns_a_secret_and_its_otpauth_uri(start_server: StartServer) -> None:
    server = await start_server(TOTP_ISSUER="Hulplijn Test")
    _, counsellor = await colleague(server)

    enrolment = await enrol(counsellor)

    assert set(enrolment) == {"secret", "otpauth_uri"}
    uri = urlsplit(enrolment["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == f"/Hulplijn%20Test:{USERNAME}"
    query = parse_qs(uri.query)
    assert query["secret"] == [enrolment["secret"]]
    assert query["issuer"] == ["Hulplijn Test"]
    assert len(pyotp.TOTP(enrolment["secret"]).byte_secret()) >= 20  # 160 bits


async def test_until_confirmed_the_password_alone_still_logs_in(server: Server) -> None:
    _, counsellor = await colleague(server)
    await enrol(counsellor)

    assert (await login_attempt(server, USERNAME, PASSWORD)).status_code == 200
    assert not await two_factor_on(counsellor)


async def test_confirming_with_a_wrong_code_leaves_two_factor_off(server: Server) -> None:
    _, counsellor = await colleague(server)
    secret = (await enrol(counsellor))["secret"]
    wrong = f"{(int(code(secret)) + 1) % 1_000_000:06d}"

    response = await confirm(counsellor, wrong)

    assert_refused(response, 400, "invalid")
    assert response.json()["error"]["field"] == "code"
    assert not await two_factor_on(counsellor)
    assert (await login_attempt(server, USERNAME, PASSWORD)).status_code == 200


async def test_enrolling_again_once_two_factor_is_on_is_a_conflict(server: Server) -> None:
    _, counsellor, _ = await with_two_factor(server)

    response = await counsellor.http("POST", "/api/staff/two-factor")

    assert_refused(response, 409, "conflict")


# -- logging in ------------------------------------------------------------------------------------


async def test_once_confirmed_login_asks_for_the_code_and_accepts_the_current_one(
    server: Server,
) -> None:
    _, counsellor, secret = await with_two_factor(server)
    assert await two_factor_on(counsellor)

    asked = await login_attempt(server, USERNAME, PASSWORD)
    assert_refused(asked, 401, "two_factor_required")

    response = await login_attempt(server, USERNAME, PASSWORD, code=code(secret, 1))
    assert response.status_code == 200, response.text
    assert response.json()["staff"]["username"] == USERNAME


async def test_a_wrong_code_is_refused_and_a_wrong_password_still_says_only_that(
    server: Server,
) -> None:
    _, _, secret = await with_two_factor(server)

    assert_refused(
        await login_attempt(server, USERNAME, PASSWORD, code="000000"), 401, "two_factor_invalid"
    )
    assert_refused(
        await login_attempt(server, USERNAME, "wrong-password", code=code(secret, 1)),
        401,
        "unauthenticated",
    )


async def test_a_code_is_accepted_once_even_within_its_thirty_seconds(server: Server) -> None:
    _, counsellor = await colleague(server)
    secret = (await enrol(counsellor))["secret"]
    confirmed_with = code(secret)
    assert (await confirm(counsellor, confirmed_with)).status_code == 200
    next_code = code(secret, 1)

    replay_of_confirmation = await login_attempt(server, USERNAME, PASSWORD, code=confirmed_with)
    assert_refused(replay_of_confirmation, 401, "two_factor_invalid")
    assert (await login_attempt(server, USERNAME, PASSWORD, code=next_code)).status_code == 200
    replay = await login_attempt(server, USERNAME, PASSWORD, code=next_code)
    assert_refused(replay, 401, "two_factor_invalid")


async def test_wrong_codes_count_as_failed_logins(start_server: StartServer) -> None:
    server = await start_server(LOGIN_ACCOUNT_FREE_ATTEMPTS="3", LOGIN_BACKOFF_BASE_S="600")
    _, _, secret = await with_two_factor(server)
    for _ in range(3):
        response = await login_attempt(server, USERNAME, PASSWORD, code="000000")
        assert_refused(response, 401, "two_factor_invalid")

    throttled = await login_attempt(server, USERNAME, PASSWORD, code=code(secret, 1))

    assert_refused(throttled, 429, "login_throttled")


# -- resetting -------------------------------------------------------------------------------------


async def test_a_supervisor_resets_a_colleagues_two_factor_and_the_password_alone_works(
    server: Server,
) -> None:
    supervisor, counsellor, _ = await with_two_factor(server)

    response = await supervisor.http("DELETE", f"/api/staff/accounts/{counsellor.id}/two-factor")

    assert response.status_code == 204
    assert (await login_attempt(server, USERNAME, PASSWORD)).status_code == 200
    assert not await two_factor_on(counsellor)
    assert "secret" in await enrol(counsellor)  # and may enrol again


async def test_nobody_resets_their_own_two_factor(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    secret = (await enrol(supervisor))["secret"]
    assert (await confirm(supervisor, code(secret))).status_code == 200

    response = await supervisor.http("DELETE", f"/api/staff/accounts/{supervisor.id}/two-factor")

    assert_refused(response, 400, "invalid")
    assert await two_factor_on(supervisor)


# -- the secret ------------------------------------------------------------------------------------


async def test_the_secret_is_shown_only_at_enrolment_and_never_logged(server: Server) -> None:
    supervisor, counsellor, secret = await with_two_factor(server)
    await login_attempt(server, USERNAME, PASSWORD, code="000000")
    await login_attempt(server, USERNAME, PASSWORD, code=code(secret, 1))

    for staff, path in [
        (counsellor, "/api/staff/me"),
        (supervisor, "/api/staff/accounts"),
        (counsellor, "/api/staff/colleagues"),
    ]:
        response = await staff.http("GET", path)
        assert response.status_code == 200
        assert secret not in response.text
    assert secret not in server.logs()
    assert secret not in server.stdout_path.read_text()
