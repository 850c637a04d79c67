"""Staff login sessions: an absolute lifetime and an idle timeout, checked where they are used."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from chatserver.domain.records import Staff
from chatserver.store.rows import staff_record
from chatserver.store.schema import StaffRow, StaffSessionRow
from chatserver.store.transaction import Store

#: A session's last-seen time is written at most this often (or a quarter of the idle
#: timeout, if shorter), not on every request.
SESSION_TOUCH_INTERVAL = timedelta(seconds=30)


class SessionStore(Store):
    async def create_session(
        self, staff_id: str, *, token_hash: str, now: datetime, lifetime: timedelta
    ) -> None:
        async with self._transaction() as session:
            session.add(
                StaffSessionRow(
                    token_hash=token_hash,
                    staff_id=staff_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )

    async def session_staff(
        self, token_hash: str, *, now: datetime, idle_timeout: timedelta, touch: bool
    ) -> Staff | None:
        """The active staff member behind a live session; ends it if it ran out.

        ``touch`` marks activity; a check made by the server itself must not.
        """
        async with self._transaction() as session:
            found = (
                await session.execute(
                    select(StaffSessionRow, StaffRow)
                    .join(StaffRow, StaffRow.id == StaffSessionRow.staff_id)
                    .where(StaffSessionRow.token_hash == token_hash)
                )
            ).first()
            if found is None:
                return None
            row, staff = found
            if now >= row.expires_at or now - row.last_seen_at >= idle_timeout or not staff.active:
                await session.delete(row)
                return None
            if touch and now - row.last_seen_at >= min(SESSION_TOUCH_INTERVAL, idle_timeout / 4):
                row.last_seen_at = now
            return staff_record(staff)

    async def delete_expired_sessions(self, *, now: datetime, idle_timeout: timedelta) -> int:
        """Delete sessions past their absolute or idle timeout; how many.

        The same rule as :meth:`session_staff`, which ends a session only when it is used.
        """
        async with self._transaction() as session:
            expired = await session.scalars(
                delete(StaffSessionRow)
                .where(
                    (StaffSessionRow.expires_at <= now)
                    | (StaffSessionRow.last_seen_at <= now - idle_timeout)
                )
                .returning(StaffSessionRow.token_hash)
            )
            return len(expired.all())

    async def delete_session(self, token_hash: str) -> None:
        async with self._transaction() as session:
            await session.execute(
                delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash)
            )
