"""De-identification loads in a worker process: a chat does not wait while deduce loads.

Before the worker, the first research quote after a start loaded deduce inside the chat
process and froze every chat for half a minute. The server here is fresh, so its first quote
starts the worker, which loads deduce from the cache every test server shares (built once
per machine by ``prepare-deidentify``, as a deployment does).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.pilots import in_conversation
from tests.support.round_trips import percentile, round_trips_during
from tests.support.server import QUICK_HASHING, run_cli, sqlite_server

#: Building the cache on a machine that never had it takes a minute or two.
pytestmark = pytest.mark.timeout(600)
GOAL_MS = 100.0
#: On a loaded 2-core machine (other tests, the worker itself) 100 ms can be missed for
#: reasons that are not the chat process's: then the p99 may be this many times the same
#: chat's p99 measured just before, in the same test. Measured under a load average of 12 on
#: two cores, the ratio reached 3.4; a frozen chat (27 to 33 s before the worker) fails anyway.
SLOWER_THAN_BASELINE = 5.0
#: About ten round trips a second, before the quote and while it loads.
BASELINE_S = 5.0
#: Fewer round trips during the load would mean it barely overlapped.
ROUND_TRIPS_DURING_LOAD = 10


async def test_the_first_quote_after_start_leaves_a_concurrent_chat_under_100_ms_at_p99(
    tmp_path: Path,
) -> None:
    # Its own workers, not the run's shared service: the load under test is this server's.
    server = sqlite_server(
        tmp_path,
        **QUICK_HASHING,
        FRAMES_PER_SECOND="100",
        FRAME_BURST="100",
        DEIDENTIFY_SOCKET="",
    )
    prepared = await asyncio.to_thread(run_cli, server, "prepare-deidentify")
    assert prepared.returncode == 0, prepared.stderr
    await asyncio.to_thread(server.start)
    try:
        visitor, counsellor, conversation_id = await in_conversation(server)
        seq = (await visitor.say("Ik ben Sanne uit Rotterdam"))["seq"]
        _, baseline = await round_trips_during(
            asyncio.sleep(BASELINE_S), visitor, counsellor, conversation_id
        )

        quote, during = await round_trips_during(
            counsellor.http(
                "POST",
                f"/api/triage/conversations/{conversation_id}/quotes",
                json={"seq": seq},
                timeout=300,
            ),
            visitor,
            counsellor,
            conversation_id,
        )

        assert quote.status_code == 201, quote.text
        allowed = max(GOAL_MS, SLOWER_THAN_BASELINE * percentile(baseline, 0.99))
        assert percentile(during, 0.99) < allowed, (percentile(baseline, 0.99), sorted(during))
        assert len(during) >= ROUND_TRIPS_DURING_LOAD
    finally:
        await asyncio.to_thread(server.stop)
