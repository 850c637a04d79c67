"""Every screen can be read, heard and used: contrast, names, keyboard, language."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import (
    Browsing,
    accept_next,
    accessibility_problems,
    pane,
    say,
    start_chat,
)


async def test_every_screen_has_enough_contrast_and_every_control_a_name(people: Browsing) -> None:
    visitor = await people.visitor()
    assert await accessibility_problems(visitor) == []
    pseudonym = await start_chat(visitor)
    await say(visitor, "Je bericht", "Ik wacht even.")
    assert await accessibility_problems(visitor) == []

    counsellor = await people.staff("supervisor")
    await accept_next(counsellor, pseudonym)
    await say(counsellor, f"Antwoord aan {pseudonym}", "Hallo, ik ben er.")
    await pane(counsellor).get_by_text("Codering en koppelen").click()
    await pane(counsellor).get_by_role("button", name="Codering opslaan").wait_for()
    assert await accessibility_problems(counsellor) == []
    assert await accessibility_problems(visitor) == []
    for view, loaded in (
        ("Team", "Alle medewerkers"),
        ("Review", "Nog geen gesprekken met een hulpvraag"),
        ("Onderzoek", "Nog geen exports."),
        ("Verwijzingen", "Nog geen verwijzingen."),
        ("Auditlog", "Geen wijzigingen gevonden."),
    ):
        await counsellor.get_by_role("link", name=view).click()
        await counsellor.get_by_text(loaded).wait_for()
        assert await accessibility_problems(counsellor) == [], view


async def test_a_visitor_can_start_and_chat_with_the_keyboard_alone(people: Browsing) -> None:
    visitor = await people.visitor()
    await visitor.get_by_label("Je leeftijd (niet verplicht)").focus()
    await visitor.keyboard.type("16")
    await visitor.keyboard.press("Tab")  # to the gender choice
    await visitor.keyboard.press("Tab")  # to the start button
    await expect(visitor.get_by_role("button", name="Start de chat")).to_be_focused()
    await visitor.keyboard.press("Enter")
    await expect(visitor.get_by_label("Je bericht")).to_be_focused()
    await visitor.keyboard.type("Hallo")
    await visitor.keyboard.press("Enter")
    await expect(visitor.locator(".transcript .mine")).to_contain_text("Hallo")


async def test_the_visitor_page_speaks_english_when_asked_and_keeps_it(people: Browsing) -> None:
    visitor = await people.visitor()
    await visitor.get_by_role("button", name="Switch to English").click()
    await expect(visitor.get_by_role("heading", name="Chat anonymously")).to_be_visible()
    await expect(visitor.locator("html")).to_have_attribute("lang", "en")
    await visitor.get_by_role("button", name="Start the chat").click()
    await expect(visitor.get_by_text("In this chat your name is")).to_be_visible()
    await expect(visitor.get_by_text("You are number 1 in the queue.")).to_be_visible()
    await visitor.reload()
    await expect(visitor.get_by_text("In this chat your name is")).to_be_visible()
    await expect(visitor.get_by_role("button", name="Quick exit")).to_be_visible()
