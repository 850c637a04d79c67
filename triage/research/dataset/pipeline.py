"""The yearly counting pipeline: from coded conversations to unique visitors.

The steps (``shared/domain/research-report.md``), as :func:`count_year` applies them:

1. **Conversations**: those held in the year (local time), marked as having a
   trafficking help question, of visitors who *first came into view* in the year:
   a visitor's first conversation is the earliest of all conversations linked to
   the same person (any year, help question or not), or the conversation itself
   when it is linked to nobody.
2. **Duplicates linked**: conversations of one person count once; ``persons``.
3. **Excluded**: conversations excluded on review are removed, counted by reason;
   a person all of whose conversations are excluded drops out (counted by the
   reason of their earliest excluded conversation).
4. **Unique visitors**: the persons left.

One merged record per unique visitor comes out too (:func:`merge_values`):

* single answers, numbers, dates and yes/no: the value from the **earliest
  conversation where it is known** (not missing, not ``unknown``);
* multi-selects: the **union** of the choices over every conversation where the
  variable is known, in codebook order;
* otherwise ``unknown`` if any conversation said so, else not coded (no key);
* finally the codebook's conditions are judged on the merged values and every
  variable whose condition does not hold becomes :data:`NOT_APPLICABLE` (so the
  merged record obeys the same rules as one coding).

Only codings under one edition (the current by default) are read; a conversation
coded under another edition only counts as not coded. Everything here is pure, over
:class:`ConversationRecord` values; :mod:`triage.research.dataset.loader` reads them from the
database (``await load_year(engine, year)``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from triage.codebook import UNKNOWN, Edition, applicable_variables, current_edition

#: The merged or settled value of a variable whose codebook condition does not hold.
#: Never a category code (codes have no spaces), so it cannot be mistaken for an answer.
NOT_APPLICABLE = "not applicable"

#: Months and years are counted in the helpline's local time.
DEFAULT_TIMEZONE = ZoneInfo("Europe/Amsterdam")

Values = Mapping[str, object]


@dataclass(frozen=True)
class ConversationRecord:
    """What the pipeline needs of one conversation; no transcript, no pseudonym."""

    conversation_id: str
    started_at: datetime
    person_id: str | None
    help_question: bool | None
    excluded_reason: str | None
    #: The coding under the pipeline's edition; empty when not coded.
    values: Values = field(default_factory=dict)

    @property
    def visitor_key(self) -> str:
        """The person, or the conversation itself when it is linked to nobody."""
        return self.person_id or f"conversation:{self.conversation_id}"


@dataclass(frozen=True)
class PipelineCounts:
    """Conversations → duplicates linked → excluded → unique visitors."""

    year: int
    conversations: int
    persons: int
    excluded_conversations: int
    excluded_conversations_by_reason: Mapping[str, int]
    excluded_persons: int
    excluded_persons_by_reason: Mapping[str, int]
    unique_visitors: int

    @property
    def duplicates(self) -> int:
        """Conversations that were a known visitor's second or later one."""
        return self.conversations - self.persons


@dataclass(frozen=True)
class PersonRecord:
    """One unique visitor of the year, merged over their included conversations."""

    #: Internal (person id or ``conversation:<id>``); never exported.
    key: str
    #: The visitor's first conversation (local time): the cohort and first-contact month.
    first_contact: datetime
    #: Included conversations of the year, oldest first.
    conversations: tuple[ConversationRecord, ...]
    #: Merged and settled values (see the module docstring).
    values: Values


@dataclass(frozen=True)
class YearCount:
    counts: PipelineCounts
    persons: tuple[PersonRecord, ...]
    edition: Edition
    timezone: tzinfo
    #: Every conversation of step 1, before duplicates and exclusions (CKM's channel split).
    conversations: tuple[ConversationRecord, ...] = ()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)


# -- the pipeline -------------------------------------------------------------------------------


def count_year(
    records: Iterable[ConversationRecord],
    year: int,
    *,
    edition: Edition | None = None,
    timezone: tzinfo = DEFAULT_TIMEZONE,
) -> YearCount:
    """Apply the counting rules to the conversations (see the module docstring)."""
    edition = edition or current_edition()
    by_visitor: dict[str, list[ConversationRecord]] = defaultdict(list)
    for record in records:
        by_visitor[record.visitor_key].append(record)

    start: dict[str, list[ConversationRecord]] = {}
    first_seen: dict[str, datetime] = {}
    for key, conversations in by_visitor.items():
        conversations.sort(key=lambda r: (r.started_at, r.conversation_id))
        first = conversations[0].started_at.astimezone(timezone)
        if first.year != year:
            continue
        counted = [
            r
            for r in conversations
            if r.help_question is True and r.started_at.astimezone(timezone).year == year
        ]
        if counted:
            start[key], first_seen[key] = counted, first

    excluded = [r for conversations in start.values() for r in conversations if r.excluded_reason]
    persons: list[PersonRecord] = []
    dropped_reasons: Counter[str] = Counter()
    for key, conversations in sorted(
        start.items(), key=lambda item: (first_seen[item[0]], item[0])
    ):
        included = tuple(r for r in conversations if not r.excluded_reason)
        if not included:
            reason = conversations[0].excluded_reason
            assert reason is not None
            dropped_reasons[reason] += 1
            continue
        values = merge_values(edition, [r.values for r in included])
        persons.append(PersonRecord(key, first_seen[key], included, values))

    counts = PipelineCounts(
        year=year,
        conversations=sum(len(conversations) for conversations in start.values()),
        persons=len(start),
        excluded_conversations=len(excluded),
        excluded_conversations_by_reason=_sorted_counts(
            Counter(r.excluded_reason for r in excluded if r.excluded_reason)
        ),
        excluded_persons=sum(dropped_reasons.values()),
        excluded_persons_by_reason=_sorted_counts(dropped_reasons),
        unique_visitors=len(persons),
    )
    step_one = tuple(r for conversations in start.values() for r in conversations)
    return YearCount(counts, tuple(persons), edition, timezone, step_one)


def merge_values(edition: Edition, codings: Sequence[Values]) -> dict[str, object]:
    """One person's values from their codings, oldest first (the rule in the module docstring)."""
    merged: dict[str, object] = {}
    for variable in edition.variables:
        name = variable.name
        given = [values[name] for values in codings if values.get(name) is not None]
        known = [value for value in given if value != UNKNOWN]
        if variable.kind == "multi" and known:
            chosen = {code for value in known if isinstance(value, list) for code in value}
            merged[name] = [code for code in variable.codes if code in chosen]
        elif known:
            merged[name] = known[0]
        elif given:
            merged[name] = UNKNOWN
    return settle(edition, merged)


def settle(edition: Edition, values: Values) -> dict[str, object]:
    """The values with :data:`NOT_APPLICABLE` for each variable whose condition does not hold.

    A condition is judged on known values only: an ``unknown`` gate does not open an
    ``in`` condition (the codebook's own rule for the coding form).
    """
    plain = {name: value for name, value in values.items() if value != NOT_APPLICABLE}
    applicable = set(applicable_variables(edition, plain))
    settled: dict[str, object] = {}
    for name in edition.names:
        if name not in applicable:
            settled[name] = NOT_APPLICABLE
        elif name in plain:
            settled[name] = plain[name]
    return settled


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))
