"""Triage tables, on the chat's metadata so there is one migration history.

Coded data and person links refer to conversations but hold no transcript text,
so they can outlive the transcript when retention deletes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatserver.store.base import Base, UTCDateTime


class TriageStateRow(Base):
    """Per conversation: the help question flag and the review's exclusion."""

    __tablename__ = "triage_state"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    #: None until a counsellor decides; then true or false.
    help_question: Mapped[bool | None] = mapped_column(Boolean)
    excluded_reason: Mapped[str | None] = mapped_column(String(64))
    exclusion_note: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CodingRow(Base):
    """One coding of a conversation under one codebook edition; values keyed by variable."""

    __tablename__ = "codings"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    edition_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class PersonRow(Base):
    """A unique visitor behind one or more usernames (dubbelingen)."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReturnCodeRow(Base):
    """A short code a visitor may give next time; stored as a digest only."""

    __tablename__ = "return_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """Who changed what in codings, links and exclusions, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_conversation_id_at", "conversation_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
