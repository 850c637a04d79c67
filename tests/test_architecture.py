"""The boundaries hold: layer contracts, and one reader of the environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_settings_reads_the_environment() -> None:
    reads = re.compile(r"os\.environ|getenv\(")
    offenders = [
        path.relative_to(ROOT).as_posix()
        for package in ("chatserver", "triage")
        for path in (ROOT / package).rglob("*.py")
        if reads.search(path.read_text()) and path.name != "settings.py"
    ]
    assert offenders == []
