"""A supervisor clears a flood of waiting chats in one action, audited (docs/operations.md).

A flood is chats started by a script: they have no socket, or they all came in the last
few minutes. By default only waiting chats without an open socket go, so a real visitor
watching the queue stays in it; ``queued_within_s`` narrows the clear to the flood's
minutes, and ``include_connected`` takes the connected ones too. The clear and its audit
entry commit together; the visitor of a cleared chat reads why on coming back.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.chat import utc_now
from chatserver.domain.records import Event, Message, Staff
from chatserver.domain.roles import Role
from chatserver.errors import Forbidden, InvalidInput
from chatserver.presence import round_interval
from chatserver.store.steps import end_waiting
from chatserver.store.transaction import Store
from chatserver.transport.http import current_staff, ok, read_json, runtime_of
from triage.store import add_audit_entry

#: A visitor not refreshed within this many presence rounds has no socket now.
ROUNDS_WITHOUT_SOCKET = 2
LONGEST_WINDOW_S = 7 * 24 * 60 * 60


class FloodStore(Store):
    async def clear(
        self,
        by: Staff,
        *,
        queued_within: timedelta | None,
        without_socket_for: timedelta | None,
    ) -> list[Message]:
        now = utc_now()
        async with self._transaction() as session:
            ended = await end_waiting(
                session,
                queued_after=None if queued_within is None else now - queued_within,
                seen_before=None if without_socket_for is None else now - without_socket_for,
                event=Event.ENDED_QUEUE_CLEARED,
                now=now,
            )
            add_audit_entry(
                session,
                now,
                by.id,
                "queue_cleared",
                None,
                count=len(ended),
                queued_within_s=None if queued_within is None else queued_within.total_seconds(),
                include_connected=without_socket_for is None,
            )
        return ended


async def clear_queue(request: Request) -> Response:
    staff = await current_staff(request)
    if staff.role is not Role.SUPERVISOR:
        raise Forbidden("Only supervisors clear the queue.")
    body = await read_json(request, ("queued_within_s", "include_connected"))
    within = body.get("queued_within_s")
    if within is not None and (
        isinstance(within, bool)
        or not isinstance(within, int)
        or not 0 < within <= LONGEST_WINDOW_S
    ):
        raise InvalidInput(
            f"'queued_within_s' must be a whole number from 1 to {LONGEST_WINDOW_S} or null",
            field="queued_within_s",
        )
    include_connected = body.get("include_connected", False)
    if not isinstance(include_connected, bool):
        raise InvalidInput("'include_connected' must be true or false", field="include_connected")
    runtime = runtime_of(request)
    without_socket = timedelta(seconds=ROUNDS_WITHOUT_SOCKET * round_interval(runtime.settings))
    ended = await FloodStore(runtime.engine).clear(
        staff,
        queued_within=None if within is None else timedelta(seconds=within),
        without_socket_for=None if include_connected else without_socket,
    )
    await runtime.chat.announce_ended(ended)
    return ok({"cleared": len(ended)})


routes = [Route("/api/staff/queue/clear", clear_queue, methods=["POST"])]
