"""Disclosure control: k-anonymity for exports, small cells for published tables.

**k-anonymity.** Every combination of quasi-identifier values (age band, gender,
first-contact quarter, channel, language by default; ``RESEARCH_QUASI_IDENTIFIERS``)
must be shared by at least ``k`` persons (``RESEARCH_K``). Classes are counted in
persons, so a visitor with three conversations is one, not three. A missing value
(unknown, not applicable, suppressed, not coded) is a value of its own, which errs on
the safe side; a row whose quasi-identifiers are all missing says nothing about who
it is and always passes.

Two modes:

* ``refuse``: nothing is released; :class:`KAnonymityRefused` names the combinations;
* ``suppress``: in rows of too small classes, quasi-identifier values are replaced by
  the declared missing code ``-3`` (suppressed), one quasi-identifier per round,
  starting with the one that has the most distinct values, until every class is
  large enough. Columns that give a suppressed value away are suppressed with it
  (the exact age with the age band, the month with the quarter).

**Small cells.** :func:`protect_counts` hides counts under ``RESEARCH_SMALL_CELL``
(but above zero) in a published table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from chatserver.errors import Conflict, InvalidInput
from triage.research.dataset.rows import SUPPRESSED_CODE, Cell, Dataset, Row

Mode = Literal["suppress", "refuse"]
MODES: tuple[Mode, ...] = ("suppress", "refuse")
#: Named in a refusal at most; the count of the rest is given.
MAX_NAMED = 20

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Combination:
    """Quasi-identifier values shared by fewer than ``k`` persons."""

    values: tuple[tuple[str, Cell], ...]
    persons: int
    #: The values as read: ``gender=2 (Male)``, ``age_band=not coded``.
    shown: tuple[str, ...] = ()

    def describe(self) -> str:
        people = "person" if self.persons == 1 else "persons"
        return f"{', '.join(self.shown)} ({self.persons} {people})"


class KAnonymityRefused(Conflict):
    """The export would hold combinations of quasi-identifiers shared by fewer than k."""

    code = "k_anonymity"

    def __init__(self, k: int, combinations: Sequence[Combination]) -> None:
        self.k = k
        self.combinations = tuple(combinations)
        named = "; ".join(c.describe() for c in self.combinations[:MAX_NAMED])
        more = len(self.combinations) - MAX_NAMED
        rest = f"; and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(self.combinations)} combinations of quasi-identifiers are shared by fewer "
            f"than {k} persons: {named}{rest}. Export with suppression, or ask for fewer "
            "quasi-identifiers."
        )

    def details(self) -> list[dict[str, str]]:
        return [
            {"field": "combination", "reason": c.describe()} for c in self.combinations[:MAX_NAMED]
        ]


@dataclass(frozen=True)
class DisclosureReport:
    """What the check found and did; for the export log (no person's data)."""

    k: int
    quasi_identifiers: tuple[str, ...]
    mode: Mode
    #: Combinations too small before suppression.
    combinations: int
    #: Suppressed cells per column (quasi-identifiers and what gives them away).
    suppressed: Mapping[str, int]
    rows_with_suppression: int


def require_columns(dataset: Dataset, quasi_identifiers: Sequence[str]) -> None:
    """Every quasi-identifier must be a numeric column of the dataset."""
    for name in quasi_identifiers:
        if name not in dataset.names or dataset.column(name).kind != "numeric":
            raise InvalidInput(
                f"quasi-identifier {name!r} is not a column of the {dataset.level} dataset",
                field="quasi_identifiers",
            )


def small_classes(
    dataset: Dataset, quasi_identifiers: Sequence[str], k: int
) -> tuple[Combination, ...]:
    """The combinations shared by fewer than ``k`` persons, smallest first."""
    require_columns(dataset, quasi_identifiers)
    persons = _class_persons(dataset, dataset.rows, quasi_identifiers)
    small = [
        Combination(
            tuple(zip(quasi_identifiers, key, strict=True)),
            len(members),
            tuple(_show(dataset, n, cell) for n, cell in zip(quasi_identifiers, key, strict=True)),
        )
        for key, members in persons.items()
        if len(members) < k and not _all_missing(key)
    ]
    return tuple(sorted(small, key=lambda c: (c.persons, repr(c.values))))


def enforce_k_anonymity(
    dataset: Dataset, quasi_identifiers: Sequence[str], k: int, mode: Mode
) -> tuple[Dataset, DisclosureReport]:
    """The dataset made safe to release (``suppress``), or :class:`KAnonymityRefused`."""
    small = small_classes(dataset, quasi_identifiers, k)
    if small and mode == "refuse":
        raise KAnonymityRefused(k, small)
    rows = [dict(row) for row in dataset.rows]
    suppressed: dict[str, int] = defaultdict(int)
    touched: set[int] = set()
    order = _suppression_order(dataset, quasi_identifiers)
    while offending := _offending_rows(dataset, rows, quasi_identifiers, k):
        for index in offending:
            row = rows[index]
            name = next(n for n in order if not _missing(row[n]))
            for column in (name, *dataset.column(name).revealed_by):
                if column in row and not _missing(row[column]):
                    row[column] = SUPPRESSED_CODE
                    suppressed[column] += 1
            touched.add(index)
    report = DisclosureReport(
        k=k,
        quasi_identifiers=tuple(quasi_identifiers),
        mode=mode,
        combinations=len(small),
        suppressed=dict(sorted(suppressed.items())),
        rows_with_suppression=len(touched),
    )
    return dataset.with_rows(rows), report


def is_small(count: int, threshold: int) -> bool:
    """A published count that could point at a few people: above zero, under the threshold."""
    return 0 < count < threshold


def protect_counts(counts: Mapping[K, int], threshold: int) -> dict[K, int | None]:
    """The table's counts with small cells replaced by ``None`` (show them as "< threshold")."""
    return {key: None if is_small(n, threshold) else n for key, n in counts.items()}


# -- helpers ------------------------------------------------------------------------------------


def _show(dataset: Dataset, name: str, cell: Cell) -> str:
    if cell is None:
        return f"{name}=not coded"
    labels = {label.value: label.label_en for label in dataset.column(name).value_labels}
    return f"{name}={cell} ({labels[cell]})" if cell in labels else f"{name}={cell}"


def _missing(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, int) and cell < 0)


def _all_missing(key: tuple[Cell, ...]) -> bool:
    return all(_missing(cell) for cell in key)


def _class_persons(
    dataset: Dataset, rows: Sequence[Row], quasi_identifiers: Sequence[str]
) -> dict[tuple[Cell, ...], set[Cell]]:
    persons: dict[tuple[Cell, ...], set[Cell]] = defaultdict(set)
    for row in rows:
        persons[tuple(row[name] for name in quasi_identifiers)].add(row[dataset.person_column])
    return persons


def _offending_rows(
    dataset: Dataset, rows: Sequence[Row], quasi_identifiers: Sequence[str], k: int
) -> list[int]:
    persons = _class_persons(dataset, rows, quasi_identifiers)
    return [
        index
        for index, row in enumerate(rows)
        if len(persons[key := tuple(row[name] for name in quasi_identifiers)]) < k
        and not _all_missing(key)
    ]


def _suppression_order(dataset: Dataset, quasi_identifiers: Sequence[str]) -> list[str]:
    """Most distinct values first: suppressing those merges the most classes."""
    distinct = {
        name: len({row[name] for row in dataset.rows if not _missing(row[name])})
        for name in quasi_identifiers
    }
    return sorted(quasi_identifiers, key=lambda name: -distinct[name])
