"""The yearly report's tables, from a counted year and the years before it (pure).

Which tables, and over whom (``shared/domain/research-report.md``; docs/research.md
lists them): every table counts the year's **unique visitors** (one merged record per
person, :mod:`triage.research.dataset.pipeline`) except the channel split, which counts their
**conversations**. Percentages are over the cases where the variable is known, unless a
group's denominator says otherwise (the first disclosure among the acutely unsafe is
over all of them; "at least one coercion means" is over all unique visitors). Victim
variables count for every visitor who coded them, whoever was typing; variables that
apply to victim-chatters or clients only are counted over those.

The figures here are exact; :mod:`triage.research.report.small_cells` decides what of them may
be published. Age bounds are made here, so that they are never an exact age.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations

from triage.codebook import AGE_BANDS, UNKNOWN, Edition, age_band
from triage.research.dataset.pipeline import (
    NOT_APPLICABLE,
    ConversationRecord,
    PersonRecord,
    YearCount,
)
from triage.research.dataset.rows import age_band_labels
from triage.research.report.tables import (
    Category,
    Direction,
    Group,
    Row,
    Sum,
    Table,
    Text,
    categories_of,
    choices,
    partition,
)
from triage.research.report.texts import (
    CHAPTER_NOTE,
    CHAPTER_NOTE_ALONE,
    CHAPTER_VISITORS,
    CHAPTER_VISITORS_ALONE,
    GROUPS,
    NOTES,
    PART_OF,
    ROWS,
    TITLES,
    UNITS,
    age_note,
    chapter_age,
    form_alone,
    form_combination,
    form_total,
)

#: An age table with fewer victims than this (or the small-cell threshold) shows no bounds.
BOUND_PERSONS = 2
#: The fixed ages a bound may name, as CKM publishes them ("younger than 12", "older than 65").
#: A bound is the nearest of these beyond the youngest (oldest) age, so it never is an exact
#: age and needs nobody else beyond it: one 70-year-old still reads "older than 65".
AGE_BOUNDS = (12, 14, 16, 18, 21, 25, 30, 40, 50, 65)
MINOR, FOURTEEN, FIFTEEN, TWENTY_FIVE = 18, 14, 15, 25
#: Durations of more than 2 years (``several_years`` is "more than 2, exact unknown").
OVER_TWO_YEARS = ("years_2_to_5", "over_5_years", "several_years")
PARENTS = ("father_stepfather", "mother", "both_parents")
#: The client analysis' "very young": 13 or younger.
VERY_YOUNG = 13

Persons = Sequence[PersonRecord]


def yearly_tables(
    year: YearCount, earlier: Sequence[YearCount] = (), *, small_cell: int
) -> tuple[Table, ...]:
    """Every table of the report, part by part; ``earlier`` years for the comparison."""
    report = _Report(year, max(small_cell, BOUND_PERSONS))
    return (
        report.pipeline(),
        report.channel(),
        report.forms(),
        report.background(),
        report.gender(),
        report.age(),
        report.age_bands(),
        report.referral_source(),
        report.chat_language(),
        report.first_contact_month(),
        report.first_disclosure(),
        report.told_before(),
        report.acutely_unsafe(),
        report.duration(),
        report.time_since(),
        report.perpetrator_relation(),
        report.perpetrator_relation_by_form(),
        report.meeting(),
        report.perpetrators_and_victims(),
        report.coercion(),
        *report.chapters(),
        comparison([*earlier, year]),
    )


# -- reading merged values ----------------------------------------------------------------------


def answer(person: PersonRecord, name: str) -> str | None:
    """A known single answer; ``None`` when unknown, not applicable or not coded."""
    value = person.values.get(name)
    return value if isinstance(value, str) and value not in (UNKNOWN, NOT_APPLICABLE) else None


def chosen(person: PersonRecord, name: str) -> list[str] | None:
    """A known multi-select; ``None`` when unknown, not applicable or not coded."""
    value = person.values.get(name)
    return [str(code) for code in value] if isinstance(value, list) else None


def age(person: PersonRecord) -> int | None:
    value = person.values.get("age")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def form_key(person: PersonRecord) -> str | None:
    """The combination of forms of exploitation, e.g. ``sexual+criminal``."""
    forms = chosen(person, "exploitation_form")
    return "+".join(forms) if forms else None


def form_combinations(edition: Edition) -> tuple[Category, ...]:
    """Every combination of forms: each form alone, then the pairs, then all three, ..."""
    forms = edition.variable("exploitation_form").categories
    found: list[Category] = []
    for size in range(1, len(forms) + 1):
        for combination in combinations(forms, size):
            labels = [(form.label_nl, form.label_en) for form in combination]
            text = form_alone(*labels[0]) if size == 1 else form_combination(labels)
            found.append(("+".join(form.code for form in combination), text))
    return tuple(found)


def has(person: PersonRecord, name: str, code: str) -> bool | None:
    """Whether the known answer to ``name`` is, or includes, ``code``; ``None``: not known."""
    several, one = chosen(person, name), answer(person, name)
    if several is not None:
        return code in several
    return None if one is None else one == code


def _with(persons: Persons, name: str, code: str) -> list[PersonRecord]:
    return [person for person in persons if has(person, name, code)]


def _at_most(value: int | None, bound: int) -> bool:
    return value is not None and value <= bound


def younger_than(ages: Sequence[int]) -> int | None:
    """The smallest of :data:`AGE_BOUNDS` above the youngest age; ``None``: none is."""
    return next((bound for bound in AGE_BOUNDS if ages and bound > min(ages)), None)


def older_than(ages: Sequence[int]) -> int | None:
    """The largest of :data:`AGE_BOUNDS` below the oldest age; ``None``: none is."""
    return next((bound for bound in reversed(AGE_BOUNDS) if ages and bound < max(ages)), None)


# -- the tables of one year ---------------------------------------------------------------------


class _Report:
    def __init__(self, year: YearCount, bound_persons: int) -> None:
        self.year = year
        self.edition = year.edition
        self.persons = year.persons
        self.bound_persons = bound_persons
        self.combinations = form_combinations(year.edition)
        #: ckm-2022b codes one main relation; ckm-2022 a multi-select of relations.
        self.relation = next(
            name for name in ("perpetrator_main", "perpetrator_relation") if self.edition.has(name)
        )

    def present(self, name: str) -> str:
        """The code for "yes" of a yes/no or presence (mentioned / not mentioned) variable."""
        return "mentioned" if "mentioned" in self.edition.variable(name).codes else "yes"

    def table(self, key: str, *groups: Group, unit: str = "visitors") -> Table:
        return Table(key, TITLES[key], UNITS[unit], groups, NOTES.get(key), part=PART_OF[key])

    def group(
        self,
        where: tuple[str, str],
        name: str,
        persons: Persons,
        *,
        key: str | None = None,
        label: Text | None = None,
        derived: Sequence[Sum] = (),
        denominator: Text | None = None,
    ) -> Group:
        """The ``persons``' known answers to ``name``, as the codebook asks them: a partition
        by the one answer, or for a multi-select each choice over those who chose something."""
        text, denominator = GROUPS[where] if denominator is None else (label, denominator)
        assert text is not None
        variable = self.edition.variable(name)
        heading = (key or where[1], label or text, denominator, categories_of(variable))
        if variable.kind == "multi":
            return choices(*heading, [chosen(person, name) for person in persons], derived=derived)
        return partition(*heading, [answer(person, name) for person in persons], derived=derived)

    def per_form(self, table: str, name: str) -> list[Group]:
        """One group per combination of forms of exploitation."""
        return [
            self.group(
                (table, "per_form"),
                name,
                [p for p in self.persons if form_key(p) == key],
                key=key,
                label=text,
            )
            for key, text in self.combinations
        ]

    def pipeline(self) -> Table:
        counts = self.year.counts
        totals = {
            "conversations": counts.conversations,
            "duplicates": counts.duplicates,
            "persons": counts.persons,
            "excluded_conversations": counts.excluded_conversations,
            "excluded_persons": counts.excluded_persons,
            "unique_visitors": counts.unique_visitors,
        }
        label, denominator = GROUPS["pipeline", "steps"]
        steps = Group(
            "steps",
            label,
            denominator,
            None,
            None,
            tuple(
                Row(key, ROWS["pipeline", key], count=count, protected=False)
                for key, count in totals.items()
            ),
        )
        reasons = tuple(
            (reason.code, Text(reason.label_nl, reason.label_en))
            for reason in self.edition.exclusion_reasons
        )

        def excluded(key: str, by_reason: dict[str, int]) -> Group:
            answers = [reason for reason, count in by_reason.items() for _ in range(count)]
            return partition(key, *GROUPS["pipeline", key], reasons, answers)

        return self.table(
            "pipeline",
            steps,
            excluded("excluded_conversations", dict(counts.excluded_conversations_by_reason)),
            excluded("excluded_persons", dict(counts.excluded_persons_by_reason)),
            unit="pipeline",
        )

    def channel(self) -> Table:
        """Over every conversation of step 1 (before duplicates and exclusions), as CKM
        publishes it; the same split over unique visitors beside it."""
        conversations = self.year.conversations
        via_partner = [c for c in conversations if c.values.get("channel") == "partner_platform"]

        def group(key: str, name: str, of: Sequence[ConversationRecord]) -> Group:
            values = [c.values.get(name) for c in of]
            return partition(
                key,
                *GROUPS["channel", key],
                categories_of(self.edition.variable(name)),
                [v if isinstance(v, str) and v != UNKNOWN else None for v in values],
            )

        return self.table(
            "channel",
            group("conversations", "channel", conversations),
            group("partner_platforms", "partner_platform", via_partner),
            self.group(("channel", "visitors"), "channel", self.persons),
            unit="conversations",
        )

    def forms(self) -> Table:
        totals = [
            Sum(
                f"any_{form.code}",
                form_total(form.label_nl, form.label_en),
                tuple(key for key, _ in self.combinations if form.code in key.split("+")),
            )
            for form in self.edition.variable("exploitation_form").categories
        ]
        label, denominator = GROUPS["exploitation_form", "all"]
        several = [p for p in self.persons if len(chosen(p, "exploitation_form") or ()) > 1]
        return self.table(
            "exploitation_form",
            partition(
                "all",
                label,
                denominator,
                self.combinations,
                [form_key(person) for person in self.persons],
                derived=totals,
            ),
            self.group(("exploitation_form", "first_concern"), "first_concern", several),
        )

    def background(self) -> Table:
        return self.table(
            "chatter_background",
            self.group(("chatter_background", "all"), "chatter_background", self.persons),
        )

    def gender(self) -> Table:
        return self.table(
            "gender",
            self.group(("gender", "all"), "gender", self.persons),
            *self.per_form("gender", "gender"),
        )

    def age(self) -> Table:
        ages = sorted(a for person in self.persons if (a := age(person)) is not None)
        minors = [a for a in ages if a < MINOR]
        everyone = self.age_group("all", GROUPS["age", "all"], self.persons)

        def statistic(
            key: str, of: Sequence[int], compute: Callable[[Sequence[int]], float]
        ) -> Row:
            value = round(float(compute(of)), 1) if of else None
            return Row(key, ROWS["age", key], kind="number", value=value)

        minor_victims = Group(
            "minors",
            *GROUPS["age", "minors"],
            len(minors),
            len(minors),
            (
                statistic("mean", minors, statistics.fmean),
                statistic("median", minors, statistics.median),
            ),
        )
        return replace(
            self.table("age", everyone, minor_victims), note=age_note(self.bound_persons)
        )

    def age_group(self, key: str, texts: tuple[Text, Text], persons: Persons) -> Group:
        """Bounds, mean, median and the shares by age of ``persons`` whose age is known."""
        ages = sorted(a for person in persons if (a := age(person)) is not None)
        minors = [a for a in ages if a < MINOR]
        enough = len(ages) >= self.bound_persons

        def share(key: str, count: int) -> Row:
            return Row(key, ROWS["age", key], count=count, n=len(ages), n_all=len(persons))

        def bound(key: str, value: int | None, direction: Direction) -> Row:
            if not enough or value is None:
                return Row(key, ROWS["age", key], kind="bound", flag="suppressed")
            return Row(key, ROWS["age", key], kind="bound", value=value, direction=direction)

        def statistic(
            key: str, of: Sequence[int], compute: Callable[[Sequence[int]], float]
        ) -> Row:
            value = round(float(compute(of)), 1) if of else None
            return Row(key, ROWS["age", key], kind="number", value=value)

        return Group(
            key,
            *texts,
            len(ages),
            len(persons),
            (
                bound("youngest", younger_than(ages), "<"),
                bound("oldest", older_than(ages), ">"),
                statistic("mean", ages, statistics.fmean),
                statistic("median", ages, statistics.median),
                share("minors", len(minors)),
                share("15_or_younger", sum(a <= FIFTEEN for a in ages)),
                share("under_25", sum(a < TWENTY_FIVE for a in ages)),
            ),
        )

    def age_bands(self) -> Table:
        bands = tuple(
            (band, Text(label.label_nl, label.label_en))
            for band, label in zip(AGE_BANDS, age_band_labels(), strict=True)
        )
        ages = [age(person) for person in self.persons]
        return self.table(
            "age_bands",
            partition(
                "all",
                *GROUPS["age_bands", "all"],
                bands,
                [None if a is None else age_band(a) for a in ages],
            ),
        )

    def victim_chatters(self) -> list[PersonRecord]:
        return _with(self.persons, "chatter_background", "victim")

    def first_disclosure(self) -> Table:
        unsafe = _with(self.victim_chatters(), "acutely_unsafe", "yes")
        categories = categories_of(self.edition.variable("first_disclosure"))
        return self.table(
            "first_disclosure",
            self.group(
                ("first_disclosure", "victim_chatters"), "first_disclosure", self.victim_chatters()
            ),
            partition(
                "acutely_unsafe",
                *GROUPS["first_disclosure", "acutely_unsafe"],
                (*categories, ("unknown", ROWS["first_disclosure", "unknown"])),
                [answer(person, "first_disclosure") or "unknown" for person in unsafe],
            ),
        )

    def told_before(self) -> Table:
        told = _with(self.victim_chatters(), "first_disclosure", "no")
        return self.table(
            "told_before", self.group(("told_before", "victim_chatters"), "told_before", told)
        )

    def acutely_unsafe(self) -> Table:
        return self.table(
            "acutely_unsafe",
            self.group(("acutely_unsafe", "all"), "acutely_unsafe", self.persons),
            self.group(
                ("acutely_unsafe", "victim_chatters"), "acutely_unsafe", self.victim_chatters()
            ),
        )

    def first_contact_month(self) -> Table:
        """CKM's Fig 1: unique visitors by the month (local time) of their first conversation."""
        table = "first_contact_month"
        months = tuple((f"{m:02d}", ROWS[table, f"{m:02d}"]) for m in range(1, 13))
        answers = [f"{self.year.local(p.first_contact).month:02d}" for p in self.persons]
        return self.table(table, partition("all", *GROUPS[table, "all"], months, answers))

    def chapters(self) -> tuple[Table, ...]:
        """A chapter per form of exploitation (CKM's §3.1, §3.2): its visitors with the form in
        any combination, then those with this form alone (CKM reads some figures so), then the
        tables of that form only (the clients of sexual exploitation, the criminal acts)."""
        own = {"sexual": (self.client_knowledge,), "criminal": (self.criminal_acts,)}
        return tuple(
            table
            for form in self.edition.variable("exploitation_form").categories
            for table in (
                self.chapter(form.code, form.label_nl, form.label_en, alone=False),
                self.chapter(form.code, form.label_nl, form.label_en, alone=True),
                *(make() for make in own.get(form.code, ())),
            )
        )

    def chapter(self, form: str, label_nl: str, label_en: str, *, alone: bool) -> Table:
        title = form_alone(label_nl, label_en) if alone else form_total(label_nl, label_en)
        if alone:
            persons = [p for p in self.persons if form_key(p) == form]
            label_nl, label_en = (
                form_alone(label_nl, label_en).nl,
                form_alone(label_nl, label_en).en,
            )
        else:
            persons = _with(self.persons, "exploitation_form", form)
        victims = _with(persons, "chatter_background", "victim")

        def over(name: str, of: Persons = persons, **extra: Sequence[Sum]) -> Group:
            variable = self.edition.variable(name)
            whom = "slachtoffer-chatters" if of is victims else "unieke bezoekers"
            whom_en = "victim-chatters" if of is victims else "unique visitors"
            return self.group(
                ("chapter", name),
                name,
                of,
                key=f"{name}_victim_chatters" if of is victims else name,
                label=Text(
                    f"{variable.label_nl} ({whom})" if of is victims else variable.label_nl,
                    f"{variable.label_en} ({whom_en})" if of is victims else variable.label_en,
                ),
                denominator=Text(
                    f"{whom} ({label_nl.lower()}) van wie dit bekend is",
                    f"{whom_en} ({label_en.lower()}) for whom this is known",
                ),
                derived=extra.get("derived", ()),
            )

        visitors = Group(
            "visitors",
            *(CHAPTER_VISITORS_ALONE if alone else CHAPTER_VISITORS),
            len(persons),
            len(persons),
            (
                Row("visitors", ROWS["chapter", "visitors"], count=len(persons)),
                Row("victim_chatters", ROWS["chapter", "victim_chatters"], count=len(victims)),
            ),
        )
        groups = [
            visitors,
            over("gender"),
            self.age_group("age", chapter_age(label_nl, label_en), persons),
            over("acutely_unsafe"),
            over("acutely_unsafe", victims),
            over("duration", derived=self.longer()),
            over("time_since_start", derived=self.longer()),
            over(self.relation),
            over(
                "perpetrator_family",
                _with(persons, self.relation, "family"),
                derived=(Sum("parents", ROWS["perpetrator_relation", "parents"], PARENTS),),
            ),
            over("perpetrator_social", _with(persons, self.relation, "social_environment")),
            over("multiple_perpetrators"),
            over("other_victims_known"),
            self.both(persons),
        ]
        if form == "criminal":
            groups.append(over("criminal_acts"))
        return Table(
            f"chapter_{form}_alone" if alone else f"chapter_{form}",
            title,
            UNITS["visitors"],
            tuple(groups),
            CHAPTER_NOTE_ALONE if alone else CHAPTER_NOTE,
            part=f"form_{form}",
        )

    def referral_source(self) -> Table:
        table = "referral_source"
        care = tuple(
            code
            for code in ("care_services", "care_professional", "kindertelefoon", "care_unspecified")
            if code in self.edition.variable(table).codes
        )
        return self.table(
            table,
            self.group(
                (table, "all"),
                table,
                self.persons,
                derived=(Sum("care", ROWS[table, "care"], care),),
            ),
        )

    def chat_language(self) -> Table:
        table = "chat_language"
        return self.table(table, self.group((table, "all"), table, self.persons))

    def duration(self) -> Table:
        return self.table(
            "duration",
            self.group(("duration", "all"), "duration", self.persons, derived=self.longer()),
        )

    def time_since(self) -> Table:
        """CKM's Fig 9: how long ago the exploitation started, and ended."""
        table = "time_since"
        return self.table(
            table,
            self.group((table, "start"), "time_since_start", self.persons, derived=self.longer()),
            self.group((table, "end"), "time_since_end", self.persons),
        )

    def longer(self) -> tuple[Sum, ...]:
        """More than 1, 2 and 5 years ("several years" is more than 2, not more than 5)."""

        def longer(key: str, atoms: tuple[str, ...]) -> Sum:
            return Sum(key, ROWS["duration", key], atoms)

        return (
            longer("more_than_1_year", ("years_1_to_2", *OVER_TWO_YEARS)),
            longer("more_than_2_years", OVER_TWO_YEARS),
            longer("more_than_5_years", ("over_5_years",)),
        )

    def perpetrator_relation(self) -> Table:
        table = "perpetrator_relation"
        return self.table(
            table,
            self.group((table, "all"), self.relation, self.persons),
            self.group(
                (table, "family"),
                "perpetrator_family",
                _with(self.persons, self.relation, "family"),
                derived=(Sum("parents", ROWS[table, "parents"], PARENTS),),
            ),
            self.group(
                (table, "social_environment"),
                "perpetrator_social",
                _with(self.persons, self.relation, "social_environment"),
            ),
        )

    def perpetrator_relation_by_form(self) -> Table:
        table = "perpetrator_relation_by_form"
        return self.table(table, *self.per_form(table, self.relation))

    def meeting(self) -> Table:
        applicable = [p for p in self.persons if p.values.get("meeting_channel") != NOT_APPLICABLE]
        return self.table(
            "meeting",
            self.group(("meeting", "channel"), "meeting_channel", applicable),
            self.group(
                ("meeting", "platforms"),
                "meeting_platforms",
                _with(self.persons, "meeting_channel", "online"),
            ),
        )

    def perpetrators_and_victims(self) -> Table:
        table = "perpetrators_and_victims"
        return self.table(
            table,
            self.group((table, "multiple_perpetrators"), "multiple_perpetrators", self.persons),
            self.group((table, "other_victims_known"), "other_victims_known", self.persons),
            self.both(self.persons),
        )

    def both(self, persons: Persons) -> Group:
        """Multiple perpetrators and other victims known, both, over those with both known."""
        table = "perpetrators_and_victims"
        names = ("multiple_perpetrators", "other_victims_known")
        yes = tuple(self.present(name) for name in names)

        def both(person: PersonRecord) -> str | None:
            answers = tuple(answer(person, name) for name in names)
            if None in answers:
                return None
            return "both" if answers == yes else "not_both"

        return partition(
            "both",
            *GROUPS[table, "both"],
            tuple((key, ROWS[table, key]) for key in ("both", "not_both")),
            [both(person) for person in persons],
        )

    def coercion(self) -> Table:
        table = "coercion_means"
        mentioned = [p for p in self.persons if chosen(p, table) is not None]
        if self.edition.has("coercion_mentioned"):
            mentioned = _with(self.persons, "coercion_mentioned", "mentioned")
        everyone = len(self.persons)
        at_least_one = Group(
            "at_least_one",
            *GROUPS[table, "at_least_one"],
            everyone,
            everyone,
            (Row("at_least_one", ROWS[table, "at_least_one"], count=len(mentioned), n=everyone),),
        )
        means = self.edition.variable(table).codes
        return self.table(
            table,
            at_least_one,
            self.group(
                (table, "means"),
                table,
                mentioned,
                derived=(Sum("mentions", ROWS[table, "mentions"], means, share=False),),
            ),
            self.group((table, "violence"), "violence_forms", _with(mentioned, table, "violence")),
            self.living_in(_with(mentioned, table, "living_in")),
        )

    def living_in(self, living_in: Persons) -> Group:
        """Of those living in with the perpetrator: the children exploited by their parents."""
        table = "coercion_means"

        def parents(person: PersonRecord) -> bool | None:
            family = has(person, self.relation, "family")
            if not family:
                return family
            sub = answer(person, "perpetrator_family")
            return None if sub is None else sub in PARENTS

        answers = [parents(person) for person in living_in]
        known = [a for a in answers if a is not None]
        row = Row(
            "parents",
            ROWS[table, "living_in_parents"],
            count=sum(known),
            n=len(known),
            n_all=len(answers),
        )
        return Group("living_in", *GROUPS[table, "living_in"], len(known), len(answers), (row,))

    def criminal_acts(self) -> Table:
        criminal = _with(self.persons, "exploitation_form", "criminal")
        return self.table(
            "criminal_acts",
            self.group(("criminal_acts", "criminal_exploitation"), "criminal_acts", criminal),
        )

    def client_knowledge(self) -> Table:
        table = "client_knowledge"
        knew = "yes"
        if self.edition.has("clients_discussed"):
            # ckm-2022b: wherever clients are discussed; "should have known" is never summed
            # with "knew" (CKM left those out of its count of clients who knew).
            clients = _with(self.persons, "clients_discussed", "mentioned")
            derived: tuple[Sum, ...] = ()
            knew = "knew"
        else:
            clients = _with(self.persons, "chatter_background", "client")
            derived = (
                Sum(
                    "knew_or_should_have_known",
                    ROWS[table, "knew_or_should_have_known"],
                    ("yes", "should_have_known"),
                ),
            )
        return self.table(
            table,
            self.group((table, "knowledge"), table, clients, derived=derived),
            self.group((table, "indicators"), "client_indicators", clients),
            self.client_analysis(_with(clients, table, knew)),
            self.should_have_known(_with(clients, table, "should_have_known")),
        )

    def should_have_known(self, persons: Persons) -> Group:
        """Kept apart from "knew": how many, and how young (CKM: 8, of whom 7 minors)."""
        table, ages = "client_knowledge", [age(p) for p in persons]
        known = [a for a in ages if a is not None]
        rows = (
            Row("should_have_known", ROWS[table, "should_have_known"], count=len(persons)),
            Row("minors", ROWS[table, "minors"], count=sum(a < MINOR for a in known), n=len(known)),
            Row(
                "14_or_younger",
                ROWS[table, "14_or_younger"],
                count=sum(a <= FOURTEEN for a in known),
                n=len(known),
            ),
        )
        return Group(
            "should_have_known", *GROUPS[table, "should_have_known"], len(known), len(persons), rows
        )

    def client_analysis(self, clients: Persons) -> Group:
        """CKM's client figures, each over the conversations showing that clients knew."""
        table, n = "client_knowledge", len(clients)

        def indicators(person: PersonRecord) -> int:
            return len(
                [c for c in chosen(person, "client_indicators") or () if c != "none_mentioned"]
            )

        durations = [answer(p, "duration") for p in clients]
        known = [d for d in durations if d is not None]
        counts: dict[str, tuple[int, int | None]] = {
            "knew": (n, None),
            **{
                code: (len(_with(clients, "client_indicators", code)), n)
                for code in self.edition.variable("client_indicators").codes
                if code != "none_mentioned"
            },
            "two_or_more_indicators": (sum(indicators(p) >= 2 for p in clients), n),
            "very_young": (sum(_at_most(age(p), VERY_YOUNG) for p in clients), n),
            "duration_known": (len(known), n),
            "duration_more_than_1_year": (
                sum(d in ("years_1_to_2", *OVER_TWO_YEARS) for d in known),
                len(known),
            ),
        }
        if self.edition.has("trafficker_present_parents"):
            present = _with(clients, "client_indicators", "trafficker_present")
            counts["trafficker_present_parents"] = (
                len(_with(present, "trafficker_present_parents", "yes")),
                len(present),
            )
        labels = dict(categories_of(self.edition.variable("client_indicators")))
        rows = tuple(
            Row(key, labels.get(key) or ROWS[table, key], count=count, n=over)
            for key, (count, over) in counts.items()
        )
        return Group("analysis", *GROUPS[table, "analysis"], n, n, rows)


# -- comparison with earlier years --------------------------------------------------------------


def comparison(years: Sequence[YearCount]) -> Table:
    """Key figures per year, oldest first; each share over that year's known cases."""
    return Table(
        "comparison",
        TITLES["comparison"],
        UNITS["visitors"],
        tuple(_year_figures(year) for year in years),
        NOTES["comparison"],
        chart="years",
        part=PART_OF["comparison"],
    )


def _year_figures(year: YearCount) -> Group:
    persons, counts = year.persons, year.counts

    def share(key: str, label: Text, answers: Sequence[bool | None]) -> Row:
        known = [a for a in answers if a is not None]
        return Row(key, label, count=sum(known), n=len(known))

    def total(key: str, count: int) -> Row:
        return Row(key, ROWS["comparison", key], count=count, protected=False)

    def is_minor(person: PersonRecord) -> bool | None:
        years = age(person)
        return None if years is None else years < MINOR

    def statistic(key: str, compute: Callable[[Sequence[int]], float]) -> Row:
        ages = [a for person in persons if (a := age(person)) is not None]
        value = round(float(compute(ages)), 1) if ages else None
        return Row(f"{key}_age", ROWS["age", key], kind="number", value=value)

    victims = _with(persons, "chatter_background", "victim")
    disclosed = _with(victims, "first_disclosure", "yes")

    forms = year.edition.variable("exploitation_form").categories
    _, denominator = GROUPS["comparison", "per_year"]
    label = Text(str(counts.year), str(counts.year))
    return Group(
        str(counts.year),
        label,
        denominator,
        counts.unique_visitors,
        counts.unique_visitors,
        (
            total("conversations", counts.conversations),
            total("unique_visitors", counts.unique_visitors),
            share(
                "victim_chatters",
                ROWS["comparison", "victim_chatters"],
                [has(p, "chatter_background", "victim") for p in persons],
            ),
            statistic("mean", statistics.fmean),
            statistic("median", statistics.median),
            share("minors", ROWS["comparison", "minors"], [is_minor(p) for p in persons]),
            share(
                "first_disclosures",
                ROWS["comparison", "first_disclosures"],
                [has(p, "first_disclosure", "yes") for p in victims],
            ),
            share(
                "first_disclosures_acutely_unsafe",
                ROWS["comparison", "first_disclosures_acutely_unsafe"],
                [has(p, "acutely_unsafe", "yes") for p in disclosed],
            ),
            share("male", ROWS["comparison", "male"], [has(p, "gender", "male") for p in persons]),
            share(
                "male_sexual",
                ROWS["comparison", "male_sexual"],
                [has(p, "gender", "male") for p in _with(persons, "exploitation_form", "sexual")],
            ),
            share(
                "acutely_unsafe",
                ROWS["comparison", "acutely_unsafe"],
                [has(p, "acutely_unsafe", "yes") for p in persons],
            ),
            *(
                share(
                    f"any_{form.code}",
                    form_total(form.label_nl, form.label_en),
                    [has(p, "exploitation_form", form.code) for p in persons],
                )
                for form in forms
            ),
        ),
    )
