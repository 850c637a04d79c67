"""The JSON log formatter lets out only allow-listed fields, never arguments or error text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chatserver.logs import ASYNCIO_RECORDS_PER_S, JsonFormatter, RateLimit

SECRET = "Ik woon op de Lindelaan 12, bel 06-12345678"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.unit.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


def entry(out: io.StringIO) -> dict[str, Any]:
    [line] = out.getvalue().splitlines()
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_fields_outside_the_allow_list_are_dropped(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log
    extra = {"text": SECRET, "client": "203.0.113.7", "conversation_id": "c0ffee", "count": 2}
    logger.info("message stored", extra=extra)
    logged = entry(out)
    del logged["time"]
    assert logged == {
        "level": "INFO",
        "logger": "tests.unit.logs",
        "event": "message stored",
        "conversation_id": "c0ffee",
        "count": 2,
    }


def test_arguments_are_never_rendered_into_the_event(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log
    logger.warning("could not store %s from %s", SECRET, "203.0.113.7")
    assert entry(out)["event"] == "could not store %s from %s"
    assert SECRET not in out.getvalue()


def test_an_exception_keeps_its_type_and_stack_but_not_its_message(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log
    try:
        raise ValueError(SECRET)
    except ValueError:
        logger.exception("frame handling failed")
    logged = entry(out)
    assert logged["exception"] == "ValueError"
    assert logged["stack"][-1].endswith(
        " test_an_exception_keeps_its_type_and_stack_but_not_its_message"
    )
    assert SECRET not in out.getvalue()


def test_a_preformatted_message_keeps_only_its_first_line(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log
    # As asyncio logs a task's unretrieved exception: the repr on the following lines.
    logger.error(
        f"Task exception was never retrieved\nfuture: <Task exception=ValueError({SECRET!r})>"
    )
    assert entry(out)["event"] == "Task exception was never retrieved"
    assert SECRET not in out.getvalue()


def test_an_error_storm_is_cut_to_a_few_records_a_second_and_the_rest_counted() -> None:
    dropped: list[None] = []
    limit = RateLimit(ASYNCIO_RECORDS_PER_S, lambda: dropped.append(None))
    record = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "accept failed", (), None)
    passed = sum(limit.filter(record) for _ in range(1000))
    assert 1 <= passed <= 2 * ASYNCIO_RECORDS_PER_S
    assert passed + len(dropped) == 1000
