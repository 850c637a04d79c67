"""The yearly report over the real server: researchers get it, counsellors do not, all is logged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.store.engine import create_engine
from tests.support.pilots import Counsellor
from tests.support.reports import open_report
from tests.support.research import synthetic_year_server
from tests.support.server import Server, run_cli
from triage.codebook import load_edition
from triage.research.dataset.synthetic import plan, write

YEAR = 2023
#: A year coded under ckm-2022, before the current edition.
OLDER_YEAR = 2020
REPORTS = "/api/research/reports"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One server for the module, with a small synthetic year made on the command line."""
    async with synthetic_year_server(tmp_path_factory.mktemp("report"), YEAR, 40, 4) as started:
        yield started


@pytest.fixture(scope="module")
async def report_job(researcher: Counsellor) -> dict[str, Any]:
    response = await researcher.http(
        "POST", REPORTS, json={"year": YEAR, "language": "en", "earlier_years": 1}
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"{REPORTS}/{job['id']}"
    for _ in range(500):
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.02)
        job = (await researcher.http("GET", f"{REPORTS}/{job['id']}")).json()
    raise AssertionError(f"the report did not finish: {job}")


async def test_a_researcher_gets_the_report_with_its_page_and_tables(
    researcher: Counsellor, report_job: dict[str, Any]
) -> None:
    assert (report_job["status"], report_job["progress"]) == ("done", 100)
    response = await researcher.http("GET", report_job["download"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="report-{YEAR}.zip"' in response.headers["content-disposition"]
    report = open_report(response.content, YEAR)
    unique = report.group("pipeline", "steps")["unique_visitors"]["count"]
    assert unique == str(report_job["summary"]["pipeline"]["unique_visitors"])
    assert "Form of exploitation" in report.page
    assert report.about["small_cell_threshold"] == "5"
    assert {row["group"] for row in report.tables["comparison"]} == {str(YEAR - 1), str(YEAR)}


async def test_a_counsellor_is_refused_reports(server: Server, report_job: dict[str, Any]) -> None:
    counsellor = await Counsellor.demo(server, "counsellor")
    asked = await counsellor.http("POST", REPORTS, json={"year": YEAR})
    status = await counsellor.http("GET", f"{REPORTS}/{report_job['id']}")
    download = await counsellor.http("GET", f"{REPORTS}/{report_job['id']}/download")
    assert (asked.status_code, status.status_code, download.status_code) == (403, 403, 403)


async def test_every_report_is_logged_with_who_when_which_year_and_options(
    supervisor: Counsellor, report_job: dict[str, Any]
) -> None:
    log = (await supervisor.http("GET", "/api/research/exports")).json()["exports"]
    entry = next(entry for entry in log if entry["id"] == report_job["id"])
    assert (entry["level"], entry["year"], entry["requested_by"]) == ("report", YEAR, "researcher")
    assert entry["requested_via"] == "api"
    assert entry["requested_at"]
    assert entry["options"] == {
        "year": YEAR,
        "language": "en",
        "small_cells": "suppress",
        "earlier_years": 1,
    }


async def test_the_report_command_writes_the_page_and_the_zip_with_a_progress_bar(
    server: Server, supervisor: Counsellor, tmp_path: Path
) -> None:
    made = await asyncio.to_thread(
        run_cli, server, "report", "--year", str(YEAR), "--out", str(tmp_path / "out")
    )
    assert made.returncode == 0, made.stderr
    assert "Reporting [" in made.stderr
    assert "100%" in made.stderr
    page = (tmp_path / "out" / f"report-{YEAR}.html").read_text()
    report = open_report((tmp_path / "out" / f"report-{YEAR}.zip").read_bytes(), YEAR)
    assert page == report.page
    assert '<html lang="nl">' in page
    log = (await supervisor.http("GET", "/api/research/exports")).json()["exports"]
    assert any(e["level"] == "report" and e["requested_via"] == "cli" for e in log)


async def test_the_command_line_and_the_http_job_give_identical_tables_for_the_same_year(
    researcher: Counsellor, report_job: dict[str, Any], server: Server, tmp_path: Path
) -> None:
    over_http = open_report((await researcher.http("GET", report_job["download"])).content, YEAR)
    made = await asyncio.to_thread(
        run_cli,
        server,
        "report",
        "--year",
        str(YEAR),
        "--language",
        "en",
        "--earlier-years",
        "1",
        "--out",
        str(tmp_path / "out"),
    )
    assert made.returncode == 0, made.stderr
    on_cli = open_report((tmp_path / "out" / f"report-{YEAR}.zip").read_bytes(), YEAR)
    assert on_cli.tables == over_http.tables
    assert {k: v for k, v in on_cli.about.items() if k != "made_on"} == {
        k: v for k, v in over_http.about.items() if k != "made_on"
    }


async def test_a_year_coded_under_the_older_edition_is_read_under_that_edition(
    server: Server, tmp_path: Path
) -> None:
    older = plan(OLDER_YEAR, 30, seed=6, edition=load_edition("ckm-2022"))
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        await write(engine, older)
    finally:
        await engine.dispose()
    made = await asyncio.to_thread(
        run_cli, server, "report", "--year", str(OLDER_YEAR), "--out", str(tmp_path)
    )
    assert made.returncode == 0, made.stderr
    report = open_report((tmp_path / f"report-{OLDER_YEAR}.zip").read_bytes(), OLDER_YEAR)
    assert report.about["codebook_edition"] == "ckm-2022"
    background = report.group("chatter_background", "all")["victim"]
    assert int(background["n"]) > 0  # its codings are read, not counted as not coded
    assert "perpetrator_relation" in {row["group"] for row in report.tables["chapter_sexual"]}
