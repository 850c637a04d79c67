"""Whether a visitor can start a chat now: opening hours and a cap on the queue.

A helpline is staffed only part of the day. Outside its hours, and while the queue is at
its cap, a visitor must be told so plainly at once, instead of waiting for nobody.

Hours are written as ``mon-fri 09:00-22:00; sat,sun 12:00-17:00`` (``;`` between entries,
day ranges or lists, ``24:00`` for midnight at the end), in one time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTRY = re.compile(r"([a-z,\-]+)\s+(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")

Reason = Literal["closed", "full"]


@dataclass(frozen=True)
class Window:
    """Open on ``day`` (0 is Monday) from ``start`` to ``end``, in minutes after midnight."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class OpeningHours:
    windows: tuple[Window, ...]
    zone: ZoneInfo

    def describe(self) -> list[dict[str, str]]:
        """The windows as the closed page shows them: day name, from, until (local time)."""
        return [
            {"day": DAYS[w.day], "opens": _clock(w.start), "closes": _clock(w.end)}
            for w in sorted(self.windows, key=lambda w: (w.day, w.start))
        ]

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        return any(w.day == day and w.start <= minute < w.end for w in self.windows)

    def next_opening(self, now: datetime) -> datetime | None:
        """When the next window starts after ``now`` (UTC); ``None`` if none ever does."""
        local = now.astimezone(self.zone)
        for ahead in range(8):
            date = local.date() + timedelta(days=ahead)
            starts = sorted(w.start for w in self.windows if w.day == date.weekday())
            for start in starts:
                opening = datetime.combine(date, time(start // 60, start % 60), tzinfo=self.zone)
                if opening > local:
                    return opening.astimezone(UTC)
        return None


@dataclass(frozen=True)
class Availability:
    """``reason`` is ``None`` when a chat can start; ``opens_at`` only when closed."""

    reason: Reason | None
    opens_at: datetime | None = None


def parse_opening_hours(text: str, zone_name: str) -> OpeningHours | None:
    """The hours in ``text``; ``None`` (always open) for an empty text; ``ValueError`` if bad."""
    entries = [entry.strip().lower() for entry in text.split(";") if entry.strip()]
    if not entries:
        return None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone_name!r}") from None
    windows: list[Window] = []
    for entry in entries:
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise ValueError(f"{entry!r} is not like 'mon-fri 09:00-17:00'")
        days, *clock = match.groups()
        start, end = _minutes(clock[0], clock[1]), _minutes(clock[2], clock[3])
        if not start < end:
            raise ValueError(f"{entry!r}: the end must come after the start on the same day")
        windows.extend(Window(day, start, end) for day in _days(days))
    return OpeningHours(tuple(windows), zone)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(hours: str, minutes: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(f"{hours}:{minutes} is not a time of day")
    return value


def _days(text: str) -> list[int]:
    found: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{part!r}: days are {', '.join(DAYS)}")
        start, stop = DAYS.index(first), DAYS.index(last or first)
        found.extend(
            range(start, stop + 1) if start <= stop else [*range(start, 7), *range(stop + 1)]
        )
    return found
