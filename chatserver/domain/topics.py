"""Broker topic names, shared by the publishing services and the per-node fan-out."""

from __future__ import annotations

QUEUE = "queue"
#: Every supervisor's console: alerts such as a referral that failed or is late.
SUPERVISORS = "supervisors"


def conversation(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def staff_only(conversation_id: str) -> str:
    """Notes and the visitor's typing: a visitor's socket never subscribes here."""
    return f"conv:{conversation_id}:staff"


def staff(staff_id: str) -> str:
    return f"staff:{staff_id}"
