"""De-identified research tables: one row per unique visitor, or per conversation.

Columns follow the codebook edition: a single answer, yes/no, number or date is one
numeric column; a multi-select becomes one 0/1 indicator column per choice
(``exploitation_form_sexual``); free text is left out (it may identify someone).
Answers are stored as the codebook's numeric ``value``; dates as ``YYYYMM``.

Three declared missing codes, in every numeric column, never a valid answer:

* ``-1`` unknown / not discussed (the codebook's :data:`~triage.codebook.UNKNOWN_VALUE`);
* ``-2`` not applicable (the codebook's condition does not hold);
* ``-3`` suppressed for privacy (disclosure control).

An empty cell (system missing) means not coded at all. Ages are exact whole years;
``age_band`` is derived from them.

Nothing in a row identifies a visitor or points into the database: no username,
token, internal id or timestamp finer than the month. Persons are known by a random
research id (see :mod:`triage.research.store`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from triage.codebook import AGE_BANDS, UNKNOWN, UNKNOWN_VALUE, Edition, Variable, age_band
from triage.research.dataset.pipeline import NOT_APPLICABLE, PersonRecord, YearCount, settle

Level = Literal["person", "conversation"]
Language = Literal["nl", "en"]
Measure = Literal["nominal", "ordinal", "scale"]
#: A number, a research id, or ``None`` for not coded (system missing).
Cell = int | str | None
Row = dict[str, Cell]

UNKNOWN_CODE = UNKNOWN_VALUE
NOT_APPLICABLE_CODE = -2
SUPPRESSED_CODE = -3
MISSING_CODES = (UNKNOWN_CODE, NOT_APPLICABLE_CODE, SUPPRESSED_CODE)
#: SPSS limits a variable name to 64 bytes.
NAME_MAX_BYTES = 64
RESEARCH_ID = "research_id"


@dataclass(frozen=True)
class ValueLabel:
    value: int
    label_nl: str
    label_en: str

    def label(self, language: Language) -> str:
        return self.label_nl if language == "nl" else self.label_en


MISSING_LABELS = (
    ValueLabel(UNKNOWN_CODE, "Onbekend / niet besproken", "Unknown / not discussed"),
    ValueLabel(NOT_APPLICABLE_CODE, "Niet van toepassing", "Not applicable"),
    ValueLabel(SUPPRESSED_CODE, "Onderdrukt (privacy)", "Suppressed (privacy)"),
)
YES_NO = (ValueLabel(1, "Ja", "Yes"), ValueLabel(0, "Nee", "No"))


@dataclass(frozen=True)
class Column:
    name: str
    label_nl: str
    label_en: str
    #: ``string`` only for the research id; every other column is numeric.
    kind: Literal["numeric", "string"] = "numeric"
    #: Answer labels; the missing codes' labels are added to every numeric column.
    answers: tuple[ValueLabel, ...] = ()
    measure: Measure = "nominal"
    #: Other columns that give this one away (suppressed together with it).
    revealed_by: tuple[str, ...] = ()

    def label(self, language: Language) -> str:
        return self.label_nl if language == "nl" else self.label_en

    @property
    def value_labels(self) -> tuple[ValueLabel, ...]:
        return (*self.answers, *MISSING_LABELS) if self.kind == "numeric" else ()


@dataclass(frozen=True)
class Dataset:
    level: Level
    year: int
    edition_id: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: The column that says whose row it is: classes are counted in persons, not rows.
    person_column: str = RESEARCH_ID
    _by_name: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {column.name: column for column in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` if there is none."""
        return self._by_name[name]

    def with_rows(self, rows: Sequence[Row]) -> Dataset:
        return replace(self, rows=tuple(rows))


# -- building -----------------------------------------------------------------------------------


def person_dataset(year: YearCount, research_ids: Mapping[str, str]) -> Dataset:
    """One row per unique visitor; ``research_ids`` maps each person's key to its id."""
    columns = (
        Column(RESEARCH_ID, "Onderzoeksnummer", "Research id", kind="string"),
        *_first_contact_columns(year.edition),
        Column("conversations", "Aantal gesprekken", "Number of conversations", measure="scale"),
        _age_band_column(year.edition),
        *_variable_columns(year.edition),
    )
    rows = [
        {
            RESEARCH_ID: research_ids[person.key],
            **_first_contact_cells(year, person),
            "conversations": len(person.conversations),
            **_coded_cells(year.edition, person.values),
        }
        for person in year.persons
    ]
    return Dataset("person", year.counts.year, year.edition.id, columns, tuple(rows))


def conversation_dataset(year: YearCount, research_ids: Mapping[str, str]) -> Dataset:
    """One row per included conversation of the year's unique visitors, oldest first."""
    columns = (
        Column(RESEARCH_ID, "Onderzoeksnummer", "Research id", kind="string"),
        Column(
            "conversation_number",
            "Volgnummer gesprek van deze bezoeker",
            "This visitor's conversation number",
            measure="ordinal",
        ),
        Column(
            "conversation_month",
            "Maand van het gesprek (JJJJMM)",
            "Month of the conversation (YYYYMM)",
            measure="ordinal",
        ),
        *_first_contact_columns(year.edition, extra_revealers=("conversation_month",)),
        _age_band_column(year.edition),
        *_variable_columns(year.edition),
    )
    rows = [
        {
            RESEARCH_ID: research_ids[person.key],
            "conversation_number": number,
            "conversation_month": _month(year.local(conversation.started_at)),
            **_first_contact_cells(year, person),
            **_coded_cells(year.edition, settle(year.edition, conversation.values)),
        }
        for person in year.persons
        for number, conversation in enumerate(person.conversations, start=1)
    ]
    return Dataset("conversation", year.counts.year, year.edition.id, columns, tuple(rows))


def _first_contact_columns(
    edition: Edition, extra_revealers: tuple[str, ...] = ()
) -> tuple[Column, ...]:
    coded_date = ("first_conversation_date",) if edition.has("first_conversation_date") else ()
    quarters = tuple(ValueLabel(q, f"Kwartaal {q}", f"Quarter {q}") for q in range(1, 5))
    return (
        Column(
            "first_contact_month",
            "Maand van het eerste gesprek (JJJJMM)",
            "Month of the first conversation (YYYYMM)",
            measure="ordinal",
            revealed_by=(*coded_date, *extra_revealers),
        ),
        Column(
            "first_contact_quarter",
            "Kwartaal van het eerste gesprek",
            "Quarter of the first conversation",
            answers=quarters,
            measure="ordinal",
            revealed_by=("first_contact_month", *coded_date, *extra_revealers),
        ),
    )


def age_band_labels() -> tuple[ValueLabel, ...]:
    """The age bands' labels in band order, numbered from 1 (the yearly report shows them too)."""
    return tuple(
        ValueLabel(index, _band_label(band, "nl"), _band_label(band, "en"))
        for index, band in enumerate(AGE_BANDS, start=1)
    )


def _age_band_column(edition: Edition) -> Column:
    return Column(
        "age_band",
        "Leeftijdsgroep slachtoffer (afgeleid van de leeftijd)",
        "Victim's age band (derived from the age)",
        answers=age_band_labels(),
        measure="ordinal",
        revealed_by=("age",) if edition.has("age") else (),
    )


def _band_label(band: str, language: Language) -> str:
    if band == "minor":
        return "Minderjarig (jonger dan 18)" if language == "nl" else "Minor (under 18)"
    if band.endswith("+"):
        return f"{band[:-1]} jaar of ouder" if language == "nl" else f"{band[:-1]} or older"
    return f"{band} jaar" if language == "nl" else f"{band} years"


def _first_contact_cells(year: YearCount, person: PersonRecord) -> Row:
    first = year.local(person.first_contact)
    return {
        "first_contact_month": _month(first),
        "first_contact_quarter": (first.month - 1) // 3 + 1,
    }


def _age_band_cell(age: object) -> Cell:
    if isinstance(age, int) and not isinstance(age, bool):
        return AGE_BANDS.index(age_band(age)) + 1
    return _missing_cell(age)


def _month(moment: datetime) -> int:
    return moment.year * 100 + moment.month


def _variable_columns(edition: Edition) -> tuple[Column, ...]:
    columns = [column for variable in edition.variables for column in _columns_of(variable)]
    names = [column.name for column in columns]
    for name in names:
        if len(name.encode()) > NAME_MAX_BYTES:
            raise ValueError(f"column {name!r} is longer than SPSS allows")
    if len(set(names)) != len(names):
        raise ValueError("two codebook variables give the same column name")
    return tuple(columns)


def _columns_of(variable: Variable) -> Iterator[Column]:
    nl, en = variable.label_nl, variable.label_en
    match variable.kind:
        case "single":
            answers = tuple(
                ValueLabel(c.value, c.label_nl, c.label_en) for c in variable.categories
            )
            yield Column(variable.name, nl, en, answers=answers)
        case "boolean":
            yield Column(variable.name, nl, en, answers=YES_NO)
        case "integer":
            yield Column(variable.name, nl, en, measure="scale")
        case "date":
            yield Column(variable.name, f"{nl} (JJJJMM)", f"{en} (YYYYMM)", measure="ordinal")
        case "multi":
            for category in variable.categories:
                yield Column(
                    f"{variable.name}_{category.code}",
                    f"{nl}: {category.label_nl}"[:256],
                    f"{en}: {category.label_en}"[:256],
                    answers=YES_NO,
                )
        case "text":
            return


def _coded_cells(edition: Edition, values: Mapping[str, object]) -> Row:
    """A settled coding's cells: answers as numbers, missing states as their codes."""
    cells: Row = {"age_band": _age_band_cell(values.get("age"))}
    for variable in edition.variables:
        value = values.get(variable.name)
        for column, cell in _cells_of(variable, value):
            cells[column] = cell
    return cells


def _cells_of(variable: Variable, value: object) -> Iterator[tuple[str, Cell]]:
    name = variable.name
    if variable.kind == "multi":
        for category in variable.categories:
            column = f"{name}_{category.code}"
            yield (
                column,
                int(category.code in value) if isinstance(value, list) else _missing_cell(value),
            )
        return
    if value is None or value in (UNKNOWN, NOT_APPLICABLE):
        if variable.kind != "text":
            yield name, _missing_cell(value)
        return
    match variable.kind:
        case "single":
            assert isinstance(value, str)
            yield name, variable.category(value).value
        case "boolean":
            yield name, int(bool(value))
        case "integer":
            assert isinstance(value, int)
            yield name, value
        case "date":
            assert isinstance(value, str)
            yield name, int(value[:4]) * 100 + int(value[5:7])


def _missing_cell(value: object) -> Cell:
    if value == UNKNOWN:
        return UNKNOWN_CODE
    if value == NOT_APPLICABLE:
        return NOT_APPLICABLE_CODE
    return None
