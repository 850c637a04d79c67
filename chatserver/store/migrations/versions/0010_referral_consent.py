"""referral consent: no guardian step, failed deliveries, urgent referrals first

A minor's referral never waits for a parent or guardian (docs/referrals.md): referrals that
waited on the guardian step proceed with the visitor's own consent. The guardian step lived
in the ``consent`` JSON (``party`` and ``guardian``), not in columns of its own.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Statuses in which a referral has not gone out yet, so its consent may still be redone.
NOT_SENT = ("proposed", "consented")

referrals = sa.table(
    "referrals",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("consent", sa.JSON),
    sa.column("consented_at", sa.DateTime(timezone=True)),
    sa.column("shares", sa.JSON),
)
outbox = sa.table(
    "referral_outbox",
    sa.column("referral_id", sa.String),
    sa.column("delivered_at", sa.DateTime(timezone=True)),
    sa.column("urgent", sa.Boolean),
)


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trusted_adult", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("referral_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("urgent_alerted_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(referrals.c.id, referrals.c.consent).where(referrals.c.status.in_(NOT_SENT))
    ).all()
    for referral_id, consent in rows:
        values = _without_guardian(consent)
        if values is None:
            continue
        connection.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(values))
    # Referrals already on their way that are acutely unsafe go first from now on.
    waiting = connection.execute(
        sa.select(outbox.c.referral_id, referrals.c.shares)
        .join(referrals, referrals.c.id == outbox.c.referral_id)
        .where(outbox.c.delivered_at.is_(None))
    ).all()
    for referral_id, shares in waiting:
        if isinstance(shares, dict) and shares.get("acutely_unsafe") is True:
            connection.execute(
                sa.update(outbox).where(outbox.c.referral_id == referral_id).values(urgent=True)
            )


def _without_guardian(consent: Any) -> dict[str, Any] | None:
    """The new values of a not-yet-sent referral: the visitor's own consent stands (ready to
    send); a consent a parent or guardian gave for them asks the visitor again (proposed)."""
    if not isinstance(consent, dict):
        return None
    if consent.get("party", "victim") != "victim":
        return {"status": "proposed", "consent": None, "consented_at": None}
    if "guardian" not in consent:
        return None
    return {"consent": {key: value for key, value in consent.items() if key != "guardian"}}


def downgrade() -> None:
    # The old code knows no ``failed``: such referrals go back to being sent (and retried).
    op.execute("UPDATE referrals SET status = 'sending' WHERE status = 'failed'")
    with op.batch_alter_table("referral_outbox", schema=None) as batch_op:
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("urgent_alerted_at")
        batch_op.drop_column("urgent")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("failure")
        batch_op.drop_column("trusted_adult")
