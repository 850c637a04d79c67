"""Nobody waits unseen: the console alerts for a new visitor, a visitor who closed the tab
leaves the queue, and a visitor in danger sees 112 at once and goes ahead in line."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.support.browser import DESKTOP, Browsing, OpenBrowsers, log_in, start_chat
from tests.support.server import Server, StartServer

#: Records every desktop notification the console makes, as if the counsellor allowed them.
RECORD_NOTIFICATIONS = """
window.notified = [];
window.Notification = class {
  static permission = 'granted';
  static requestPermission() { return Promise.resolve('granted'); }
  constructor(title) { window.notified.push(title); }
};
"""


async def alerted_counsellor(people: Browsing, server: Server) -> Page:
    context = await people.context(DESKTOP)
    await context.add_init_script(RECORD_NOTIFICATIONS)
    page = await context.new_page()
    await page.goto("/console/")
    await log_in(page, *server.demo_passwords["counsellor"])
    await expect(page.locator("#connection")).to_have_text("Verbonden")
    return page


async def test_a_new_visitor_changes_the_console_title_and_raises_a_notification(
    people: Browsing, server: Server
) -> None:
    counsellor = await alerted_counsellor(people, server)
    assert await counsellor.evaluate("() => window.notified") == []

    await start_chat(await people.visitor())

    await expect(counsellor).to_have_title("(1) Console")
    notified = await counsellor.evaluate("() => window.notified")
    assert notified == ["Nieuwe bezoeker in de wachtrij"]
    icon = await counsellor.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    assert icon.startswith("data:image/png")


async def test_a_visitor_who_closes_the_tab_leaves_the_queue_after_the_grace_period(
    browse: OpenBrowsers, start_server: StartServer
) -> None:
    server = await start_server(QUEUE_ABANDON_AFTER_S="2")
    people = browse(server)
    counsellor = await people.staff()
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    await counsellor.locator("#queue-list").get_by_text(pseudonym).wait_for()

    await visitor.close()

    await expect(counsellor.locator("#queue-list").get_by_text(pseudonym)).to_have_count(0)
    await expect(counsellor).to_have_title("Console")


async def test_the_danger_question_shows_112_at_once_and_puts_the_chat_ahead(
    people: Browsing,
) -> None:
    counsellor = await people.staff()
    first = await people.visitor()
    first_name = await start_chat(first)
    await counsellor.locator("#queue-list").get_by_text(first_name).wait_for()

    urgent = await people.visitor()
    await expect(urgent.get_by_text("Bel nu 112.")).to_be_hidden()
    await urgent.get_by_role("radio", name="Ja").check()
    await expect(urgent.get_by_role("link", name="Bel nu 112.")).to_be_visible()
    urgent_name = await start_chat(urgent)

    queue = counsellor.locator("#queue-list li")
    await expect(queue).to_have_count(2)
    await expect(queue.first).to_contain_text(urgent_name)
    await expect(queue.first).to_contain_text("in gevaar")
    await expect(queue.nth(1)).to_contain_text(first_name)
    await expect(urgent.locator("#queue-position")).to_contain_text("1")
    await expect(first.locator("#queue-position")).to_contain_text("2")
