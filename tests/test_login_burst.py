"""A burst of staff logins takes its turn at password hashing; the chat goes on meanwhile.

Issue 18: twenty logins hashing at once took every core from the chat's event loop. Now
LOGIN_HASH_CONCURRENCY hash at a time, LOGIN_HASH_QUEUE more wait, and the rest are told at
once to come back (503, Retry-After), without that counting as a failed attempt.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.support.pilots import in_conversation, login_attempt
from tests.support.server import Server, StartServer

#: The production cost (settings.py), not the tests' cheap one: the point is the load.
REAL_HASHING = {"ARGON2_MEMORY_KIB": str(19 * 1024), "ARGON2_TIME_COST": "2"}
BURST = 20
#: Twenty logins of one account from one address are a shift change here, not an attack.
NO_LOGIN_THROTTLE = {"LOGIN_ACCOUNT_FREE_ATTEMPTS": "100", "LOGIN_SOURCE_FREE_ATTEMPTS": "100"}


async def log_in_until_admitted(server: Server) -> list[httpx.Response]:
    """Every answer to one login, retried as ``Retry-After`` says until it is not 503."""
    username, password = server.demo_passwords["counsellor"]
    answers = []
    while True:
        response = await login_attempt(server, username, password)
        answers.append(response)
        if response.status_code != 503:
            return answers
        await asyncio.sleep(float(response.headers["Retry-After"]))


async def test_a_burst_of_logins_all_get_in_the_excess_told_to_retry_while_the_chat_goes_on(
    start_server: StartServer,
) -> None:
    server = await start_server(**REAL_HASHING, **NO_LOGIN_THROTTLE, LOGIN_HASH_QUEUE="4")
    visitor, counsellor, conversation_id = await in_conversation(server)

    burst = asyncio.gather(*(log_in_until_admitted(server) for _ in range(BURST)))
    for n in range(5):
        await visitor.say(f"tijdens de logins {n}")
        heard = await counsellor.ws.expect("message", conversation_id=conversation_id, seq=n + 2)
        assert heard["text"] == f"tijdens de logins {n}"
    logins = await burst

    assert [answers[-1].status_code for answers in logins] == [200] * BURST
    refused = [response for answers in logins for response in answers[:-1]]
    assert refused, "no login was ever refused: the queue bound was not reached"
    for response in refused:
        assert response.json()["error"]["code"] == "unavailable"
        assert int(response.headers["Retry-After"]) >= 1
