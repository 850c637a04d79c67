"""A visitor and a counsellor hold a chat in two real browsers."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import Browsing, accept_next, say, start_chat, transcript


async def test_a_visitor_and_a_counsellor_chat_with_queue_pseudonym_and_typing_shown(
    people: Browsing,
) -> None:
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    await expect(visitor.get_by_text("Je bent nummer 1 in de wachtrij.")).to_be_visible()
    await expect(visitor.get_by_text("Geschatte wachttijd")).to_be_visible()

    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    await expect(
        transcript(visitor).get_by_text("Demo Counsellor is er nu voor je.")
    ).to_be_visible()
    await expect(visitor.get_by_text("Je bent nummer 1")).to_be_hidden()

    await say(visitor, "Je bericht", "Hallo, ik wil iets vertellen.")
    await expect(
        transcript(counsellor).get_by_text("Hallo, ik wil iets vertellen.")
    ).to_be_visible()

    await counsellor.get_by_label(f"Antwoord aan {pseudonym}").press_sequentially("Fijn")
    await expect(visitor.get_by_text("De hulpverlener is aan het typen…")).to_be_visible()
    await say(counsellor, f"Antwoord aan {pseudonym}", "Fijn dat je er bent. Vertel maar.")
    await expect(
        transcript(visitor).get_by_text("Fijn dat je er bent. Vertel maar.")
    ).to_be_visible()
    await expect(visitor.get_by_text("De hulpverlener is aan het typen…")).to_be_hidden()

    await visitor.get_by_label("Je bericht").press_sequentially("Het")
    await expect(counsellor.get_by_text(f"{pseudonym} is aan het typen…")).to_be_visible()

    visitor.once("dialog", lambda dialog: dialog.accept())
    await visitor.get_by_role("button", name="Chat beëindigen").click()
    await expect(visitor.get_by_text("De chat is afgelopen.")).to_be_visible()
    await expect(
        transcript(counsellor).get_by_text("De bezoeker heeft de chat beëindigd.")
    ).to_be_visible()
