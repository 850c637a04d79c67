"""Route table details that make wrong methods and unknown API paths answer correctly.

Starlette tries routes in order and lets a full match win over a method mismatch, and it
answers a mismatch with the first matching route's methods only. So the frontend, which
matches every path, must stay out of the API's paths, and routes that share a path are
joined into one: ``OPTIONS /api/staff/accounts`` is then a 405 that allows GET and POST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

Endpoint = Callable[[Request], Any]
#: Paths that belong to the API and the sockets, never to the static frontend.
NOT_FRONTEND = ("/api/", "/ws/")


class Frontend(Mount):
    """The static frontend at ``/``, for every path outside :data:`NOT_FRONTEND`."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith(NOT_FRONTEND):
            return Match.NONE, {}
        return super().matches(scope)


def one_route_per_path(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """``routes`` with every group of :class:`Route` that shares a path joined into one."""
    groups: dict[str, list[Route]] = {}
    for route in routes:
        if isinstance(route, Route):
            groups.setdefault(route.path, []).append(route)
    joined: list[BaseRoute] = []
    for route in routes:
        if not isinstance(route, Route):
            joined.append(route)
        elif (group := groups.pop(route.path, None)) is not None:
            joined.append(group[0] if len(group) == 1 else _join(group))
    return joined


def _join(group: list[Route]) -> Route:
    handlers: dict[str, Endpoint] = {
        method: route.endpoint for route in group for method in route.methods or ()
    }

    async def by_method(request: Request) -> Response:
        response: Response = await handlers[request.method](request)
        return response

    return Route(group[0].path, by_method, methods=list(handlers))
