"""QUICK_EXIT_URL and VISITOR_PAGE_TITLE: what is accepted, and how the page carries them."""

from __future__ import annotations

import pytest

from chatserver.settings import Settings, SettingsError
from chatserver.transport.pages import render_visitor_page

PAGE = '<title>Chat</title><meta name="quick-exit-url" content="/neutral.html" data-quick-exit>'


def test_the_default_landing_is_an_innocuous_site_outside_the_helpline() -> None:
    settings = Settings.from_environ({})
    assert settings.quick_exit_url == "https://www.weeronline.nl/"
    assert settings.visitor_page_title == "Weerbericht"


@pytest.mark.parametrize("url", ["https://nos.nl/", "http://example.org/x?y=1", "/neutral.html"])
def test_a_web_address_or_a_local_path_is_a_landing(url: str) -> None:
    assert Settings.from_environ({"QUICK_EXIT_URL": url}).quick_exit_url == url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/", "nos.nl", "data:text/html,x", "https://"]
)
def test_anything_else_is_refused_by_name(url: str) -> None:
    with pytest.raises(SettingsError, match="QUICK_EXIT_URL"):
        Settings.from_environ({"QUICK_EXIT_URL": url})


def test_the_page_gets_the_title_and_landing_escaped() -> None:
    settings = Settings.from_environ(
        {"VISITOR_PAGE_TITLE": "Weer & <wind>", "QUICK_EXIT_URL": 'https://x.nl/?a="b"'}
    )
    page = render_visitor_page(PAGE, settings)
    assert "<title>Weer &amp; &lt;wind&gt;</title>" in page
    assert 'content="https://x.nl/?a=&quot;b&quot;" data-quick-exit' in page
