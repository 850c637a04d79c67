"""Structured JSON logs that cannot carry personal data.

Only allow-listed fields leave the process: no message text, no IP address, no
user agent. Exception messages are dropped (database errors quote their
parameters, which may be what a visitor typed); the type and the stack stay.
uvicorn's loggers are pinned to WARNING because at INFO they log client
addresses for every WebSocket handshake, and its access log is off.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
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


def configure(level: str) -> None:
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
