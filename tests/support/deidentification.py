"""One de-identification service for the whole test run, as a node runs one for its processes.

Every test server that keeps a quote would otherwise load deduce in a worker of its own:
13 s of CPU and 1 GB each. The run starts ``chatserver deidentify-service`` once, before any
test worker, and every server reaches it through ``DEIDENTIFY_SOCKET`` (inherited from the
environment). Tests about a server's own workers set ``DEIDENTIFY_SOCKET=""``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.server import DEDUCE_CACHE, ROOT, ready_timeout, terminate

_service: subprocess.Popen[str] | None = None


def start() -> None:
    """Start the service and point this process's environment (and its children's) at it."""
    global _service
    directory = Path(tempfile.mkdtemp(prefix="chat-deidentify-"))
    socket_path = directory / "socket"
    with (directory / "service.log").open("w") as log:
        _service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chatserver",
                "deidentify-service",
                "--socket",
                str(socket_path),
            ],
            cwd=ROOT,
            env={**os.environ, "DEDUCE_CACHE_DIR": str(DEDUCE_CACHE)},
            stdout=log,
            stderr=log,
            text=True,
        )
    deadline = time.monotonic() + ready_timeout()
    while not socket_path.exists():
        if _service.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"no de-identification service:\n{(directory / 'service.log').read_text()}"
            )
        time.sleep(0.05)
    os.environ["DEIDENTIFY_SOCKET"] = str(socket_path)


def stop() -> None:
    terminate(_service)
