"""The guard every browser test runs under would catch a foreign request or a CSP violation."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.support.browser import Browsing
from tests.support.server import Server

ELSEWHERE = "http://192.0.2.1"  # TEST-NET-1: never a real host


async def test_a_foreign_request_and_a_csp_violation_are_reported(
    browser: Browser, server: Server
) -> None:
    browsing = Browsing(browser, server)
    try:
        page = await browsing.visitor()
        async with page.expect_console_message(lambda message: "connect-src" in message.text):
            await page.evaluate(f"() => fetch('{ELSEWHERE}/track').catch(() => {{}})")
        async with page.expect_console_message(lambda message: "style-src" in message.text):
            await page.evaluate(
                "() => document.head.append(Object.assign(document.createElement('style'),"
                " {textContent: 'body { color: red }'}))"
            )
        await page.route(f"{ELSEWHERE}/**", lambda route: route.abort())
        async with page.expect_request(f"{ELSEWHERE}/away"):
            await page.evaluate(f"() => {{ location.href = '{ELSEWHERE}/away'; }}")
    finally:
        await browsing.close()
    problems = "\n".join(browsing.guard.problems)
    assert "CSP violation" in problems
    assert f"request to another origin: GET {ELSEWHERE}/away" in problems
