"""The per-package coverage table scripts/test prints counts lines and branches as coverage does."""

from __future__ import annotations

from typing import Any

from tests.support.coverage_by_package import table, tallies


def _file(statements: int, covered: int, branches: int, covered_branches: int) -> dict[str, Any]:
    return {
        "summary": {
            "num_statements": statements,
            "covered_lines": covered,
            "num_branches": branches,
            "covered_branches": covered_branches,
        }
    }


REPORT = {
    "files": {
        "chatserver/app.py": _file(10, 10, 0, 0),
        "chatserver/store/queue.py": _file(20, 15, 10, 5),
        "chatserver/store/notes.py": _file(10, 5, 0, 0),
        "triage/research/report/tables.py": _file(8, 2, 2, 1),
    },
    "totals": {"num_statements": 48, "num_branches": 12, "percent_covered": 71.6667},
}


def test_a_package_counts_its_own_modules_lines_and_branches_together() -> None:
    store = tallies(REPORT)["chatserver.store"]
    assert (store.statements, store.branches) == (30, 10)
    assert store.percent == 100 * (20 + 5) / (30 + 10)


def test_a_top_package_row_counts_everything_below_it() -> None:
    rows = table(REPORT).splitlines()
    whole = next(row for row in rows if row.startswith("chatserver (all)"))
    assert whole.split()[-3:] == ["40", "10", "70.0%"]


def test_the_table_ends_with_coverage_s_own_total() -> None:
    assert table(REPORT).splitlines()[-1].split() == ["total", "48", "12", "71.7%"]
