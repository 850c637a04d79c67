"""One headless Chromium per test session; each test gets people at their own browsers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.browser import Browsing, OpenBrowsers, chromium_missing, launch
from tests.support.intake import Intake, write_units_file
from tests.support.server import Server, StartServer, free_port

SECRET = "browser-test-unit-secret-0c4e9b7a5d31"

MISSING = "Chromium is missing: apt-get install chromium (never 'playwright install')"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium; without it the browser tests skip locally and fail in CI."""
    if chromium_missing():
        if os.environ.get("CHAT_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        yield browser
        await browser.close()


@pytest.fixture
async def browse(browser: Browser) -> AsyncIterator[OpenBrowsers]:
    """Browsers on a server; afterwards, none of them may have broken the guard's rules."""
    opened: list[Browsing] = []

    def open_browsers(server: Server) -> Browsing:
        opened.append(Browsing(browser, server))
        return opened[-1]

    yield open_browsers
    for browsing in opened:
        await browsing.close()
    assert [problem for browsing in opened for problem in browsing.guard.problems] == []


@pytest.fixture
def people(browse: OpenBrowsers, server: Server) -> Browsing:
    """Browsers on a fresh server."""
    return browse(server)


@pytest.fixture
async def unit(tmp_path: Path) -> AsyncIterator[Intake]:
    """Oost-Brabant's AVIM intake endpoint, up."""
    intake = Intake(port=free_port(), secret=SECRET, data_dir=tmp_path / "intake")
    await asyncio.to_thread(intake.start)
    yield intake
    await asyncio.to_thread(intake.stop)


@pytest.fixture
async def referring_server(start_server: StartServer, tmp_path: Path, unit: Intake) -> Server:
    """A server whose Oost-Brabant unit delivers to ``unit``."""
    units_file = write_units_file(tmp_path, {"oost-brabant": unit.entry()})
    return await start_server(REFERRAL_UNITS_FILE=str(units_file), REFERRAL_RELAY_INTERVAL_S="0.2")
