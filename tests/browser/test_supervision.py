"""Supervisors manage the team and oversee coding; researchers see coding, never chats."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.support.browser import Browsing, log_in, open_view
from tests.support.pilots import Counsellor, in_conversation
from tests.support.server import Server


async def can_log_in(server: Server, username: str, password: str) -> bool:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/staff/login", json={"username": username, "password": password}
        )
    return response.status_code == 200


async def test_a_supervisor_creates_and_deactivates_an_account_with_mistakes_shown_inline(
    people: Browsing, server: Server
) -> None:
    supervisor = await people.staff("supervisor")
    await open_view(supervisor, "Team")
    form = supervisor.locator(".account-form")
    await form.get_by_label("Gebruikersnaam").fill("Sanne de Vries")
    await form.get_by_label("Naam die collega", exact=False).fill("Sanne")
    await form.get_by_label("Eerste wachtwoord").fill("te-kort")
    await form.get_by_role("button", name="Account aanmaken").click()
    await expect(form.get_by_label("Gebruikersnaam")).to_be_focused()
    await expect(form.get_by_label("Gebruikersnaam")).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_label("Eerste wachtwoord")).to_have_attribute("aria-invalid", "true")

    await form.get_by_label("Gebruikersnaam").fill("sanne")
    await form.get_by_label("Eerste wachtwoord").fill("een-lang-eerste-wachtwoord")
    await form.get_by_role("button", name="Account aanmaken").click()
    await expect(form.get_by_text("Account voor Sanne aangemaakt.")).to_be_visible()
    row = supervisor.get_by_role("row", name="sanne Sanne hulpverlener actief")
    await expect(row).to_be_visible()
    assert await can_log_in(server, "sanne", "een-lang-eerste-wachtwoord")

    await form.get_by_label("Gebruikersnaam").fill("sanne")
    await form.get_by_label("Naam die collega", exact=False).fill("Nog een Sanne")
    await form.get_by_label("Eerste wachtwoord").fill("nog-een-lang-wachtwoord")
    await form.get_by_role("button", name="Account aanmaken").click()
    await expect(form.get_by_text("Deze gebruikersnaam bestaat al.")).to_be_visible()

    supervisor.once("dialog", lambda dialog: dialog.accept())
    await row.get_by_role("button", name="Deactiveren").click()
    await expect(
        supervisor.get_by_role("row", name="sanne Sanne hulpverlener gedeactiveerd")
    ).to_be_visible()
    assert not await can_log_in(server, "sanne", "een-lang-eerste-wachtwoord")


async def test_a_supervisor_sees_the_load_the_review_and_the_audit_log_of_a_coded_chat(
    people: Browsing, server: Server
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    base = f"/api/triage/conversations/{conversation_id}"
    await counsellor.http("PUT", f"{base}/help-question", json={"help_question": True})
    await counsellor.http("PATCH", f"{base}/coding", json={"values": {"age": 16}})

    supervisor = await people.staff("supervisor")
    await open_view(supervisor, "Team")
    load = supervisor.get_by_role("table", name="Actieve chats per hulpverlener")
    await expect(load.get_by_role("row", name="Demo Counsellor")).to_contain_text("1 van 3")

    await open_view(supervisor, "Review")
    await supervisor.get_by_role("button", name=f"Codering van {visitor.pseudonym} openen").click()
    detail = supervisor.locator(".review-detail")
    await expect(
        detail.get_by_role("heading", name=f"Gesprek met {visitor.pseudonym}")
    ).to_be_focused()
    await expect(detail.get_by_label("Leeftijd slachtoffer")).to_have_value("16")
    await expect(detail.get_by_role("radio", name="Ja")).to_be_checked()

    await open_view(supervisor, "Auditlog")
    entries = supervisor.get_by_role("row").filter(has_text="Demo Counsellor")
    await expect(entries.filter(has_text="codering")).to_contain_text("age: leeg → 16")
    await expect(entries.filter(has_text="hulpvraag")).to_have_count(1)
    await entries.first.get_by_role("button", name=conversation_id).click()
    await expect(supervisor.get_by_label("Alleen dit gesprek (id)")).to_have_value(conversation_id)


async def test_a_researcher_sees_the_review_and_research_views_and_no_chats(
    people: Browsing, server: Server
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    await Counsellor.create(server, supervisor, "rita", role="researcher")
    researcher = await (await people.context({"width": 1200, "height": 800})).new_page()
    sockets: list[str] = []
    researcher.on("websocket", lambda socket: sockets.append(socket.url))
    await researcher.goto("/console/")
    await log_in(researcher, "rita", "rita-long-password-1")
    await expect(researcher.get_by_role("heading", name="Review")).to_be_visible()
    await expect(researcher.get_by_role("heading", name="Wachtrij")).to_be_hidden()
    await expect(researcher.get_by_role("navigation").get_by_role("link")).to_have_text(
        ["Review", "Onderzoek"]
    )
    assert sockets == []
