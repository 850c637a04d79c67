"""Server processes forked from an interpreter that has imported the server once.

A test server is ``python -m chatserver run``; most of its start-up is importing the server
(about a second of CPU), and the suite starts a thousand of them. A multiprocessing fork
server imports ``chatserver.cli`` once per test worker and forks each server from it, so a
start costs the server's own work only. The child sets the environment, working directory
and output files it was given, then runs the same ``main`` that ``python -m chatserver`` runs:
it binds, migrates, serves and stops exactly as a started program does, in a process of its
own that can be signalled and killed. :class:`ForkedProcess` answers as ``subprocess.Popen``
does for what the harness uses.

Coverage: when the suite measures coverage, the fork server is measured from its start (the
``subprocess`` patch of ``[tool.coverage.run]``), so its children carry the import lines, and
each child saves its own data file on the way out (a forked child leaves without ``atexit``).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

#: Imported by the fork server once; everything ``chatserver run`` needs is under it.
PRELOAD = ["chatserver.cli"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
_started: list[ForkedProcess] = []


def start(
    argv: Sequence[str], *, env: dict[str, str], cwd: Path, stdout: Path, stderr: Path
) -> ForkedProcess:
    """``python -m chatserver ARGV`` with ``env`` in ``cwd``, its output to the two files."""
    process = _context.Process(
        target=_main,
        args=(list(argv), env, str(cwd), str(stdout), str(stderr)),
        name="chatserver",
        daemon=False,
    )
    process.start()
    forked = ForkedProcess(process)
    _started[:] = [*(other for other in _started if other.poll() is None), forked]
    return forked


@atexit.register
def _kill_leftovers() -> None:
    """A server a failed test left running must not keep its worker from exiting."""
    for forked in _started:
        forked.kill()


def _main(argv: list[str], env: dict[str, str], cwd: str, stdout: str, stderr: str) -> None:
    """In the child: become ``python -m chatserver ARGV`` and run it to the end."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    _redirect(sys.stdout.fileno(), stdout, append=False)
    _redirect(sys.stderr.fileno(), stderr, append=True)
    sys.argv = ["chatserver", *argv]
    from chatserver.cli import main

    try:
        main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _save_coverage()


def _redirect(target: int, path: str, *, append: bool) -> None:
    """Point the descriptor ``target`` at ``path``, as a shell's ``>`` or ``>>`` would."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC))
    os.dup2(fd, target)
    os.close(fd)


def _save_coverage() -> None:
    coverage = sys.modules.get("coverage")
    current = coverage.Coverage.current() if coverage is not None else None
    if current is not None:
        current.stop()
        current.save()


class ForkedProcess:
    """The part of ``subprocess.Popen`` the harness uses, for a forked server."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None
        return pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired("chatserver", timeout or 0)
        return self._process.exitcode

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
