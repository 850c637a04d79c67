"""A built wheel installed into a fresh venv serves the visitor page and the console.

The wheel is installed with ``--no-deps`` into a plain venv whose only link to the outside is a
``.pth`` line naming the dev venv's site-packages, for the dependencies: a path line, so that
directory's own ``.pth`` files (the editable install's finder) are not run. The chatserver and
triage packages, their migrations and the UI therefore come from the wheel alone, and the test
needs no network and takes seconds instead of a full dependency install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.server import (
    DEDUCE_CACHE,
    QUICK_HASHING,
    ROOT,
    printed_url,
    terminate,
    wait_until_healthy,
)

#: Left out of the copy the wheel is built from: not sources, and some of them large.
NOT_SOURCE = (".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".*_cache", "tests")


@dataclass
class Installed:
    python: Path
    chatserver: Path  # the console script

    def where(self, module: str) -> Path:
        """Where ``module`` is imported from by this venv's Python, outside the checkout."""
        command = [self.python, "-c", f"import {module}; print({module}.__file__)"]
        found = _run(command, cwd=self.python.parent)
        return Path(found.strip()).parent


def _run(command: list[str | Path], cwd: Path | None = None) -> str:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    ).stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # From a copy: setuptools writes build/ into the source, and two xdist workers may build.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    _run([*pip, "wheel", "--no-deps", "-w", work / "dist", source], cwd=source)
    (wheel,) = (work / "dist").glob("chatserver-*.whl")
    venv.create(work / "venv", with_pip=False)
    python = work / "venv" / "bin" / "python"
    _run([*pip, "--python", python, "install", "--no-deps", wheel])
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    fresh_site = Path(_run([python, "-c", purelib]).strip())
    shared = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (fresh_site / "dev-venv-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(shared))
    )
    return Installed(python=python, chatserver=work / "venv" / "bin" / "chatserver")


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chatserver run`` from the fresh venv, outside the checkout, on any free port."""
    tmp_path = tmp_path_factory.mktemp("served")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        **QUICK_HASHING,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "BROKER_URL": "memory://",
        "DEDUCE_CACHE_DIR": str(DEDUCE_CACHE),
        "HOST": "127.0.0.1",
        "PORT": "0",
    }
    out, log = tmp_path / "server.out", tmp_path / "server.log"
    with out.open("w") as stdout, log.open("w") as stderr:
        process = subprocess.Popen(
            [installed.chatserver, "run"], cwd=tmp_path, env=env, stdout=stdout, stderr=stderr
        )
    try:
        base_url = printed_url(process, out, log)
        wait_until_healthy(process, f"{base_url}/healthz", log, "the installed server")
        yield base_url
    finally:
        terminate(process)


def test_the_installed_packages_come_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    venv_dir = installed.python.parent.parent
    for module in ("chatserver", "triage"):
        assert venv_dir in installed.where(module).parents
    assert (installed.where("chatserver") / "frontend" / "index.html").is_file()


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("/neutral.html", "neutral.html"),
        ("/console/", "console/index.html"),
        ("/console/console.js", "console/console.js"),
        ("/visitor/app.js", "visitor/app.js"),
    ],
)
def test_the_installed_server_serves_the_ui(served: str, path: str, source: str) -> None:
    response = httpx.get(f"{served}{path}", timeout=10)
    assert response.status_code == 200
    assert response.content == (ROOT / "frontend" / source).read_bytes()


def test_the_installed_server_serves_the_visitor_page_with_its_neutral_title(served: str) -> None:
    response = httpx.get(f"{served}/", timeout=10)
    assert response.status_code == 200
    assert "<title>Weerbericht</title>" in response.text
