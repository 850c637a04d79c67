"""Where the static UI is: inside the installed package, or at the top of a checkout.

A built wheel carries it as ``chatserver/frontend/`` (setup.py copies it there); a checkout and
an editable install serve ``frontend/`` beside the package, where it is edited.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def frontend_dir() -> Path:
    """The directory with the visitor page (``index.html``) and the console (``console/``)."""
    for candidate in (PACKAGE / "frontend", PACKAGE.parent / "frontend"):
        if (candidate / "index.html").is_file():
            return candidate
    raise RuntimeError(f"the frontend is missing: neither {PACKAGE}/frontend nor a checkout's")
