"""Per-node delivery: broker topics to local sockets, in order, without gaps or duplicates.

The only code that knows a conversation can have sockets on several nodes.
Broker events are hints; each socket's :class:`Outbound` keeps its own position
per conversation and applies the gap rule: ``seq <= position`` is a duplicate
and dropped, ``seq == position + 1`` is delivered, anything further ahead is
filled from the store first. A socket that cannot keep up is told to close and
resumes from its last sequence: nothing is lost because the store has it.

After a broker gap (a reconnect) the hub does not make every socket re-read every
conversation: that load, arriving when a node is already struggling, fed the
overload that caused the gap (issue 22). One background task reads the newest
sequence of the followed conversations in batches, at a bounded pace, and only
sockets behind in a conversation re-read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.broker import Broker
from chatserver.cancellation import shielded
from chatserver.domain import topics
from chatserver.domain.queue import QueueSnapshot
from chatserver.errors import Unavailable
from chatserver.metrics import DELIVERY_FAILURES, GAP_READS, Failure, GapCause

logger = logging.getLogger("chatserver.fanout")

#: Seconds before a catch-up that found the store unavailable is tried again.
CATCH_UP_RETRY_S = 1.0
#: After a broker gap: conversations per read of their newest sequences, and the pause
#: between two such reads, so that a reconnect costs the store a bounded, spread load.
GAP_CHECK_BATCH = 200
GAP_CHECK_PAUSE_S = 0.05

Frame = dict[str, Any]
SendFrame = Callable[[Frame], Awaitable[None]]
FetchAfter = Callable[[str, int], Awaitable[list[Frame]]]
#: The store's last sequence of each of some conversations (one read for all of them).
NewestSeqs = Callable[[Collection[str]], Awaitable[Mapping[str, int]]]
#: Told of every message frame sent as it happened, not as history (for latency metrics).
Delivered = Callable[[Frame], None]


class Listener(Protocol):
    def on_event(self, topic: str, event: Frame) -> None: ...

    def on_gap(self, newest: Mapping[str, int]) -> None:
        """Events may have been missed: ``newest`` has the store's last sequence of some
        conversations followed; catch up those behind it (it is empty for other topics)."""


class Hub:
    """Reference-counted broker subscriptions for the sockets on this node."""

    def __init__(
        self,
        broker: Broker,
        newest_seqs: NewestSeqs,
        *,
        batch: int = GAP_CHECK_BATCH,
        pause_s: float = GAP_CHECK_PAUSE_S,
        retry_s: float = CATCH_UP_RETRY_S,
    ) -> None:
        self._broker = broker
        self._newest_seqs = newest_seqs
        self._batch = batch
        self._pause_s = pause_s
        self._retry_s = retry_s
        self._listeners: dict[str, set[Listener]] = {}
        self._lock = asyncio.Lock()
        #: Set by a gap; a gap during a check asks for one more check, not one more task.
        self._gap = False
        self._checker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._broker.start(self._on_event, self._on_gap)

    async def close(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker

    async def join(self, topic: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.setdefault(topic, set())
            if not listeners:
                await self._broker.subscribe(topic)
            listeners.add(listener)

    async def leave(self, topic: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(topic)
            if listeners is None or listener not in listeners:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[topic]
                await self._broker.unsubscribe(topic)

    def connection_count(self) -> int:
        return len({listener for group in self._listeners.values() for listener in group})

    async def _on_event(self, topic: str, event: Frame) -> None:
        for listener in tuple(self._listeners.get(topic, ())):
            listener.on_event(topic, event)

    async def _on_gap(self) -> None:
        self._gap = True
        if self._checker is None or self._checker.done():
            self._checker = asyncio.create_task(self._check_gaps())

    async def _check_gaps(self) -> None:
        while self._gap:
            self._gap = False
            try:
                await self._check()
            except Exception:
                # No message text in an exception here: ids and sequence numbers at most.
                logger.warning("checking for missed messages failed; trying again", exc_info=True)
                self._gap = True
                await asyncio.sleep(self._pause_s * 20)

    async def _check(self) -> None:
        conversation_ids: list[str] = []
        for topic, listeners in tuple(self._listeners.items()):
            if (conversation_id := topics.conversation_of(topic)) is not None:
                conversation_ids.append(conversation_id)
            else:
                for listener in tuple(listeners):
                    listener.on_gap({})
        for start in range(0, len(conversation_ids), self._batch):
            if start:
                await asyncio.sleep(self._pause_s)
            self._wake(await self._read_newest(conversation_ids[start : start + self._batch]))

    async def _read_newest(self, conversation_ids: list[str]) -> Mapping[str, int]:
        while True:
            GAP_READS.labels(GapCause.CHECK).inc()
            try:
                return await self._newest_seqs(conversation_ids)
            except Unavailable:
                await asyncio.sleep(self._retry_s)

    def _wake(self, newest: Mapping[str, int]) -> None:
        """Tell each listener of these conversations their newest sequences."""
        told: dict[Listener, dict[str, int]] = {}
        for conversation_id, seq in newest.items():
            for listener in self._listeners.get(topics.conversation(conversation_id), ()):
                told.setdefault(listener, {})[conversation_id] = seq
        for listener, seqs in told.items():
            listener.on_gap(seqs)


class Overflow(Exception):
    """A socket's outbound queue is full; it must close and resume."""


@dataclass(frozen=True)
class _Sequenced:
    conversation_id: str
    seq: int
    frame: Frame


@dataclass(frozen=True)
class _CatchUp:
    conversation_id: str
    #: Filling a gap in what is happening now, rather than sending history.
    live: bool


@dataclass(frozen=True)
class _Plain:
    frame: Frame


_Item = _Sequenced | _CatchUp | _Plain


class Outbound:
    """One socket's outbound stream; a single task writes, so order is kept."""

    def __init__(
        self,
        send: SendFrame,
        fetch_after: FetchAfter,
        *,
        max_queue: int,
        delivered: Delivered | None = None,
    ) -> None:
        self._send = send
        self._fetch_after = fetch_after
        self._delivered = delivered
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=max_queue)
        self._positions: dict[str, int] = {}

    def follow(self, conversation_id: str, last_seq: int) -> None:
        """Start following a conversation from ``last_seq`` and send what is missing."""
        self._positions.setdefault(conversation_id, last_seq)
        self._put(_CatchUp(conversation_id, live=False))

    def unfollow(self, conversation_id: str) -> None:
        self._positions.pop(conversation_id, None)

    def recheck(self, newest: Mapping[str, int]) -> None:
        """Catch up each conversation behind the store's ``newest`` sequence: covers a hint
        that never came, and costs nothing for the conversations up to date."""
        for conversation_id, seq in newest.items():
            position = self._positions.get(conversation_id)
            if position is not None and position < seq:
                GAP_READS.labels(GapCause.CATCH_UP).inc()
                self._put(_CatchUp(conversation_id, live=True))

    def resync(self, conversation_id: str, last_seq: int) -> None:
        """The client says it has only ``last_seq``: send everything after it again."""
        if conversation_id in self._positions:
            self._positions[conversation_id] = min(self._positions[conversation_id], last_seq)
            self._put(_CatchUp(conversation_id, live=False))

    def message(self, conversation_id: str, seq: int, frame: Frame) -> None:
        self._put(_Sequenced(conversation_id, seq, frame))

    def frame(self, frame: Frame) -> None:
        self._put(_Plain(frame))

    def _put(self, item: _Item) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            DELIVERY_FAILURES.labels(Failure.SOCKET_OVERFLOW).inc()
            raise Overflow() from None

    async def run(self) -> None:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Plain):
                await self._send(item.frame)
            elif isinstance(item, _CatchUp):
                await self._catch_up(item.conversation_id, item.live)
            else:
                await self._sequenced(item)

    async def _sequenced(self, item: _Sequenced) -> None:
        position = self._positions.get(item.conversation_id)
        if position is None or item.seq <= position:
            return
        if item.seq > position + 1:
            await self._catch_up(item.conversation_id, live=True)
            return
        await self._send_message(item.frame, live=True)
        self._positions[item.conversation_id] = item.seq

    async def _catch_up(self, conversation_id: str, live: bool) -> None:
        try:
            while (position := self._positions.get(conversation_id)) is not None:
                # Shielded: a socket closing mid-read must not cut the transaction.
                frames = await shielded(self._fetch_after(conversation_id, position))
                if not frames:
                    return
                for frame in frames:
                    await self._send_message(frame, live)
                    self._positions[conversation_id] = int(frame["seq"])
        except Unavailable:
            # The store is briefly away: keep the socket, keep writing other frames, try again.
            DELIVERY_FAILURES.labels(Failure.STORE_UNAVAILABLE).inc()
            asyncio.get_running_loop().call_later(
                CATCH_UP_RETRY_S, self._retry_catch_up, conversation_id, live
            )

    async def _send_message(self, frame: Frame, live: bool) -> None:
        await self._send(frame)
        if live and self._delivered is not None:
            self._delivered(frame)

    def _retry_catch_up(self, conversation_id: str, live: bool) -> None:
        if conversation_id in self._positions:
            # A full queue will overflow on its next frame anyway; the client then resumes.
            with contextlib.suppress(Overflow):
                self._put(_CatchUp(conversation_id, live))


class QueueWatcher(Protocol):
    def on_queue(self, snapshot: QueueSnapshot) -> None: ...


class QueueFeed:
    """Fetches the waiting line once per change for every watching socket on this node.

    Changes that arrive while a fetch runs are coalesced into one more fetch.
    """

    def __init__(self, hub: Hub, fetch: Callable[[], Awaitable[QueueSnapshot]]) -> None:
        self._hub = hub
        self._fetch = fetch
        self._watchers: set[QueueWatcher] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def watch(self, watcher: QueueWatcher) -> None:
        self._watchers.add(watcher)
        await self._hub.join(topics.QUEUE, self)
        self._refresh()

    async def unwatch(self, watcher: QueueWatcher) -> None:
        self._watchers.discard(watcher)
        if not self._watchers:
            await self._hub.leave(topics.QUEUE, self)

    def on_event(self, topic: str, event: Frame) -> None:
        self._refresh()

    def on_gap(self, newest: Mapping[str, int]) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self._dirty.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._dirty.is_set():
            self._dirty.clear()
            try:
                snapshot = await self._fetch()
            except Exception:
                logger.warning("queue refresh failed")
                return
            for watcher in tuple(self._watchers):
                watcher.on_queue(snapshot)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
