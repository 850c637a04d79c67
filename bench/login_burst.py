"""Chat round trip at a steady load, quiet and during bursts of concurrent staff logins.

    python -m bench.login_burst --conversations 100 --rate 100 --bursts 5 --logins 20

One node (SQLite) at the production argon2 cost. For each hashing bound the visitor-to-
counsellor round trip (as in bench/load.py) is measured at ``--rate``: first ``--quiet``
seconds with no logins, then while ``--bursts`` bursts of ``--logins`` concurrent logins
run one after another (a refused login retries after its ``Retry-After``). The bound
``concurrency=20 queue=0`` is the behaviour before issue 18: every login hashing at once.
As in issue 18, the server runs on core 0 and this load generator on core 1 (``--no-pin``:
anywhere), so the logins' hashing competes with the chat for one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import (
    CHATS_PER_COUNSELLOR,
    Probe,
    counsellor_loop,
    drain,
    percentile,
    set_up,
    visitor_loop,
)
from tests.support.server import NO_SOURCE_LIMITS, Server, sqlite_server

#: (LOGIN_HASH_CONCURRENCY, LOGIN_HASH_QUEUE): the default, then unbounded as before.
BOUNDS = ((1, 10), (20, 0))


async def burst(server: Server, logins: int) -> int:
    """``logins`` concurrent logins, each retried until it gets in; how often one was refused."""
    username, password = server.demo_passwords["counsellor"]
    credentials = {"username": username, "password": password}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:

        async def log_in() -> int:
            refused = 0
            while (
                response := await client.post("/api/staff/login", json=credentials)
            ).status_code == 503:
                refused += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            assert response.status_code == 200, response.text
            return refused

        return sum(await asyncio.gather(*(log_in() for _ in range(logins))))


def pin(server: Server) -> None:
    """The server's threads (and those they start later) on core 0; this process on core 1."""
    assert server.process is not None
    for thread in Path(f"/proc/{server.process.pid}/task").iterdir():
        os.sched_setaffinity(int(thread.name), {0})
    os.sched_setaffinity(0, {1})


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    if not ordered:
        return "no samples"
    return (
        f"p50={percentile(ordered, 0.50):.1f} ms p99={percentile(ordered, 0.99):.1f} ms "
        f"n={len(ordered)}"
    )


async def measure(args: argparse.Namespace, server: Server) -> None:
    probe = Probe()
    visitors, counsellors = await set_up(server, server, args.conversations, probe)
    readers = [asyncio.create_task(counsellor_loop(s, probe)) for s in counsellors]
    readers += [asyncio.create_task(drain(s)) for s in visitors]
    interval = args.conversations / args.rate
    senders = [
        asyncio.create_task(visitor_loop(s, probe, interval, float("inf"))) for s in visitors
    ]
    await asyncio.sleep(1)  # the senders' spread start
    quiet = (time.perf_counter(), time.perf_counter() + args.quiet)
    await asyncio.sleep(args.quiet)
    windows, refused, durations = [], 0, []
    for _ in range(args.bursts):
        started = time.perf_counter()
        refused += await burst(server, args.logins)
        windows.append((started, time.perf_counter()))
        durations.append(windows[-1][1] - started)
        await asyncio.sleep(1)
    for task in senders:
        task.cancel()
    await asyncio.sleep(2)  # let the last deliveries land
    for task in readers:
        task.cancel()

    samples = list(zip(probe.sent, probe.latencies, strict=True))
    calm = [latency for sent, latency in samples if quiet[0] <= sent < quiet[1]]
    busy = [
        latency for sent, latency in samples if any(start <= sent < end for start, end in windows)
    ]
    print(f"  quiet:       {summary(calm)}")
    print(f"  during burst: {summary(busy)}")
    mean_s = sum(durations) / len(durations)
    print(f"  a burst of {args.logins} logins took {mean_s:.2f} s on average; refused {refused}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second in all")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds without logins")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    for concurrency, queue in BOUNDS:
        env = {
            "MAX_CHATS_PER_COUNSELLOR": str(CHATS_PER_COUNSELLOR),
            "FRAME_BURST": "1000",
            "FRAMES_PER_SECOND": "1000",
            "LOG_LEVEL": "WARNING",
            "LOGIN_HASH_CONCURRENCY": str(concurrency),
            "LOGIN_HASH_QUEUE": str(queue),
            # A burst is a shift change, not an attack: the brute-force throttle stays out.
            "LOGIN_ACCOUNT_FREE_ATTEMPTS": "1000000",
            "LOGIN_SOURCE_FREE_ATTEMPTS": "1000000",
            **NO_SOURCE_LIMITS,
        }
        with tempfile.TemporaryDirectory() as tmp:
            server = sqlite_server(Path(tmp), **env)
            server.start()
            if args.pin:
                pin(server)
            try:
                print(
                    f"LOGIN_HASH_CONCURRENCY={concurrency} LOGIN_HASH_QUEUE={queue} "
                    f"conversations={args.conversations} rate={args.rate}/s"
                )
                asyncio.run(measure(args, server))
            finally:
                server.stop()


if __name__ == "__main__":
    main()
