"""Under a flood the widget solves the server's puzzle by itself, calmly, and the chat starts."""

from __future__ import annotations

import logging
import time

from playwright.async_api import Response, Route, expect

from chatserver.settings import Settings
from tests.support.browser import Browsing, start_chat
from tests.support.pilots import Counsellor
from tests.support.work import switch

logger = logging.getLogger(__name__)
CALM_WORD = "Even geduld, we maken een veilige verbinding…"


async def test_with_work_on_the_widget_solves_the_puzzle_and_the_chat_starts(
    people: Browsing,
) -> None:
    await switch(await Counsellor.demo(people.server, "supervisor"), "on")
    visitor = await people.visitor()
    sent: list[float] = []
    answers: list[int] = []

    async def hold_the_retry(route: Route) -> None:
        """The second try carries the solution: the calm word is on screen while it is sent."""
        sent.append(time.monotonic())
        if len(sent) == 2:
            assert set(route.request.post_data_json["work"]) == {"challenge", "nonce"}
            await expect(visitor.get_by_text(CALM_WORD)).to_be_visible()
        await route.continue_()

    def answered(response: Response) -> None:
        if response.url.endswith("/api/visitor/chats"):
            answers.append(response.status)

    visitor.on("response", answered)
    await visitor.route("**/api/visitor/chats", hold_the_retry)

    assert await start_chat(visitor)

    assert answers == [428, 201]
    await expect(visitor.get_by_text(CALM_WORD)).to_be_hidden()
    logger.warning(
        "the widget solved a %d-bit puzzle in %.2f s (first try to retry, headless Chromium)",
        Settings().work_difficulty_bits,
        sent[1] - sent[0],
    )


async def test_a_supervisor_switches_work_on_in_the_console(people: Browsing) -> None:
    supervisor = await people.staff("supervisor")
    mode = supervisor.get_by_label("Rekenpuzzel bij chatstart")
    await expect(mode).to_have_value("auto")
    await expect(supervisor.get_by_text("Nu niet gevraagd.")).to_be_visible()
    await mode.select_option(label="aan")
    await expect(supervisor.get_by_text("Nu gevraagd aan nieuwe bezoekers.")).to_be_visible()
    api = await Counsellor.demo(people.server, "supervisor")
    assert (await api.http("GET", "/api/staff/work")).json()["mode"] == "on"


async def test_a_counsellor_sees_no_work_switch(people: Browsing) -> None:
    counsellor = await people.staff()
    await expect(counsellor.get_by_role("button", name="Volgende aannemen")).to_be_visible()
    await expect(counsellor.get_by_label("Rekenpuzzel bij chatstart")).to_have_count(0)


async def test_a_widget_that_keeps_getting_puzzles_gives_up_kindly(people: Browsing) -> None:
    visitor = await people.visitor()
    tries: list[str] = []

    async def always_a_puzzle(route: Route) -> None:
        tries.append(route.request.method)
        work = {
            "challenge": f"w1.1.0.{len(tries)}.x",
            "difficulty": 1,
            "expires_at": "2030-01-01T00:00:00.000Z",
        }
        await route.fulfill(
            status=428, json={"error": {"code": "work_invalid", "message": "x", "work": work}}
        )

    await visitor.route("**/api/visitor/chats", always_a_puzzle)
    await visitor.get_by_role("button", name="Start de chat").click()
    await expect(
        visitor.get_by_text("Het lukte niet om een veilige verbinding te maken.")
    ).to_be_visible()
    assert len(tries) == 4  # the first try and three solved puzzles
    await expect(visitor.get_by_text(CALM_WORD)).to_be_hidden()
