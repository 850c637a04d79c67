"""Screenshots of the main screens for the README, taken from the real server in Chromium.

Run ``scripts/screenshots`` (or ``python -m tests.browser.screenshots [DIR]``). It starts a
server with a referral unit and a synthetic coded year, plays a short shift (visitors, a
counsellor, a supervisor, research) and saves one PNG per screen to ``docs/screenshots/``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    Browsing,
    accept_next,
    launch,
    pane,
    say,
    start_chat,
)
from tests.support.intake import Intake, write_units_file
from tests.support.server import QUICK_HASHING, ROOT, Server, free_port, run_cli, sqlite_server

OUT = ROOT / "docs" / "screenshots"
#: The research page's defaults are last year's: the synthetic year is that one.
RESEARCH_YEAR = date.today().year - 1
TALL = {**DESKTOP, "height": 1800}
#: The yearly report's page: its contents, then a chapter (``None``: the top) per shot.
REPORT_SHOTS = (
    ("report-contents", None),
    ("report-background", "#p-background"),
    ("report-chapter", "#p-form_sexual"),
)


async def shoot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_timeout(300)  # let focus rings and late text settle
    await page.screenshot(path=out / f"{name}.png")
    print(f"saved {out / name}.png")


async def take(browsing: Browsing, out: Path) -> None:
    visitor = await browsing.visitor(PHONE)
    await shoot(visitor, out, "visitor-start")
    pseudonym = await start_chat(visitor)
    others = [await browsing.visitor(PHONE) for _ in range(2)]  # they wait behind
    names = [await start_chat(other) for other in others]
    await say(visitor, "Je bericht", "Hoi. Ik weet niet goed of ik hier goed zit.")
    await shoot(visitor, out, "visitor-queue")

    counsellor = await browsing.staff("counsellor", DESKTOP)
    await shoot(counsellor, out, "console-queue")
    await accept_next(counsellor, pseudonym)
    reply = f"Antwoord aan {pseudonym}"
    await say(
        counsellor, reply, "Hoi, fijn dat je er bent. Je zit hier goed. Vertel maar wat er is."
    )
    await say(visitor, "Je bericht", "Ik werk in een nagelsalon. De baas houdt mijn paspoort.")
    await say(visitor, "Je bericht", "Ik mag niet weg en krijg bijna geen geld.")
    await say(counsellor, reply, "Dat klinkt heel zwaar. Ben je nu op een veilige plek?")
    await counsellor.get_by_label(reply).press_sequentially("Je hoeft")
    await expect(visitor.get_by_text("De hulpverlener is aan het typen…")).to_be_visible()
    await shoot(visitor, out, "visitor-chat")
    await counsellor.get_by_label(reply).fill("")

    await accept_next(counsellor, names[0])
    await say(others[0], "Je bericht", "Mijn vriendje wil dat ik met mannen afspreek voor geld.")
    await counsellor.get_by_role("tab", name=pseudonym).click()
    await (
        pane(counsellor)
        .get_by_label("Nieuwe notitie")
        .fill("Paspoort ingenomen door werkgever; AVIM besproken.")
    )
    await pane(counsellor).get_by_role("button", name="Notitie opslaan").click()
    await shoot(counsellor, out, "console-chats")

    await pane(counsellor).get_by_text("Codering en koppelen").click()
    form = pane(counsellor).locator(".coding-form")
    await form.get_by_label("Ja").first.check()
    await form.get_by_label("Achtergrond chatter").select_option(label="Slachtoffer")
    await form.get_by_label("Kanaal").select_option(label="Direct via de chat")
    await form.get_by_label("Taal van het gesprek").select_option(label="Nederlands")
    await form.get_by_label("Verwijzer (hoe bij de chat gekomen)").select_option(
        label="Onbekend / niet besproken"
    )
    await form.get_by_label("Arbeidsuitbuiting").check()
    await form.get_by_label("Leeftijd slachtoffer").fill("130")
    await form.get_by_role("button", name="Codering opslaan").click()
    await form.get_by_text("Vul een heel getal in").wait_for()
    await shoot(counsellor, out, "console-coding")
    await form.get_by_label("Leeftijd slachtoffer").fill("19")
    await form.get_by_role("button", name="Codering opslaan").click()

    await pane(counsellor).get_by_role("button", name="Verwijzen naar politie (AVIM)").click()
    referral = pane(counsellor).locator(".referral-form")
    await referral.get_by_label("Provincie").select_option(label="Noord-Brabant")
    await referral.get_by_label("Eenheid").select_option(label="Oost-Brabant")
    await referral.get_by_label("arbeidsuitbuiting").check()
    await referral.get_by_label("Leeftijd (leeg als onbekend)").fill("19")
    await referral.get_by_label("Nationaliteit").fill("PL")
    await referral.get_by_label("Details").fill("+31 6 1234 5678")
    await referral.get_by_label("Samenvatting").fill(
        "Werkt in nagelsalon, paspoort ingenomen, wil met de politie praten; bellen na 18:00."
    )
    await referral.scroll_into_view_if_needed()
    await shoot(counsellor, out, "console-referral-form")
    await referral.get_by_role("button", name="Voorstel aan de bezoeker tonen").click()
    card = visitor.locator(".referral-card")
    await card.wait_for()
    await card.scroll_into_view_if_needed()
    await shoot(visitor, out, "visitor-consent")
    await card.get_by_role("button", name="Ja, ik geef toestemming").click()
    await counsellor.get_by_text("toestemming gegeven").first.wait_for()
    await pane(counsellor).locator(".referral").get_by_text("Wat wordt gedeeld").click()
    await pane(counsellor).locator(".referral").scroll_into_view_if_needed()
    await counsellor.locator("#toast").wait_for(state="hidden")  # it covers the end button
    await shoot(counsellor, out, "console-referral-panel")

    supervisor = await browsing.staff("supervisor", DESKTOP)
    for view, name in (
        ("Team", "team"),
        ("Review", "review"),
        ("Verwijzingen", "referrals"),
        ("Auditlog", "audit"),
    ):
        await supervisor.get_by_role("link", name=view).click()
        await supervisor.get_by_role("table").first.wait_for()
        if view == "Review":
            await supervisor.get_by_role("button", name=f"Codering van {pseudonym} openen").click()
            await supervisor.locator(".review-detail .coding-progress").wait_for()
        await shoot(supervisor, out, f"console-{name}")

    # After the audit log's shot: keeping a quote is audited.
    await say(visitor, "Je bericht", "Mijn baas heet Marco, de salon is in Tilburg.")
    message = pane(counsellor).get_by_role("listitem").filter(has_text="Mijn baas heet Marco")
    await message.get_by_role("button", name="Bewaren als citaat").click()
    box = message.locator(".quote-box")
    await box.get_by_role("button", name="Citaat bewaren").wait_for(timeout=300_000)  # loads deduce
    await box.get_by_role("button", name="baas", exact=True).click()
    await shoot(counsellor, out, "console-quote-preview")
    await box.get_by_role("button", name="Citaat bewaren").click()
    await box.get_by_role("button", name="Citaat verwijderen").wait_for()
    await research(supervisor, out)

    login = await (await browsing.context(DESKTOP)).new_page()
    await login.goto("/console/")
    await shoot(login, out, "console-login")


async def research(supervisor: Page, out: Path) -> None:
    """The research page: an export and the yearly report done, this year's quotes listed."""
    await supervisor.get_by_role("link", name="Onderzoek").click()
    export = supervisor.get_by_role("region", name="Dataset exporteren")
    await export.get_by_label("Kleine groepen (k-anonimiteit)").select_option("suppress")
    await export.get_by_role("button", name="Export starten").click()
    await export.get_by_role("button", name="Bestand downloaden").wait_for()
    report = supervisor.get_by_role("region", name="Jaarverslag")
    await report.get_by_role("button", name="Jaarverslag maken").click()
    await report.get_by_role("button", name="Bestand downloaden").wait_for()
    quotes = supervisor.get_by_role("region", name="Citaten")
    await quotes.get_by_label("Jaar", exact=True).fill(str(RESEARCH_YEAR + 1))
    await quotes.get_by_role("button", name="Tonen").click()
    await quotes.get_by_role("table").wait_for()
    await supervisor.set_viewport_size(TALL)  # the whole page, top to the export log
    await supervisor.locator("[data-view-section=research]").evaluate("page => page.scrollTo(0, 0)")
    await shoot(supervisor, out, "console-research")
    await supervisor.set_viewport_size(DESKTOP)


async def yearly_report(browsing: Browsing, out: Path) -> None:
    """The yearly report's page, made on the command line (after the research page's shot, so
    that the export log there is the app's own), as a researcher opens it from the zip."""
    folder = Path(tempfile.mkdtemp(prefix="report-"))
    made = await asyncio.to_thread(
        run_cli, browsing.server, "report", "--year", str(RESEARCH_YEAR), "--out", str(folder)
    )
    if made.returncode:
        raise SystemExit(made.stderr)
    page = await (await browsing.context(TALL)).new_page()
    await page.set_content((folder / f"report-{RESEARCH_YEAR}.html").read_text(encoding="utf-8"))
    for name, chapter in REPORT_SHOTS:
        if chapter:
            await page.locator(chapter).evaluate("part => part.scrollIntoView()")
        await shoot(page, out, name)


async def browse(server: Server, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        browsing = Browsing(browser, server)
        try:
            await take(browsing, out)
            await yearly_report(browsing, out)
        finally:
            await browsing.close()
            await browser.close()
    if browsing.guard.problems:
        raise SystemExit("\n".join(browsing.guard.problems))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        unit = Intake(
            port=free_port(),
            secret="screenshots-oost-brabant-unit-secret-7d1c",
            data_dir=root / "unit",
        )
        units = write_units_file(root, {"oost-brabant": unit.entry()})
        server = sqlite_server(root, **QUICK_HASHING, REFERRAL_UNITS_FILE=str(units))
        unit.start()
        server.start()
        try:
            made = run_cli(server, "synthesize", "--year", str(RESEARCH_YEAR), "--visitors", "120")
            if made.returncode:
                raise SystemExit(made.stderr)
            asyncio.run(browse(server, out))
        finally:
            server.stop()
            unit.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
