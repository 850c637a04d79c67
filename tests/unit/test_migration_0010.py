"""Migration 0010 on a database holding referrals from before it: none waits for a guardian."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from chatserver.store.migrate import alembic_config

AT = "2026-11-30 10:00:00.000000"
ADULT = {"age_band": "23-29", "acutely_unsafe": False}
MINOR = {"age_band": "minor", "acutely_unsafe": True}
VICTIM = {"party": "victim", "method": "in_chat", "at": "2026-11-30T10:01:00Z"}
ROWS: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
    # id: status, shares, consent
    "waits-on-guardian": ("consented", MINOR, {**VICTIM, "guardian": None}),
    "guardian-recorded": ("consented", MINOR, {**VICTIM, "guardian": {"party": "parent"}}),
    "parent-answered": ("consented", MINOR, {**VICTIM, "party": "parent", "guardian": None}),
    "adult-consented": ("consented", ADULT, {**VICTIM, "guardian": None}),
    "not-yet-answered": ("proposed", MINOR, None),
    "already-sent": ("sent", MINOR, {**VICTIM, "party": "guardian", "guardian": None}),
    "on-its-way": ("sending", MINOR, VICTIM),
}


def migrate(engine: sa.Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        config = alembic_config(connection)
        (command.downgrade if down else command.upgrade)(config, revision)


def seeded(tmp_path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0009")
    with engine.begin() as connection:
        for rid, (status, shares, consent) in ROWS.items():
            connection.execute(
                sa.text(
                    "INSERT INTO referrals (id, unit, status, shares, consent, idempotency_key,"
                    " proposed_by, proposed_at, consented_at) VALUES (:id, 'oost-brabant',"
                    " :status, :shares, :consent, :key, 'staff-1', :at, :consented)"
                ),
                {
                    "id": rid,
                    "status": status,
                    "shares": json.dumps(shares),
                    "consent": None if consent is None else json.dumps(consent),
                    "key": f"key-{rid}",
                    "at": AT,
                    "consented": None if consent is None else AT,
                },
            )
        connection.execute(
            sa.text(
                "INSERT INTO referral_outbox (referral_id, body, attempts, next_attempt_at,"
                " created_at) VALUES ('on-its-way', '{}', 1, :at, :at)"
            ),
            {"at": AT},
        )
    return engine


def state(engine: sa.Engine) -> dict[str, tuple[str, Any, bool]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, status, consent, consented_at FROM referrals")
        )
        return {
            rid: (status, None if consent is None else json.loads(consent), at is not None)
            for rid, status, consent, at in rows
        }


def test_referrals_waiting_on_a_guardian_proceed_with_the_visitors_own_consent(
    tmp_path: Path,
) -> None:
    engine = seeded(tmp_path)

    migrate(engine, "0010")

    found = state(engine)
    assert found["waits-on-guardian"] == ("consented", VICTIM, True)  # ready to send
    assert found["guardian-recorded"] == ("consented", VICTIM, True)
    assert found["adult-consented"] == ("consented", VICTIM, True)
    # A parent answered in her place: she is asked herself, her own answer is what counts.
    assert found["parent-answered"] == ("proposed", None, False)
    assert found["not-yet-answered"] == ("proposed", None, False)
    # What has gone out is history and stays as it was.
    assert found["already-sent"][0] == "sent"
    assert found["already-sent"][1]["party"] == "guardian"
    with engine.connect() as connection:
        urgent = connection.execute(
            sa.text("SELECT urgent FROM referral_outbox WHERE referral_id = 'on-its-way'")
        ).scalar_one()
    assert urgent in (1, True)


def test_the_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = seeded(tmp_path)
    migrate(engine, "0010")
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE referrals SET status = 'failed' WHERE id = 'on-its-way'")
        )

    migrate(engine, "0009", down=True)

    assert state(engine)["on-its-way"][0] == "sending"  # the old code retries it
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("referral_outbox")}
    assert "urgent" not in columns
    migrate(engine, "0010")
    assert state(engine)["waits-on-guardian"][0] == "consented"
