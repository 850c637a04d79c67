"""Staff accounts and sessions: logging in and out, timeouts, who may manage accounts, the CLI."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path

import httpx

from chatserver.settings import Settings
from tests.support.database import database_bytes, query
from tests.support.pilots import Counsellor
from tests.support.server import Server, StartServer, run_cli, sqlite_server

URLSAFE_BASE64 = re.compile(r"^[A-Za-z0-9_-]+$")
#: The shipped defaults, which the rest of the suite trades for speed.
DEFAULT_HASHING = {
    "ARGON2_MEMORY_KIB": str(Settings.argon2_memory_kib),
    "ARGON2_TIME_COST": str(Settings.argon2_time_cost),
}
ARGON2ID_OWASP = re.compile(r"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


# -- helpers ---------------------------------------------------------------------------------------


async def _login(server: Server, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{server.base_url}/api/staff/login",
            json={"username": username, "password": password},
        )


async def _me(server: Server, token: str) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{server.base_url}/api/staff/me", headers={"Authorization": f"Bearer {token}"}
        )
    return response.status_code


async def _still_connected(counsellor: Counsellor) -> bool:
    await counsellor.ws.send({"type": "ping", "ref": "still-there"})
    await counsellor.ws.expect("pong", ref="still-there")
    return True


# -- logging in ------------------------------------------------------------------------------------


async def test_login_returns_an_unguessable_token_and_the_staff_summary(server: Server) -> None:
    username, password = server.demo_passwords["counsellor"]
    response = await _login(server, username, password)

    assert response.status_code == 200
    body = response.json()
    token = body["token"]
    assert URLSAFE_BASE64.match(token)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) >= 32  # 256 bits; far over the 128 bits a session token needs
    assert set(body["staff"]) == {"id", "username", "display_name", "role", "active"}
    assert body["staff"]["username"] == "demo"
    assert body["staff"]["display_name"] == "Demo Counsellor"
    assert body["staff"]["role"] == "counsellor"
    assert body["staff"]["active"] is True
    again = (await _login(server, username, password)).json()["token"]
    assert again != token


async def test_passwords_are_stored_as_argon2id_with_the_owasp_cost(
    start_server: StartServer,
) -> None:
    server = await start_server(**DEFAULT_HASHING)
    supervisor = await Counsellor.demo(server, "supervisor")
    await Counsellor.create(server, supervisor, "hashcheck")

    hashes = dict(query(server, "SELECT username, password_hash FROM staff"))

    assert set(hashes) == {"demo", "supervisor", "demo-researcher", "hashcheck"}
    for username, password_hash in hashes.items():
        assert ARGON2ID_OWASP.match(password_hash), (username, password_hash)
    assert b"hashcheck-long-password-1" not in database_bytes(server)


async def test_the_session_table_holds_only_the_sha256_of_the_token(server: Server) -> None:
    counsellor = await Counsellor.demo(server)

    stored = query(server, "SELECT token_hash FROM staff_sessions")

    assert stored == [(hashlib.sha256(counsellor.token.encode()).hexdigest(),)]
    assert counsellor.token.encode() not in database_bytes(server)


async def test_usernames_are_case_insensitive_at_login(server: Server) -> None:
    _, password = server.demo_passwords["counsellor"]

    for spelling in ("DEMO", "Demo", "dEmO"):
        response = await _login(server, spelling, password)
        assert response.status_code == 200, spelling
        assert response.json()["staff"]["username"] == "demo"


async def test_the_demo_logins_printed_at_start_for_every_role_can_log_in(server: Server) -> None:
    assert set(server.demo_passwords) == {"counsellor", "supervisor", "researcher"}
    for role, (username, password) in server.demo_passwords.items():
        response = await _login(server, username, password)
        assert response.status_code == 200, role
        assert response.json()["staff"]["role"] == role


# -- logging out -----------------------------------------------------------------------------------


async def test_logout_ends_the_session(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    assert await _me(server, counsellor.token) == 200

    response = await counsellor.http("POST", "/api/staff/logout")

    assert response.status_code == 204
    assert await _me(server, counsellor.token) == 401
    assert query(server, "SELECT count(*) FROM staff_sessions") == [(0,)]


async def test_logout_closes_that_sessions_socket_but_not_another_session_of_the_same_person(
    server: Server,
) -> None:
    laptop = await Counsellor.demo(server)
    phone = await Counsellor.demo(server)
    await laptop.connect()
    await phone.connect()

    await laptop.http("POST", "/api/staff/logout")

    assert await laptop.ws.close_code() == 4401
    assert await _still_connected(phone)
    assert await _me(server, phone.token) == 200


# -- timeouts --------------------------------------------------------------------------------------


async def test_an_idle_session_is_refused_after_the_idle_timeout(
    start_server: StartServer,
) -> None:
    server = await start_server(STAFF_IDLE_TIMEOUT_S="2")
    counsellor = await Counsellor.demo(server)
    assert await _me(server, counsellor.token) == 200

    await asyncio.sleep(2.5)

    assert await _me(server, counsellor.token) == 401


async def test_activity_keeps_a_session_from_idling_out(
    start_server: StartServer,
) -> None:
    server = await start_server(STAFF_IDLE_TIMEOUT_S="2")
    counsellor = await Counsellor.demo(server)

    statuses = []
    for _ in range(7):  # active for 3.5 s, never more than 0.5 s quiet
        await asyncio.sleep(0.5)
        statuses.append(await _me(server, counsellor.token))

    assert statuses == [200] * 7


async def test_a_session_expires_at_the_absolute_timeout_however_active(
    start_server: StartServer,
) -> None:
    server = await start_server(STAFF_ABSOLUTE_TIMEOUT_S="2")
    counsellor = await Counsellor.demo(server)

    # Never quiet for more than 0.3 s, far under the 30-minute idle timeout: only the absolute
    # limit can end the session. How many requests fit before it depends on the machine.
    statuses = [await _me(server, counsellor.token)]
    while statuses[-1] == 200 and len(statuses) < 100:
        await asyncio.sleep(0.3)
        statuses.append(await _me(server, counsellor.token))

    assert statuses[0] == 200
    assert statuses[-1] == 401
    assert await _me(server, counsellor.token) == 401


# -- managing accounts -----------------------------------------------------------------------------


async def test_a_supervisor_creates_a_counsellor_who_can_log_in(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")

    response = await supervisor.http(
        "POST",
        "/api/staff/accounts",
        json={
            "username": "newcomer",
            "display_name": "New Comer",
            "role": "counsellor",
            "password": "a-long-enough-password",
        },
    )

    assert response.status_code == 201
    assert response.json()["staff"]["username"] == "newcomer"
    login = await _login(server, "newcomer", "a-long-enough-password")
    assert login.status_code == 200
    assert login.json()["staff"]["display_name"] == "New Comer"
    assert login.json()["staff"]["role"] == "counsellor"


async def test_a_deactivated_counsellor_is_locked_out_until_reactivated(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.create(server, supervisor, "leaver")
    await counsellor.connect()

    response = await supervisor.http("POST", f"/api/staff/accounts/{counsellor.id}/deactivate")

    assert response.status_code == 200
    assert response.json()["staff"]["active"] is False
    assert await counsellor.ws.close_code() == 4401
    assert await _me(server, counsellor.token) == 401
    assert (await _login(server, "leaver", "leaver-long-password-1")).status_code == 401

    response = await supervisor.http("POST", f"/api/staff/accounts/{counsellor.id}/activate")

    assert response.status_code == 200
    assert response.json()["staff"]["active"] is True
    assert (await _login(server, "leaver", "leaver-long-password-1")).status_code == 200
    assert await _me(server, counsellor.token) == 401  # the old session stays ended


async def test_a_counsellor_cannot_create_or_deactivate_accounts(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")

    created = await counsellor.http(
        "POST",
        "/api/staff/accounts",
        json={
            "username": "sneaky",
            "display_name": "Sneaky",
            "role": "supervisor",
            "password": "a-long-enough-password",
        },
    )
    deactivated = await counsellor.http("POST", f"/api/staff/accounts/{supervisor.id}/deactivate")

    assert created.status_code == 403
    assert deactivated.status_code == 403
    assert (await _login(server, "sneaky", "a-long-enough-password")).status_code == 401
    assert await _me(server, supervisor.token) == 200


async def test_a_supervisor_cannot_deactivate_themselves(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")

    response = await supervisor.http("POST", f"/api/staff/accounts/{supervisor.id}/deactivate")

    assert response.status_code == 400
    assert await _me(server, supervisor.token) == 200
    assert query(server, "SELECT active FROM staff WHERE id = ?", supervisor.id) == [(1,)]


# -- the command line ------------------------------------------------------------------------------


def test_the_command_line_creates_an_account_that_can_log_in(tmp_path: Path) -> None:
    server = sqlite_server(tmp_path)
    migrated = run_cli(server, "migrate")
    assert migrated.returncode == 0, migrated.stderr

    created = run_cli(
        server,
        "create-staff",
        "--username",
        "cli-counsellor",
        "--display-name",
        "CLI Counsellor",
        "--role",
        "counsellor",
        "--password-stdin",
        stdin="typed-on-standard-input\n",
    )
    assert created.returncode == 0, created.stderr

    server.start()
    try:
        response = httpx.post(
            f"{server.base_url}/api/staff/login",
            json={"username": "cli-counsellor", "password": "typed-on-standard-input"},
        )
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    assert response.json()["staff"]["display_name"] == "CLI Counsellor"
    assert response.json()["staff"]["role"] == "counsellor"


def test_the_command_line_refuses_a_short_password(tmp_path: Path) -> None:
    server = sqlite_server(tmp_path)
    assert run_cli(server, "migrate").returncode == 0

    created = run_cli(
        server,
        "create-staff",
        "--username",
        "cli-counsellor",
        "--display-name",
        "CLI Counsellor",
        "--password-stdin",
        stdin="short\n",
    )

    assert created.returncode != 0
    assert query(server, "SELECT count(*) FROM staff") == [(0,)]
