"""Chat starts that bring (or do not bring) a proof of work, from any loopback source."""

from __future__ import annotations

from typing import Any

import httpx

from chatserver.domain.work import Puzzle, leading_zero_bits, work_digest
from tests.support.pilots import Counsellor
from tests.support.server import Server

#: Puzzles small enough for a test to solve in Python in a blink.
EASY_WORK = {"WORK_DIFFICULTY_BITS": "8"}


def solve(puzzle: Puzzle) -> str:
    """A nonce that solves ``puzzle``, found by counting as the widget does."""
    nonce = 0
    while leading_zero_bits(work_digest(puzzle.challenge, format(nonce, "x"))) < puzzle.difficulty:
        nonce += 1
    return format(nonce, "x")


async def start(
    server: Server, work: dict[str, str] | None = None, source: str = "127.0.0.1"
) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    body: dict[str, Any] = {} if work is None else {"work": work}
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        return await client.post(f"{server.base_url}/api/visitor/chats", json=body)


def solved(refusal: httpx.Response) -> dict[str, str]:
    """The solution of the puzzle a 428 answer carries."""
    assert refusal.status_code == 428, refusal.text
    work = refusal.json()["error"]["work"]
    puzzle = Puzzle(work["challenge"], work["difficulty"], 0)
    return {"challenge": puzzle.challenge, "nonce": solve(puzzle)}


async def switch(supervisor: Counsellor, mode: str) -> dict[str, Any]:
    response = await supervisor.http("PUT", "/api/staff/work", json={"mode": mode})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
