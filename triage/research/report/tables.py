"""Report tables: figures with their denominators, in both languages (pure).

A :class:`Table` has one or more :class:`Group` s (the whole year, one form of
exploitation, one earlier year, ...). A group says in words who its percentages are
over (``denominator``) and how many that is (``n``), next to how many were in scope
(``population``, known or not). Its :class:`Row` s are:

* **count**: how many cases have the category; the percentage is over the row's
  ``n`` (``None`` for a total shown without a percentage), the known cases; where some
  cases are unknown, ``n_all`` counts them too, for the share as CKM publishes some
  figures (over all cases, e.g. 134 of 199 victims still in exploitation);
* **derived** counts (``atoms`` set): the sum of other count rows of the group, such
  as "more than 2 years" or "parents";
* **number**: a statistic (mean, median) over the group's ``n`` cases;
* **bound**: an age bound ("younger than 12"), never an exact age.

In a **partition** group every case has exactly one of the atoms, so the atoms add
up to ``n``; disclosure control (:mod:`triage.research.report.small_cells`) relies on that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from triage.codebook import Variable
from triage.research.dataset.rows import Language

RowKind = Literal["count", "number", "bound"]
#: ``suppressed``: the figure is hidden; ``small``: shown, but a small cell (flag mode).
Flag = Literal["", "suppressed", "small"]
#: ``groups``: a table per group; ``years``: one table, a column per group (year).
Chart = Literal["groups", "years"]
Direction = Literal["<", ">"]


@dataclass(frozen=True)
class Text:
    nl: str
    en: str

    def __call__(self, language: Language) -> str:
        return self.nl if language == "nl" else self.en


@dataclass(frozen=True)
class Row:
    key: str
    label: Text
    kind: RowKind = "count"
    #: Count rows: how many; ``None`` once suppressed.
    count: int | None = None
    #: Count rows: the percentage's denominator; ``None`` for a total without percentage.
    n: int | None = None
    #: Count rows: every case in scope, unknown included; ``None`` when that is not a count.
    n_all: int | None = None
    #: Number rows: the statistic; bound rows: the bound in years.
    value: float | None = None
    #: Bound rows: ``<`` (the youngest is younger than) or ``>`` (the oldest is older than).
    direction: Direction | None = None
    #: Derived rows: the keys of the rows this one adds up.
    atoms: tuple[str, ...] = ()
    #: ``False`` only for pipeline totals, which describe the process, not people.
    protected: bool = True
    flag: Flag = ""

    @property
    def percent(self) -> float | None:
        if self.kind != "count" or self.count is None or not self.n:
            return None
        return round(100 * self.count / self.n, 1)

    @property
    def percent_all(self) -> float | None:
        """The share over every case in scope, unknown included."""
        if self.kind != "count" or self.count is None or not self.n_all:
            return None
        return round(100 * self.count / self.n_all, 1)

    @property
    def derived(self) -> bool:
        return bool(self.atoms)


@dataclass(frozen=True)
class Group:
    key: str
    label: Text
    #: Who the percentages are over, in words.
    denominator: Text
    #: How many that is; ``None`` once suppressed.
    n: int | None
    #: How many cases were in scope, known or not (``None`` when it is not a count of cases).
    population: int | None
    rows: tuple[Row, ...]
    partition: bool = False
    flag: Flag = ""

    def row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)


@dataclass(frozen=True)
class Table:
    key: str
    title: Text
    #: What is counted: unique visitors, or conversations.
    unit: Text
    groups: tuple[Group, ...]
    note: Text | None = None
    chart: Chart = "groups"
    #: The part of the report the table belongs to (:data:`~triage.research.report.texts.PARTS`).
    part: str = ""

    def group(self, key: str) -> Group:
        return next(group for group in self.groups if group.key == key)


# -- building groups ----------------------------------------------------------------------------

#: A category of a group: its key and label.
Category = tuple[str, Text]


@dataclass(frozen=True)
class Sum:
    """A derived row for a group builder: the total of ``atoms``; ``share``: with a percentage."""

    key: str
    label: Text
    atoms: tuple[str, ...]
    share: bool = True


def categories_of(variable: Variable) -> tuple[Category, ...]:
    return tuple((c.code, Text(c.label_nl, c.label_en)) for c in variable.categories)


def partition(
    key: str,
    label: Text,
    denominator: Text,
    categories: Sequence[Category],
    answers: Sequence[str | None],
    *,
    derived: Sequence[Sum] = (),
) -> Group:
    """One answer per case (``None``: not known); percentages over the known cases.

    One answer is a choice of exactly one, so its rows are those :func:`choices` counts.
    """
    one_each = [None if answer is None else (answer,) for answer in answers]
    group = choices(key, label, denominator, categories, one_each, derived=derived)
    return replace(group, partition=True)


def choices(
    key: str,
    label: Text,
    denominator: Text,
    categories: Sequence[Category],
    answers: Sequence[Iterable[str] | None],
    *,
    derived: Sequence[Sum] = (),
) -> Group:
    """Several answers per case (``None``: not known); each over the known cases."""
    known = [set(answer) for answer in answers if answer is not None]
    n, everyone = len(known), len(answers)
    rows = [
        Row(code, text, count=sum(code in answer for answer in known), n=n, n_all=everyone)
        for code, text in categories
    ]
    return Group(
        key,
        label,
        denominator,
        n,
        everyone,
        (*rows, *(_sum(row, rows, n, everyone) for row in derived)),
    )


def _sum(spec: Sum, rows: Sequence[Row], n: int, everyone: int) -> Row:
    counts = {row.key: row.count or 0 for row in rows}
    return Row(
        spec.key,
        spec.label,
        count=sum(counts[atom] for atom in spec.atoms),
        n=n if spec.share else None,
        n_all=everyone if spec.share else None,
        atoms=spec.atoms,
    )
