"""triage tables

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_audit_log_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_conversation_id_at", ["conversation_id", "at"], unique=False
        )

    op.create_table(
        "codings",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("edition_id", sa.String(length=32), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_codings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_codings_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "edition_id", name=op.f("pk_codings")),
    )
    op.create_table(
        "return_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_return_codes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_return_codes")),
    )
    with op.batch_alter_table("return_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_codes_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "triage_state",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("help_question", sa.Boolean(), nullable=True),
        sa.Column("excluded_reason", sa.String(length=64), nullable=True),
        sa.Column("exclusion_note", sa.Text(), nullable=True),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_triage_state_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_triage_state_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_triage_state")),
    )
    with op.batch_alter_table("triage_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_state_person_id"), ["person_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("triage_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_state_person_id"))

    op.drop_table("triage_state")
    with op.batch_alter_table("return_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_codes_conversation_id"))

    op.drop_table("return_codes")
    op.drop_table("codings")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_conversation_id_at")

    op.drop_table("audit_log")
    op.drop_table("persons")
