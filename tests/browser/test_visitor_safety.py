"""The visitor page keeps a visitor safe: quick exit, small screens, bad networks, plain words."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.support.browser import (
    SMALL_PHONE,
    Browsing,
    OpenBrowsers,
    accept_next,
    pane,
    say,
    start_chat,
    transcript,
)
from tests.support.hours import hours_closed_now
from tests.support.pilots import Visitor
from tests.support.server import Server, StartServer

NEUTRAL_TITLE = "Pannenkoeken bakken \u2013 recept"


async def storage_left(page: Page) -> dict[str, object]:
    return dict(
        await page.evaluate(
            "() => ({session: sessionStorage.length, local: localStorage.length,"
            " cookies: document.cookie, history: history.length})"
        )
    )


async def token_of(visitor: Page) -> str:
    return str(await visitor.evaluate("() => JSON.parse(sessionStorage.getItem('chat')).token"))


async def quick_exit_refused(server: Server, token: str) -> bool:
    """The token no longer works: the chat was ended and forgotten by the server too."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": token}
        )
    return response.status_code == 401


async def test_quick_exit_leaves_no_history_entry_no_storage_and_ends_the_chat(
    people: Browsing, server: Server
) -> None:
    visitor = await (await people.context(SMALL_PHONE)).new_page()
    await visitor.goto("/neutral.html")  # where the visitor was before: stays in the history
    await visitor.goto("/")
    await start_chat(visitor)
    token = await token_of(visitor)
    before = await storage_left(visitor)

    await visitor.get_by_role("button", name="Snel weg").click()
    await expect(visitor).to_have_title(NEUTRAL_TITLE)
    await expect(visitor).to_have_url(f"{server.base_url}/neutral.html")
    after = await storage_left(visitor)
    assert after == {"session": 0, "local": 0, "cookies": "", "history": before["history"]}
    await visitor.go_back()
    await expect(visitor).to_have_title(NEUTRAL_TITLE)  # the earlier page, not the chat
    assert await quick_exit_refused(server, token)


async def test_escape_twice_is_a_quick_exit_and_once_is_not(people: Browsing) -> None:
    visitor = await people.visitor()
    await start_chat(visitor)
    await visitor.keyboard.press("Escape")
    await expect(visitor.get_by_label("Je bericht")).to_be_visible()
    await visitor.keyboard.press("Escape")
    await expect(visitor).to_have_title(NEUTRAL_TITLE)
    assert (await storage_left(visitor))["session"] == 0


async def test_the_quick_exit_is_the_first_tab_stop_and_works_from_the_keyboard(
    people: Browsing,
) -> None:
    visitor = await people.visitor()
    await visitor.keyboard.press("Tab")
    await expect(visitor.get_by_role("button", name="Snel weg")).to_be_focused()
    await visitor.keyboard.press("Enter")
    await expect(visitor).to_have_title(NEUTRAL_TITLE)


async def test_a_network_drop_loses_no_message_either_way_and_shows_none_twice(
    people: Browsing,
) -> None:
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    await say(visitor, "Je bericht", "Voor de storing.")
    await expect(transcript(counsellor).get_by_text("Voor de storing.")).to_be_visible()

    offline = visitor.context
    await offline.set_offline(True)
    await say(counsellor, f"Antwoord aan {pseudonym}", "Tijdens de storing van de hulpverlener.")
    await say(visitor, "Je bericht", "Tijdens de storing van de bezoeker.")
    await expect(visitor.get_by_text("De verbinding is weg.")).to_be_visible()
    await expect(visitor.locator(".pending")).to_have_count(1)  # kept, not lost
    await offline.set_offline(False)

    await expect(visitor.locator(".pending, .failed")).to_have_count(0)  # resent and confirmed
    for text in (
        "Voor de storing.",
        "Tijdens de storing van de hulpverlener.",
        "Tijdens de storing van de bezoeker.",
    ):
        await expect(transcript(visitor).get_by_text(text)).to_have_count(1)
        await expect(transcript(counsellor).get_by_text(text)).to_have_count(1)


async def test_a_reload_resumes_the_chat_with_its_whole_transcript(people: Browsing) -> None:
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    await say(counsellor, f"Antwoord aan {pseudonym}", "Ik ben er voor je.")
    await expect(transcript(visitor).get_by_text("Ik ben er voor je.")).to_be_visible()
    await visitor.reload()
    await expect(visitor.get_by_text(f"In deze chat heet je {pseudonym}.")).to_be_visible()
    await expect(transcript(visitor).get_by_text("Ik ben er voor je.")).to_have_count(1)
    await expect(pane(counsellor)).to_be_visible()


async def test_the_widget_fits_a_small_phone_screen(people: Browsing) -> None:
    visitor = await (await people.context(SMALL_PHONE)).new_page()
    await visitor.goto("/")
    await expect_fits(visitor)
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    for n in range(12):  # more than a screenful: the page must not grow past the screen
        await say(
            counsellor, f"Antwoord aan {pseudonym}", f"Bericht nummer {n} met wat tekst erbij."
        )
    await expect(transcript(visitor).get_by_text("Bericht nummer 11")).to_be_visible()
    await expect_fits(visitor)
    for control in ("Snel weg", "Versturen"):
        await expect(visitor.get_by_role("button", name=control)).to_be_in_viewport()
    await expect(visitor.get_by_label("Je bericht")).to_be_in_viewport()


async def expect_fits(page: Page) -> None:
    """Nothing sticks out sideways, and the quick exit is on the screen."""
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE["width"]
    await expect(page.get_by_role("button", name="Snel weg")).to_be_in_viewport()


async def test_outside_the_opening_hours_the_page_says_closed_and_when_it_opens(
    browse: OpenBrowsers, start_server: StartServer
) -> None:
    server = await start_server(OPENING_HOURS=hours_closed_now())
    visitor = await browse(server).visitor()
    await expect(visitor.get_by_text("De chat is nu gesloten.")).to_be_visible()
    await expect(visitor.get_by_text("We zijn er weer op")).to_contain_text("om 09:00")
    await expect(visitor.get_by_text("Ben je nu in gevaar? Bel 112.")).to_be_visible()
    await expect(visitor.get_by_role("button", name="Start de chat")).to_be_hidden()


async def test_a_full_queue_is_said_plainly_and_the_form_returns_when_there_is_room(
    browse: OpenBrowsers, start_server: StartServer
) -> None:
    server = await start_server(QUEUE_MAX_WAITING="1")
    waiting = await Visitor.start(server)
    visitor = await browse(server).visitor()
    await expect(visitor.get_by_text("Het is nu heel druk")).to_be_visible()
    await expect(visitor.get_by_role("button", name="Start de chat")).to_be_hidden()
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": waiting.token}
        )
    await visitor.get_by_role("button", name="Opnieuw kijken").click()
    await start_chat(visitor)
