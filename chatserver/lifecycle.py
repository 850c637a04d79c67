"""Stopping a node without sending clients to it while it goes.

On the first stop signal the node turns not ready (``/readyz`` answers 503) but keeps
serving for ``SHUTDOWN_DRAIN_S``, long enough for the load balancer's health check to
take it out of rotation; only then does uvicorn stop accepting and close the open
connections, whose clients resume on another node. A second signal stops at once.
"""

from __future__ import annotations

import time
from types import FrameType

import uvicorn


class Drain:
    """Set once the node is going away; read by the readiness check."""

    def __init__(self) -> None:
        self.started_at: float | None = None

    @property
    def started(self) -> bool:
        return self.started_at is not None

    def begin(self) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Drain, drain_s: float) -> None:
        super().__init__(config)
        self._drain = drain
        self._drain_s = drain_s
        self._held_signal: int | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain.started or self._drain_s <= 0:
            self._drain.begin()
            super().handle_exit(sig, frame)
            return
        self._drain.begin()
        self._held_signal = sig

    async def on_tick(self, counter: int) -> bool:
        started_at = self._drain.started_at
        if (
            self._held_signal is not None
            and started_at is not None
            and time.monotonic() - started_at >= self._drain_s
        ):
            super().handle_exit(self._held_signal, None)
            self._held_signal = None
        return await super().on_tick(counter)
