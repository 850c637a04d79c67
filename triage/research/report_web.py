"""Yearly report routes: ask for a report, follow its progress, download it.

Reports are export jobs (level ``report``), so ``GET /api/research/exports`` lists them
in the export log as well.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.transport.http import current_staff, ok, read_json
from triage.research.reports import OPTION_FIELDS, Reports
from triage.research.store import ExportJob
from triage.research.web import attachment, job_view

REPORTS = "/api/research/reports"


def reports_of(request: Request) -> Reports:
    reports: Reports = request.app.state.reports
    return reports


def report_view(job: ExportJob) -> dict[str, Any]:
    return {**job_view(job), "download": f"{REPORTS}/{job.id}/download" if job.has_file else None}


async def request_report(request: Request) -> Response:
    staff = await current_staff(request)
    body = await read_json(request, OPTION_FIELDS)
    job = await reports_of(request).request(staff, body)
    response = ok(report_view(job), status=202)
    response.headers["Location"] = f"{REPORTS}/{job.id}"
    return response


async def report_status(request: Request) -> Response:
    staff = await current_staff(request)
    return ok(report_view(await reports_of(request).status(staff, request.path_params["id"])))


async def download(request: Request) -> Response:
    staff = await current_staff(request)
    return attachment(await reports_of(request).download(staff, request.path_params["id"]))


routes = [
    Route(REPORTS, request_report, methods=["POST"]),
    Route(f"{REPORTS}/{{id}}", report_status, methods=["GET"]),
    Route(f"{REPORTS}/{{id}}/download", download, methods=["GET"]),
]
