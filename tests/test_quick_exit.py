"""Quick exit: the counsellor is told the visitor may no longer be safe, and little stays behind."""

from __future__ import annotations

import httpx

from tests.support.metrics import WITH_METRICS, scrape, until_metric
from tests.support.pilots import Counsellor, Visitor, in_conversation
from tests.support.server import Server, StartServer


async def _exit(server: Server, token: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": token}
        )


async def test_a_quick_exit_reaches_the_counsellor_as_its_own_event(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    assert (await _exit(server, visitor.token)).status_code == 204
    await counsellor.ws.expect(
        "message", conversation_id=conversation_id, seq=2, kind="event", text="ended_quick_exit"
    )


async def test_the_quick_exit_stays_in_the_transcript_once_in_sequence(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("hallo")
    await _exit(server, visitor.token)
    await _exit(server, visitor.token)  # a second try (the beacon after the fetch) adds nothing
    await visitor.ws.send({"type": "end", "quick_exit": True})
    detail = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    messages = detail.json()["messages"]
    assert [m["seq"] for m in messages] == [1, 2, 3]
    assert messages[-1]["kind"] == "event"
    assert messages[-1]["text"] == "ended_quick_exit"
    assert detail.json()["conversation"]["status"] == "ended"


async def test_a_quick_exit_over_the_socket_is_the_same_event(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.ws.send({"type": "end", "quick_exit": True, "ref": "r1"})
    await counsellor.ws.expect("message", conversation_id=conversation_id, text="ended_quick_exit")


async def test_ending_the_chat_normally_is_not_a_quick_exit(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.ws.send({"type": "end"})
    await counsellor.ws.expect("message", conversation_id=conversation_id, text="ended_by_visitor")


async def test_a_quick_exit_flag_that_is_not_a_boolean_is_refused(server: Server) -> None:
    visitor, _, _ = await in_conversation(server)
    reply = await visitor.ws.request({"type": "end", "quick_exit": "yes"})
    assert reply["type"] == "error"
    assert reply["field"] == "quick_exit"


async def test_quick_exits_are_counted_once_each(start_server: StartServer) -> None:
    server = await start_server(**WITH_METRICS)
    before = (await scrape(server)).value("chat_quick_exits_total")
    visitor = await Visitor.start(server)
    await _exit(server, visitor.token)
    await _exit(server, visitor.token)
    await until_metric(
        server, lambda s: s.value("chat_quick_exits_total") == before + 1, "one quick exit"
    )


async def test_the_exit_answer_clears_the_site_data_and_is_not_stored(server: Server) -> None:
    visitor = await Visitor.start(server)
    response = await _exit(server, visitor.token)
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert response.headers["cache-control"] == "no-store"


async def test_a_refused_exit_still_clears_the_site_data(server: Server) -> None:
    response = await _exit(server, "no-such-token")
    assert response.status_code >= 400
    assert response.headers["clear-site-data"] == '"cache", "storage"'


async def test_pages_scripts_and_api_answers_are_never_stored(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        for path in (
            "/",
            "/index.html",
            "/visitor/app.js",
            "/visitor/style.css",
            "/console/",
            "/console/console.js",
            "/api/visitor/status",
            "/no-such-page",
        ):
            response = await client.get(path)
            assert response.headers["cache-control"] == "no-store", path
    assert (await counsellor.http("GET", "/api/staff/me")).headers["cache-control"] == "no-store"


async def test_the_visitor_page_carries_the_configured_title_and_landing(
    start_server: StartServer,
) -> None:
    server = await start_server(VISITOR_PAGE_TITLE="Weer vandaag", QUICK_EXIT_URL="https://nos.nl/")
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        for path in ("/", "/index.html"):
            page = (await client.get(path)).text
            assert "<title>Weer vandaag</title>" in page
            assert '<meta name="quick-exit-url" content="https://nos.nl/"' in page
            assert "<title>Chat</title>" not in page
