"""Plain values passed between the store, the services and the edges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chatserver.domain.roles import Role


class Status(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"


class Kind(StrEnum):
    """A message is typed text, an event everybody in the chat should see in order, or a
    referral's state as shown to the visitor (its body is the JSON snapshot)."""

    TEXT = "text"
    EVENT = "event"
    REFERRAL = "referral"


class Event(StrEnum):
    COUNSELLOR_JOINED = "counsellor_joined"
    TRANSFERRED = "transferred"
    ENDED_BY_VISITOR = "ended_by_visitor"
    #: The visitor used the quick exit ("Snel weg"): they may no longer be safe.
    ENDED_QUICK_EXIT = "ended_quick_exit"
    ENDED_BY_COUNSELLOR = "ended_by_counsellor"
    #: The visitor had no socket for the grace period while waiting: they left the queue.
    ENDED_LEFT_QUEUE = "ended_left_queue"
    #: The visitor was gone from an active chat for the idle period: it closed itself.
    ENDED_VISITOR_AWAY = "ended_visitor_away"
    #: A supervisor cleared a flood of waiting chats.
    ENDED_QUEUE_CLEARED = "ended_queue_cleared"


VISITOR = "visitor"
SYSTEM = "system"


def staff_author(staff_id: str) -> str:
    return f"staff:{staff_id}"


@dataclass(frozen=True)
class Conversation:
    id: str
    pseudonym: str
    status: Status
    counsellor_id: str | None
    last_seq: int
    visitor_age: int | None
    visitor_gender: str | None
    created_at: datetime
    queued_at: datetime
    assigned_at: datetime | None
    ended_at: datetime | None
    in_danger: bool | None = None
    visitor_seen_at: datetime | None = None


@dataclass(frozen=True)
class Message:
    conversation_id: str
    seq: int
    kind: Kind
    #: ``visitor``, ``system`` or ``staff:<id>``.
    author: str
    #: The pseudonym or the counsellor's display name, as shown at the time.
    author_name: str
    client_msg_id: str | None
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class Note:
    id: int
    conversation_id: str
    staff_id: str
    author_name: str
    client_note_id: str
    text: str
    written_at: datetime


@dataclass(frozen=True)
class Staff:
    id: str
    username: str
    display_name: str
    role: Role
    active: bool


@dataclass(frozen=True)
class TwoFactorSecret:
    """A staff member's TOTP secret; login asks for a code only once it is ``enabled``."""

    secret: str
    enabled: bool


@dataclass(frozen=True)
class WaitingVisitor:
    conversation_id: str
    pseudonym: str
    queued_at: datetime
    in_danger: bool = False
