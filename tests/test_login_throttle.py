"""Login brute-force protection (docs/security.md section 3), per account and per source."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.database import database_bytes
from tests.support.pilots import login_attempt
from tests.support.server import QUICK_HASHING, Server, StartServer, postgres_server
from tests.support.services import fresh_postgres_database

FREE = 3
#: Long enough that no wait runs out during a test that does not sleep on purpose.
LONG_WAIT = {"LOGIN_ACCOUNT_FREE_ATTEMPTS": str(FREE), "LOGIN_BACKOFF_BASE_S": "600"}
SOURCE = "203.0.113.7"
OTHER_SOURCE = "203.0.113.8"
BEHIND_PROXY = {"CLIENT_ADDRESS_HEADER": "X-Forwarded-For", "TRUSTED_PROXIES": "127.0.0.1"}


def assert_throttled(response: httpx.Response, at_most_s: int) -> int:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "error": {
            "code": "login_throttled",
            "message": "Too many failed logins; wait before trying again.",
        }
    }
    assert response.headers["cache-control"] == "no-store"
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= at_most_s
    return retry_after


async def fail(server: Server, username: str, times: int, **headers: str) -> None:
    for _ in range(times):
        response = await login_attempt(server, username, "not-the-password", headers=headers)
        assert response.status_code == 401, response.text


def from_address(address: str) -> dict[str, str]:
    """The header a proxy in front of the server adds, after whatever the client sent."""
    return {"X-Forwarded-For": f"198.51.100.1, {address}"}


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


# -- per account -----------------------------------------------------------------------------------


async def test_after_the_free_attempts_an_account_must_wait_with_429_and_retry_after(
    start_server: StartServer,
) -> None:
    server = await start_server(**LONG_WAIT)
    await fail(server, "demo", FREE)

    response = await login_attempt(server, "demo", "not-the-password")

    assert_throttled(response, at_most_s=600)


async def test_while_an_account_waits_even_the_right_password_is_refused(
    start_server: StartServer,
) -> None:
    server = await start_server(**LONG_WAIT)
    username, password = server.demo_passwords["counsellor"]
    await fail(server, username, FREE)

    assert_throttled(await login_attempt(server, username, password), at_most_s=600)
    assert_throttled(await login_attempt(server, username.upper(), password), at_most_s=600)


async def test_other_accounts_are_not_held_up_by_one_that_waits(
    start_server: StartServer,
) -> None:
    server = await start_server(**LONG_WAIT)
    await fail(server, "demo", FREE)

    username, password = server.demo_passwords["supervisor"]
    assert (await login_attempt(server, username, password)).status_code == 200


async def test_a_name_that_is_no_account_is_answered_exactly_like_one_that_is(
    start_server: StartServer,
) -> None:
    server = await start_server(**LONG_WAIT)
    for username in ("demo", "nobody-by-this-name"):
        await fail(server, username, FREE)
        assert_throttled(await login_attempt(server, username, "x"), at_most_s=600)


async def test_the_wait_doubles_and_a_successful_login_starts_afresh(
    start_server: StartServer,
) -> None:
    server = await start_server(LOGIN_ACCOUNT_FREE_ATTEMPTS="2", LOGIN_BACKOFF_BASE_S="1")
    username, password = server.demo_passwords["counsellor"]
    await fail(server, username, 2)
    first = assert_throttled(await login_attempt(server, username, "x"), at_most_s=1)

    await asyncio.sleep(first + 0.2)
    await fail(server, username, 1)
    second = assert_throttled(await login_attempt(server, username, "x"), at_most_s=2)
    assert second == 2

    await asyncio.sleep(second + 0.2)
    assert (await login_attempt(server, username, password)).status_code == 200
    await fail(server, username, 1)  # counted from zero again: no wait yet
    assert (await login_attempt(server, username, password)).status_code == 200


async def test_the_account_limit_holds_across_nodes(tmp_path: Path, database_url: str) -> None:
    nodes = [
        postgres_server(tmp_path, database_url, **QUICK_HASHING, **LONG_WAIT) for _ in range(2)
    ]
    for node in nodes:  # one at a time: the first migrates
        await asyncio.to_thread(node.start)
    try:
        first, second = nodes
        await fail(first, "demo", FREE - 1)
        await fail(second, "demo", 1)
        username, password = second.demo_passwords["counsellor"]  # the last start set it
        assert_throttled(await login_attempt(first, username, password), at_most_s=600)
    finally:
        for node in nodes:
            await asyncio.to_thread(node.stop)


# -- per source ------------------------------------------------------------------------------------


async def test_a_source_that_fails_on_many_names_must_wait_for_any_name(
    start_server: StartServer,
) -> None:
    server = await start_server(
        LOGIN_SOURCE_FREE_ATTEMPTS=str(FREE), LOGIN_BACKOFF_BASE_S="600", **BEHIND_PROXY
    )
    for number in range(FREE):
        await fail(server, f"guess-{number}", 1, **from_address(SOURCE))

    username, password = server.demo_passwords["counsellor"]
    response = await login_attempt(server, username, password, headers=from_address(SOURCE))
    assert_throttled(response, at_most_s=600)
    response = await login_attempt(server, username, password, headers=from_address(OTHER_SOURCE))
    assert response.status_code == 200


async def test_behind_a_proxy_the_source_is_the_address_the_proxy_added_last(
    start_server: StartServer,
) -> None:
    server = await start_server(
        LOGIN_SOURCE_FREE_ATTEMPTS=str(FREE), LOGIN_BACKOFF_BASE_S="600", **BEHIND_PROXY
    )
    for number in range(FREE):
        # A client that puts a fresh address first each time is still the same source.
        forged = {"X-Forwarded-For": f"192.0.2.{number}, {SOURCE}"}
        await fail(server, f"guess-{number}", 1, **forged)

    response = await login_attempt(server, "guess-x", "x", headers=from_address(SOURCE))
    assert_throttled(response, at_most_s=600)


async def test_source_addresses_are_neither_stored_nor_logged(start_server: StartServer) -> None:
    server = await start_server(
        LOGIN_SOURCE_FREE_ATTEMPTS=str(FREE), LOGIN_BACKOFF_BASE_S="600", **BEHIND_PROXY
    )
    await fail(server, "demo", FREE, **from_address(SOURCE))
    assert_throttled(
        await login_attempt(server, "demo", "x", headers=from_address(SOURCE)), at_most_s=600
    )

    assert SOURCE.encode() not in database_bytes(server)
    assert SOURCE not in server.logs()
