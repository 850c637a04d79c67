"""Prometheus metrics: this node's counters and histograms, and readings of shared state.

Two kinds, because several nodes serve one helpline. What happens on a node (a socket
connects, a message reaches a socket, a delivery fails) is counted in this process and
summed over nodes by Prometheus. What the nodes share (the waiting line, open chats, the
referral outbox) lives in the database, so every scrape reads it from there through
*probes*: each node then reports the same value, and a dashboard takes ``max``, not ``sum``.

Labels are fixed words (a role, a reason), never an id, a name or anything a visitor typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

logger = logging.getLogger("chatserver.metrics")

#: A probe that takes longer than this counts as failed: a scrape must not hang.
PROBE_TIMEOUT_S = 2.0

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

CONNECTED_SOCKETS = Gauge(
    "chat_connected_sockets",
    "WebSocket connections open on this node, by role.",
    ["role"],
    registry=REGISTRY,
)
QUEUE_WAIT = Histogram(
    "chat_queue_wait_seconds",
    "From a visitor entering the queue to a counsellor taking the chat (taken on this node).",
    buckets=(5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
    registry=REGISTRY,
)
MESSAGE_LATENCY = Histogram(
    "chat_message_latency_seconds",
    "From a message being stored to it reaching the other side's socket on this node, "
    "by the receiving role. Live deliveries only, not history sent on (re)connect.",
    ["receiver"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "chat_delivery_failures",
    "Frames that could not take the normal path to a socket, by reason; the store still "
    "has every message and the client catches up from it.",
    ["reason"],
    registry=REGISTRY,
)
CHAT_STARTS_REFUSED = Counter(
    "chat_starts_refused_per_source",
    "Chat starts refused because their source started too many in the window.",
    registry=REGISTRY,
)
WORK_REFUSED = Counter(
    "chat_starts_refused_work",
    "Chat starts refused for want of a good proof of work: none, or malformed, expired, "
    "wrong or reused.",
    ["reason"],
    registry=REGISTRY,
)
SOCKETS_REFUSED = Counter(
    "chat_sockets_refused",
    "WebSockets closed at once by a connection limit, by limit.",
    ["limit"],
    registry=REGISTRY,
)
SLOW_HEADERS_CLOSED = Counter(
    "chat_slow_headers_closed",
    "HTTP connections closed because their request headers did not arrive in time.",
    registry=REGISTRY,
)
ASYNCIO_LOGS_DROPPED = Counter(
    "chat_asyncio_log_records_dropped",
    "asyncio log records not written because of the rate limit on that logger.",
    registry=REGISTRY,
)

QUICK_EXITS = Counter(
    "chat_quick_exits",
    "Chats the visitor left by the quick exit (button, Esc twice or Shift three times): "
    "each one a visitor who may no longer be safe.",
    registry=REGISTRY,
)

BROKER_RECONNECTS = Counter(
    "chat_broker_reconnects",
    "Times this node re-made its broker (Redis) connection after losing it; each one is "
    "followed by a check for missed messages.",
    registry=REGISTRY,
)
GAP_READS = Counter(
    "chat_gap_reads",
    "Store reads for messages a socket may have missed: cause=check reads the newest sequence "
    "of many conversations at once, cause=catch_up re-reads one conversation found behind.",
    ["cause"],
    registry=REGISTRY,
)
LOGINS_REFUSED_BUSY = Counter(
    "chat_logins_refused_busy",
    "Staff logins answered 'try again' at once because too many were already waiting to "
    "have their password checked.",
    registry=REGISTRY,
)

ROLES = ("visitor", "staff")


class Failure:
    """The reasons of :data:`DELIVERY_FAILURES`."""

    #: A socket fell so far behind that it was closed (1013) to resume.
    SOCKET_OVERFLOW = "socket_overflow"
    #: Writing to a socket failed other than by the client leaving.
    SOCKET_ERROR = "socket_error"
    #: Catching a socket up found the database away; retried shortly.
    STORE_UNAVAILABLE = "store_unavailable"
    #: A broker hint could not be published (or was dropped); readers catch up by polling.
    HINT_LOST = "hint_lost"

    ALL = (SOCKET_OVERFLOW, SOCKET_ERROR, STORE_UNAVAILABLE, HINT_LOST)


class GapCause:
    """The causes of :data:`GAP_READS`."""

    CHECK = "check"
    CATCH_UP = "catch_up"

    ALL = (CHECK, CATCH_UP)


# Every label value exists from the start, so a rate over a fresh node is 0, not absent.
for _role in ROLES:
    CONNECTED_SOCKETS.labels(_role)
    MESSAGE_LATENCY.labels(_role)
for _reason in Failure.ALL:
    DELIVERY_FAILURES.labels(_reason)
for _cause in GapCause.ALL:
    GAP_READS.labels(_cause)


@dataclass(frozen=True)
class Reading:
    """One gauge value of shared state, read at scrape time."""

    name: str
    documentation: str
    value: float


#: Reads some shared state; raising (or taking too long) marks the scrape's state as stale.
Probe = Callable[[], Awaitable[Sequence[Reading]]]


class _Scrape:
    def __init__(self, readings: Sequence[Reading], complete: bool) -> None:
        self._readings = readings
        self._complete = complete

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        for reading in self._readings:
            yield GaugeMetricFamily(reading.name, reading.documentation, value=reading.value)
        yield GaugeMetricFamily(
            "chat_shared_state_up",
            "1 if every reading of shared state (database) succeeded in this scrape, else 0.",
            value=1.0 if self._complete else 0.0,
        )


async def exposition(probes: Iterable[Probe]) -> bytes:
    """The Prometheus text format: this node's metrics and fresh readings of shared state."""
    results = await asyncio.gather(
        *(asyncio.wait_for(probe(), PROBE_TIMEOUT_S) for probe in probes), return_exceptions=True
    )
    readings: list[Reading] = []
    complete = True
    for result in results:
        if isinstance(result, BaseException):
            complete = False
            logger.warning("metrics probe failed", extra={"error": type(result).__name__})
        else:
            readings.extend(result)
    return generate_latest(_Scrape(readings, complete))
