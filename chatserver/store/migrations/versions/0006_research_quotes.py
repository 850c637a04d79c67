"""research quotes

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_quotes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("variable", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("selected_by", sa.String(length=32), nullable=False),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_research_quotes_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["selected_by"], ["staff.id"], name=op.f("fk_research_quotes_selected_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_quotes")),
        sa.UniqueConstraint(
            "conversation_id", "seq", name=op.f("uq_research_quotes_conversation_id_seq")
        ),
    )
    with op.batch_alter_table("research_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_research_quotes_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("research_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_research_quotes_month"))

    op.drop_table("research_quotes")
