"""Research exports on a synthetic year, checked against what the generator was asked to make.

Expected figures are computed here from the generator's plan, not by the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyreadstat
import pytest

from chatserver.settings import Settings
from chatserver.store.engine import create_engine
from chatserver.store.migrate import upgrade
from tests.support.database import query
from tests.support.pilots import Counsellor, Visitor
from tests.support.research import synthetic_year_server
from tests.support.server import Server, run_cli
from tests.support.services import fresh_postgres_database
from triage.codebook import UNKNOWN
from triage.research.dataset.loader import load_year
from triage.research.dataset.synthetic import PlannedConversation, PlannedVisitor, plan, write
from triage.research.export.build import ExportOptions
from triage.research.export.jobs import Exports

YEAR, VISITORS, SEED = 2023, 60, 11
QUASI_IDENTIFIERS = ("age_band", "gender", "first_contact_quarter", "channel", "chat_language")
K = 5
SAV_HEADER_BYTES = 176
PLAN = plan(YEAR, VISITORS, SEED)


# -- expectations, from the plan ----------------------------------------------------------------


def new_visitors() -> list[PlannedVisitor]:
    return [v for v in PLAN.visitors if not v.returning]


def counted(visitor: PlannedVisitor) -> list[PlannedConversation]:
    return [c for c in visitor.conversations if c.help_question is True]


def included(visitor: PlannedVisitor) -> list[PlannedConversation]:
    return [c for c in counted(visitor) if c.excluded_reason is None]


def unique_visitors() -> list[PlannedVisitor]:
    return [v for v in new_visitors() if included(v)]


# -- the server and its data --------------------------------------------------------------------


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One server for the module, holding the synthetic year (made with the command line)."""
    async with synthetic_year_server(
        tmp_path_factory.mktemp("research"), YEAR, VISITORS, SEED
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def person_export(researcher: Counsellor) -> dict[str, Any]:
    """The person dataset as CSV, with suppression: most tests read this one export."""
    return await export(researcher, level="person", format="csv", k_anonymity="suppress")


@pytest.fixture(scope="module")
async def person_csv(researcher: Counsellor, person_export: dict[str, Any]) -> bytes:
    return await download(researcher, person_export)


@pytest.fixture(scope="module")
def rows(person_csv: bytes) -> list[dict[str, str]]:
    return csv_rows(person_csv, "persons")


@pytest.fixture(scope="module")
async def person_sav(researcher: Counsellor) -> bytes:
    job = await export(researcher, level="person", format="sav", k_anonymity="suppress")
    return await download(researcher, job)


async def export(staff: Counsellor, **options: Any) -> dict[str, Any]:
    """Ask for an export and follow it until it is done or failed."""
    response = await staff.http("POST", "/api/research/exports", json={"year": YEAR, **options})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    for _ in range(500):
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.02)
        job = (await staff.http("GET", f"/api/research/exports/{job['id']}")).json()
    raise AssertionError(f"the export did not finish: {job}")


async def download(staff: Counsellor, job: dict[str, Any]) -> bytes:
    response = await staff.http("GET", job["download"])
    assert response.status_code == 200, response.text
    return response.content


async def logged_ids(supervisor: Counsellor) -> list[str]:
    response = await supervisor.http("GET", "/api/research/exports")
    return [entry["id"] for entry in response.json()["exports"]]


def csv_rows(content: bytes, level: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        text = archive.read(f"{level}-{YEAR}.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def read_sav(content: bytes, tmp_path: Path) -> tuple[Any, Any]:
    path = tmp_path / "export.sav"
    path.write_bytes(content)
    return pyreadstat.read_sav(str(path), user_missing=True)


# -- the pipeline and the person dataset --------------------------------------------------------


def test_the_person_dataset_has_one_row_per_unique_visitor(rows: list[dict[str, str]]) -> None:
    assert len(rows) == len(unique_visitors())
    assert len({row["research_id"] for row in rows}) == len(rows)


def test_a_persons_linked_conversations_are_merged_into_one_row(
    rows: list[dict[str, str]],
) -> None:
    assert sum(int(row["conversations"]) for row in rows) == sum(
        len(included(v)) for v in unique_visitors()
    )
    assert any(int(row["conversations"]) > 1 for row in rows)


def test_the_pipeline_counts_conversations_duplicates_and_exclusions(
    person_export: dict[str, Any],
) -> None:
    pipeline = person_export["summary"]["pipeline"]
    conversations = [c for v in new_visitors() for c in counted(v)]
    reasons: dict[str, int] = defaultdict(int)
    for c in conversations:
        if c.excluded_reason:
            reasons[c.excluded_reason] += 1
    assert pipeline["conversations"] == len(conversations)
    assert pipeline["persons"] == len([v for v in new_visitors() if counted(v)])
    assert pipeline["excluded_conversations_by_reason"] == dict(sorted(reasons.items()))
    assert pipeline["unique_visitors"] == len(unique_visitors())


def test_multi_selects_become_one_indicator_column_per_choice(
    rows: list[dict[str, str]],
) -> None:
    sexual = [
        v
        for v in unique_visitors()
        if any("sexual" in list_of(c.values.get("exploitation_form")) for c in included(v))
    ]
    assert {"exploitation_form_sexual", "exploitation_form_criminal"} <= set(rows[0])
    assert sum(row["exploitation_form_sexual"] == "1" for row in rows) == len(sexual)


def test_unknown_is_a_declared_missing_code_apart_from_not_coded(
    rows: list[dict[str, str]],
) -> None:
    unknown = not_coded = 0
    for visitor in unique_visitors():
        genders = [c.values.get("gender") for c in included(visitor)]
        known = [g for g in genders if g not in (None, UNKNOWN)]
        unknown += not known and UNKNOWN in genders
        not_coded += all(g is None for g in genders)
    assert unknown > 0
    assert sum(row["gender"] == "-1" for row in rows) == unknown
    assert sum(row["gender"] == "" for row in rows) == not_coded


def test_a_variable_whose_condition_does_not_hold_is_not_applicable(
    rows: list[dict[str, str]],
) -> None:
    not_victims = [row for row in rows if row["chatter_background"] not in ("1", "")]
    assert not_victims
    assert {row["first_disclosure"] for row in not_victims} == {"-2"}


def test_the_person_dataset_holds_no_usernames_ids_tokens_or_exact_times(
    server: Server, person_csv: bytes, person_sav: bytes
) -> None:
    with zipfile.ZipFile(io.BytesIO(person_csv)) as archive:
        files = [archive.read(name) for name in archive.namelist()]
    # The .sav's 176-byte file header holds the file's own creation time, nobody's visit.
    files.append(person_sav[SAV_HEADER_BYTES:])
    secrets = [
        *(c.pseudonym for c in PLAN.conversations),
        *(c.id for c in PLAN.conversations),
        *(v.person_id for v in PLAN.visitors if v.person_id),
        *(row[0] for row in query(server, "SELECT id FROM staff")),
        *(row[0] for row in query(server, "SELECT token_hash FROM staff_sessions")),
    ]
    for content in files:
        for secret in secrets:
            assert secret.encode() not in content
        assert not re.search(rb"\d{4}-\d{2}-\d{2}", content)
        assert not re.search(rb"\d{2}:\d{2}", content)


async def test_research_ids_are_random_and_the_same_in_a_second_export(
    server: Server, researcher: Counsellor, rows: list[dict[str, str]]
) -> None:
    again = await export(researcher, level="person", format="csv", k_anonymity="suppress")
    first, second = rows, csv_rows(await download(researcher, again), "persons")
    assert first == second
    internal = {c.id for c in PLAN.conversations} | {v.person_id for v in PLAN.visitors}
    assert not {row["research_id"] for row in first} & internal
    stored = {row[0] for row in query(server, "SELECT DISTINCT research_id FROM research_ids")}
    assert {row["research_id"] for row in first} <= stored


# -- disclosure control -------------------------------------------------------------------------


async def test_refusal_names_the_combinations_shared_by_too_few(researcher: Counsellor) -> None:
    job = await export(researcher, level="person", format="csv", k_anonymity="refuse")
    assert job["status"] == "failed"
    assert job["error"]["code"] == "k_anonymity"
    assert job["error"]["errors"][0]["field"] == "combination"
    assert "gender=" in job["error"]["errors"][0]["reason"]
    assert job["download"] is None


def test_suppression_leaves_no_combination_shared_by_fewer_than_k(
    person_export: dict[str, Any], rows: list[dict[str, str]]
) -> None:
    classes: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for row in rows:
        classes[tuple(row[name] for name in QUASI_IDENTIFIERS)].add(row["research_id"])
    small = [
        key
        for key, persons in classes.items()
        if len(persons) < K and not all(v == "" or v.startswith("-") for v in key)
    ]
    assert small == []
    assert person_export["summary"]["disclosure"]["combinations"] > 0
    assert any(row["gender"] == "-3" for row in rows)


def test_a_suppressed_age_band_takes_the_exact_age_with_it(rows: list[dict[str, str]]) -> None:
    suppressed = [row for row in rows if row["age_band"] == "-3"]
    assert suppressed
    assert {row["age"] for row in suppressed} == {"-3"}


# -- formats ------------------------------------------------------------------------------------


def test_the_spss_file_carries_labels_and_declared_missing_values(
    person_sav: bytes, tmp_path: Path
) -> None:
    frame, meta = read_sav(person_sav, tmp_path)
    assert len(frame) == len(unique_visitors())
    assert meta.column_names_to_labels["gender"] == "Gender slachtoffer"
    assert meta.variable_value_labels["gender"][1] == "Vrouw"
    assert meta.variable_value_labels["gender"][-1] == "Onbekend / niet besproken"
    assert meta.missing_ranges["gender"] == [{"lo": -3.0, "hi": -1.0}]
    assert (frame["gender"] == -1).any()


async def test_the_spss_file_may_carry_english_labels(
    researcher: Counsellor, tmp_path: Path
) -> None:
    job = await export(
        researcher, level="person", format="sav", k_anonymity="suppress", language="en"
    )
    _, meta = read_sav(await download(researcher, job), tmp_path)
    assert meta.column_names_to_labels["gender"] == "Victim's gender"
    assert meta.variable_value_labels["gender"][1] == "Female"


def test_the_csv_comes_with_a_codebook_of_labels_and_missing_codes(person_csv: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(person_csv)) as archive:
        codebook = list(csv.DictReader(io.StringIO(archive.read("codebook.csv").decode())))
    gender = [line for line in codebook if line["column"] == "gender"]
    assert gender[0]["label_nl"] == "Gender slachtoffer"
    assert {(line["value"], line["value_label_en"], line["missing"]) for line in gender[1:]} >= {
        ("1", "Female", "no"),
        ("-1", "Unknown / not discussed", "yes"),
        ("-2", "Not applicable", "yes"),
    }


async def test_the_conversation_dataset_has_one_row_per_included_conversation(
    researcher: Counsellor,
) -> None:
    job = await export(researcher, level="conversation", format="csv", k_anonymity="suppress")
    rows = csv_rows(await download(researcher, job), "conversations")
    assert len(rows) == sum(len(included(v)) for v in unique_visitors())
    assert len({row["research_id"] for row in rows}) == len(unique_visitors())


# -- jobs, access and the log -------------------------------------------------------------------


def test_a_finished_export_reached_progress_100(person_export: dict[str, Any]) -> None:
    assert (person_export["status"], person_export["progress"]) == ("done", 100)


async def test_a_counsellor_may_not_export(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    body = {"year": YEAR, "level": "person", "format": "csv"}
    response = await counsellor.http("POST", "/api/research/exports", json=body)
    assert response.status_code == 403
    assert (await counsellor.http("GET", "/api/research/exports")).status_code == 403


async def test_a_visitor_is_not_let_in(server: Server) -> None:
    visitor = await Visitor.start(server)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/research/exports",
            headers={"Authorization": f"Bearer {visitor.token}"},
            json={"year": YEAR, "level": "person", "format": "csv"},
        )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "person", "format": "csv"}, "year"),
        ({"year": 1999, "level": "person", "format": "csv"}, "year"),
        ({"year": "2023", "level": "person", "format": "csv"}, "year"),
        ({"year": datetime.now(UTC).year + 1, "level": "person", "format": "csv"}, "year"),
        ({"year": YEAR, "level": "everyone", "format": "csv"}, "level"),
        ({"year": YEAR, "level": "person", "format": "xlsx"}, "format"),
        ({"year": YEAR, "level": "person", "format": "csv", "language": "de"}, "language"),
        ({"year": YEAR, "level": "person", "format": "csv", "k_anonymity": "no"}, "k_anonymity"),
        ({"year": YEAR, "level": "person", "format": "csv", "k": 1}, "k"),
    ],
)
async def test_a_wrong_option_is_refused_by_name_and_nothing_is_logged(
    researcher: Counsellor, supervisor: Counsellor, body: dict[str, Any], field: str
) -> None:
    before = await logged_ids(supervisor)
    response = await researcher.http("POST", "/api/research/exports", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert await logged_ids(supervisor) == before


async def test_every_export_is_logged_and_supervisors_read_the_whole_log(
    server: Server, supervisor: Counsellor, researcher: Counsellor
) -> None:
    other = await Counsellor.create(server, supervisor, "researcher2", role="researcher")
    job = await export(researcher, level="conversation", format="sav", k_anonymity="suppress")
    full_log = (await supervisor.http("GET", "/api/research/exports")).json()["exports"]
    entry = next(e for e in full_log if e["id"] == job["id"])
    assert (entry["requested_by"], entry["year"], entry["level"]) == (
        "researcher",
        YEAR,
        "conversation",
    )
    assert entry["options"]["k_anonymity"] == "suppress"
    own_log = (await other.http("GET", "/api/research/exports")).json()["exports"]
    assert own_log == []


async def test_only_the_researcher_who_asked_downloads_the_file(
    server: Server, supervisor: Counsellor, researcher: Counsellor
) -> None:
    job = await export(researcher, level="person", format="csv", k_anonymity="suppress")
    other = await Counsellor.create(server, supervisor, "researcher3", role="researcher")
    assert (await other.http("GET", job["download"])).status_code == 404
    assert (await other.http("GET", f"/api/research/exports/{job['id']}")).status_code == 404


async def test_a_supervisor_follows_a_researchers_export_but_does_not_download_it(
    supervisor: Counsellor, person_export: dict[str, Any]
) -> None:
    status = await supervisor.http("GET", f"/api/research/exports/{person_export['id']}")
    assert status.status_code == 200, status.text
    assert (await supervisor.http("GET", person_export["download"])).status_code == 404


async def test_the_command_line_export_shows_progress_writes_the_file_and_is_logged(
    server: Server, supervisor: Counsellor, tmp_path: Path
) -> None:
    out = tmp_path / "persons.sav"
    result = await asyncio.to_thread(
        run_cli,
        server,
        *("export", "--year", str(YEAR), "--format", "sav", "--k-anonymity", "suppress"),
        *("--out", str(out)),
    )
    assert result.returncode == 0, result.stderr
    assert "100%" in result.stderr
    frame, _ = pyreadstat.read_sav(str(out))
    assert len(frame) == len(unique_visitors())
    log = (await supervisor.http("GET", "/api/research/exports")).json()["exports"]
    assert any(e["requested_via"] == "cli" and e["status"] == "done" for e in log)


# -- in process: the file is purged, the log stays; any backend ---------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(YEAR + 1, 2, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_an_old_file_is_purged_and_its_log_entry_kept(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'purge.db'}")
    try:
        await upgrade(engine)
        await write(engine, PLAN)
        clock = Clock()
        exports = Exports(engine, Settings(research_export_keep_hours=1), clock)
        options = ExportOptions(YEAR, "person", "csv", k_anonymity="suppress")
        await exports.export_now(options, no_progress)
        clock.now += timedelta(hours=2)
        await exports.export_now(options, no_progress)
        jobs = await exports.store.jobs()
        assert [(j.has_file, j.purged_at is not None) for j in jobs] == [
            (True, False),
            (False, True),
        ]
    finally:
        await engine.dispose()


async def no_progress(done: int) -> None:
    pass


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


async def test_the_pipeline_counts_the_same_on_postgresql(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        await upgrade(engine)
        await write(engine, PLAN)
        counts = (await load_year(engine, YEAR)).counts
    finally:
        await engine.dispose()
    assert counts.unique_visitors == len(unique_visitors())
    assert counts.conversations == sum(len(counted(v)) for v in new_visitors())


def list_of(value: object) -> list[object]:
    return value if isinstance(value, list) else []
