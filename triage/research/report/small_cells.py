"""Small-cell control for published tables: suppress, or flag, counts of a few people.

A cell is small when it counts more than zero and fewer than the threshold
(``RESEARCH_SMALL_CELL``; :func:`~triage.research.export.disclosure.is_small`). In
``suppress`` mode, per group:

1. a group whose ``n`` or ``population`` is small is hidden whole (its counts,
   percentages and statistics): any figure about so few could point at them;
2. every small count is hidden, and so is a count whose own ``n`` is small;
3. in a partition (the atoms add up to ``n``) the hidden atoms could be read off
   together as ``n`` minus the rest, so more atoms are hidden, smallest first, until
   the hidden ones add up to at least the threshold;
4. a derived row (a sum of atoms, such as "more than 2 years") is shown only if no
   small sum of hidden atoms can then be worked out from what is shown in the group
   (checked exactly, by linear algebra over the group's published sums).

Pipeline totals (``protected=False``) are published as they are. In ``flag`` mode
nothing is hidden: the cells of rules 1 and 2 are marked ``small`` for the researcher
to deal with before publishing. In ``publish`` mode (CKM's practice: 13 male victims, 1
partner) every count is shown as it is. Age bounds are never exact in either mode
(:mod:`triage.research.report.figures` makes them so). Differences *between* groups or tables
(a year's total minus the sum of its per-form groups) are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from fractions import Fraction
from itertools import combinations
from typing import Literal

from triage.research.export.disclosure import is_small
from triage.research.report.tables import Group, Row, Table

#: ``publish`` is CKM's own disclosure profile: every count shown, ages only as bounds.
SmallCells = Literal["suppress", "flag", "publish"]


def control(tables: Iterable[Table], threshold: int, mode: SmallCells) -> tuple[Table, ...]:
    """The tables as they may be published."""
    if mode == "publish":
        return tuple(tables)
    return tuple(
        replace(table, groups=tuple(_group(group, threshold, mode) for group in table.groups))
        for table in tables
    )


def _group(group: Group, threshold: int, mode: SmallCells) -> Group:
    if any(is_small(size, threshold) for size in (group.n, group.population) if size is not None):
        if mode == "flag":
            return replace(group, flag="small", rows=tuple(_flag(row) for row in group.rows))
        return replace(
            group,
            n=None,
            population=None,
            flag="suppressed",
            rows=tuple(_hide(row, threshold, whole_group=True) for row in group.rows),
        )
    small = {row.key for row in group.rows if _is_small(row, threshold)}
    if mode == "flag":
        return replace(group, rows=tuple(_flag(r) if r.key in small else r for r in group.rows))
    hidden = _hidden(group, small, threshold)
    return replace(
        group, rows=tuple(_hide(r, threshold) if r.key in hidden else r for r in group.rows)
    )


def _hidden(group: Group, small: set[str], threshold: int) -> set[str]:
    """The rows to hide: the small ones, complements (rule 3) and unsafe sums (rule 4)."""
    atoms = {
        row.key: row.count or 0 for row in group.rows if row.kind == "count" and not row.derived
    }
    hidden = {key for key in atoms if key in small}
    if group.partition and hidden:
        while is_small(sum(atoms[key] for key in hidden), threshold):
            shown = [key for key in atoms if key not in hidden and atoms[key] > 0]
            if not shown:
                break
            hidden.add(min(shown, key=lambda key: atoms[key]))
    order = [key for key in atoms if key in hidden]
    #: The sums of hidden atoms a reader can work out, as indicator vectors over ``order``.
    known = [(1,) * len(order)] if group.partition and order else []
    for row in group.rows:
        if not row.derived:
            continue
        inside = tuple(int(key in row.atoms) for key in order)
        if row.key in small:
            hidden.add(row.key)
        elif any(inside):
            if _reveals_small_sum([*known, inside], [atoms[key] for key in order], threshold):
                hidden.add(row.key)
            else:
                known.append(inside)
    return hidden


def _reveals_small_sum(
    known: Sequence[tuple[int, ...]], counts: Sequence[int], threshold: int
) -> bool:
    """Whether some sum of hidden atoms, small and above zero, follows from the ``known`` sums."""
    rank = _rank(known)
    for size in range(1, len(counts) + 1):
        for chosen in combinations(range(len(counts)), size):
            total = sum(counts[i] for i in chosen)
            indicator = tuple(int(i in chosen) for i in range(len(counts)))
            if is_small(total, threshold) and _rank([*known, indicator]) == rank:
                return True
    return False


def _rank(vectors: Sequence[tuple[int, ...]]) -> int:
    """The rank of the vectors (Gaussian elimination over the rationals)."""
    rows = [[Fraction(x) for x in vector] for vector in vectors]
    rank = 0
    for column in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _is_small(row: Row, threshold: int) -> bool:
    if row.kind != "count" or not row.protected:
        return False
    return any(is_small(size, threshold) for size in (row.count, row.n) if size is not None)


def _hide(row: Row, threshold: int, *, whole_group: bool = False) -> Row:
    """The row without its figures; its ``n`` too when that is small or the group's."""
    if not row.protected:
        return row
    n = None if whole_group or (row.n is not None and is_small(row.n, threshold)) else row.n
    n_all = None if whole_group else row.n_all
    return replace(row, count=None, n=n, n_all=n_all, value=None, flag="suppressed")


def _flag(row: Row) -> Row:
    return replace(row, flag="small") if row.protected else row
