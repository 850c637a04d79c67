"""Open a yearly report's zip as a reader would: the page, and each table's CSV rows."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from triage.research.dataset.pipeline import ConversationRecord, YearCount
from triage.research.dataset.synthetic import Plan
from triage.research.report.jobs import ReportOptions, make_report

MADE = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)

#: Table key → its CSV rows.
Tables = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class OpenedReport:
    page: str
    tables: Tables
    about: dict[str, str]

    def group(self, table: str, group: str) -> dict[str, dict[str, str]]:
        """The group's rows by row key."""
        return {row["row"]: row for row in self.tables[table] if row["group"] == group}


def planned_records(*plans: Plan) -> list[ConversationRecord]:
    """The planned rows as the loader reads them from the database."""
    return [
        ConversationRecord(
            c.id, c.started_at, v.person_id, c.help_question, c.excluded_reason, dict(c.values)
        )
        for planned in plans
        for v in planned.visitors
        for c in v.conversations
    ]


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def open_report(content: bytes, year: int) -> OpenedReport:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        index = read_csv(archive.read("tables/index.csv"))
        return OpenedReport(
            page=archive.read(f"report-{year}.html").decode("utf-8"),
            tables={e["table"]: read_csv(archive.read(f"tables/{e['file']}")) for e in index},
            about={e["key"]: e["value"] for e in read_csv(archive.read("tables/about.csv"))},
        )


def make(
    year: YearCount, earlier: Sequence[YearCount] = (), *, threshold: int = 1, **options: Any
) -> OpenedReport:
    """The report as the job makes it (``threshold`` 1: every figure published)."""
    chosen = ReportOptions(year=year.counts.year, earlier_years=len(earlier), **options)
    file, _ = make_report(year, list(earlier), chosen, threshold, MADE)
    return open_report(file.content, year.counts.year)
