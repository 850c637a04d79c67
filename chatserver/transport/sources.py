"""Who a request or socket comes from, for the per-source limits only: never stored or logged."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from chatserver.settings import Settings


def client_source(connection: HTTPConnection, settings: Settings) -> str | None:
    """The TCP peer, or what a trusted proxy says the client is.

    ``CLIENT_ADDRESS_HEADER`` is believed only from a peer listed in ``TRUSTED_PROXIES``; its
    last entry is the one that proxy added, so a client cannot forge it.
    """
    peer = connection.client.host if connection.client is not None else None
    if peer is None or not _trusted(peer, settings.trusted_proxies):
        return peer
    forwarded = connection.headers.get(settings.client_address_header, "")
    return forwarded.rsplit(",", 1)[-1].strip() or peer


@lru_cache(maxsize=16)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    if not proxies:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(proxies))
