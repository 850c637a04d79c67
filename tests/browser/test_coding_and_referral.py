"""A counsellor codes a chat and refers the victim to the police; the visitor consents."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page, expect

from tests.support.browser import Browsing, OpenBrowsers, accept_next, pane, start_chat
from tests.support.intake import Intake
from tests.support.pilots import Counsellor
from tests.support.server import Server


async def in_chat(people: Browsing) -> tuple[Page, Page, str]:
    """A visitor and the demo counsellor in a chat, each in their own browser."""
    visitor = await people.visitor()
    pseudonym = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, pseudonym)
    return visitor, counsellor, pseudonym


async def triage_state(server: Server, counsellor: Page) -> dict[str, Any]:
    conversation_id = await pane(counsellor).get_attribute("data-cid")
    staff = await Counsellor.demo(server)
    response = await staff.http("GET", f"/api/triage/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_counsellor_codes_a_chat_with_unknown_as_a_choice_and_mistakes_shown_inline(
    people: Browsing, server: Server
) -> None:
    _, counsellor, _ = await in_chat(people)
    await pane(counsellor).get_by_text("Codering en koppelen").click()
    form = pane(counsellor).locator(".coding-form")
    await form.get_by_role("radio", name="Ja").check()
    await expect(form.get_by_text("Hulpvraag opgeslagen.")).to_be_visible()

    background = form.get_by_label("Achtergrond chatter")
    await background.select_option(label="Slachtoffer")
    await expect(form.get_by_text("Eerste keer verteld")).to_be_visible()  # applies to victims
    await background.select_option(label="Onbekend / niet besproken")
    await expect(form.get_by_text("Eerste keer verteld")).to_be_hidden()

    forms = form.get_by_role("group", name="Vorm van mensenhandel")
    await forms.get_by_label("Onbekend / niet besproken").check()
    await expect(forms.get_by_label("Seksuele uitbuiting")).to_be_disabled()

    age = form.get_by_label("Leeftijd slachtoffer")
    await age.fill("130")
    await form.get_by_role("button", name="Codering opslaan").click()
    await expect(age).to_be_focused()
    await expect(age).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_text("Vul een heel getal in van 0 tot en met 120")).to_be_visible()
    assert (await triage_state(server, counsellor))["values"] == {}

    await age.fill("17")
    await form.get_by_role("button", name="Codering opslaan").click()
    await expect(form.get_by_text("Opgeslagen om")).to_be_visible()
    await expect(form.get_by_text("Vul een heel getal in")).to_be_hidden()
    state = await triage_state(server, counsellor)
    assert state["help_question"] is True
    assert state["values"] == {
        "chatter_background": "unknown",
        "exploitation_form": "unknown",
        "age": 17,
    }


async def test_the_visitor_consents_to_the_proposed_referral_and_it_reaches_the_unit(
    browse: OpenBrowsers, referring_server: Server, unit: Intake
) -> None:
    visitor, counsellor, _ = await in_chat(browse(referring_server))
    await pane(counsellor).get_by_role("button", name="Verwijzen naar politie (AVIM)").click()
    form = pane(counsellor).locator(".referral-form")
    await form.get_by_label("Provincie").select_option(label="Noord-Brabant")
    await expect(form.get_by_text("Noord-Brabant valt onder")).to_be_visible()
    await form.get_by_label("Eenheid").select_option(label="Oost-Brabant")
    await form.get_by_label("arbeidsuitbuiting").check()
    await form.get_by_label("Leeftijd (leeg als onbekend)").fill("19")
    await form.get_by_label("Nationaliteit").fill("PL")
    await form.get_by_label("Details").fill("+31 6 1234 5678")
    await form.get_by_label("Samenvatting").fill("Paspoort ingenomen; wil aangifte doen.")
    await form.get_by_role("button", name="Voorstel aan de bezoeker tonen").click()

    card = visitor.locator(".referral-card")
    await expect(card.get_by_role("heading", name="Verwijzing naar de politie")).to_be_visible()
    await expect(card.get_by_text("Paspoort ingenomen; wil aangifte doen.")).to_be_visible()
    await expect(card.get_by_text("+31 6 1234 5678")).to_be_visible()
    await card.get_by_role("button", name="Ja, ik geef toestemming").click()
    await expect(card.get_by_text("Je hebt toestemming gegeven.")).to_be_visible()

    panel = pane(counsellor).locator(".referral")
    await expect(panel.get_by_text("toestemming gegeven")).to_be_visible()
    counsellor.once("dialog", lambda dialog: dialog.accept())
    await panel.get_by_role("button", name="Versturen").click()
    await expect(panel.get_by_text("verstuurd naar de eenheid")).to_be_visible()
    await expect(
        card.get_by_text("De verwijzing is verstuurd naar politie-eenheid")
    ).to_be_visible()
    [record] = await asyncio.to_thread(unit.records)
    assert record["body"]["summary"] == "Paspoort ingenomen; wil aangifte doen."
    assert record["body"]["consent"]["party"] == "victim"


async def test_a_15_year_olds_referral_reaches_the_unit_with_only_her_own_consent(
    browse: OpenBrowsers, referring_server: Server, unit: Intake
) -> None:
    visitor, counsellor, _ = await in_chat(browse(referring_server))
    await pane(counsellor).get_by_text("Codering en koppelen").click()
    coding = pane(counsellor).locator(".coding-form")
    await coding.get_by_label("Leeftijd slachtoffer").fill("15")
    await coding.get_by_role("button", name="Codering opslaan").click()
    await expect(coding.get_by_text("Opgeslagen om")).to_be_visible()

    await pane(counsellor).get_by_role("button", name="Verwijzen naar politie (AVIM)").click()
    form = pane(counsellor).locator(".referral-form")
    await form.get_by_label("Provincie").select_option(label="Noord-Brabant")
    await form.get_by_label("Eenheid").select_option(label="Oost-Brabant")
    await form.get_by_label("seksuele uitbuiting").check()
    await form.get_by_label("Leeftijd (leeg als onbekend)").fill("15")
    await form.get_by_label("Nationaliteit").fill("NL")
    await form.get_by_label("Details").fill("+31 6 1234 5678")
    await form.get_by_label("Samenvatting").fill("Wil met de politie praten; niet via thuis.")
    await form.get_by_role("button", name="Voorstel aan de bezoeker tonen").click()

    card = visitor.locator(".referral-card")
    await expect(card.get_by_role("heading", name="Verwijzing naar de politie")).to_be_visible()
    # Nobody but she is asked: no parent, no guardian, no "who is answering".
    await expect(card.get_by_text("ouder", exact=False)).to_have_count(0)
    await expect(card.get_by_text("voogd", exact=False)).to_have_count(0)
    await expect(card.locator("fieldset.party")).to_have_count(0)
    await card.get_by_role("button", name="Ja, ik geef toestemming").click()
    await expect(card.get_by_text("Je hebt toestemming gegeven.")).to_be_visible()

    panel = pane(counsellor).locator(".referral")
    await expect(panel.get_by_text("toestemming gegeven")).to_be_visible()
    counsellor.once("dialog", lambda dialog: dialog.accept())
    send = panel.get_by_role("button", name="Versturen")
    await expect(send).to_be_enabled()
    await send.click()
    await expect(panel.get_by_text("verstuurd naar de eenheid")).to_be_visible()
    [record] = await asyncio.to_thread(unit.records)
    assert record["body"]["age"] == 15
    assert record["body"]["age_band"] == "minor"
    assert record["body"]["consent"]["party"] == "victim"
    assert "guardian" not in record["body"]["consent"]
