"""Staff accounts and sessions: login, logout, authenticate, create, deactivate."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from chatserver.auth.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordHasher
from chatserver.auth.throttle import LoginThrottle
from chatserver.auth.two_factor import TwoFactor
from chatserver.broker import Broker, publish_hint
from chatserver.domain import topics
from chatserver.domain.records import Staff
from chatserver.domain.roles import Role, require_supervisor
from chatserver.domain.tokens import new_token, token_digest
from chatserver.errors import InvalidInput, Unauthenticated
from chatserver.settings import Settings
from chatserver.store.repository import Repository

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class Accounts:
    def __init__(
        self,
        repository: Repository,
        broker: Broker,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        two_factor: TwoFactor,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._broker = broker
        self._hasher = hasher
        self._throttle = throttle
        self.two_factor = two_factor
        self._clock = clock
        self._idle = timedelta(seconds=settings.staff_idle_timeout_s)
        self._lifetime = timedelta(seconds=settings.staff_absolute_timeout_s)

    async def login(
        self, username: object, password: object, code: object = None, *, source: str | None
    ) -> tuple[Staff, str]:
        """A new session for the right password (and code, with two-factor login on).

        Every attempt is counted for the account name and for the ``source`` address before
        the password is checked; a success forgives both (docs/security.md).
        """
        if not isinstance(username, str) or not isinstance(password, str):
            raise InvalidInput("'username' and 'password' must be strings")
        name = username.strip().lower()
        # Busy is answered before the attempt is counted, and never after: the password is
        # checked (and rehashed) within this one place.
        with self._hasher.admitted():
            await self._throttle.admit(name, source)
            staff = await self._check_password(name, password)
        await self.two_factor.check_login(staff, code)
        await self._throttle.forgive(name, source)
        token = new_token()
        await self._repository.create_session(
            staff.id, token_hash=token_digest(token), now=self._clock(), lifetime=self._lifetime
        )
        return staff, token

    async def _check_password(self, username: str, password: str) -> Staff:
        if len(password) > MAX_PASSWORD_CHARS:
            raise Unauthenticated("Wrong username or password.")
        found = await self._repository.staff_credentials(username)
        password_hash = found[1] if found is not None else None
        if not await self._hasher.verify(password_hash, password) or found is None:
            raise Unauthenticated("Wrong username or password.")
        staff, stored_hash = found
        if not staff.active:
            raise Unauthenticated("Wrong username or password.")
        if self._hasher.needs_rehash(stored_hash):
            await self._repository.set_password_hash(staff.id, await self._hasher.hash(password))
        return staff

    async def authenticate(self, token: str | None, *, touch: bool = True) -> Staff:
        """The staff member behind ``token``; ``touch=False`` checks, not counting as activity."""
        if not token:
            raise Unauthenticated()
        staff = await self._repository.session_staff(
            token_digest(token), now=self._clock(), idle_timeout=self._idle, touch=touch
        )
        if staff is None:
            raise Unauthenticated()
        return staff

    async def logout(self, staff: Staff, token: str) -> None:
        """End this session; its open sockets on every node close."""
        digest = token_digest(token)
        await self._repository.delete_session(digest)
        await publish_hint(
            self._broker, topics.staff(staff.id), {"kind": "revoked", "session": digest}
        )

    async def create(
        self,
        *,
        username: object,
        display_name: object,
        role: object,
        password: object,
        by: Staff | None,
    ) -> Staff:
        """Create an account; ``by`` is ``None`` only for the command line."""
        if by is not None:
            require_supervisor(by.role)
        if not isinstance(username, str) or not _USERNAME.match(username.strip().lower()):
            raise InvalidInput(
                "'username' must be 2-64 lowercase letters, digits, '.', '_' or '-'",
                field="username",
            )
        if not isinstance(display_name, str) or not 0 < len(display_name.strip()) <= 64:
            raise InvalidInput("'display_name' must be 1-64 characters", field="display_name")
        if not isinstance(role, str) or role not in {r.value for r in Role}:
            raise InvalidInput(f"'role' must be one of {[r.value for r in Role]}", field="role")
        return await self._repository.create_staff(
            username=username.strip().lower(),
            display_name=display_name.strip(),
            role=Role(role),
            password_hash=await self._hasher.hash(_valid_password(password)),
            now=self._clock(),
        )

    async def reset_password(self, staff_id: str, password: object, *, by: Staff | None) -> None:
        if by is not None:
            require_supervisor(by.role)
        password_hash = await self._hasher.hash(_valid_password(password))
        await self._repository.set_password_hash(staff_id, password_hash)

    async def set_active(self, staff_id: str, active: bool, *, by: Staff) -> Staff:
        require_supervisor(by.role)
        if staff_id == by.id and not active:
            raise InvalidInput("You cannot deactivate your own account.")
        staff = await self._repository.set_staff_active(staff_id, active)
        if not active:
            await publish_hint(self._broker, topics.staff(staff_id), {"kind": "revoked"})
        return staff

    async def list(self, *, by: Staff) -> list[Staff]:
        require_supervisor(by.role)
        return await self._repository.list_staff()


def _valid_password(password: object) -> str:
    if not isinstance(password, str) or not (
        MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS
    ):
        raise InvalidInput(
            f"'password' must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters",
            field="password",
        )
    return password
