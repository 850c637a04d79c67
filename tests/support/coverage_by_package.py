"""Branch coverage per package, from coverage's JSON report: where the suite's blind spots are.

``python -m tests.support.coverage_by_package var/coverage.json`` prints one row a package (its
own modules, not its sub-packages), each top package whole, and the total. Each counts as
coverage counts: covered lines and branches over all lines and branches.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any


@dataclass(frozen=True)
class Tally:
    statements: int = 0
    covered_lines: int = 0
    branches: int = 0
    covered_branches: int = 0

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Tally:
        """One file's ``summary`` in the JSON report."""
        return cls(
            summary["num_statements"],
            summary["covered_lines"],
            summary.get("num_branches", 0),
            summary.get("covered_branches", 0),
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.statements + other.statements,
            self.covered_lines + other.covered_lines,
            self.branches + other.branches,
            self.covered_branches + other.covered_branches,
        )

    @property
    def percent(self) -> float:
        total = self.statements + self.branches
        return 100.0 if total == 0 else 100 * (self.covered_lines + self.covered_branches) / total


def package_of(path: str) -> str:
    """``chatserver/store/queue.py`` is in ``chatserver.store``."""
    return ".".join(PurePosixPath(path.replace("\\", "/")).parent.parts)


def tallies(report: dict[str, Any]) -> dict[str, Tally]:
    """Each package's own modules, by the package's dotted name."""
    found: dict[str, Tally] = defaultdict(Tally)
    for path, measured in report["files"].items():
        found[package_of(path)] += Tally.of(measured["summary"])
    return dict(found)


def table(report: dict[str, Any]) -> str:
    packages = tallies(report)
    rows = [_row("package", "lines", "branches", "cover")]
    for top in sorted({name.split(".")[0] for name in packages}):
        mine = sorted(
            ((name, t) for name, t in packages.items() if name.split(".")[0] == top),
            key=lambda item: item[0],
        )
        rows += [_row(name, t.statements, t.branches, f"{t.percent:.1f}%") for name, t in mine]
        whole = sum((t for _, t in mine), Tally())
        rows.append(_row(f"{top} (all)", whole.statements, whole.branches, f"{whole.percent:.1f}%"))
    totals = report["totals"]
    cover = f"{totals['percent_covered']:.1f}%"
    rows.append(_row("total", totals["num_statements"], totals["num_branches"], cover))
    return "\n".join(rows)


def _row(name: str, lines: object, branches: object, cover: str) -> str:
    return f"{name:<38} {lines:>6} {branches:>8} {cover:>6}"


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "var/coverage.json")
    if not path.exists():
        print(f"no coverage report at {path}", file=sys.stderr)
        return 1
    print(table(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
