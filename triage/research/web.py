"""Research export routes: ask for an export, follow its progress, download it, read the log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.protocol.server import timestamp
from chatserver.transport.http import current_staff, ok, read_json
from triage.research.build import OPTION_FIELDS
from triage.research.exports import Exports
from triage.research.store import ExportFile, ExportJob

EXPORTS = "/api/research/exports"


def exports_of(request: Request) -> Exports:
    exports: Exports = request.app.state.exports
    return exports


def job_view(job: ExportJob) -> dict[str, Any]:
    """An export for the API: its state and log entry, never its content."""
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "year": job.year,
        "level": job.level,
        "format": job.format,
        "options": job.options,
        "requested_by": job.requested_by_username,
        "requested_via": job.requested_via,
        "requested_at": timestamp(job.requested_at),
        "finished_at": timestamp(job.finished_at) if job.finished_at else None,
        "downloaded_at": timestamp(job.downloaded_at) if job.downloaded_at else None,
        "purged_at": timestamp(job.purged_at) if job.purged_at else None,
        "summary": job.summary,
        "error": job.error,
        "download": f"{EXPORTS}/{job.id}/download" if job.has_file else None,
    }


async def request_export(request: Request) -> Response:
    staff = await current_staff(request)
    body = await read_json(request, OPTION_FIELDS)
    job = await exports_of(request).request(staff, body)
    response = ok(job_view(job), status=202)
    response.headers["Location"] = f"{EXPORTS}/{job.id}"
    return response


async def export_log(request: Request) -> Response:
    jobs = await exports_of(request).log(await current_staff(request))
    return ok({"exports": [job_view(job) for job in jobs]})


async def export_status(request: Request) -> Response:
    staff = await current_staff(request)
    return ok(job_view(await exports_of(request).status(staff, request.path_params["id"])))


async def download(request: Request) -> Response:
    staff = await current_staff(request)
    return attachment(await exports_of(request).download(staff, request.path_params["id"]))


def attachment(file: ExportFile) -> Response:
    """A file to save, never to show in the browser or keep in a cache."""
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route(EXPORTS, request_export, methods=["POST"]),
    Route(EXPORTS, export_log, methods=["GET"]),
    Route(f"{EXPORTS}/{{id}}", export_status, methods=["GET"]),
    Route(f"{EXPORTS}/{{id}}/download", download, methods=["GET"]),
]
