"""HMAC signatures between the helpline and a unit, both ways.

The signed text is ``timestamp + "." + body``: the timestamp bounds replays, the body
is signed as raw bytes so that no re-serialisation can change what was agreed.
"""

from __future__ import annotations

import hashlib
import hmac

#: A signature older or newer than this is refused.
MAX_SKEW_S = 300
PREFIX = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + digest.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float) -> dict[str, str]:
    """The timestamp and signature headers of a signed request, in either direction."""
    stamp = int(now)
    return {"X-Referral-Timestamp": str(stamp), "X-Referral-Signature": sign(secret, stamp, body)}


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, now: float) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is fresh."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
