"""research exports: random research ids and the export jobs and log

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_ids",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("research_id", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_research_ids_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_research_ids")),
    )
    with op.batch_alter_table("research_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_research_ids_research_id"), ["research_id"], unique=False
        )

    op.create_table(
        "research_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("requested_via", sa.String(length=8), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("filename", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["staff.id"], name=op.f("fk_research_exports_requested_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_exports")),
    )
    with op.batch_alter_table("research_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_research_exports_requested_by_at", ["requested_by", "requested_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("research_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_research_exports_requested_by_at")
    op.drop_table("research_exports")
    with op.batch_alter_table("research_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_research_ids_research_id"))
    op.drop_table("research_ids")
