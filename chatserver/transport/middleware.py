"""Security headers on every HTTP response (a strict CSP: the frontend loads nothing foreign),
and no state-changing request from a page of another site."""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatserver.errors import CrossSite
from chatserver.transport.http import chat_error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    # Nothing of the chat stays in the browser's cache for someone else to find on the device:
    # pages, scripts, styles and API answers alike, visitor and console (docs/privacy.md).
    "cache-control": "no-store",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOriginWrites:
    """Refuse a state-changing request that a browser sent from a page of another origin.

    Defence in depth: staff and visitors authenticate with a bearer header, which a foreign
    page cannot make a browser send, so classic CSRF has nothing to ride on. But a foreign
    page can still post a form (``text/plain`` bodies can look like JSON) to the endpoints
    that need no credentials. Browsers name the page's origin on every such request; clients
    that are not browsers (a referral unit's callback, curl) send no ``Origin`` and pass.
    """

    def __init__(self, app: ASGIApp, origins: Collection[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and self._cross_site(Headers(scope=scope))
        ):
            response = await chat_error_response(Request(scope), CrossSite())
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _cross_site(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is not None:  # "null" too: sandboxed frames, file: pages, some redirects
            return origin.rstrip("/") not in self.origins
        return headers.get("sec-fetch-site") == "cross-site"
