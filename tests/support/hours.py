"""Opening hours for tests that need the chat closed, whenever they run."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatserver.domain.availability import DAYS


def hours_closed_now() -> str:
    """One window, two days from now in Amsterdam: closed today, whatever time it is."""
    later = datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=2)
    return f"{DAYS[later.weekday()]} 09:00-10:00"
