"""The researcher's page (exports, the yearly report, quotes, the export log) and research quotes
kept from a chat, in a real browser against a server holding a synthetic coded year."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Locator, Page, expect

from tests.support.browser import (
    DESKTOP,
    Browsing,
    OpenBrowsers,
    accept_next,
    accessibility_problems,
    log_in,
    open_view,
    pane,
    say,
    start_chat,
    transcript,
)
from tests.support.pilots import Counsellor, in_conversation
from tests.support.research import synthetic_year_server
from tests.support.server import Server

#: A year whose person dataset has combinations shared by fewer than k = 5 persons.
YEAR, VISITORS, SEED = 2023, 60, 11
RESEARCHER = "rita"
#: Kept as a quote while the module's server is made ready, and as it is stored.
QUOTED = "Mijn snap is lisa_xx, bel 0612345678."
STORED = "Mijn snap is [GEBRUIKERSNAAM], bel [TELEFOONNUMMER]."
#: Said in a chat, its preview, and what is stored with the extra word "woon" struck.
SAID = "Ik ben Sanne en ik woon in Rotterdam."
PREVIEWED = "Ik ben [NAAM] en ik woon in [LOCATIE]."
STRUCK = "Ik ben [NAAM] en ik [ANONIEM] in [LOCATIE]."
#: The module's first test also waits for its server: a synthetic year, and deduce loaded.
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
async def research_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One server for the module, with a synthetic coded year and one quote of this year.

    The first quote on a server waits for deduce to load (seconds from the cache, more on a
    busy machine); it is kept while the command line makes the year, so no test waits for it.
    """
    directory = tmp_path_factory.mktemp("research-page")
    async with synthetic_year_server(directory, YEAR, VISITORS, SEED, meanwhile=keep) as server:
        yield server


async def keep(server: Server) -> None:
    """A visitor says :data:`QUOTED` and the counsellor keeps it as a quote."""
    visitor, counsellor, conversation_id = await in_conversation(server)
    said = await visitor.say(QUOTED)
    kept = await counsellor.http(
        "POST",
        f"/api/triage/conversations/{conversation_id}/quotes",
        json={"seq": said["seq"]},
        timeout=150,
    )
    assert kept.status_code == 201, kept.text


@pytest.fixture(scope="module")
async def researcher(research_server: Server) -> Counsellor:
    supervisor = await Counsellor.demo(research_server, "supervisor")
    return await Counsellor.create(research_server, supervisor, RESEARCHER, role="researcher")


@pytest.fixture
def people(browse: OpenBrowsers, research_server: Server, researcher: Counsellor) -> Browsing:
    """Browsers on the module's server, where the researcher has an account."""
    return browse(research_server)


async def research_page(people: Browsing) -> Page:
    """The researcher, logged in, on the research page."""
    page = await (await people.context(DESKTOP)).new_page()
    await page.goto("/console/")
    await log_in(page, RESEARCHER, f"{RESEARCHER}-long-password-1")
    await open_view(page, "Onderzoek")
    return page


async def start_export(page: Page, k_anonymity: str) -> Locator:
    """A person-level CSV export of the synthetic year; its part of the page."""
    export = page.get_by_role("region", name="Dataset exporteren")
    await export.get_by_label("Jaar", exact=True).fill(str(YEAR))
    await export.get_by_label("Niveau").select_option(label="Per persoon (unieke bezoekers)")
    await export.get_by_label("Bestand").select_option(label="CSV met codeboek (zip)")
    await export.get_by_label("Kleine groepen (k-anonimiteit)").select_option(k_anonymity)
    await export.get_by_role("button", name="Export starten").click()
    return export


async def downloaded(page: Page, control: Locator) -> tuple[str, bytes]:
    """Click a download button; the file's name and content as the browser saved it."""
    async with page.expect_download() as started:
        await control.click()
    download = await started.value
    saved = await download.path()
    return download.suggested_filename, await asyncio.to_thread(saved.read_bytes)


async def test_a_person_export_with_suppression_runs_to_done_and_downloads(
    people: Browsing,
) -> None:
    page = await research_page(people)
    export = await start_export(page, "suppress")
    progress = export.get_by_role("progressbar", name="Voortgang van de export")
    await expect(progress).to_have_attribute("value", "100")
    summary = export.get_by_role("status").filter(has_text="Klaar:")
    await expect(summary).to_contain_text("waarden onderdrukt voor privacy")

    name, content = await downloaded(page, export.get_by_role("button", name="Bestand downloaden"))
    assert name == f"persons-{YEAR}.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert set(archive.namelist()) == {f"persons-{YEAR}.csv", "codebook.csv"}
    await expect(export.get_by_text(f"Gedownload: {name}.")).to_be_visible()
    log = page.get_by_role("region", name="Exportlog")
    await expect(log.get_by_role("row").filter(has_text="onderdrukken")).to_contain_text(
        "klaar, gedownload"
    )
    assert await accessibility_problems(page) == []


async def test_an_export_refused_for_k_anonymity_shows_why_and_can_suppress_instead(
    people: Browsing,
) -> None:
    page = await research_page(people)
    export = await start_export(page, "refuse")
    refusal = export.get_by_role("alert")
    await expect(refusal).to_contain_text("Niet vrijgegeven")
    await expect(refusal).to_contain_text("shared by fewer than 5 persons: age_band=")
    assert await accessibility_problems(page) == []

    await refusal.get_by_role("button", name="Opnieuw, met onderdrukken").click()
    await expect(export.get_by_role("progressbar")).to_be_focused()
    await expect(export.get_by_label("Kleine groepen (k-anonimiteit)")).to_have_value("suppress")
    await expect(export.get_by_role("button", name="Bestand downloaden")).to_be_visible()


async def test_the_yearly_report_runs_to_done_and_downloads_as_a_zip(people: Browsing) -> None:
    page = await research_page(people)
    report = page.get_by_role("region", name="Jaarverslag")
    await report.get_by_label("Jaar", exact=True).fill(str(YEAR))
    await report.get_by_label("Vergelijken met eerdere jaren").fill("1")
    await report.get_by_role("button", name="Jaarverslag maken").click()
    progress = report.get_by_role("progressbar", name="Voortgang van het jaarverslag")
    await expect(progress).to_have_attribute("value", "100")

    name, content = await downloaded(page, report.get_by_role("button", name="Bestand downloaden"))
    assert name == f"report-{YEAR}.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert f"report-{YEAR}.html" in archive.namelist()


async def test_a_wrong_year_is_refused_in_the_form_before_anything_starts(
    people: Browsing,
) -> None:
    page = await research_page(people)
    report = page.get_by_role("region", name="Jaarverslag")
    await report.get_by_label("Jaar", exact=True).fill("1999")
    await report.get_by_role("button", name="Jaarverslag maken").click()
    year = report.get_by_label("Jaar", exact=True)
    await expect(year).to_be_focused()
    await expect(year).to_have_attribute("aria-invalid", "true")
    await expect(report.get_by_role("alert")).to_contain_text("Vul een jaar in van 2000")
    await expect(report.get_by_role("progressbar")).to_be_hidden()


async def test_a_supervisor_reads_everyones_exports_in_the_log_but_downloads_none(
    people: Browsing, researcher: Counsellor
) -> None:
    asked = await researcher.http(
        "POST",
        "/api/research/exports",
        json={"year": YEAR, "level": "conversation", "format": "sav", "k_anonymity": "suppress"},
    )
    assert asked.status_code == 202, asked.text
    supervisor = await people.staff("supervisor")
    await open_view(supervisor, "Onderzoek")
    log = supervisor.get_by_role("table", name="Alle exports en jaarverslagen", exact=False)
    row = log.get_by_role("row").filter(has_text="dataset per gesprek")
    await expect(row).to_contain_text(RESEARCHER)
    await expect(row).to_contain_text("SPSS (.sav)")
    await expect(row.get_by_role("button")).to_have_count(0)  # only the one who asked


async def quote_preview(people: Browsing, text: str) -> tuple[Page, Locator, str]:
    """A visitor says ``text``; the counsellor asks to keep it and sees the preview.

    Returns the counsellor's page, the message and the conversation id.
    """
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    await say(visitor, "Je bericht", text)
    message = transcript(counsellor).get_by_role("listitem").filter(has_text=text)
    await message.get_by_role("button", name="Bewaren als citaat").click()
    await expect(message.locator(".quote-box")).to_be_focused()
    conversation_id = await pane(counsellor).get_attribute("data-cid")
    assert conversation_id
    return counsellor, message, conversation_id


async def stored_quotes(server: Server, conversation_id: str) -> list[str]:
    """The conversation's quotes as the API has them."""
    staff = await Counsellor.demo(server)
    response = await staff.http("GET", f"/api/triage/conversations/{conversation_id}/quotes")
    assert response.status_code == 200, response.text
    return [quote["text"] for quote in response.json()["quotes"]]


# The demo counsellor takes at most three chats and the module's server keeps them open: the
# fixture's quote and these two tests; each test below is therefore a few steps of one story.


async def test_a_counsellor_sees_the_de_identified_preview_and_cancelling_stores_nothing(
    people: Browsing, research_server: Server
) -> None:
    counsellor, message, conversation_id = await quote_preview(people, SAID)
    box = message.locator(".quote-box")
    await expect(box).to_contain_text("Er is nog niets opgeslagen.")
    await expect(box.locator("blockquote")).to_have_text(PREVIEWED)
    # What the server removed is text, not a button: it cannot be put back.
    words = box.get_by_role("group", name="Woorden van het citaat", exact=False)
    await expect(words.get_by_role("button")).to_have_count(6)  # Ik ben en ik woon in
    await expect(words.get_by_role("button", name="[NAAM]")).to_have_count(0)
    await expect(words.get_by_role("button", name="Sanne")).to_have_count(0)
    keep = message.get_by_role("button", name="Bewaren als citaat")
    await expect(keep).to_be_hidden()
    assert await accessibility_problems(counsellor) == []

    await words.get_by_role("button", name="woon", exact=True).click()
    await box.get_by_role("button", name="Annuleren").click()
    await expect(keep).to_be_focused()
    await expect(box).to_have_text("Niet bewaard.")
    assert await stored_quotes(research_server, conversation_id) == []

    await keep.click()  # a new preview starts afresh, and Escape cancels as well
    await expect(box.get_by_role("button", name="woon", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    await counsellor.keyboard.press("Escape")
    await expect(keep).to_be_focused()
    assert await stored_quotes(research_server, conversation_id) == []


async def test_a_counsellor_strikes_an_extra_word_and_the_stored_quote_lacks_it(
    people: Browsing, research_server: Server
) -> None:
    counsellor, message, conversation_id = await quote_preview(people, SAID)
    box = message.locator(".quote-box")
    ben = box.get_by_role("button", name="ben", exact=True)
    await ben.click()
    await ben.click()  # pressed twice: kept after all
    await expect(ben).to_have_attribute("aria-pressed", "false")
    woon = box.get_by_role("button", name="woon", exact=True)
    await woon.focus()
    await counsellor.keyboard.press("Space")  # a toggle from the keyboard, too
    await expect(woon).to_have_attribute("aria-pressed", "true")
    await box.get_by_role("button", name="Citaat bewaren").click()

    await expect(box).to_be_focused()
    await expect(box.locator("blockquote")).to_have_text(STRUCK)
    assert await stored_quotes(research_server, conversation_id) == [STRUCK]
    assert await accessibility_problems(counsellor) == []

    await box.get_by_role("button", name="Citaat verwijderen").click()
    await expect(message.get_by_role("button", name="Bewaren als citaat")).to_be_focused()
    await expect(box).to_have_text("Citaat verwijderd.")


async def test_a_researcher_lists_the_years_quotes_and_downloads_them_as_csv(
    people: Browsing,
) -> None:
    this_year = str(datetime.now(UTC).year)
    page = await research_page(people)
    quotes = page.get_by_role("region", name="Citaten")
    await quotes.get_by_label("Jaar", exact=True).fill(this_year)
    await quotes.get_by_role("button", name="Tonen").click()
    row = quotes.get_by_role("row").filter(has_text=STORED)
    await expect(row).to_contain_text("bezoeker")

    name, content = await downloaded(
        page, quotes.get_by_role("button", name="Citaten als CSV downloaden")
    )
    assert name == f"quotes-{this_year}.csv"
    rows = csv.DictReader(io.StringIO(content.decode("utf-8")))
    assert STORED in [row["text"] for row in rows]
