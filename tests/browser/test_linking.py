"""Chats of one visitor are linked as one person, without anything that identifies them."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.support.browser import Browsing, accept_next, pane, start_chat


async def test_a_return_code_from_one_chat_links_the_visitors_next_chat_to_it(
    people: Browsing,
) -> None:
    visitor = await people.visitor()
    first = await start_chat(visitor)
    counsellor = await people.staff()
    await accept_next(counsellor, first)
    await visitor.get_by_role("button", name="Volgende keer herkend worden?").click()
    shown = await visitor.get_by_text("Je terugkomcode is").inner_text()
    code = re.search(r"terugkomcode is ([A-Z0-9]{8})\.", shown)
    assert code is not None, shown
    await visitor.get_by_role("button", name="Ik heb hem, verbergen").click()
    await expect(visitor.get_by_text("Je terugkomcode is")).to_be_hidden()  # off the screen

    visitor.once("dialog", lambda dialog: dialog.accept())
    await visitor.get_by_role("button", name="Chat beëindigen").click()
    await visitor.get_by_role("button", name="Nieuwe chat starten").click()
    second = await start_chat(visitor)
    await accept_next(counsellor, second)

    await pane(counsellor).get_by_text("Codering en koppelen").click()
    links = pane(counsellor).locator(".person-links")
    await expect(links).to_contain_text("Niet gekoppeld aan een ander gesprek.")
    await links.get_by_label("Terugkomcode van de bezoeker").fill(code.group(1))
    await links.get_by_role("button", name="Code gebruiken").click()
    await expect(links.get_by_role("listitem")).to_contain_text(first)
    await expect(links.get_by_text("Koppeling opgeslagen.")).to_be_visible()


async def test_a_counsellor_links_two_of_their_chats_and_unlinks_them_again(
    people: Browsing,
) -> None:
    counsellor = await people.staff()
    names = []
    for _ in range(2):
        visitor = await people.visitor()
        names.append(await start_chat(visitor))
        await accept_next(counsellor, names[-1])
    await pane(counsellor).get_by_text("Codering en koppelen").click()
    links = pane(counsellor).locator(".person-links")
    await links.get_by_label("Koppelen aan een ander gesprek").select_option(label=names[0])
    await links.get_by_role("button", name="Koppelen").click()
    await expect(links.get_by_role("listitem")).to_contain_text(names[0])
    await links.get_by_role("button", name="Dit gesprek loskoppelen").click()
    await expect(links).to_contain_text("Niet gekoppeld aan een ander gesprek.")
