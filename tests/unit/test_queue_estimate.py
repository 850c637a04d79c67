"""The wait estimate: recent pick-up rate times position, or unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatserver.domain.queue import QueueSnapshot, estimate_wait_seconds
from chatserver.domain.records import WaitingVisitor

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def minutes_ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_no_estimate_without_recent_pickups() -> None:
    assert estimate_wait_seconds(1, [], NOW) is None
    assert estimate_wait_seconds(1, minutes_ago(5), NOW) is None


def test_estimate_is_the_pickup_interval_times_the_position() -> None:
    pickups = minutes_ago(30, 20, 10)  # one every ten minutes
    assert estimate_wait_seconds(1, pickups, NOW) == 600
    assert estimate_wait_seconds(3, pickups, NOW) == 1800


def test_pickups_older_than_an_hour_do_not_count() -> None:
    assert estimate_wait_seconds(1, minutes_ago(90, 80, 70), NOW) is None


def test_snapshot_gives_position_counting_from_one() -> None:
    waiting = [WaitingVisitor(f"c{n}", f"P{n}", NOW) for n in range(3)]
    snapshot = QueueSnapshot(waiting, [], NOW)
    status = snapshot.status_of("c2")
    assert status is not None
    assert (status.position, status.estimated_wait_s) == (3, None)
    assert snapshot.status_of("elsewhere") is None
