"""Login attempts per account name, in the database so that every node sees the same count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from chatserver.domain.backoff import FORGET_AFTER_S, Attempts, BackoffPolicy
from chatserver.store.schema import LoginAttemptRow
from chatserver.store.transaction import Store


class LoginAttemptStore(Store):
    async def admit(self, subject: str, *, now: datetime, policy: BackoffPolicy) -> float:
        """Count one attempt, or refuse it: the seconds still to wait, ``0`` when counted.

        The row is locked while it is read and written, so parallel attempts on many nodes
        are each counted.
        """
        try:
            return await self._admit(subject, now, policy)
        except IntegrityError:
            # A parallel first attempt inserted the row first; now it exists, count again.
            return await self._admit(subject, now, policy)

    async def _admit(self, subject: str, now: datetime, policy: BackoffPolicy) -> float:
        async with self._transaction() as session:
            row = await session.scalar(
                select(LoginAttemptRow).where(LoginAttemptRow.subject == subject).with_for_update()
            )
            if row is None:
                # Rare (a first failure since the last success): also drop long-forgotten rows.
                await session.execute(
                    delete(LoginAttemptRow).where(
                        LoginAttemptRow.last_at < now - timedelta(seconds=FORGET_AFTER_S)
                    )
                )
                row = LoginAttemptRow(subject=subject)
                session.add(row)
                attempts = Attempts()
            else:
                attempts = Attempts(
                    row.count, row.last_at.timestamp(), row.blocked_until.timestamp()
                )
                if wait := attempts.wait_s(now.timestamp()):
                    return wait
            counted = attempts.one_more(now.timestamp(), policy)
            row.count = counted.count
            row.last_at = now
            row.blocked_until = datetime.fromtimestamp(counted.blocked_until, UTC)
            return 0.0

    async def forgive(self, subject: str) -> None:
        async with self._transaction() as session:
            await session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.subject == subject))
