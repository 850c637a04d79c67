"""Load generator: concurrent visitor/counsellor pairs; prints throughput, latency and memory.

    python -m bench.load --conversations 1000 --rate 200 --duration 30
    python -m bench.load --nodes 2 ...          # PostgreSQL + Redis, counsellors on node 2

Each visitor sends at a steady share of ``--rate``; latency is measured from just before
the visitor's send to the moment the counsellor's socket receives that message, so it
covers decode, the committed write, the ack path, the broker and fan-out. The load
generator runs on the same 2-core machine as the server and competes with it for CPU,
so the figures are conservative.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import NO_SOURCE_LIMITS, Server, postgres_server, sqlite_server
from tests.support.services import REDIS_URL, fresh_postgres_database

CHATS_PER_COUNSELLOR = 20


class Probe:
    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        #: When each of ``latencies`` was sent, to tell phases of a run apart.
        self.sent: list[float] = []
        self.accepts = 0

    def delivered(self, client_msg_id: str | None) -> None:
        started = self.sent_at.pop(client_msg_id or "", None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            self.sent.append(started)


async def open_socket(server: Server, path: str, hello: dict[str, Any]) -> ClientConnection:
    socket = await connect(
        f"{server.ws_url}{path}",
        origin=server.origin,  # type: ignore[arg-type]
        max_queue=None,
        compression=None,
    )
    await socket.send(json.dumps({"type": "hello", "v": 1, **hello}))
    return socket


async def counsellor_loop(socket: ClientConnection, probe: Probe) -> None:
    async for raw in socket:
        frame = json.loads(raw)
        if frame.get("type") == "message" and frame.get("author") == "visitor":
            probe.delivered(frame.get("client_msg_id"))


async def accepted(socket: ClientConnection, probe: Probe) -> None:
    """Read until this counsellor's accept_next frames are all answered."""
    waiting = CHATS_PER_COUNSELLOR
    while waiting:
        frame = json.loads(await socket.recv())
        if frame.get("type") in {"accepted", "error"}:
            waiting -= 1
            probe.accepts += frame["type"] == "accepted"


async def drain(socket: ClientConnection) -> None:
    async for _ in socket:
        pass


async def visitor_loop(
    socket: ClientConnection, probe: Probe, interval: float, until: float
) -> None:
    await asyncio.sleep(interval * (uuid.uuid4().int % 1000) / 1000)  # spread the start
    while time.perf_counter() < until:
        msg_id = uuid.uuid4().hex
        probe.sent_at[msg_id] = time.perf_counter()
        await socket.send(json.dumps({"type": "send", "client_msg_id": msg_id, "text": "x" * 80}))
        await asyncio.sleep(interval)


def rss_kib(server: Server) -> int:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def staff_pool(server: Server, supervisor: tuple[str, str], count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        login = await client.post(
            "/api/staff/login", json=dict(zip(("username", "password"), supervisor, strict=True))
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        tokens = []
        for n in range(count):
            password = f"bench-password-{n}-long"
            await client.post(
                "/api/staff/accounts",
                headers=headers,
                json={
                    "username": f"bench{n}",
                    "display_name": f"Bench {n}",
                    "role": "counsellor",
                    "password": password,
                },
            )
            response = await client.post(
                "/api/staff/login", json={"username": f"bench{n}", "password": password}
            )
            tokens.append(response.json()["token"])
        return tokens


async def set_up(
    visitor_node: Server, staff_node: Server, conversations: int, probe: Probe
) -> tuple[list[ClientConnection], list[ClientConnection]]:
    """Visitor and counsellor sockets with every chat taken: the steady state to measure."""
    async with httpx.AsyncClient(base_url=visitor_node.base_url, timeout=30) as client:
        starts = [
            (await client.post("/api/visitor/chats", json={})).json() for _ in range(conversations)
        ]
    visitors = [
        await open_socket(visitor_node, "/ws/visitor", {"token": s["resume_token"], "last_seq": 0})
        for s in starts
    ]

    tokens = await staff_pool(
        staff_node,
        staff_node.demo_passwords["supervisor"],
        -(-conversations // CHATS_PER_COUNSELLOR),
    )
    counsellors = [await open_socket(staff_node, "/ws/staff", {"token": token}) for token in tokens]
    remaining = conversations
    for socket in counsellors:
        share = min(CHATS_PER_COUNSELLOR, remaining)
        remaining -= share
        for _ in range(share):
            await socket.send(json.dumps({"type": "accept_next"}))
    await asyncio.gather(*(accepted(socket, probe) for socket in counsellors))
    return visitors, counsellors


def percentile(latencies: list[float], p: float) -> float:
    """Milliseconds; ``latencies`` sorted."""
    return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000


async def run(args: argparse.Namespace, nodes: list[Server]) -> None:
    visitor_node, staff_node = nodes[0], nodes[-1]
    probe = Probe()
    rss_before = [rss_kib(node) for node in nodes]
    # Measure only once every chat is taken: the accept phase is not the steady state.
    visitors, counsellors = await set_up(visitor_node, staff_node, args.conversations, probe)
    await asyncio.sleep(1)
    rss_after = [rss_kib(node) for node in nodes]
    sockets = len(visitors) + len(counsellors)

    until = time.perf_counter() + args.duration
    interval = args.conversations / args.rate
    readers = [asyncio.create_task(counsellor_loop(s, probe)) for s in counsellors]
    readers += [asyncio.create_task(drain(s)) for s in visitors]
    started = time.perf_counter()
    await asyncio.gather(*(visitor_loop(s, probe, interval, until) for s in visitors))
    await asyncio.sleep(2)  # let the last deliveries land
    elapsed = time.perf_counter() - started - 2
    for task in readers:
        task.cancel()

    latencies = sorted(probe.latencies)

    def pct(p: float) -> float:
        return percentile(latencies, p)

    print(
        f"nodes={len(nodes)} backend={args.backend if len(nodes) == 1 else 'postgresql+redis'} "
        f"conversations={args.conversations} target_rate={args.rate}/s duration={args.duration}s"
    )
    throughput = len(latencies) / elapsed
    print(f"delivered={len(latencies)} undelivered={len(probe.sent_at)}", end=" ")
    print(f"throughput={throughput:.1f} msg/s")
    if latencies:
        mean = statistics.fmean(latencies) * 1000
        print(f"latency_ms p50={pct(0.50):.1f} p95={pct(0.95):.1f} p99={pct(0.99):.1f}", end=" ")
        print(f"max={latencies[-1] * 1000:.1f} mean={mean:.1f}")
    grown = sum(after - before for before, after in zip(rss_before, rss_after, strict=True))
    print(f"accepted_chats={probe.accepts}")
    print(f"server_rss_kib={rss_after} sockets={sockets}", end=" ")
    print(f"memory_per_connection_kib={grown / sockets:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="messages per second, all visitors together"
    )
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--nodes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()

    env = {
        "MAX_CHATS_PER_COUNSELLOR": str(CHATS_PER_COUNSELLOR),
        "FRAME_BURST": "1000",
        "FRAMES_PER_SECOND": "1000",
        "LOG_LEVEL": "WARNING",
        **NO_SOURCE_LIMITS,
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.nodes == 1 and args.backend == "sqlite":
            nodes = [sqlite_server(tmp, **env)]
        else:
            url = stack.enter_context(fresh_postgres_database())
            broker = REDIS_URL if args.nodes == 2 else "memory://"
            nodes = [postgres_server(tmp, url, BROKER_URL=broker, **env) for _ in range(args.nodes)]
        for node in nodes:
            node.start()
            stack.callback(node.stop)
        asyncio.run(run(args, nodes))


if __name__ == "__main__":
    main()
