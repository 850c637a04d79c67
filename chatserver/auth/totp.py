"""Time-based one-time passwords (RFC 6238, as authenticator apps make them): 6 digits, 30 s."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, allowing one step of clock drift either way.

    Callers spend the step, so that the same code (or an older one) is not taken twice.
    """
    code = code.replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
