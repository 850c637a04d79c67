"""Opaque bearer tokens: 256 random bits to the client, only their SHA-256 at rest.

A stolen database therefore holds no usable session or resume token.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
