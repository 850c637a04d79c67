"""The thin loader: the rows the counting pipeline needs, read in one transaction.

It reads the year's conversations and, for visitors linked to a person, every other
conversation of that person too, so that the pipeline can tell who first came into
view in the year. A year is read under one codebook edition: the one most of its
codings use (so a year coded before ckm-2022b stays readable in the comparison), the
current one when none is coded or on a tie.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from chatserver.store.schema import ConversationRow
from chatserver.store.transaction import transaction
from triage.codebook import Edition, current_edition, load_editions
from triage.research.dataset.pipeline import (
    DEFAULT_TIMEZONE,
    ConversationRecord,
    YearCount,
    count_year,
)
from triage.schema import CodingRow, TriageStateRow


def _year_bounds(year: int, timezone: tzinfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=timezone), datetime(year + 1, 1, 1, tzinfo=timezone)


async def year_edition(
    engine: AsyncEngine, year: int, timezone: tzinfo = DEFAULT_TIMEZONE
) -> Edition:
    """The edition most of the year's codings are under; the current one if none or on a tie."""
    start, end = _year_bounds(year, timezone)
    query = (
        select(CodingRow.edition_id, func.count())
        .join(ConversationRow, ConversationRow.id == CodingRow.conversation_id)
        .where(ConversationRow.created_at >= start, ConversationRow.created_at < end)
        .group_by(CodingRow.edition_id)
    )
    async with transaction(async_sessionmaker(engine)) as session:
        rows = (await session.execute(query)).all()
    current, editions = current_edition(), load_editions()
    counts: dict[str, int] = {e: count for e, count in rows if e in editions}
    most = max(counts.values(), default=0)
    if counts.get(current.id, 0) == most:
        return current
    return editions[min(e for e, count in counts.items() if count == most)]


async def conversation_records(
    engine: AsyncEngine, year: int, edition_id: str, timezone: tzinfo = DEFAULT_TIMEZONE
) -> list[ConversationRecord]:
    """The year's conversations and every conversation of a person seen in the year."""
    start, end = _year_bounds(year, timezone)
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
    edition = edition or await year_edition(engine, year, timezone)
    records = await conversation_records(engine, year, edition.id, timezone)
    return count_year(records, year, edition=edition, timezone=timezone)
