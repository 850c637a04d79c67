"""Staff accounts: credentials, two-factor secrets, who is active, and the chats each holds."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from chatserver.domain.records import Staff, Status, TwoFactorSecret
from chatserver.domain.roles import CHAT_ROLES, Role
from chatserver.errors import Conflict, NotFound
from chatserver.store.rows import new_id, staff_record
from chatserver.store.schema import ConversationRow, StaffRow, StaffSessionRow
from chatserver.store.transaction import Store


class StaffStore(Store):
    async def create_staff(
        self, *, username: str, display_name: str, role: Role, password_hash: str, now: datetime
    ) -> Staff:
        row = StaffRow(
            id=new_id(),
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=now,
        )
        try:
            async with self._transaction() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict("That username is taken.", field="username") from None
        return staff_record(row)

    async def staff_credentials(self, username: str) -> tuple[Staff, str] | None:
        async with self._transaction() as session:
            row = await session.scalar(select(StaffRow).where(StaffRow.username == username))
            return None if row is None else (staff_record(row), row.password_hash)

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None:
        async with self._transaction() as session:
            await session.execute(
                update(StaffRow).where(StaffRow.id == staff_id).values(password_hash=password_hash)
            )

    async def two_factor(self, staff_id: str) -> TwoFactorSecret | None:
        async with self._transaction() as session:
            row = await session.get(StaffRow, staff_id)
            if row is None:
                raise NotFound("No such account.")
            if row.totp_secret is None:
                return None
            return TwoFactorSecret(row.totp_secret, enabled=row.totp_enabled_at is not None)

    async def set_two_factor_secret(self, staff_id: str, secret: str | None) -> None:
        """A new secret, not in force until confirmed; ``None`` turns two-factor login off."""
        async with self._transaction() as session:
            result = await session.execute(
                update(StaffRow)
                .where(StaffRow.id == staff_id)
                .values(totp_secret=secret, totp_enabled_at=None, totp_last_step=None)
            )
            if cast(CursorResult[object], result).rowcount != 1:
                raise NotFound("No such account.")

    async def use_two_factor_step(
        self, staff_id: str, secret: str, step: int, *, enable_at: datetime | None = None
    ) -> bool:
        """Spend the code of time ``step``: false if it or a later one was spent (a replay),
        or the secret changed meanwhile. ``enable_at`` also puts the secret in force."""
        values: dict[str, object] = {"totp_last_step": step}
        if enable_at is not None:
            values["totp_enabled_at"] = enable_at
        async with self._transaction() as session:
            result = await session.execute(
                update(StaffRow)
                .where(
                    StaffRow.id == staff_id,
                    StaffRow.totp_secret == secret,
                    or_(StaffRow.totp_last_step.is_(None), StaffRow.totp_last_step < step),
                )
                .values(values)
            )
            return cast(CursorResult[object], result).rowcount == 1

    async def chat_load(self) -> list[tuple[Staff, int]]:
        """Active counsellors and supervisors with the number of chats each holds."""
        async with self._transaction() as session:
            holding = (
                select(ConversationRow.counsellor_id, func.count().label("chats"))
                .where(ConversationRow.status == Status.ACTIVE)
                .group_by(ConversationRow.counsellor_id)
                .subquery()
            )
            rows = await session.execute(
                select(StaffRow, func.coalesce(holding.c.chats, 0))
                .outerjoin(holding, holding.c.counsellor_id == StaffRow.id)
                .where(StaffRow.active.is_(True), StaffRow.role.in_(list(CHAT_ROLES)))
                .order_by(StaffRow.display_name)
            )
            return [(staff_record(row), int(chats)) for row, chats in rows]

    async def list_staff(self) -> list[Staff]:
        async with self._transaction() as session:
            rows = await session.scalars(select(StaffRow).order_by(StaffRow.username))
            return [staff_record(row) for row in rows]

    async def set_staff_active(self, staff_id: str, active: bool) -> Staff:
        async with self._transaction() as session:
            row = await session.get(StaffRow, staff_id)
            if row is None:
                raise NotFound("No such account.")
            row.active = active
            if not active:
                await session.execute(
                    delete(StaffSessionRow).where(StaffSessionRow.staff_id == staff_id)
                )
            return staff_record(row)

    async def count_staff(self) -> int:
        async with self._transaction() as session:
            return await session.scalar(select(func.count()).select_from(StaffRow)) or 0
