"""The thin loader: the rows the counting pipeline needs, read in one transaction.

It reads the year's conversations and, for visitors linked to a person, every other
conversation of that person too, so that the pipeline can tell who first came into
view in the year.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from chatserver.store.schema import ConversationRow
from chatserver.store.transaction import transaction
from triage.codebook import Edition, current_edition
from triage.research.dataset.pipeline import (
    DEFAULT_TIMEZONE,
    ConversationRecord,
    YearCount,
    count_year,
)
from triage.schema import CodingRow, TriageStateRow


async def conversation_records(
    engine: AsyncEngine, year: int, edition_id: str, timezone: tzinfo = DEFAULT_TIMEZONE
) -> list[ConversationRecord]:
    """The year's conversations and every conversation of a person seen in the year."""
    start = datetime(year, 1, 1, tzinfo=timezone)
    end = datetime(year + 1, 1, 1, tzinfo=timezone)
    in_year = and_(ConversationRow.created_at >= start, ConversationRow.created_at < end)
    persons_in_year = (
        select(TriageStateRow.person_id)
        .join(ConversationRow, ConversationRow.id == TriageStateRow.conversation_id)
        .where(in_year, TriageStateRow.person_id.is_not(None))
    )
    query = (
        select(
            ConversationRow.id,
            ConversationRow.created_at,
            TriageStateRow.person_id,
            TriageStateRow.help_question,
            TriageStateRow.excluded_reason,
            CodingRow.values,
        )
        .select_from(ConversationRow)
        .outerjoin(TriageStateRow, TriageStateRow.conversation_id == ConversationRow.id)
        .outerjoin(
            CodingRow,
            and_(
                CodingRow.conversation_id == ConversationRow.id,
                CodingRow.edition_id == edition_id,
            ),
        )
        .where(or_(in_year, TriageStateRow.person_id.in_(persons_in_year)))
        .order_by(ConversationRow.created_at, ConversationRow.id)
    )
    async with transaction(async_sessionmaker(engine)) as session:
        rows = (await session.execute(query)).all()
    return [
        ConversationRecord(
            conversation_id=cid,
            started_at=started_at,
            person_id=person_id,
            help_question=help_question,
            excluded_reason=excluded_reason,
            values=dict(values or {}),
        )
        for cid, started_at, person_id, help_question, excluded_reason, values in rows
    ]


async def load_year(
    engine: AsyncEngine,
    year: int,
    *,
    edition: Edition | None = None,
    timezone: tzinfo = DEFAULT_TIMEZONE,
) -> YearCount:
    """Read the year's rows and run :func:`~triage.research.dataset.pipeline.count_year` on them."""
    edition = edition or current_edition()
    records = await conversation_records(engine, year, edition.id, timezone)
    return count_year(records, year, edition=edition, timezone=timezone)
