"""proof of work for chat starts: the mode every node reads, and the challenges' secret

The row is created here, with ``auto`` and a random secret, so that every node finds the
same one from its first request (docs/operations.md).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    work_mode = op.create_table(
        "work_mode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("auto_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_mode")),
    )
    op.bulk_insert(work_mode, [{"id": 1, "mode": "auto", "secret": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("work_mode")
