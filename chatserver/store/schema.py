"""Chat tables.

Nothing here identifies a visitor beyond what they typed: no IP address, no user
agent, no account. Resume and session tokens are stored as SHA-256 digests only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from chatserver.store.base import Base, UTCDateTime


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Two-factor login (TOTP): the shared secret, set at enrolment, in force once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last time step whose code was accepted: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


class LoginAttemptRow(Base):
    """Unforgiven login attempts per account name, shared by every node (docs/security.md).

    ``subject`` is the SHA-256 of the lower-cased username as typed, so that names that are
    no account are throttled alike and a password typed into the name field is not kept.
    """

    __tablename__ = "login_attempts"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkModeRow(Base):
    """Proof of work for chat starts, one row that every node reads (docs/operations.md).

    ``secret`` signs the challenges, so that any node checks a challenge another issued;
    ``auto_until`` is when ``auto`` stops asking for work, unless a node sees a flood again.
    """

    __tablename__ = "work_mode"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))
    auto_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    secret: Mapped[str] = mapped_column(String(64))


class StaffSessionRow(Base):
    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_status_queued_at", "status", "queued_at"),
        Index("ix_conversations_status_queue_order_at", "status", "queue_order_at"),
        Index("ix_conversations_counsellor_id_status", "counsellor_id", "status"),
        # A pseudonym is unique among open conversations only; ended ones may share it.
        Index(
            "uq_conversations_open_pseudonym",
            "pseudonym",
            unique=True,
            sqlite_where=text("status != 'ended'"),
            postgresql_where=text("status != 'ended'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    counsellor_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    visitor_age: Mapped[int | None] = mapped_column(Integer)
    visitor_gender: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when retention (or a supervisor, on request) deleted the messages and notes.
    transcript_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The visitor's answer to "Ben je nu in gevaar?": true, false, or none (not answered).
    in_danger: Mapped[bool | None] = mapped_column(Boolean)
    #: Where the visitor stands in the queue: ``queued_at``, earlier for acute danger.
    queue_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Refreshed by whichever node holds a visitor socket; how every node judges "gone".
    visitor_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "author", "client_msg_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(48))
    author_name: Mapped[str] = mapped_column(String(64))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoteRow(Base):
    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("conversation_id", "staff_id", "client_note_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    client_note_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
