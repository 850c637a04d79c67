"""Attacks on a real server, and how a legitimate chat feels during each one.

    python -m bench.attacks
    python -m bench.attacks --starts 600 --idle-sockets 2000 --slow-sockets 500

One server (SQLite, in-process broker, the shipped per-source limits) serves a visitor and a
counsellor on 127.0.0.1. Their round trips (the visitor's message reaches the counsellor, whose
answer reaches the visitor) are timed alone first, the baseline, then during each attack:

(a) a flood of chat starts from one source;
(b) WebSockets from one source that never say ``hello``;
(c) many sockets that send their request headers a line every 2 s (slowloris);
(d) the server's first research quote, which loads deduce in the de-identification worker.

Attacks (a) to (c) run in a process of their own, as on another machine (it still shares
the CPU), each from its own loopback address (127.0.0.2 to .4), so none counts against the
chat's source or another attack's. Every attack is bounded in count and time, and every
address is on this machine. The table it prints is the one in docs/performance.md; its
"server CPU" is the share of one core the server used: low while round trips are slow means
the server was waiting, or was starved by other processes on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import rss_kib
from tests.support.flood import close_code_of, idle_socket, raise_open_files, start_chats
from tests.support.pilots import RECEIVE_TIMEOUT, Counsellor, Visitor, in_conversation
from tests.support.round_trips import percentile, round_trips_during
from tests.support.server import Server, run_cli, sqlite_server

#: Each attack's own source, none of them the chat's (127.0.0.1).
FLOOD_SOURCE, IDLE_SOURCE, SLOW_SOURCE = "127.0.0.2", "127.0.0.3", "127.0.0.4"
#: Idle sockets are held past the server's hello timeout (10 s), to see it close them.
IDLE_HOLD_S = 15.0
#: Seconds between two header lines of a slow client, and how long it keeps trying.
SLOW_LINE_EVERY_S = 2.0
SLOW_GIVE_UP_S = 30.0


@dataclass
class Chat:
    """The legitimate chat, with a message of the visitor's that can be quoted."""

    visitor: Visitor
    counsellor: Counsellor
    conversation_id: str
    quotable_seq: int


@dataclass
class Outcome:
    """What the attack achieved: how much of it got in, and how much was refused."""

    size: str
    let_in: str
    refused: str


Attack = Callable[[], Awaitable[Outcome]]


async def chat_start_flood(server: Server, count: int, concurrency: int) -> Outcome:
    """``count`` chat starts from one source, ``concurrency`` requests in flight at once."""
    shares = [count // concurrency + (n < count % concurrency) for n in range(concurrency)]
    batches = await asyncio.gather(
        *(start_chats(server, share, FLOOD_SOURCE) for share in shares if share)
    )
    statuses = Counter(answer.status_code for batch in batches for answer in batch)
    return Outcome(
        f"{count} chat starts, {concurrency} at a time",
        f"{statuses.pop(201, 0)} started",
        ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())) or "none",
    )


async def idle_sockets(server: Server, count: int) -> Outcome:
    """``count`` WebSockets from one source that never say hello, held up to ``IDLE_HOLD_S``."""
    attack = [await idle_socket(server, source=IDLE_SOURCE) for _ in range(count)]
    codes = Counter(
        await asyncio.gather(*(close_code_of(reader, within=IDLE_HOLD_S) for reader, _ in attack))
    )
    for _, writer in attack:
        writer.close()
    refused = codes.pop(4429, 0) + codes.pop(1013, 0)
    held = ", ".join(f"{n} closed {code}" for code, n in codes.items() if code is not None)
    return Outcome(
        f"{count} sockets without hello",
        f"{sum(codes.values())} held ({held or 'none closed'}; {codes[None]} open at the end)",
        f"{refused} closed at once (4429/1013)",
    )


async def slow_client(server: Server) -> float | None:
    """Headers a line every 2 s: seconds until the server cut it off, or ``None``."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.port, local_addr=(SLOW_SOURCE, 0)
    )
    began = time.perf_counter()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        while time.perf_counter() - began < SLOW_GIVE_UP_S:
            try:
                await asyncio.wait_for(reader.read(), SLOW_LINE_EVERY_S)
                return time.perf_counter() - began
            except TimeoutError:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
        return None
    except ConnectionError:
        return time.perf_counter() - began
    finally:
        writer.close()


async def slow_headers(server: Server, count: int) -> Outcome:
    """``count`` slow clients from one source at once."""
    cut = await asyncio.gather(*(slow_client(server) for _ in range(count)))
    after = sorted(seconds for seconds in cut if seconds is not None)
    median = f", after {after[len(after) // 2]:.1f} s (median)" if after else ""
    return Outcome(
        f"{count} sockets, a header line every {SLOW_LINE_EVERY_S:.0f} s",
        f"{cut.count(None)} still open after {SLOW_GIVE_UP_S:.0f} s",
        f"{len(after)} cut off{median}",
    )


async def first_quote(server: Server, chat: Chat) -> Outcome:
    """The first quote after start: the worker spawns and loads deduce from its cache."""
    rss_before = rss_kib(server)
    began = time.perf_counter()
    response = await chat.counsellor.http(
        "POST",
        f"/api/triage/conversations/{chat.conversation_id}/quotes",
        json={"seq": chat.quotable_seq},
        timeout=300,
    )
    grown = (rss_kib(server) - rss_before) / 1024
    return Outcome(
        "1 quote, deduce loads in the worker",
        f"quote {response.status_code} after {time.perf_counter() - began:.1f} s",
        f"n/a (chat process grew {grown:.0f} MB)",
    )


@dataclass
class Phase:
    """An attack's outcome and the chat's round trips while it ran."""

    name: str
    outcome: Outcome
    times: list[float]
    seconds: float
    #: CPU seconds the server used meanwhile: near ``seconds`` (one core) means it was busy,
    #: far below means it was waiting, or starved by other processes on the machine.
    server_cpu_s: float

    @property
    def p50(self) -> float:
        return percentile(self.times, 0.5)

    @property
    def p99(self) -> float:
        return percentile(self.times, 0.99)

    @property
    def lost(self) -> str:
        over = sum(math.isinf(seconds) for seconds in self.times)
        return f" ({over} over {RECEIVE_TIMEOUT:.0f} s)" if over else ""

    def row(self, baseline: Phase) -> str:
        cells = [
            self.name,
            self.outcome.size,
            f"{len(self.times)} in {self.seconds:.0f} s{self.lost}",
            f"{self.server_cpu_s / self.seconds:.0%}",
            f"{self.p50:.1f}",
            f"{self.p99:.1f}",
            f"{self.p50 / baseline.p50:.1f}x",
            f"{self.p99 / baseline.p99:.1f}x",
            self.outcome.let_in,
            self.outcome.refused,
        ]
        return "| " + " | ".join(cells) + " |"


TABLE_HEAD = (
    "| attack | size | round trips | server CPU | p50 ms | p99 ms | p50 vs baseline "
    "| p99 vs baseline | let in | refused |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
)


def cpu_seconds(server: Server) -> float:
    """User and system CPU time of the server's process so far."""
    assert server.process is not None
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def attacker(attack: Callable[..., Coroutine[Any, Any, Outcome]], *args: object) -> Outcome:
    """In the attacker's process: one attack, to its end."""
    return asyncio.run(attack(*args))


async def run(server: Server, args: argparse.Namespace) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    seq = int((await visitor.say("Ik ben Sanne uit Rotterdam, 06-12345678"))["seq"])
    chat = Chat(visitor, counsellor, conversation_id, seq)
    # The attacker knows where the server listens, nothing more, and has a process of its own:
    # its event loop must not delay the chat's, as on two machines (it still shares the CPU).
    target = Server(port=server.port, data_dir=server.data_dir, env={})
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    await loop.run_in_executor(pool, time.sleep, 0)  # spawned before anything is measured

    def apart(attack: Callable[..., Coroutine[Any, Any, Outcome]], *attack_args: object) -> Attack:
        return lambda: loop.run_in_executor(pool, attacker, attack, *attack_args)

    async def measured(name: str, work: Awaitable[Outcome], at_least_s: float = 0.0) -> Phase:
        began, cpu_before = time.perf_counter(), cpu_seconds(server)
        outcome, times = await round_trips_during(
            work, visitor, counsellor, conversation_id, at_least_s=at_least_s
        )
        seconds, cpu = time.perf_counter() - began, cpu_seconds(server) - cpu_before
        phase = Phase(name, outcome, times, seconds, cpu)
        print(f"{name}: p50 {phase.p50:.1f} ms, p99 {phase.p99:.1f} ms", file=sys.stderr)
        await asyncio.sleep(1)  # let the server settle before the next attack
        return phase

    attacks: list[tuple[str, Attack]] = [
        ("baseline", lambda: nothing(args.baseline_s)),
        ("(a) chat-start flood", apart(chat_start_flood, target, args.starts, args.concurrency)),
        ("(b) idle pre-hello sockets", apart(idle_sockets, target, args.idle_sockets)),
        ("(c) slow headers", apart(slow_headers, target, args.slow_sockets)),
        ("(d) first research quote", lambda: first_quote(server, chat)),
    ]
    try:
        phases = [await measured(name, attack()) for name, attack in attacks]
    finally:
        pool.shutdown(cancel_futures=True)
    print(TABLE_HEAD)
    for phase in phases:
        print(phase.row(phases[0]))
    print(f"server log lines at ERROR or with a traceback: {len(server.log_failures())}")


async def nothing(seconds: float) -> Outcome:
    await asyncio.sleep(seconds)
    return Outcome("no attack", "", "")


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"load average {load:.1f} at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline-s", type=float, default=10.0)
    parser.add_argument("--starts", type=int, default=600, help="chat starts in the flood")
    parser.add_argument("--concurrency", type=int, default=10, help="flood requests at once")
    parser.add_argument("--idle-sockets", type=int, default=2000)
    parser.add_argument("--slow-sockets", type=int, default=500)
    args = parser.parse_args()

    print(machine())
    raise_open_files(4 * (args.idle_sockets + args.slow_sockets) + 1024)
    with tempfile.TemporaryDirectory() as tmp:
        # The round trips come ten a second, above the per-socket frame limit meant for people.
        server = sqlite_server(Path(tmp), FRAMES_PER_SECOND="100", FRAME_BURST="100")
        prepared = run_cli(server, "prepare-deidentify")
        if prepared.returncode != 0:
            raise SystemExit(prepared.stderr)
        server.start()
        try:
            asyncio.run(run(server, args))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
