"""Start the real server (``python -m chatserver run``) on a free port, as a user would.

Servers bind port 0 and the harness reads the port they print, so no two tests can race for
one; readiness deadlines grow with the machine's load, so a busy CI box is slow, not failing.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import forked
from tests.support.forked import ForkedProcess

ROOT = Path(__file__).resolve().parents[2]
#: deduce's tables, built once per machine: the servers' default (they run in ROOT) and the
#: unit tests' cache are the same directory, kept across runs.
DEDUCE_CACHE = ROOT / "var" / "deduce-cache"
#: Password hashing is not what most tests are about: cheap parameters make each start faster.
QUICK_HASHING = {"ARGON2_MEMORY_KIB": "8", "ARGON2_TIME_COST": "1"}
#: Tests never leave the machine: the quick exit lands on the server's own neutral page.
LOCAL_EXIT = {"QUICK_EXIT_URL": "/neutral.html"}
#: For tests that start many chats and sockets from 127.0.0.1 on purpose (fuzzing, benches):
#: the per-source limits are tested in tests/test_source_limits.py.
NO_SOURCE_LIMITS = {
    "CHAT_STARTS_PER_SOURCE": "1000000",
    "PREHELLO_SOCKETS_PER_SOURCE": "100000",
    "VISITOR_SOCKETS_PER_SOURCE": "100000",
}
DEMO_LINE = re.compile(r"Demo (\w+) login:\s+username '([^']+)'\s+password '([^']+)'")
#: What ``chatserver run`` prints once it has bound its port (and before it serves).
LISTENING_LINE = re.compile(r"^Visitor chat:\s+(http://\S+?)/$", re.MULTILINE)
#: Seconds to become ready on an idle machine; more when the load exceeds the cores.
READY_TIMEOUT_S = 30.0
#: A started program (the demo intake, a CLI command) or a server forked by the harness.
ServerProcess = subprocess.Popen[Any] | ForkedProcess


def ready_timeout(base: float = READY_TIMEOUT_S) -> float:
    """``base`` scaled by how overloaded the machine is now (load average per core, at least 1)."""
    per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return base * max(1.0, per_core)


def free_port() -> int:
    """A port free now, for things that cannot bind port 0 themselves (it may be taken later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    #: 0 until started: the server binds any free port and the harness reads it from its output.
    #: A restarted server keeps the port it had.
    port: int
    data_dir: Path
    env: dict[str, str]
    process: ServerProcess | None = None
    demo_passwords: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.base_url

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def stdout_path(self) -> Path:
        return self.data_dir / "server.out"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_failures(self) -> list[str]:
        """Log lines that show the server failing: errors, exceptions, raw tracebacks."""
        failures = []
        for line in self.logs().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            failed = not isinstance(entry, dict) or "exception" in entry
            if failed or entry.get("level") in ("ERROR", "CRITICAL"):
                failures.append(line)
        return failures

    def start(self) -> Server:
        # Tests make their own research data: no demo year unless a test asks for one.
        env = {
            "DEMO_SYNTHETIC_VISITORS": "0",
            **os.environ,
            **self.env,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
        }
        self.stdout_path.write_text("")
        self.log_path.touch()
        self.process = forked.start(
            ["run", "--demo"], env=env, cwd=ROOT, stdout=self.stdout_path, stderr=self.log_path
        )
        if self.port == 0:
            self.port = int(
                printed_url(self.process, self.stdout_path, self.log_path).rsplit(":", 1)[1]
            )
        self._wait_until_ready()
        for role, username, password in DEMO_LINE.findall(self.stdout_path.read_text()):
            self.demo_passwords[role] = (username, password)
        return self

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        wait_until_healthy(self.process, f"{self.base_url}/healthz", self.log_path, "server")

    def stop(self) -> None:
        terminate(self.process)

    def kill(self) -> None:
        """Die without any chance to clean up, as a crashed node would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """For tests that are not coroutines: the server runs for the ``with`` block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def printed_url(process: ServerProcess, out_path: Path, log_path: Path) -> str:
    """The base URL ``chatserver run`` prints once it has bound its port."""
    deadline = time.monotonic() + ready_timeout()
    while time.monotonic() < deadline:
        if (found := LISTENING_LINE.search(out_path.read_text(errors="replace"))) is not None:
            return found[1]
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    raise RuntimeError(f"server printed no address:\n{log_path.read_text(errors='replace')}")


def wait_until_healthy(
    process: ServerProcess,
    health_url: str,
    log_path: Path,
    what: str,
    timeout: float = READY_TIMEOUT_S,
) -> None:
    """Until ``health_url`` answers 200; the process's log in the error if it never does.

    ``timeout`` is for an idle machine: it is scaled by the load (:func:`ready_timeout`).
    """
    deadline = time.monotonic() + ready_timeout(timeout)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(health_url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready:\n{log_path.read_text(errors='replace')}")


def terminate(process: ServerProcess | None) -> None:
    """Stop gracefully, or kill after ten seconds."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cli(server: Server, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m chatserver ARGS`` against the server's database, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        cwd=ROOT,
        env={**os.environ, **server.env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sqlite_server(tmp_path: Path, **env: str) -> Server:
    data_dir = tmp_path / "server"
    data_dir.mkdir(exist_ok=True)
    if not (data_dir / "chat.db").exists():
        shutil.copyfile(migrated_sqlite(), data_dir / "chat.db")
    database = f"sqlite+aiosqlite:///{data_dir / 'chat.db'}"
    return Server(
        port=0,
        data_dir=data_dir,
        env={"DATABASE_URL": database, "BROKER_URL": "memory://", **LOCAL_EXIT, **env},
    )


@functools.cache
def migrated_sqlite() -> Path:
    """An empty database at the newest schema, migrated once per test worker by the real command.

    Each SQLite server starts from a copy: its own start still runs the migrations, which find
    nothing to do, so a test pays for serving, not for building the schema again.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="schema-"))
    database = data_dir / "chat.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    migrate = forked.start(
        ["migrate"], env=env, cwd=ROOT, stdout=data_dir / "out", stderr=data_dir / "log"
    )
    if migrate.wait(ready_timeout(60)) != 0:
        raise RuntimeError(f"migrate failed:\n{(data_dir / 'log').read_text(errors='replace')}")
    return database


def postgres_server(tmp_path: Path, database_url: str, **env: str) -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix="server-", dir=tmp_path))
    return Server(
        port=0,
        data_dir=data_dir,
        env={"DATABASE_URL": database_url, "BROKER_URL": "memory://", **LOCAL_EXIT, **env},
    )


#: Starts a server with extra settings (see the ``start_server`` fixture).
StartServer = Callable[..., Awaitable[Server]]
