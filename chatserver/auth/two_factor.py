"""Optional two-factor login for staff: enrol, confirm with a code, then every login needs one.

The secret is shown once, at enrolment, and never logged. A code is good once: the time step
it belongs to is spent in the database, so a replay on any node is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chatserver.auth import totp
from chatserver.domain.records import Staff
from chatserver.domain.roles import require_supervisor
from chatserver.errors import (
    Conflict,
    InvalidInput,
    TwoFactorInvalid,
    TwoFactorRequired,
)
from chatserver.settings import Settings
from chatserver.store.repository import Repository


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


class TwoFactor:
    def __init__(
        self, repository: Repository, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self._repository = repository
        self._issuer = settings.totp_issuer
        self._clock = clock

    async def enabled(self, staff: Staff) -> bool:
        found = await self._repository.two_factor(staff.id)
        return found is not None and found.enabled

    async def enrol(self, staff: Staff) -> Enrolment:
        """A fresh secret, replacing any unconfirmed one; not in force until confirmed."""
        if await self.enabled(staff):
            raise Conflict("Two-factor login is already on; a supervisor can reset it.")
        secret = totp.new_secret()
        await self._repository.set_two_factor_secret(staff.id, secret)
        return Enrolment(secret, totp.provisioning_uri(secret, staff.username, self._issuer))

    async def confirm(self, staff: Staff, code: object) -> None:
        """The first code from the app proves it holds the secret; from now on login asks."""
        found = await self._repository.two_factor(staff.id)
        if found is None or found.enabled:
            raise Conflict("There is no two-factor enrolment to confirm; enrol first.")
        step = totp.matching_step(found.secret, _code(code), self._clock())
        if step is None or not await self._repository.use_two_factor_step(
            staff.id, found.secret, step, enable_at=self._clock()
        ):
            raise InvalidInput("That code is wrong; check the app's clock.", field="code")

    async def check_login(self, staff: Staff, code: object) -> None:
        """At login, after the password: the code, if this person has two-factor login on."""
        found = await self._repository.two_factor(staff.id)
        if found is None or not found.enabled:
            return
        if code is None or code == "":
            raise TwoFactorRequired()
        step = totp.matching_step(found.secret, _code(code), self._clock())
        if step is None or not await self._repository.use_two_factor_step(
            staff.id, found.secret, step
        ):
            raise TwoFactorInvalid()

    async def reset(self, staff_id: str, *, by: Staff) -> None:
        """A supervisor turns a colleague's two-factor login off (a lost phone)."""
        require_supervisor(by.role)
        if staff_id == by.id:
            raise InvalidInput("Ask another supervisor to reset your own two-factor login.")
        await self._repository.set_two_factor_secret(staff_id, None)


def _code(code: object) -> str:
    if not isinstance(code, str) or len(code) > 16:
        raise InvalidInput("'code' must be the 6 digits the app shows", field="code")
    return code
