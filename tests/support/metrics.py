"""Read a server's ``/metrics`` as Prometheus would: with the bearer token, parsed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import Server

METRICS_TOKEN = "metrics-token-for-tests-0123456789abcdef"
#: Settings that switch ``/metrics`` on.
WITH_METRICS = {"METRICS_TOKEN": METRICS_TOKEN}


class Scrape:
    """One scrape: every sample, by name and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, frozenset(labels.items()))]


async def scrape(server: Server, token: str = METRICS_TOKEN) -> Scrape:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    return Scrape(response.text)


async def until_metric(
    server: Server, ready: Callable[[Scrape], bool], what: str, timeout: float = 10
) -> Scrape:
    """Scrape until ``ready`` holds (fan-out and background jobs finish after the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await scrape(server)
        if ready(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
