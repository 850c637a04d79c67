"""Opening hours: how they are written, when the chat is open, and when it opens next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatserver.domain.availability import parse_opening_hours
from chatserver.settings import Settings, SettingsError

AMSTERDAM = "Europe/Amsterdam"
#: A Monday in winter: Amsterdam is UTC+1.
MONDAY_NOON_UTC = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_no_hours_means_always_open() -> None:
    assert parse_opening_hours("", AMSTERDAM) is None
    assert Settings.from_environ({}).opening_hours is None


def test_open_inside_a_window_in_its_time_zone() -> None:
    hours = parse_opening_hours("mon-fri 09:00-13:30", AMSTERDAM)
    assert hours is not None
    assert hours.is_open(MONDAY_NOON_UTC)  # 13:00 in Amsterdam
    assert not hours.is_open(MONDAY_NOON_UTC.replace(hour=12, minute=30))  # 13:30: closed


def test_day_lists_wrap_around_the_week_and_24_00_ends_the_day() -> None:
    hours = parse_opening_hours("sat-mon 20:00-24:00", AMSTERDAM)
    assert hours is not None
    assert {window.day for window in hours.windows} == {5, 6, 0}
    assert hours.is_open(datetime(2026, 1, 5, 22, 59, tzinfo=UTC))  # Monday 23:59 local


def test_next_opening_is_the_next_window_start_in_utc() -> None:
    hours = parse_opening_hours("tue 09:00-17:00; sat,sun 12:00-17:00", AMSTERDAM)
    assert hours is not None
    assert hours.next_opening(MONDAY_NOON_UTC) == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "weekdays 09:00-17:00",
        "mon 17:00-09:00",
        "mon 09:00-24:30",
        "mon 9-17",
        "mon-xyz 09:00-10:00",
    ],
)
def test_badly_written_hours_stop_the_server_at_start(text: str) -> None:
    with pytest.raises(SettingsError, match="OPENING_HOURS"):
        Settings.from_environ({"OPENING_HOURS": text})


def test_an_unknown_time_zone_stops_the_server_at_start() -> None:
    with pytest.raises(SettingsError, match="time zone"):
        Settings.from_environ({"OPENING_HOURS": "mon 09:00-17:00", "OPENING_HOURS_TZ": "Mars/Base"})
