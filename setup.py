"""The frontend ships inside the wheel: ``frontend/`` (top level in the checkout, where it is
edited) is copied to ``chatserver/frontend/`` in the built package. Everything else is in
pyproject.toml; :func:`chatserver.assets.frontend_dir` finds the UI in either place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CHECKOUT_FRONTEND = Path(__file__).resolve().parent / "frontend"


class BuildWithFrontend(build_py):
    def run(self) -> None:
        super().run()
        if CHECKOUT_FRONTEND.is_dir():
            target = Path(self.build_lib) / "chatserver" / "frontend"
            shutil.rmtree(target, ignore_errors=True)  # no file deleted since the last build
            shutil.copytree(CHECKOUT_FRONTEND, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithFrontend})
