"""Driving the real frontend in Debian's Chromium with Playwright: pages, guards and steps.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install chromium``); nothing is
ever downloaded. Every page runs under a :class:`Guard` that records requests to any other
origin, Content-Security-Policy violations and uncaught script errors, so each test also checks
that the frontend loads nothing foreign and breaks no rule of its own CSP.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Request,
    WebSocket,
    expect,
)

from tests.support.server import Server

CHROMIUM = "/usr/bin/chromium"
#: A small phone (iPhone SE, first generation): the smallest screen the widget must fit.
SMALL_PHONE = {"width": 320, "height": 568}
PHONE = {"width": 390, "height": 760}
DESKTOP = {"width": 1400, "height": 900}
#: Long enough for a loaded two-core machine, short enough to fail fast.
STEP_TIMEOUT_MS = 15_000


def chromium_missing() -> bool:
    return shutil.which(CHROMIUM) is None


async def launch(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)


@dataclass
class Guard:
    """What a page did that it must never do, in the words a failure report needs."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("page", self._page)

    def _page(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("websocket", self._websocket)

    def _request(self, request: Request) -> None:
        if not request.url.startswith((f"{self.origin}/", "data:", "about:")):
            self.problems.append(f"request to another origin: {request.method} {request.url}")

    def _websocket(self, socket: WebSocket) -> None:
        if not socket.url.startswith(self.origin.replace("http", "ws", 1) + "/"):
            self.problems.append(f"WebSocket to another origin: {socket.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"CSP violation: {message.text}")


@dataclass
class Browsing:
    """People at their own browsers (one context each) on one server, all under one guard."""

    browser: Browser
    server: Server
    guard: Guard = field(init=False)
    contexts: list[BrowserContext] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.guard = Guard(self.server.base_url)

    async def context(self, viewport: dict[str, int], **options: Any) -> BrowserContext:
        context = await self.browser.new_context(
            base_url=self.server.base_url,
            viewport=viewport,
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            **options,
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        self.guard.watch(context)
        self.contexts.append(context)
        return context

    async def visitor(self, viewport: dict[str, int] = PHONE) -> Page:
        """A visitor on the start page."""
        page = await (await self.context(viewport)).new_page()
        await page.goto("/")
        return page

    async def staff(self, role: str = "counsellor", viewport: dict[str, int] = DESKTOP) -> Page:
        """A demo staff member, logged in to the console."""
        page = await (await self.context(viewport)).new_page()
        await page.goto("/console/")
        username, password = self.server.demo_passwords[role]
        await log_in(page, username, password)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


#: Opens browsers on a server (the ``browse`` fixture).
OpenBrowsers = Callable[[Server], Browsing]


# -- steps a person takes --------------------------------------------------------------------------


async def log_in(page: Page, username: str, password: str) -> None:
    await page.get_by_label("Gebruikersnaam").fill(username)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Inloggen").click()
    await page.get_by_role("button", name="Uitloggen").wait_for()


async def open_view(page: Page, name: str) -> None:
    """Open one of the console's views from its navigation."""
    link = page.get_by_role("navigation").get_by_role("link", name=name)
    await link.click()
    await expect(link).to_have_attribute("aria-current", "page")


async def start_chat(visitor: Page) -> str:
    """Start a chat from the start page; the pseudonym the page shows."""
    await visitor.get_by_role("button", name="Start de chat").click()
    line = visitor.locator("#pseudonym")
    await line.filter(has_text="In deze chat heet je").wait_for()
    return (await line.inner_text()).removeprefix("In deze chat heet je ").rstrip(".")


async def accept_next(counsellor: Page, pseudonym: str) -> None:
    """Take the next visitor from the queue; their chat opens."""
    await counsellor.locator("#queue-list").get_by_text(pseudonym).wait_for()
    await counsellor.get_by_role("button", name="Volgende aannemen").click()
    await counsellor.get_by_role("heading", name=pseudonym).wait_for()


async def say(page: Page, box_label: str, text: str) -> None:
    """Type a message into the box labelled ``box_label`` and send it with Enter."""
    box = page.get_by_label(box_label)
    await box.fill(text)
    await box.press("Enter")


def transcript(page: Page) -> Locator:
    """The visible conversation (the open pane's, in the console)."""
    return page.locator(".transcript:visible")


def pane(counsellor: Page) -> Locator:
    """The console's open chat."""
    return counsellor.locator(".pane:visible")


# -- accessibility -------------------------------------------------------------------------------

#: Every visible text meets WCAG 2.1 AA contrast and every visible control has a name.
_AUDIT = (Path(__file__).parent / "accessibility.js").read_text()


async def accessibility_problems(page: Page) -> list[str]:
    """What on the page now fails contrast or has no accessible name."""
    return list(await page.evaluate(_AUDIT))
