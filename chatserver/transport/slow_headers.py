"""HTTP/1.1 with a deadline for the request's headers: h11 has none of its own.

A client that opens a connection and then sends its headers a line every few seconds
(slowloris) would otherwise hold a file descriptor for as long as it likes. Each request's
headers must be complete ``header_timeout_s`` after its first byte could have come: after the
connection opened, or after the previous response on a kept-alive connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from chatserver.metrics import SLOW_HEADERS_CLOSED


class TimedHeadersProtocol(H11Protocol):
    #: Set by :func:`timed_headers` for the server's setting.
    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            SLOW_HEADERS_CLOSED.inc()
            self.transport.close()


def timed_headers(header_timeout_s: float) -> type[TimedHeadersProtocol]:
    """The protocol class for uvicorn's ``http`` option, with this deadline."""
    return type("TimedHeaders", (TimedHeadersProtocol,), {"header_timeout_s": header_timeout_s})
