"""Whether a chat start must bring a proof of work now, and whether the one it brings is good.

The mode lives in the database (one row every node reads, at most ``STATE_TTL_S`` old);
spent solutions are claimed in the broker, so a solution is good once on any node. In
``auto`` each node watches its own chat starts: many sources at once, or a queue near its
cap, push the shared ``auto_until`` on, and every node then asks for work until it passes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatserver.broker import Broker
from chatserver.domain.sources import MAX_SOURCES, SourceKeys
from chatserver.domain.work import (
    AutoPolicy,
    BadWork,
    Challenges,
    Fault,
    SpreadDetector,
    WorkMode,
    WorkState,
)
from chatserver.errors import WorkInvalid, WorkRequired
from chatserver.metrics import WORK_REFUSED
from chatserver.settings import Settings
from chatserver.store.work import WorkModeStore

#: How stale a node's copy of the mode may be: a supervisor's switch reaches every node
#: within this, and a flood of starts costs one read of the row per interval.
STATE_TTL_S = 2.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class Solution:
    challenge: str
    nonce: str


class WorkGate:
    def __init__(
        self,
        store: WorkModeStore,
        broker: Broker,
        keys: SourceKeys,
        waiting: Callable[[], Awaitable[int]],
        settings: Settings,
        clock: Clock = time.time,
    ) -> None:
        self._store = store
        self._broker = broker
        self._keys = keys
        self._waiting = waiting
        self._settings = settings
        self._clock = clock
        self._policy = AutoPolicy(
            sources=settings.work_auto_sources,
            queue_share=settings.work_auto_queue_percent / 100,
            calm_s=settings.work_auto_calm_s,
        )
        self._spread = SpreadDetector(settings.work_auto_window_s, MAX_SOURCES)
        self._state: WorkState | None = None
        self._queue_waiting = 0
        self._read_at = 0.0
        self._challenges: Challenges | None = None

    async def state(self) -> WorkState:
        """The shared mode as this node knows it, read again when older than the TTL.

        So is the queue's length in ``auto`` with a cap: a flood costs no read per start.
        """
        now = time.monotonic()
        if self._state is None or now - self._read_at >= STATE_TTL_S:
            self._state = await self._store.state()
            if self._state.mode is WorkMode.AUTO and self._settings.queue_max_waiting:
                self._queue_waiting = await self._waiting()
            self._read_at = now
        return self._state

    def forget(self) -> None:
        """Read the mode again before the next start (this node's supervisor just set it)."""
        self._state = None

    async def admit(self, source: str | None, solution: Solution | None) -> None:
        """Let a chat start through, or raise :class:`WorkRequired` with a fresh puzzle.

        A good solution is spent here, before anything else may refuse the start: it is
        worth one try, whatever that try's answer.
        """
        now = self._clock()
        state = await self.state()
        if state.mode is WorkMode.AUTO:
            state = await self._watch(state, source, now)
        if not state.required(now):
            return
        challenges = self._challenges_for(state)
        if solution is None:
            WORK_REFUSED.labels("none").inc()
            raise WorkRequired(challenges.issue(now))
        try:
            checked = challenges.check(solution.challenge, solution.nonce, now)
        except BadWork as bad:
            WORK_REFUSED.labels(bad.fault.value).inc()
            raise WorkInvalid(challenges.issue(now), bad.fault) from None
        if not await self._broker.claim(f"work:{checked.key}", checked.expires_at):
            WORK_REFUSED.labels(Fault.REUSED.value).inc()
            raise WorkInvalid(challenges.issue(now), Fault.REUSED)

    async def _watch(self, state: WorkState, source: str | None, now: float) -> WorkState:
        """Count this start's source; on a flood, keep ``auto`` asking for another calm period.

        The row is written only when that moves ``auto_until`` on by a quarter of the calm
        period or more, so a flood costs few writes.
        """
        spread = 0
        if source is not None:
            spread = self._spread.note(self._keys.digest(source, time.monotonic()), now)
        queue_max = self._settings.queue_max_waiting
        if not self._policy.flooded(spread, self._queue_waiting, queue_max):
            return state
        until = now + self._policy.calm_s
        if until - state.auto_until < self._policy.calm_s / 4:
            return state
        await self._store.extend_auto(until)
        self._state = state = WorkState(state.mode, until, state.secret)
        return state

    def _challenges_for(self, state: WorkState) -> Challenges:
        if self._challenges is None:
            self._challenges = Challenges(
                state.secret,
                difficulty=self._settings.work_difficulty_bits,
                lifetime_s=self._settings.work_challenge_ttl_s,
            )
        return self._challenges
