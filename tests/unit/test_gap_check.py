"""After a broker gap the hub re-reads only what is behind, asking the store in batches.

Issue 22: every reconnect made every socket re-read every conversation it followed, a load
that arrived just when the node was struggling and kept it struggling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from typing import Any

from chatserver.broker import GapHandler, MemoryBroker
from chatserver.broker.base import EventHandler
from chatserver.domain import topics
from chatserver.fanout import Hub, Outbound
from chatserver.metrics import REGISTRY

FOLLOWED = 300
SOCKETS = 100
STORED = 5


class GapBroker(MemoryBroker):
    """In-process, but a test can say "a reconnect happened", as Redis would."""

    on_gap: GapHandler

    async def start(self, handler: EventHandler, on_gap: GapHandler) -> None:
        self.on_gap = on_gap
        await super().start(handler, on_gap)


class Store:
    def __init__(self, conversation_ids: list[str]) -> None:
        self.newest = dict.fromkeys(conversation_ids, STORED)
        self.batches: list[int] = []
        self.fetched: list[str] = []

    async def newest_seqs(self, conversation_ids: Collection[str]) -> Mapping[str, int]:
        self.batches.append(len(conversation_ids))
        return {
            conversation_id: self.newest[conversation_id] for conversation_id in conversation_ids
        }

    async def fetch_after(self, conversation_id: str, after: int) -> list[dict[str, Any]]:
        self.fetched.append(conversation_id)
        return [
            {"type": "message", "conversation_id": conversation_id, "seq": seq}
            for seq in range(after + 1, self.newest[conversation_id] + 1)
        ]


class Socket:
    def __init__(self, store: Store) -> None:
        self.sent: list[tuple[str, int]] = []
        self.outbound = Outbound(self._send, store.fetch_after, max_queue=64)

    async def _send(self, frame: dict[str, Any]) -> None:
        self.sent.append((frame["conversation_id"], frame["seq"]))

    def on_event(self, topic: str, event: dict[str, Any]) -> None:
        pass

    def on_gap(self, newest: Mapping[str, int]) -> None:
        self.outbound.recheck(newest)


def gap_reads(cause: str) -> float:
    return REGISTRY.get_sample_value("chat_gap_reads_total", {"cause": cause}) or 0.0


async def until(condition: Callable[[], bool]) -> None:
    """Let the hub's and the sockets' tasks run until ``condition`` holds (5 s at most)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_gap_catches_up_only_the_conversations_behind_in_batched_reads() -> None:
    conversation_ids = [f"c{n:03}" for n in range(FOLLOWED)]
    store = Store(conversation_ids)
    broker = GapBroker()
    hub = Hub(broker, store.newest_seqs, batch=200, pause_s=0.01)
    await hub.start()
    sockets = [Socket(store) for _ in range(SOCKETS)]
    writers = [asyncio.create_task(socket.outbound.run()) for socket in sockets]
    for n, conversation_id in enumerate(conversation_ids):
        socket = sockets[n % SOCKETS]
        await hub.join(topics.conversation(conversation_id), socket)
        socket.outbound.follow(conversation_id, STORED)
    await until(lambda: len(store.fetched) == FOLLOWED)  # each follow looked once: nothing new
    store.fetched.clear()
    checks, catch_ups = gap_reads("check"), gap_reads("catch_up")

    store.newest["c007"] = STORED + 1
    store.newest["c250"] = STORED + 3
    await broker.on_gap()
    await until(lambda: len(store.batches) == 2 and len(set(store.fetched)) == 2)
    await asyncio.sleep(0.1)

    assert store.batches == [200, 100]
    assert set(store.fetched) == {"c007", "c250"}
    assert gap_reads("check") - checks == 2
    assert gap_reads("catch_up") - catch_ups == 2
    assert sockets[7].sent == [("c007", 6)]
    assert sockets[50].sent == [("c250", 6), ("c250", 7), ("c250", 8)]
    for writer in writers:
        writer.cancel()
    await hub.close()
    await broker.close()


async def test_gaps_during_a_check_add_one_more_check_not_one_each() -> None:
    store = Store(["c000"])
    release = asyncio.Event()
    read = store.newest_seqs

    async def slow_newest_seqs(conversation_ids: Collection[str]) -> Mapping[str, int]:
        await release.wait()
        return await read(conversation_ids)

    broker = GapBroker()
    hub = Hub(broker, slow_newest_seqs)
    await hub.start()
    socket = Socket(store)
    await hub.join(topics.conversation("c000"), socket)

    for _ in range(3):
        await broker.on_gap()
        await asyncio.sleep(0.01)
    release.set()
    await until(lambda: len(store.batches) == 2)
    await asyncio.sleep(0.1)

    assert store.batches == [1, 1]
    await hub.close()
    await broker.close()
