"""Hand-made conversation records, as the research loader reads them from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from triage.research.dataset.pipeline import ConversationRecord

_ids = count(1)


def conversation(
    when: str,
    *,
    person: str | None = None,
    help_question: bool | None = True,
    excluded: str | None = None,
    **values: Any,
) -> ConversationRecord:
    """A conversation started at ``when`` (UTC), coded with ``values``; a new id each time."""
    return ConversationRecord(
        conversation_id=f"c{next(_ids)}",
        started_at=datetime.fromisoformat(when).replace(tzinfo=UTC),
        person_id=person,
        help_question=help_question,
        excluded_reason=excluded,
        values=values,
    )
