"""Queue position and wait estimate.

The estimate is the recent pick-up rate times the position: honest when the
helpline is busy, and ``None`` (shown as "unknown") when there is too little
recent data to say anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from chatserver.domain.records import WaitingVisitor

RECENT_WINDOW = timedelta(hours=1)
MIN_PICKUPS = 2


def queue_order_at(queued_at: datetime, in_danger: bool | None, head_start: timedelta) -> datetime:
    """Where a visitor stands in the line: the line is served in this order.

    A visitor in acute danger counts as having joined ``head_start`` earlier. So they go
    ahead of everyone who had waited less than that when they came, and never ahead of
    someone who had waited longer: nobody is starved by a run of urgent chats. The order
    is fixed when the visitor joins, so a position shown never jumps for the clock alone.
    """
    return queued_at - head_start if in_danger else queued_at


def estimate_wait_seconds(
    position: int, recent_pickups: Sequence[datetime], now: datetime
) -> int | None:
    """Seconds until a visitor at ``position`` (1 = next) is likely picked up."""
    window = sorted(t for t in recent_pickups if now - t <= RECENT_WINDOW)
    if position < 1 or len(window) < MIN_PICKUPS:
        return None
    span = (window[-1] - window[0]).total_seconds()
    interval = span / (len(window) - 1)
    return max(0, round(interval * position))


@dataclass(frozen=True)
class QueueStatus:
    position: int
    estimated_wait_s: int | None


@dataclass(frozen=True)
class QueueSnapshot:
    """The waiting line at one moment; fetched once per change, read by every waiting socket."""

    waiting: Sequence[WaitingVisitor]
    recent_pickups: Sequence[datetime]
    taken_at: datetime

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {visitor.conversation_id: n for n, visitor in enumerate(self.waiting, start=1)}

    def status_of(self, conversation_id: str) -> QueueStatus | None:
        position = self._positions.get(conversation_id)
        if position is None:
            return None
        return QueueStatus(
            position, estimate_wait_seconds(position, self.recent_pickups, self.taken_at)
        )
