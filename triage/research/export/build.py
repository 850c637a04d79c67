"""What an export asks for, and making its file from a counted year (pure).

:class:`ExportOptions` are checked here, for the HTTP API and the command line alike;
:func:`make_file` turns a counted year and research ids into the dataset, applies
disclosure control and renders the file, and says what it did (for the export log).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.errors import InvalidInput
from triage.codebook import Edition
from triage.research.dataset.pipeline import YearCount, count_year
from triage.research.dataset.rows import (
    Dataset,
    Language,
    Level,
    conversation_dataset,
    person_dataset,
)
from triage.research.export.disclosure import Mode, enforce_k_anonymity, require_columns
from triage.research.export.formats import MEDIA_TYPES, Format, file_name, render
from triage.research.store import ExportFile

OPTION_FIELDS = ("year", "level", "format", "language", "k_anonymity")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class ExportOptions:
    year: int
    level: Level
    format: Format
    language: Language = "nl"
    #: What to do with combinations of quasi-identifiers shared by fewer than k persons.
    k_anonymity: Mode = "refuse"

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Disclosure:
    k: int
    quasi_identifiers: tuple[str, ...]


def parse_options(body: Mapping[str, object], *, this_year: int) -> ExportOptions:
    """Checked options, or :class:`InvalidInput` naming the first wrong field."""
    refuse_unknown_fields(body, OPTION_FIELDS)
    year = body.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= this_year:
        raise InvalidInput(f"'year' must be a year from {FIRST_YEAR} to {this_year}", field="year")
    return ExportOptions(
        year=year,
        level=choice(body, "level", Level, None),
        format=choice(body, "format", Format, None),
        language=choice(body, "language", Language, "nl"),
        k_anonymity=choice(body, "k_anonymity", Mode, "refuse"),
    )


def choice(body: Mapping[str, object], name: str, kind: Any, default: str | None) -> Any:
    """The field, one of the values of the Literal type ``kind``; :class:`InvalidInput` if not."""
    allowed: tuple[str, ...] = get_args(kind)
    value = body.get(name, default)
    if value not in allowed:
        raise InvalidInput(f"'{name}' must be one of {', '.join(allowed)}", field=name)
    return value


def check_quasi_identifiers(edition: Edition, quasi_identifiers: Sequence[str]) -> None:
    """Every quasi-identifier is a column of both datasets (checked once, at start-up)."""
    empty = count_year([], FIRST_YEAR, edition=edition)
    for dataset in (person_dataset(empty, {}), conversation_dataset(empty, {})):
        require_columns(dataset, quasi_identifiers)


def make_file(
    year: YearCount,
    research_ids: Mapping[str, str],
    options: ExportOptions,
    disclosure: Disclosure,
) -> tuple[ExportFile, dict[str, Any]]:
    """The export's file and its summary; :class:`KAnonymityRefused` when refusing."""
    dataset = _dataset(year, research_ids, options.level)
    safe, report = enforce_k_anonymity(
        dataset, disclosure.quasi_identifiers, disclosure.k, options.k_anonymity
    )
    content = render(safe, options.format, options.language)
    summary = {
        "edition": year.edition.id,
        "pipeline": {
            **dataclasses.asdict(year.counts),
            "duplicates": year.counts.duplicates,
        },
        "rows": len(safe.rows),
        "columns": len(safe.columns),
        "disclosure": dataclasses.asdict(report),
    }
    file = ExportFile(content, file_name(safe, options.format), MEDIA_TYPES[options.format])
    return file, summary


def _dataset(year: YearCount, research_ids: Mapping[str, str], level: Level) -> Dataset:
    if level == "person":
        return person_dataset(year, research_ids)
    return conversation_dataset(year, research_ids)
