"""Structured JSON logs that cannot carry personal data.

Only allow-listed fields leave the process: no message text, no IP address, no
user agent. Exception messages are dropped (database errors quote their
parameters, which may be what a visitor typed); the type and the stack stay.
uvicorn's loggers are pinned to WARNING because at INFO they log client
addresses for every WebSocket handshake, and its access log is off. asyncio's logger is
pinned to WARNING and rate-limited: when file descriptors run out it logs one ERROR per
failed ``accept``, tens of thousands a second, which would drown the journal.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

ALLOWED_FIELDS = frozenset(
    {
        "topic_kind",
        "error",
        "conversation_id",
        "staff_id",
        "code",
        "count",
        "node",
        "referral_id",
        "attempts",
    }
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # The template's first line only, never its arguments: they may carry anything,
            # and some libraries (asyncio) preformat an exception's repr into later lines.
            "event": str(record.msg).split("\n", 1)[0],
        }
        for name in ALLOWED_FIELDS & record.__dict__.keys():
            entry[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["exception"] = type(error).__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(error.__traceback__)
            ][-8:]
        return json.dumps(entry, default=str)


#: asyncio records let through per second; the rest are counted (chat_asyncio_log_records_dropped).
ASYNCIO_RECORDS_PER_S = 5


class RateLimit(logging.Filter):
    """At most ``per_second`` records each second; ``dropped`` is told of every other one."""

    def __init__(self, per_second: int, dropped: Callable[[], None]) -> None:
        super().__init__()
        self._per_second = per_second
        self._dropped = dropped
        self._second = 0
        self._count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._count = second, 0
        self._count += 1
        if self._count > self._per_second:
            self._dropped()
            return False
        return True


def configure(level: str, dropped: Callable[[], None] = lambda: None) -> None:
    """``dropped`` counts the asyncio records the rate limit kept out."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request at INFO, with the intake URL in the arguments.
    quiet = ("uvicorn", "uvicorn.error", "websockets", "sqlalchemy", "alembic", "httpx", "httpcore")
    for name in quiet:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("uvicorn.access").disabled = True
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    asyncio_logger.filters[:] = [RateLimit(ASYNCIO_RECORDS_PER_S, dropped)]
