"""Yearly report routes: ask for a report, follow its progress, download it.

Reports are export jobs (level ``report``), so ``GET /api/research/exports`` lists them
in the export log as well.
"""

from __future__ import annotations

from starlette.requests import Request

from triage.research.report.jobs import OPTION_FIELDS, Reports
from triage.research.web import JobRoutes

REPORTS = "/api/research/reports"


def reports_of(request: Request) -> Reports:
    reports: Reports = request.app.state.reports
    return reports


routes = JobRoutes(REPORTS, OPTION_FIELDS, reports_of).routes
