"""The outbox relay: deliver each referral to its unit, until the unit says it has it.

Every node runs one relay. Rows are leased, so two nodes never send the same referral
at once, and a node that dies mid-send lets the lease run out for another to retry with
the same idempotency key. Logs name referral ids and attempts only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter

from chatserver.background import Periodic
from chatserver.metrics import REGISTRY, Reading
from chatserver.settings import Settings
from triage.referral.service import Referrals
from triage.referral.signing import signed_headers
from triage.referral.store import Delivery
from triage.referral.views import Alert

logger = logging.getLogger("triage.referral")

BATCH = 20
FIRST_RETRY_S = 1.0

DELIVERIES = Counter(
    "referral_deliveries",
    "Referrals this node delivered to a unit.",
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "referral_delivery_failures",
    "Failed attempts to deliver a referral from this node, by reason; all but 'rejected' "
    "are retried.",
    ["reason"],
    registry=REGISTRY,
)


class Reason:
    """The reasons of :data:`DELIVERY_FAILURES`."""

    UNREACHABLE = "unreachable"  # no answer: connection refused, timeout, TLS
    REFUSED = "refused"  # the unit answered with an error status
    UNCONFIGURED = "unconfigured"  # the unit is no longer in REFERRAL_UNITS_FILE
    REJECTED = "rejected"  # a permanent 4xx: retrying cannot help, the referral failed

    ALL = (UNREACHABLE, REFUSED, UNCONFIGURED, REJECTED)


#: 4xx answers that may succeed later: timeout, conflict (in flight), too early, too many.
TRANSIENT_4XX = frozenset({408, 409, 425, 429})


def is_permanent(status_code: int) -> bool:
    """A 4xx other than :data:`TRANSIENT_4XX`: the unit will never take these bytes."""
    return 400 <= status_code < 500 and status_code not in TRANSIENT_4XX


for _reason in Reason.ALL:
    DELIVERY_FAILURES.labels(_reason)


def backoff(attempts: int, cap_s: float) -> float:
    """Seconds to wait after ``attempts`` failures: doubling from 1 s, capped, jittered."""
    base = min(cap_s, FIRST_RETRY_S * 2.0 ** min(attempts, 30))
    return base * random.uniform(0.5, 1.0)  # noqa: S311  (spreading retries, not a secret)


class Relay:
    def __init__(
        self,
        referrals: Referrals,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self._referrals = referrals
        self._settings = settings
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=settings.referral_timeout_s, follow_redirects=False
        )
        # Long enough for one attempt to finish; a crashed node's rows free up after it.
        self._lease = timedelta(seconds=settings.referral_timeout_s * 3 + 5)
        self._periodic = Periodic(
            "referral relay",
            self._round,
            settings.referral_relay_interval_s,
            logger,
            wake=referrals.outbox_changed,
        )

    def start(self) -> None:
        self._periodic.start()

    async def close(self) -> None:
        await self._periodic.close()
        await self._client.aclose()

    async def readings(self) -> list[Reading]:
        """The outbox as every node sees it: from the store."""
        pending, oldest = await self._referrals.store.backlog()
        age = 0.0 if oldest is None else (self._clock() - oldest).total_seconds()
        return [
            Reading(
                "referral_outbox_pending", "Referrals not yet delivered to their unit.", pending
            ),
            Reading(
                "referral_outbox_oldest_pending_age_seconds",
                "How long the oldest undelivered referral has waited; 0 when none waits.",
                max(0.0, age),
            ),
        ]

    async def _round(self) -> None:
        await self.deliver_due()
        await self._raise_alerts()

    async def deliver_due(self) -> None:
        deliveries = await self._referrals.store.claim_due(self._clock(), self._lease, BATCH)
        # Acutely unsafe ones go out before the others start, not merely alongside them.
        for urgent in (True, False):
            await asyncio.gather(*(self._deliver(d) for d in deliveries if d.urgent is urgent))

    async def _deliver(self, delivery: Delivery) -> None:
        failure = await self._post(delivery)
        if failure is None:
            await self._referrals.delivered(delivery.referral_id)
            DELIVERIES.inc()
            logger.info(
                "referral delivered",
                extra={"referral_id": delivery.referral_id, "attempts": delivery.attempts + 1},
            )
            return
        reason, error = failure
        DELIVERY_FAILURES.labels(reason).inc()
        if reason == Reason.REJECTED:
            await self._referrals.failed(delivery.referral_id, error)
            logger.warning(
                "referral rejected by the unit: stopped, supervisors alerted",
                extra={
                    "referral_id": delivery.referral_id,
                    "attempts": delivery.attempts + 1,
                    "code": error,
                },
            )
            return
        wait = backoff(delivery.attempts, self._settings.referral_retry_max_s)
        retry_at = self._clock() + timedelta(seconds=wait)
        await self._referrals.store.delivery_failed(delivery.referral_id, error, retry_at)
        logger.info(
            "referral delivery failed",
            extra={
                "referral_id": delivery.referral_id,
                "attempts": delivery.attempts + 1,
                "code": error,
            },
        )

    async def _post(self, delivery: Delivery) -> tuple[str, str] | None:
        """Send once; ``None`` when the unit has it, otherwise a :class:`Reason` and a
        short description."""
        endpoint = self._referrals.endpoints.get(delivery.unit)
        if endpoint is None:
            return Reason.UNCONFIGURED, "unit no longer configured"
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": delivery.idempotency_key,
            **signed_headers(endpoint.secret, body, now=time.time()),
        }
        try:
            response = await self._client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Reason.UNREACHABLE, type(error).__name__
        if response.is_success:
            return None
        if is_permanent(response.status_code):
            return Reason.REJECTED, f"HTTP {response.status_code}"
        return Reason.REFUSED, f"HTTP {response.status_code}"

    async def _raise_alerts(self) -> None:
        """Each alert once, whichever node sees it first; the console shows it at once."""
        store = self._referrals.store
        now = self._clock()
        after = timedelta(seconds=self._settings.referral_alert_after_s)
        for referral_id in await store.undelivered_since(now - after):
            if await store.alert_once(referral_id, now):
                await self._referrals.alert(await store.get(referral_id), Alert.UNDELIVERED)
                logger.warning(
                    "referral undelivered: supervisors alerted", extra={"referral_id": referral_id}
                )
        urgent_after = timedelta(seconds=self._settings.referral_urgent_alert_after_s)
        for referral_id in await store.urgent_unreceived(now - urgent_after):
            if await store.urgent_alert_once(referral_id, now):
                await self._referrals.alert(await store.get(referral_id), Alert.URGENT_UNRECEIVED)
                logger.warning(
                    "urgent referral not received: supervisors alerted",
                    extra={"referral_id": referral_id},
                )
