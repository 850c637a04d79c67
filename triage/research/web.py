"""Research export routes: ask for an export, follow its progress, download it, read the log."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.domain.records import Staff
from chatserver.protocol.server import timestamp
from chatserver.transport.http import current_staff, ok, read_json
from triage.research.export.build import OPTION_FIELDS
from triage.research.export.jobs import Exports
from triage.research.store import ExportFile, ExportJob

EXPORTS = "/api/research/exports"


class Jobs(Protocol):
    """Research jobs of one kind as their routes use them: exports, or reports."""

    async def request(self, staff: Staff, body: dict[str, Any]) -> ExportJob: ...

    async def status(self, staff: Staff, job_id: str) -> ExportJob: ...

    async def download(self, staff: Staff, job_id: str) -> ExportFile: ...


@dataclass(frozen=True)
class JobRoutes:
    """Ask for a job at ``base``, follow it at ``base/{id}``, save its file from ``…/download``."""

    base: str
    fields: Collection[str]
    jobs_of: Callable[[Request], Jobs]

    def view(self, job: ExportJob) -> dict[str, Any]:
        """A job for the API: its state and log entry, never its content."""
        return job_view(job, self.base)

    async def request(self, request: Request) -> Response:
        staff = await current_staff(request)
        body = await read_json(request, self.fields)
        job = await self.jobs_of(request).request(staff, body)
        response = ok(self.view(job), status=202)
        response.headers["Location"] = f"{self.base}/{job.id}"
        return response

    async def status(self, request: Request) -> Response:
        staff = await current_staff(request)
        return ok(self.view(await self.jobs_of(request).status(staff, request.path_params["id"])))

    async def download(self, request: Request) -> Response:
        staff = await current_staff(request)
        return attachment(await self.jobs_of(request).download(staff, request.path_params["id"]))

    @property
    def routes(self) -> list[Route]:
        return [
            Route(self.base, self.request, methods=["POST"]),
            Route(f"{self.base}/{{id}}", self.status, methods=["GET"]),
            Route(f"{self.base}/{{id}}/download", self.download, methods=["GET"]),
        ]


def job_view(job: ExportJob, base: str = EXPORTS) -> dict[str, Any]:
    """A job in the export log; its file, while kept, is saved from under ``base``."""
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
        "download": f"{base}/{job.id}/download" if job.has_file else None,
    }


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


def exports_of(request: Request) -> Exports:
    exports: Exports = request.app.state.exports
    return exports


async def export_log(request: Request) -> Response:
    jobs = await exports_of(request).log(await current_staff(request))
    return ok({"exports": [job_view(job) for job in jobs]})


EXPORT_JOBS = JobRoutes(EXPORTS, OPTION_FIELDS, exports_of)

routes = [*EXPORT_JOBS.routes, Route(EXPORTS, export_log, methods=["GET"])]
