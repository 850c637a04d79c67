"""The static frontend, with the visitor page's neutral tab title and quick-exit landing filled in.

Both are settings (``VISITOR_PAGE_TITLE``, ``QUICK_EXIT_URL``) and must hold from the first
paint: a title set later by script would already be in the tab, the history and a screen
reader's first words. So the server writes them into ``index.html`` as it sends it.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from chatserver.settings import Settings

#: Written in ``frontend/index.html`` to be replaced.
TITLE = "<title>Chat</title>"
EXIT_URL = 'content="/neutral.html" data-quick-exit'


class Pages(StaticFiles):
    def __init__(self, directory: Path, settings: Settings) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)
        self._visitor_page = os.path.realpath(directory / "index.html")
        self._settings = settings

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if os.path.realpath(full_path) != self._visitor_page:
            return super().file_response(full_path, stat_result, scope, status_code)
        page = Path(full_path).read_text(encoding="utf-8")
        return HTMLResponse(render_visitor_page(page, self._settings), status_code=status_code)


def render_visitor_page(page: str, settings: Settings) -> str:
    title = escape(settings.visitor_page_title)
    url = escape(settings.quick_exit_url, quote=True)
    return page.replace(TITLE, f"<title>{title}</title>", 1).replace(
        EXIT_URL, f'content="{url}" data-quick-exit', 1
    )
