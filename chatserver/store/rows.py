"""Rows to the domain's records, and ids for new rows: what every chat store returns."""

from __future__ import annotations

import secrets

from chatserver.domain.records import Conversation, Kind, Message, Note, Staff, Status
from chatserver.domain.roles import Role
from chatserver.store.schema import ConversationRow, MessageRow, NoteRow, StaffRow


def new_id() -> str:
    return secrets.token_hex(16)


def conversation_record(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        pseudonym=row.pseudonym,
        status=Status(row.status),
        counsellor_id=row.counsellor_id,
        last_seq=row.last_seq,
        visitor_age=row.visitor_age,
        visitor_gender=row.visitor_gender,
        created_at=row.created_at,
        queued_at=row.queued_at,
        assigned_at=row.assigned_at,
        ended_at=row.ended_at,
        in_danger=row.in_danger,
        visitor_seen_at=row.visitor_seen_at,
    )


def message_record(row: MessageRow) -> Message:
    return Message(
        conversation_id=row.conversation_id,
        seq=row.seq,
        kind=Kind(row.kind),
        author=row.author,
        author_name=row.author_name,
        client_msg_id=row.client_msg_id,
        text=row.body,
        sent_at=row.created_at,
    )


def note_record(row: NoteRow, author_name: str) -> Note:
    return Note(
        id=row.id,
        conversation_id=row.conversation_id,
        staff_id=row.staff_id,
        author_name=author_name,
        client_note_id=row.client_note_id,
        text=row.body,
        written_at=row.created_at,
    )


def staff_record(row: StaffRow) -> Staff:
    return Staff(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        active=row.active,
    )
