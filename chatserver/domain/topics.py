"""Broker topic names, shared by the publishing services and the per-node fan-out."""

from __future__ import annotations

QUEUE = "queue"
#: Every supervisor's console: alerts such as a referral that failed or is late.
SUPERVISORS = "supervisors"


_CONVERSATION = "conv:"


def conversation(conversation_id: str) -> str:
    return f"{_CONVERSATION}{conversation_id}"


def conversation_of(topic: str) -> str | None:
    """The conversation a :func:`conversation` topic is about; ``None`` for any other topic."""
    if topic.startswith(_CONVERSATION) and ":" not in topic[len(_CONVERSATION) :]:
        return topic[len(_CONVERSATION) :]
    return None


def staff_only(conversation_id: str) -> str:
    """Notes and the visitor's typing: a visitor's socket never subscribes here."""
    return f"conv:{conversation_id}:staff"


def staff(staff_id: str) -> str:
    return f"staff:{staff_id}"
