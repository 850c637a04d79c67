"""A quick exit tells the counsellor the visitor may no longer be safe, and lands elsewhere."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.support.browser import OpenBrowsers, accept_next, pane, start_chat, transcript
from tests.support.server import StartServer

#: A local stand-in for QUICK_EXIT_URL: tests never leave the machine.
LANDING = "/neutral.html?from=elsewhere"
EVENT = "Bezoeker heeft Snel weg gebruikt — mogelijk niet meer veilig."


async def _chatting(start_server: StartServer, browse: OpenBrowsers) -> tuple[Page, Page, str]:
    server = await start_server(QUICK_EXIT_URL=LANDING, VISITOR_PAGE_TITLE="Weer vandaag")
    people = browse(server)
    counsellor = await people.staff()
    visitor = await (await people.context({"width": 390, "height": 800})).new_page()
    await visitor.goto("/neutral.html")  # where the visitor was before
    await visitor.goto("/")
    await expect(visitor).to_have_title("Weer vandaag")
    pseudonym = await start_chat(visitor)
    await accept_next(counsellor, pseudonym)
    return visitor, counsellor, server.base_url


async def _left_by_replace(visitor: Page, base_url: str, history_before: int) -> None:
    await expect(visitor).to_have_url(f"{base_url}{LANDING}")
    assert await visitor.evaluate("() => history.length") == history_before
    assert await visitor.evaluate("() => sessionStorage.length") == 0


async def _counsellor_sees_the_quick_exit(counsellor: Page) -> None:
    event = transcript(counsellor).locator(".msg.system.quick-exit")
    await expect(event).to_have_text(EVENT)
    await expect(pane(counsellor).locator(".quick-exit-flag")).to_contain_text("Snel weg gebruikt")
    await expect(counsellor.get_by_role("tab").filter(has_text="Snel weg")).to_be_visible()


async def test_the_button_reaches_the_console_as_a_quick_exit_and_lands_on_the_configured_page(
    start_server: StartServer, browse: OpenBrowsers
) -> None:
    visitor, counsellor, base_url = await _chatting(start_server, browse)
    history_before = await visitor.evaluate("() => history.length")
    await visitor.get_by_role("button", name="Snel weg").click()
    await _left_by_replace(visitor, base_url, history_before)
    await _counsellor_sees_the_quick_exit(counsellor)


async def test_shift_three_times_is_a_quick_exit_too(
    start_server: StartServer, browse: OpenBrowsers
) -> None:
    visitor, counsellor, base_url = await _chatting(start_server, browse)
    history_before = await visitor.evaluate("() => history.length")
    for _ in range(3):
        await visitor.keyboard.press("Shift")
    await _left_by_replace(visitor, base_url, history_before)
    await _counsellor_sees_the_quick_exit(counsellor)


async def test_typing_capitals_and_two_shifts_do_not_leave_and_the_count_is_announced(
    start_server: StartServer, browse: OpenBrowsers
) -> None:
    visitor, _, _ = await _chatting(start_server, browse)
    box = visitor.get_by_label("Je bericht")
    await box.click()
    await visitor.keyboard.press("Shift")
    await visitor.keyboard.press("Shift")
    await expect(visitor.locator("#quick-exit-live")).to_have_text(
        "Shift: nog 1 keer drukken om de pagina te verlaten."
    )
    await visitor.keyboard.type("Hallo Daar")  # a letter in between starts the count again
    await visitor.keyboard.press("Shift")
    await visitor.keyboard.press("Shift+A")
    await visitor.keyboard.press("Shift+B")
    await visitor.wait_for_timeout(300)
    await expect(box).to_be_visible()
    await expect(box).to_have_value("Hallo DaarAB")


async def test_the_keys_are_told_to_screen_readers_with_the_button(
    start_server: StartServer, browse: OpenBrowsers
) -> None:
    server = await start_server()
    visitor = await browse(server).visitor()
    await expect(visitor.get_by_role("button", name="Snel weg")).to_have_accessible_description(
        "Of druk 3 keer op Shift, of 2 keer op Esc, om deze pagina meteen te verlaten."
    )
