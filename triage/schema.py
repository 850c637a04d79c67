"""Triage tables, on the chat's metadata so there is one migration history.

Coded data and person links refer to conversations but hold no transcript text,
so they can outlive the transcript when retention deletes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
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


class ReferralRow(Base):
    """A referral to a police unit: the shared fields, the consent, each step's time.

    It outlives the transcript: retention clears ``conversation_id``, not the referral.
    """

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    unit: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    shares: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    #: Information only, never a gate: the counsellor noted that a trusted adult is involved.
    trusted_adult: Mapped[bool | None] = mapped_column(Boolean)
    #: Why delivery stopped for good (e.g. ``HTTP 404``), when it is ``failed``.
    failure: Mapped[str | None] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferralEventRow(Base):
    """One step of a referral's life: the audit trail supervisors review."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_referral_id_id", "referral_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    #: ``staff``, ``visitor``, ``relay`` or ``unit``.
    actor: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))


class ReferralOutboxRow(Base):
    """A referral waiting to be delivered, written in the same transaction as ``sending``."""

    __tablename__ = "referral_outbox"
    __table_args__ = (Index("ix_referral_outbox_due", "delivered_at", "next_attempt_at"),)

    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    #: The exact bytes sent on every attempt.
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Acutely unsafe: delivered before every other referral due.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When supervisors were alerted that an urgent referral was not received in time.
    urgent_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The unit refused it for good: no more attempts.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ResearchIdRow(Base):
    """The random research id a conversation's person carries in every export.

    Kept per conversation, so linking conversations later keeps the id the earliest one had.
    Random, never derived from internal ids.
    """

    __tablename__ = "research_ids"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    research_id: Mapped[str] = mapped_column(String(16), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResearchExportRow(Base):
    """One research export: the job, its file while kept, and its log entry for good."""

    __tablename__ = "research_exports"
    __table_args__ = (Index("ix_research_exports_requested_by_at", "requested_by", "requested_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The staff member who asked; ``None`` for an export from the command line.
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    #: ``api`` or ``cli``.
    requested_via: Mapped[str] = mapped_column(String(8))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``queued``, ``running``, ``done`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    #: Pipeline counts, rows and suppressed cells; never a person's data.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(64))
    #: Last sign of life of the node running the job; a stale running job was interrupted.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the file was deleted; the row stays as the export log.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuoteRow(Base):
    """A message chosen as a research quote: its de-identified text, never the original.

    It outlives the transcript: ``seq`` points into the chat while there is one, and
    ``conversation_id`` is cleared if the conversation itself is ever deleted.
    """

    __tablename__ = "research_quotes"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    seq: Mapped[int] = mapped_column(Integer)
    #: ``YYYY-MM`` the message was written; no finer, so a quote cannot be matched to a chat.
    month: Mapped[str] = mapped_column(String(7), index=True)
    #: ``visitor`` or ``counsellor``.
    speaker: Mapped[str] = mapped_column(String(16))
    #: The codebook edition current at selection, and the variable the quote illustrates.
    edition: Mapped[str] = mapped_column(String(32))
    variable: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    selected_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    selected_at: Mapped[datetime] = mapped_column(UTCDateTime)
