"""Server frames: the only place records become wire dictionaries.

One ``message`` frame serves visitors and staff alike, so it carries no staff
ids: an author is ``visitor``, ``counsellor`` or ``system`` plus the name shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chatserver.domain.records import (
    VISITOR,
    Conversation,
    Kind,
    Message,
    Note,
    Staff,
    WaitingVisitor,
)
from chatserver.errors import ChatError
from chatserver.protocol.frames import PROTOCOL_VERSION

Frame = dict[str, Any]


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_frame(message: Message) -> Frame:
    if message.author == VISITOR:
        author = "visitor"
    else:
        author = "counsellor" if message.kind is Kind.TEXT else "system"
    frame: Frame = {
        "type": "message",
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "kind": message.kind.value,
        "author": author,
        "author_name": message.author_name,
        "client_msg_id": message.client_msg_id,
        "text": message.text,
        "sent_at": timestamp(message.sent_at),
    }
    if message.kind is Kind.REFERRAL:
        # The body is the snapshot the visitor is shown; its status is the short text.
        referral = json.loads(message.text)
        frame.update(text=referral["status"], referral=referral)
    return frame


def ack_frame(message: Message, ref: str | None) -> Frame:
    return {
        "type": "ack",
        "conversation_id": message.conversation_id,
        "client_msg_id": message.client_msg_id,
        "seq": message.seq,
        "ref": ref,
    }


def error_frame(error: ChatError, ref: str | None) -> Frame:
    frame: Frame = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
    if error.field is not None:
        frame["field"] = error.field
    if details := error.details():
        frame["errors"] = details
    return frame


def typing_frame(conversation_id: str, who: str, active: bool) -> Frame:
    return {"type": "typing", "conversation_id": conversation_id, "who": who, "active": active}


def note_frame(note: Note) -> Frame:
    return {
        "type": "note",
        "conversation_id": note.conversation_id,
        "note_id": note.id,
        "client_note_id": note.client_note_id,
        "author_name": note.author_name,
        "text": note.text,
        "written_at": timestamp(note.written_at),
    }


def conversation_summary(conversation: Conversation) -> Frame:
    return {
        "id": conversation.id,
        "pseudonym": conversation.pseudonym,
        "status": conversation.status.value,
        "last_seq": conversation.last_seq,
        "visitor_age": conversation.visitor_age,
        "visitor_gender": conversation.visitor_gender,
        "queued_at": timestamp(conversation.queued_at),
        "in_danger": conversation.in_danger,
        "visitor_seen_at": _maybe_timestamp(conversation.visitor_seen_at),
    }


def _maybe_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def presence_frame(conversation_id: str, present: bool, at: datetime) -> Frame:
    """For staff: the visitor's connection opened or dropped (``at``: since when)."""
    return {
        "type": "presence",
        "conversation_id": conversation_id,
        "present": present,
        "since": timestamp(at),
    }


def staff_summary(staff: Staff) -> Frame:
    return {
        "id": staff.id,
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role.value,
        "active": staff.active,
    }


def visitor_welcome(conversation: Conversation, ref: str | None) -> Frame:
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "conversation_id": conversation.id,
        "pseudonym": conversation.pseudonym,
        "status": conversation.status.value,
        "last_seq": conversation.last_seq,
        "ref": ref,
    }


def staff_welcome(
    staff: Staff,
    conversations: Sequence[Conversation],
    ref: str | None,
    alerts: Frame,
) -> Frame:
    """``alerts``: when the console escalates a wait and offers to close an away chat."""
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "staff": staff_summary(staff),
        "conversations": [conversation_summary(c) for c in conversations],
        "alerts": alerts,
        "ref": ref,
    }


def queue_position_frame(conversation_id: str, position: int, wait_seconds: int | None) -> Frame:
    return {
        "type": "queue",
        "conversation_id": conversation_id,
        "position": position,
        "estimated_wait_s": wait_seconds,
    }


#: Staff see the head of the line by name; a longer line is summed up by its length.
STAFF_QUEUE_NAMES = 50


def staff_queue_frame(waiting: Sequence[WaitingVisitor]) -> Frame:
    """The line in the order it is served; ``longest`` is who has waited longest, wherever
    they stand (a supervisor watches them)."""
    longest = min(waiting, key=lambda visitor: visitor.queued_at, default=None)
    return {
        "type": "queue",
        "length": len(waiting),
        "waiting": [_waiting_entry(visitor) for visitor in waiting[:STAFF_QUEUE_NAMES]],
        "longest": None if longest is None else _waiting_entry(longest),
    }


def _waiting_entry(visitor: WaitingVisitor) -> Frame:
    return {
        "conversation_id": visitor.conversation_id,
        "pseudonym": visitor.pseudonym,
        "queued_at": timestamp(visitor.queued_at),
        "in_danger": visitor.in_danger,
    }


def assigned_frame(summary: Frame) -> Frame:
    return {"type": "assigned", "conversation": summary}


def unassigned_frame(conversation_id: str) -> Frame:
    return {"type": "unassigned", "conversation_id": conversation_id}


def pong_frame(ref: str | None) -> Frame:
    return {"type": "pong", "ref": ref}
