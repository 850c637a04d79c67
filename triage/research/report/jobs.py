"""Yearly reports as jobs: asked for, run with progress, logged and downloaded like exports.

A report runs on the export job machinery (:class:`~triage.research.export.jobs.Exports`),
so the export log records it too: who, when, which year and which options (level
``report``). Its file is a zip of the HTML page and the tables as CSV
(:mod:`triage.research.report.files`). Researchers and supervisors make reports.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.domain.records import Staff
from chatserver.errors import Forbidden, InvalidInput, NotFound
from chatserver.settings import Settings
from triage.research.dataset.loader import load_year
from triage.research.dataset.pipeline import YearCount
from triage.research.dataset.rows import Language
from triage.research.export.build import FIRST_YEAR, choice
from triage.research.export.jobs import EXPORTERS, Exports, JobRequest, Progress
from triage.research.report.figures import yearly_tables
from triage.research.report.files import ReportFacts, file_stem, report_zip
from triage.research.report.small_cells import SmallCells, control
from triage.research.store import ExportFile, ExportJob

REPORT_LEVEL, REPORT_FORMAT = "report", "zip"
OPTION_FIELDS = ("year", "language", "small_cells", "earlier_years")
MAX_EARLIER_YEARS = 10
#: Progress while loading the year and the earlier ones; the report is made after.
LOADING_FROM, LOADING_TO, MADE = 5, 70, 90


@dataclass(frozen=True)
class ReportOptions:
    year: int
    language: Language = "nl"
    #: Small cells under ``RESEARCH_SMALL_CELL`` hidden (``suppress``) or only marked (``flag``).
    small_cells: SmallCells = "suppress"
    #: How many years before ``year`` the comparison shows.
    earlier_years: int = 4

    @property
    def compared_years(self) -> range:
        return range(max(FIRST_YEAR, self.year - self.earlier_years), self.year)


@dataclass(frozen=True)
class ReportFiles:
    html: bytes
    zip: bytes
    zip_name: str

    @property
    def html_name(self) -> str:
        return self.zip_name.removesuffix(".zip") + ".html"


def parse_options(
    body: Mapping[str, object], *, this_year: int, small_cells: str = "suppress"
) -> ReportOptions:
    """Checked options, or :class:`InvalidInput` naming the first wrong field."""
    refuse_unknown_fields(body, OPTION_FIELDS)
    year = _whole(body, "year", None, FIRST_YEAR, this_year)
    return ReportOptions(
        year=year,
        language=choice(body, "language", Language, "nl"),
        small_cells=choice(body, "small_cells", SmallCells, small_cells),
        earlier_years=_whole(body, "earlier_years", 4, 0, MAX_EARLIER_YEARS),
    )


def _whole(body: Mapping[str, object], name: str, default: int | None, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"'{name}' must be a whole number from {low} to {high}", field=name)
    return value


def make_report(
    year: YearCount,
    earlier: list[YearCount],
    options: ReportOptions,
    threshold: int,
    made_on: datetime,
) -> tuple[ExportFile, dict[str, Any]]:
    """The report's zip and its summary for the log (counts only, no person's data)."""
    exact = yearly_tables(year, earlier, small_cell=threshold)
    tables = control(exact, threshold, options.small_cells)
    facts = ReportFacts(
        year=options.year,
        edition_id=year.edition.id,
        language=options.language,
        threshold=threshold,
        small_cells=options.small_cells,
        made_on=made_on.date(),
        earlier_years=len(earlier),
    )
    _, content = report_zip(tables, facts)
    flags = [row.flag for table in tables for group in table.groups for row in group.rows]
    summary = {
        "edition": year.edition.id,
        "pipeline": {**dataclasses.asdict(year.counts), "duplicates": year.counts.duplicates},
        "tables": len(tables),
        "compared_years": [earlier_year.counts.year for earlier_year in earlier],
        "small_cell_threshold": threshold,
        "suppressed_cells": flags.count("suppressed"),
        "flagged_cells": flags.count("small"),
    }
    file = ExportFile(content, f"{file_stem(options.year)}.zip", "application/zip")
    return file, summary


class Reports:
    def __init__(
        self,
        exports: Exports,
        engine: AsyncEngine,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self._exports = exports
        self._engine = engine
        self._clock = clock
        self._threshold = settings.research_small_cell
        self._timezone = ZoneInfo(settings.research_timezone)
        self._small_cells = settings.research_small_cells

    async def request(self, staff: Staff, body: dict[str, Any]) -> ExportJob:
        """Log the request and start the report here; the caller polls for progress."""
        _require_reporter(staff)
        year = self._clock().year
        options = parse_options(body, this_year=year, small_cells=self._small_cells)
        return await self._exports.start(staff, _logged(options), partial(self._make, options))

    async def report_now(self, options: ReportOptions, progress: Progress) -> ReportFiles:
        """A report from the command line: logged as such, run here, its files returned."""
        file = await self._exports.now(_logged(options), partial(self._make, options), progress)
        with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
            page = archive.read(f"{file_stem(options.year)}.html")
        return ReportFiles(page, file.content, file.filename)

    async def status(self, staff: Staff, job_id: str) -> ExportJob:
        _require_reporter(staff)
        job = await self._exports.status(staff, job_id)
        if job.level != REPORT_LEVEL:
            raise NotFound("No such report.")
        return job

    async def download(self, staff: Staff, job_id: str) -> ExportFile:
        await self.status(staff, job_id)
        return await self._exports.download(staff, job_id)

    async def _make(
        self, options: ReportOptions, step: Progress
    ) -> tuple[ExportFile, dict[str, Any]]:
        years = [*options.compared_years, options.year]
        counted: list[YearCount] = []
        for done, year in enumerate(years, start=1):
            counted.append(await load_year(self._engine, year, timezone=self._timezone))
            await step(LOADING_FROM + (LOADING_TO - LOADING_FROM) * done // len(years))
        *earlier, this = counted
        made = await asyncio.to_thread(
            make_report,
            this,
            earlier,
            options,
            self._threshold,
            self._clock().astimezone(self._timezone),
        )
        await step(MADE)
        return made


def _logged(options: ReportOptions) -> JobRequest:
    return JobRequest(options.year, REPORT_LEVEL, REPORT_FORMAT, dataclasses.asdict(options))


def _require_reporter(staff: Staff) -> None:
    if staff.role not in EXPORTERS:
        raise Forbidden("Only researchers and supervisors make research reports.")
