"""Quote routes: selection on a conversation, removal, and the researchers' yearly export."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.domain.roles import Role
from chatserver.errors import InvalidInput
from chatserver.protocol.server import timestamp
from chatserver.transport.http import current_staff, ok, read_json
from triage.research.quotes.service import Quotes
from triage.research.quotes.store import Quote
from triage.research.store import ExportFile
from triage.research.web import attachment

#: The export's columns: no conversation, message or staff id, only the quote's own.
EXPORT_FIELDS = ("quote_id", "month", "speaker", "edition", "variable", "text")
#: A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YEAR = re.compile(r"[0-9]{4}")


def quotes_of(request: Request) -> Quotes:
    quotes: Quotes = request.app.state.quotes
    return quotes


def quote_view(quote: Quote, role: Role) -> dict[str, Any]:
    """Researchers see a quote as the export has it: no conversation, message or staff id,
    no time finer than the month (those would lead back to the chat)."""
    staff_view = role is not Role.RESEARCHER
    return {
        "id": quote.id,
        "conversation_id": quote.conversation_id if staff_view else None,
        "seq": quote.seq if staff_view else None,
        "month": quote.month,
        "speaker": quote.speaker,
        "edition": quote.edition,
        "variable": quote.variable,
        "text": quote.text,
        "selected_by": quote.selected_by if staff_view else None,
        "selected_at": timestamp(quote.selected_at) if staff_view else None,
    }


def export_row(quote: Quote) -> dict[str, Any]:
    return {
        "quote_id": quote.id,
        "month": quote.month,
        "speaker": quote.speaker,
        "edition": quote.edition,
        "variable": quote.variable,
        "text": quote.text,
    }


async def select(request: Request) -> Response:
    body = await read_json(request, ("seq", "variable", "remove", "text"))
    staff = await current_staff(request)
    quote = await quotes_of(request).select(
        staff,
        request.path_params["conversation_id"],
        body.get("seq"),
        body.get("variable"),
        body.get("remove"),
        body.get("text"),
    )
    return ok(quote_view(quote, staff.role), status=201)


async def preview(request: Request) -> Response:
    """What ``select`` would keep, before anything is stored."""
    body = await read_json(request, ("seq",))
    staff = await current_staff(request)
    text = await quotes_of(request).preview(
        staff, request.path_params["conversation_id"], body.get("seq")
    )
    return ok({"seq": body.get("seq"), "text": text})


async def conversation_quotes(request: Request) -> Response:
    staff = await current_staff(request)
    found = await quotes_of(request).for_conversation(staff, request.path_params["conversation_id"])
    return ok({"quotes": [quote_view(quote, staff.role) for quote in found]})


async def delete(request: Request) -> Response:
    await quotes_of(request).delete(await current_staff(request), request.path_params["quote_id"])
    return Response(status_code=204)


async def yearly_export(request: Request) -> Response:
    """``?year=Y`` and ``format=json`` (default) or ``csv``."""
    staff = await current_staff(request)
    year = _year(request.query_params.get("year"))
    form = request.query_params.get("format", "json")
    if form not in {"json", "csv"}:
        raise InvalidInput("'format' must be json or csv", field="format")
    rows = [export_row(quote) for quote in await quotes_of(request).of_year(staff, year)]
    if form == "json":
        return ok({"year": year, "quotes": rows})
    csv_file = ExportFile(_csv(rows).encode(), f"quotes-{year}.csv", "text/csv; charset=utf-8")
    return attachment(csv_file)


def _year(raw: str | None) -> int:
    """Four ASCII digits: ``int`` alone also takes ``2_026``, spaces and digits of other scripts."""
    if raw is None or not YEAR.fullmatch(raw):
        raise InvalidInput("'year' must be a year", field="year")
    return int(raw)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


routes = [
    Route("/api/triage/conversations/{conversation_id}/quotes", select, methods=["POST"]),
    Route("/api/triage/conversations/{conversation_id}/quotes/preview", preview, methods=["POST"]),
    Route(
        "/api/triage/conversations/{conversation_id}/quotes", conversation_quotes, methods=["GET"]
    ),
    Route("/api/triage/quotes/{quote_id}", delete, methods=["DELETE"]),
    Route("/api/research/quotes", yearly_export, methods=["GET"]),
]
