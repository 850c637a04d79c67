"""A supervisor switches proof of work for chat starts on, off or back to auto; audited.

The mode is a row every node reads (chatserver/work.py), so the switch reaches all nodes
within seconds; the switch and its audit entry commit together.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.chat import utc_now
from chatserver.domain.records import Staff
from chatserver.domain.roles import Role
from chatserver.domain.work import WorkMode, WorkState
from chatserver.errors import Forbidden, InvalidInput
from chatserver.protocol.server import timestamp
from chatserver.store.schema import WorkModeRow
from chatserver.store.transaction import Store
from chatserver.store.work import ROW_ID, work_state
from chatserver.transport.http import current_staff, ok, read_json, runtime_of
from triage.store import add_audit_entry


class WorkSwitchStore(Store):
    async def switch(self, by: Staff, mode: WorkMode) -> WorkState:
        """Set the mode; ``auto`` starts afresh, from what the nodes see from now on."""
        now = utc_now()
        async with self._transaction() as session:
            row = await session.scalar(
                select(WorkModeRow).where(WorkModeRow.id == ROW_ID).with_for_update()
            )
            assert row is not None, "migration 0011 creates the work_mode row"
            add_audit_entry(session, now, by.id, "work_mode", None, old=row.mode, new=mode.value)
            row.mode = mode.value
            row.auto_until = None
            return work_state(row)


async def _supervisor(request: Request) -> Staff:
    staff = await current_staff(request)
    if staff.role is not Role.SUPERVISOR:
        raise Forbidden("Only supervisors switch proof of work.")
    return staff


def _answer(state: WorkState) -> Response:
    auto_until = (
        timestamp(datetime.fromtimestamp(state.auto_until, UTC))
        if state.mode is WorkMode.AUTO and state.auto_until
        else None
    )
    return ok(
        {
            "mode": state.mode.value,
            "required": state.required(time.time()),
            "auto_until": auto_until,
        }
    )


async def show_mode(request: Request) -> Response:
    await _supervisor(request)
    runtime = runtime_of(request)
    runtime.work.forget()  # the supervisor sees what the row says now
    return _answer(await runtime.work.state())


async def switch_mode(request: Request) -> Response:
    staff = await _supervisor(request)
    body = await read_json(request, ("mode",))
    raw = body.get("mode")
    if not isinstance(raw, str) or raw not in {mode.value for mode in WorkMode}:
        raise InvalidInput("'mode' must be off, auto or on", field="mode")
    mode = WorkMode(raw)
    runtime = runtime_of(request)
    state = await WorkSwitchStore(runtime.engine).switch(staff, mode)
    runtime.work.forget()
    return _answer(state)


routes = [
    Route("/api/staff/work", show_mode, methods=["GET"]),
    Route("/api/staff/work", switch_mode, methods=["PUT"]),
]
