"""A legitimate chat's round trips, timed while something else loads the server.

One round trip: the visitor's message reaches the counsellor, and the counsellor's answer
reaches the visitor. Shared by the availability tests and ``bench/attacks.py``, which both ask
how a chat feels while an attack or a heavy job runs.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable
from typing import TypeVar

from tests.support.pilots import Counsellor, Visitor

T = TypeVar("T")

#: Pause between round trips: about ten a second, a fast typist on both sides.
INTERVAL_S = 0.1


async def round_trip(visitor: Visitor, counsellor: Counsellor, conversation_id: str) -> float:
    """Seconds from the visitor's send to the counsellor's answer arriving at the visitor."""
    began = time.perf_counter()
    asked = await visitor.say("hallo, ben je er nog?")
    await counsellor.ws.expect("message", client_msg_id=asked["client_msg_id"])
    answered = await counsellor.say(conversation_id, "ja, ik ben er")
    await visitor.ws.expect("message", client_msg_id=answered["client_msg_id"])
    return time.perf_counter() - began


async def round_trips_during(
    work: Awaitable[T],
    visitor: Visitor,
    counsellor: Counsellor,
    conversation_id: str,
    *,
    at_least_s: float = 0.0,
) -> tuple[T, list[float]]:
    """``work``'s result, and the round trips timed until it is done (and ``at_least_s``).

    A round trip with a leg longer than the pilots' receive timeout counts as infinitely long,
    so that it weighs in the percentiles instead of ending the measurement.
    """
    task = asyncio.ensure_future(work)
    until = time.perf_counter() + at_least_s
    times: list[float] = []
    while not task.done() or time.perf_counter() < until:
        try:
            times.append(await round_trip(visitor, counsellor, conversation_id))
        except TimeoutError:
            times.append(math.inf)
        await asyncio.sleep(INTERVAL_S)
    return await task, times


def percentile(times: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``times`` (nearest rank), in milliseconds."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
