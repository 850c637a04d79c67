"""A visitor and a counsellor hold a chat in two real browsers."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import Browsing, accept_next, pane, say, start_chat, transcript


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


async def test_a_counsellor_keeps_a_note_and_hands_the_chat_to_a_colleague(
    people: Browsing,
) -> None:
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    supervisor = await people.staff("supervisor")
    await accept_next(counsellor, pseudonym)
    await pane(counsellor).get_by_label("Nieuwe notitie").fill("Eerst veiligheid bespreken.")
    await pane(counsellor).get_by_role("button", name="Notitie opslaan").click()
    await expect(pane(counsellor).locator(".note:not(.pending)")).to_contain_text(
        "Eerst veiligheid bespreken."
    )
    await expect(transcript(visitor).get_by_text("Eerst veiligheid bespreken.")).to_be_hidden()

    colleague = pane(counsellor).get_by_label("Overdragen aan")
    await colleague.select_option(label="Demo Supervisor (leidinggevende), 0 van 3 chats")
    counsellor.once("dialog", lambda dialog: dialog.accept())
    await pane(counsellor).get_by_role("button", name="Overdragen").click()
    await expect(counsellor.get_by_role("tab", name=pseudonym)).to_contain_text("overgedragen")
    await expect(supervisor.get_by_role("heading", name=pseudonym)).to_be_visible()
    await expect(
        transcript(visitor).get_by_text("overgenomen door Demo Supervisor")
    ).to_be_visible()
    await say(supervisor, f"Antwoord aan {pseudonym}", "Ik neem het over.")
    await expect(transcript(visitor).get_by_text("Ik neem het over.")).to_be_visible()
