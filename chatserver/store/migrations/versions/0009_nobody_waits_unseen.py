"""nobody waits unseen: the danger answer, the queue order and the visitor's last-seen time

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_danger", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("queue_order_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("visitor_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_conversations_status_queue_order_at", ["status", "queue_order_at"], unique=False
        )
    # Chats already waiting keep their place: their order is when they joined.
    op.execute("UPDATE conversations SET queue_order_at = queued_at")


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_status_queue_order_at")
        batch_op.drop_column("visitor_seen_at")
        batch_op.drop_column("queue_order_at")
        batch_op.drop_column("in_danger")
