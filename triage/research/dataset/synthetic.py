"""Synthetic coded conversations for demos and tests; never real people.

:func:`plan` draws a year deterministically from a seed: visitors with one to three
conversations under different usernames (linked into one person when there are
several), help-question flags, exclusions with reasons, codings under the current
edition with realistic shares and plenty of ``unknown``, a few short transcripts.
A few visitors of the year before come back in the year, so the pipeline's "first
came into view" rule has something to leave out. :func:`write` stores a plan through
the ORM in one transaction, on SQLite or PostgreSQL alike.

Each visitor has one *truth* (a full coding); each conversation reveals part of it
and says ``unknown`` or nothing about the rest, so merging a person's conversations
has something to do. Every coding passes the codebook's own validation.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chatserver.domain.pseudonyms import ADJECTIVES, NOUNS
from chatserver.domain.records import VISITOR, Event, Kind, Status, staff_author
from chatserver.domain.roles import Role
from chatserver.errors import Conflict
from chatserver.store.schema import ConversationRow, MessageRow, StaffRow
from chatserver.store.transaction import transaction
from triage.codebook import UNKNOWN, CodingErrors, Edition, Variable, current_edition
from triage.codebook.validate import applicable_variables, validate_values
from triage.schema import CodingRow, PersonRow, TriageStateRow

#: Share of extra visitors, from the year before, who come back in the year.
RETURNING_SHARE = 0.05
#: How many conversations a visitor has, and how often.
CONVERSATIONS_PER_VISITOR = {1: 70, 2: 22, 3: 8}
HELP_QUESTION: dict[bool | None, int] = {True: 85, False: 10, None: 5}
EXCLUDED_SHARE = 0.08
EXCLUSION_REASONS = {
    "other_sexual_violence": 40,
    "sextortion_without_exploitation": 25,
    "financial_or_extortion": 15,
    "sex_worker_work_question": 10,
    "other": 10,
}
#: Share of help-question conversations with no coding at all (yet).
UNCODED_SHARE = 0.05
TRANSCRIPT_SHARE = 0.3
TRANSCRIPT_RETENTION = timedelta(days=90)

#: How likely a conversation reveals a variable; the rest is ``unknown`` or not filled in.
REVEAL = {
    "chatter_background": 0.95,
    "channel": 0.98,
    "chat_language": 0.97,
    "gender": 0.75,
    "exploitation_form": 0.85,
    "age": 0.6,
    "first_conversation_date": 0.5,
}
DEFAULT_REVEAL = 0.45
#: Of what is not revealed: ``unknown`` this often, else left empty.
UNKNOWN_SHARE = 0.8

#: Realistic shares for single answers (codes the edition lacks are skipped); other
#: variables draw uniformly.
SINGLE_WEIGHTS: dict[str, dict[str, int]] = {
    "chatter_background": {
        "victim": 55,
        "social_environment": 14,
        "family": 10,
        "ex_partner": 6,
        "client": 7,
        "other": 8,
    },
    "channel": {"direct": 85, "partner_platform": 15},
    "chat_language": {"nl": 88, "en": 9, "other": 3},
    "gender": {"female": 72, "male": 24, "neutral": 4},
    "acutely_unsafe": {"yes": 45, "no": 55},
    "first_disclosure": {"yes": 60, "no": 40},
    # yes/no in ckm-2022, presence (mentioned / not mentioned) from ckm-2022b
    "multiple_perpetrators": {"yes": 40, "no": 60, "mentioned": 30, "not_mentioned": 70},
    "other_victims_known": {"yes": 30, "no": 70, "mentioned": 15, "not_mentioned": 85},
    "coercion_mentioned": {"mentioned": 65, "not_mentioned": 35},
    "clients_discussed": {"mentioned": 60, "not_mentioned": 40},
    "client_knowledge": {"knew": 25, "should_have_known": 5, "did_not_know": 70},
    "meeting_channel": {"offline": 45, "online": 55},
    "perpetrator_main": {"ex_partner": 60, "family": 22, "social_environment": 15, "stranger": 3},
}
#: Realistic shares for the combinations of a multi-select.
MULTI_WEIGHTS: dict[str, dict[tuple[str, ...], int]] = {
    "exploitation_form": {
        ("sexual",): 62,
        ("criminal",): 16,
        ("sexual", "criminal"): 9,
        ("labour",): 6,
        ("sexual", "labour"): 3,
        ("criminal", "labour"): 2,
        ("sexual", "criminal", "labour"): 2,
    },
}
#: Victims' ages: (share, youngest, oldest); roughly half are minors.
AGES = ((45, 12, 17), (30, 18, 24), (20, 25, 45), (5, 46, 70))

COUNSELLOR_NAME = "Synthetische hulpverlener"
LINES = (
    (VISITOR, "Hoi, ik weet niet goed hoe ik dit moet vertellen."),
    ("staff", "Fijn dat je er bent. Neem de tijd, ik lees mee."),
    (VISITOR, "Iemand dwingt mij dingen te doen die ik niet wil."),
    ("staff", "Dat klinkt heftig. Ben je nu op een veilige plek?"),
)
T = TypeVar("T")
SYNTHETIC_COUNSELLORS = ("synthetic-counsellor-1", "synthetic-counsellor-2")


@dataclass(frozen=True)
class PlannedConversation:
    id: str
    pseudonym: str
    started_at: datetime
    counsellor: str
    help_question: bool | None
    excluded_reason: str | None
    #: The coding under the plan's edition; empty when not coded.
    values: Mapping[str, object]
    #: ``(author, text)``: ``visitor`` or ``staff``; empty when the transcript was deleted.
    messages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PlannedVisitor:
    #: The person the conversations are linked into; ``None`` for a single conversation.
    person_id: str | None
    conversations: tuple[PlannedConversation, ...]
    #: First came into view the year before: not one of the year's visitors.
    returning: bool


@dataclass(frozen=True)
class Plan:
    year: int
    seed: int
    edition_id: str
    visitors: tuple[PlannedVisitor, ...]

    @property
    def conversations(self) -> tuple[PlannedConversation, ...]:
        return tuple(c for visitor in self.visitors for c in visitor.conversations)


def plan(year: int, visitors: int, seed: int, edition: Edition | None = None) -> Plan:
    """``visitors`` new visitors of ``year`` (plus a few returning ones); same seed, same plan."""
    if visitors < 0:
        raise ValueError("the number of visitors cannot be negative")
    edition = edition or current_edition()
    draw = _Draw(random.Random(f"{seed}:{year}:{edition.id}"), edition, year)  # noqa: S311
    new = [draw.visitor(returning=False) for _ in range(visitors)]
    returning = [draw.visitor(returning=True) for _ in range(round(visitors * RETURNING_SHARE))]
    return Plan(year, seed, edition.id, tuple(new + returning))


async def write(engine: AsyncEngine, planned: Plan) -> None:
    """Store the plan in one transaction; a plan written before is refused, nothing changes."""
    async with transaction(async_sessionmaker(engine)) as session:
        conversations = planned.conversations
        ids = [c.id for c in conversations]
        if ids and await session.scalar(
            select(ConversationRow.id).where(ConversationRow.id == ids[0])
        ):
            raise Conflict(f"year {planned.year} with seed {planned.seed} is already there")
        staff = {
            username: await _counsellor(session, username) for username in SYNTHETIC_COUNSELLORS
        }
        coder = staff[SYNTHETIC_COUNSELLORS[0]]
        session.add_all(
            PersonRow(id=v.person_id, created_at=v.conversations[0].started_at)
            for v in planned.visitors
            if v.person_id
        )
        session.add_all(_conversation_row(c, staff[c.counsellor]) for c in conversations)
        await session.flush()
        for visitor in planned.visitors:
            for c in visitor.conversations:
                session.add_all(_message_rows(c, staff[c.counsellor]))
                session.add(
                    TriageStateRow(
                        conversation_id=c.id,
                        help_question=c.help_question,
                        excluded_reason=c.excluded_reason,
                        exclusion_note=None,
                        person_id=visitor.person_id,
                        updated_at=_ended_at(c),
                    )
                )
                if c.values:
                    session.add(
                        CodingRow(
                            conversation_id=c.id,
                            edition_id=planned.edition_id,
                            values=dict(c.values),
                            updated_at=_ended_at(c),
                            updated_by=coder,
                        )
                    )


async def synthesize(engine: AsyncEngine, year: int, visitors: int, seed: int) -> Plan:
    """Plan and write a year; the plan says what was created (tests compute from it)."""
    planned = plan(year, visitors, seed)
    await write(engine, planned)
    return planned


# -- drawing ------------------------------------------------------------------------------------


class _Draw:
    def __init__(self, rng: random.Random, edition: Edition, year: int) -> None:
        self.rng = rng
        self.edition = edition
        self.year = year

    def weighted(self, weights: Mapping[T, int]) -> T:
        choices = list(weights)
        return self.rng.choices(choices, weights=[weights[c] for c in choices])[0]

    def id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def pseudonym(self) -> str:
        rng = self.rng
        return f"{rng.choice(ADJECTIVES)}{rng.choice(NOUNS)}{rng.randint(100, 999)}"

    def visitor(self, *, returning: bool) -> PlannedVisitor:
        count = 2 if returning else self.weighted(CONVERSATIONS_PER_VISITOR)
        start = self.moment(self.year - 1 if returning else self.year, late=returning)
        moments = [start]
        for _ in range(count - 1):
            later = moments[-1] + timedelta(
                days=self.rng.randint(1, 60), minutes=self.rng.randint(0, 600)
            )
            moments.append(min(later, datetime(self.year, 12, 31, 22, 0, tzinfo=UTC)))
        truth = self.truth(start)
        conversations = tuple(self.conversation(moment, truth) for moment in moments)
        person_id = self.id() if count > 1 else None
        return PlannedVisitor(person_id, conversations, returning)

    def moment(self, year: int, *, late: bool) -> datetime:
        first = date(year, 10, 1) if late else date(year, 1, 1)
        days = (date(year, 12, 31) - first).days
        day = first + timedelta(days=self.rng.randint(0, days))
        hour = self.weighted({10: 1, 14: 2, 19: 3, 21: 3})
        return datetime(day.year, day.month, day.day, hour, self.rng.randint(0, 59), tzinfo=UTC)

    def conversation(self, moment: datetime, truth: Mapping[str, object]) -> PlannedConversation:
        help_question = self.weighted(HELP_QUESTION)
        excluded = None
        if help_question and self.rng.random() < EXCLUDED_SHARE:
            excluded = self.weighted(EXCLUSION_REASONS)
        values: Mapping[str, object] = {}
        if help_question and self.rng.random() >= UNCODED_SHARE:
            values = self.reveal(truth)
        messages = LINES[: self.rng.randint(2, 4)] if self.rng.random() < TRANSCRIPT_SHARE else ()
        return PlannedConversation(
            id=self.id(),
            pseudonym=self.pseudonym(),
            started_at=moment,
            counsellor=self.rng.choice(SYNTHETIC_COUNSELLORS),
            help_question=help_question,
            excluded_reason=excluded,
            values=values,
            messages=messages,
        )

    def truth(self, first: datetime) -> dict[str, object]:
        """A full coding for one visitor, variable by variable in edition order."""
        values: dict[str, object] = {}
        for variable in self.edition.variables:
            if variable.name in applicable_variables(self.edition, values):
                value = self.value(variable, values, first)
                if value is not None:
                    values[variable.name] = value
        return _valid(self.edition, values)

    def value(self, variable: Variable, values: Mapping[str, object], first: datetime) -> object:
        name = variable.name
        if variable.choices_from is not None:
            chosen = values.get(variable.choices_from)
            return self.rng.choice(chosen) if isinstance(chosen, list) else None
        match variable.kind:
            case "single":
                weights = SINGLE_WEIGHTS.get(name, {})
                known = {code: weights[code] for code in variable.codes if code in weights}
                return self.weighted(known or dict.fromkeys(variable.codes, 1))
            case "multi":
                if name in MULTI_WEIGHTS:
                    combination: tuple[str, ...] = self.weighted(MULTI_WEIGHTS[name])
                    return list(combination)
                size = min(len(variable.codes), self.weighted({1: 6, 2: 3, 3: 1}))
                return [c for c in variable.codes if c in self.rng.sample(variable.codes, size)]
            case "integer":
                if name == "age":
                    _, youngest, oldest = self.weighted({band: band[0] for band in AGES})
                    return self.rng.randint(youngest, oldest)
                assert variable.minimum is not None
                assert variable.maximum is not None
                return self.rng.randint(variable.minimum, variable.maximum)
            case "date":
                if name == "first_conversation_date":
                    return first.date().isoformat()
                earlier = first - timedelta(days=self.rng.randint(30, 900))
                return f"{earlier.year:04d}-{earlier.month:02d}"
            case "boolean":
                return self.rng.random() < 0.5
        return None  # free text is never made up

    def reveal(self, truth: Mapping[str, object]) -> dict[str, object]:
        """What one conversation tells of the truth: some of it, ``unknown``, or nothing."""
        values: dict[str, object] = {}
        for name in self.edition.names:
            if self.rng.random() < REVEAL.get(name, DEFAULT_REVEAL) and name in truth:
                value = truth[name]
                if isinstance(value, list) and len(value) > 1 and self.rng.random() < 0.3:
                    value = [c for c in value if self.rng.random() < 0.6] or value[:1]
                values[name] = value
            elif self.rng.random() < UNKNOWN_SHARE:
                values[name] = UNKNOWN
        return _valid(self.edition, values)


def _valid(edition: Edition, values: dict[str, object]) -> dict[str, object]:
    """Drop what the codebook refuses (e.g. a detail whose gate was not revealed) until valid."""
    while True:
        try:
            return validate_values(edition, values)
        except CodingErrors as errors:
            values = {k: v for k, v in values.items() if k not in {e.field for e in errors.errors}}


# -- rows ---------------------------------------------------------------------------------------


async def _counsellor(session: AsyncSession, username: str) -> str:
    """The synthetic counsellor's id; an inactive account no password matches."""
    found = await session.scalar(select(StaffRow.id).where(StaffRow.username == username))
    if found is not None:
        return found
    staff_id = f"{random.Random(username).getrandbits(128):032x}"  # noqa: S311
    session.add(
        StaffRow(
            id=staff_id,
            username=username,
            display_name=COUNSELLOR_NAME,
            role=Role.COUNSELLOR,
            password_hash="!",  # noqa: S106  (matches no password: nobody logs in)
            active=False,
            created_at=datetime(2000, 1, 1, tzinfo=UTC),
        )
    )
    await session.flush()
    return staff_id


def _ended_at(c: PlannedConversation) -> datetime:
    return c.started_at + timedelta(minutes=45)


def _conversation_row(c: PlannedConversation, counsellor_id: str) -> ConversationRow:
    ended = _ended_at(c)
    return ConversationRow(
        id=c.id,
        pseudonym=c.pseudonym,
        resume_token_hash=None,
        status=Status.ENDED,
        counsellor_id=counsellor_id,
        last_seq=len(c.messages) + 2 if c.messages else 0,
        visitor_age=None,
        visitor_gender=None,
        created_at=c.started_at,
        queued_at=c.started_at,
        assigned_at=c.started_at + timedelta(minutes=3),
        ended_at=ended,
        transcript_deleted_at=None if c.messages else ended + TRANSCRIPT_RETENTION,
    )


def _message_rows(c: PlannedConversation, counsellor_id: str) -> list[MessageRow]:
    """The counsellor joins, the lines are said, the counsellor ends the chat."""
    if not c.messages:
        return []
    counsellor = staff_author(counsellor_id)
    said = [
        (Kind.TEXT, counsellor if author == "staff" else VISITOR, text)
        for author, text in c.messages
    ]
    lines = [
        (Kind.EVENT, counsellor, Event.COUNSELLOR_JOINED.value),
        *said,
        (Kind.EVENT, counsellor, Event.ENDED_BY_COUNSELLOR.value),
    ]
    return [
        MessageRow(
            conversation_id=c.id,
            seq=seq,
            kind=kind,
            author=author,
            author_name=COUNSELLOR_NAME if author == counsellor else c.pseudonym,
            client_msg_id=f"synthetic-{seq}" if kind is Kind.TEXT else None,
            body=text,
            created_at=c.started_at + timedelta(minutes=2 + seq),
        )
        for seq, (kind, author, text) in enumerate(lines, start=1)
    ]
