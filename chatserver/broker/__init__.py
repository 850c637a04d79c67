"""Cross-node notifications: an interface and its adapters, picked by ``BROKER_URL``.

The broker carries *hints* about committed facts ("conversation C has message
S"), never the only copy of anything: the store is the log and fills every gap. The
one thing it keeps is short-lived and lost harmlessly: keys claimed once (spent proofs of work).
"""

from __future__ import annotations

from chatserver.broker.base import Broker, EventHandler, GapHandler, publish_hint
from chatserver.broker.memory import MemoryBroker


def broker_from_url(url: str, prefix: str = "chat:") -> Broker:
    """``prefix`` goes before every Redis channel: deployments sharing a Redis stay apart."""
    if url == "memory://":
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from chatserver.broker.redis import RedisBroker  # only multi-node setups need redis

        return RedisBroker(url, prefix)
    raise ValueError(f"unsupported BROKER_URL {url!r}; use memory:// or redis://host:port/db")


__all__ = [
    "Broker",
    "EventHandler",
    "GapHandler",
    "MemoryBroker",
    "broker_from_url",
    "publish_hint",
]
