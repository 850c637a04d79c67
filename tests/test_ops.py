"""The documented multi-node launcher works: a chat through HAProxy across two nodes, and a
node that dies comes back while the rest keep serving."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import DEMO_LINE, ROOT, Server, free_port, ready_timeout
from tests.support.services import (
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    fresh_postgres_database,
    require,
)

#: Several nodes, HAProxy and a demo start: the launcher's start scales with the load, and
#: so does the time a test may take.
pytestmark = pytest.mark.timeout(ready_timeout(240))

NODE_LINE = re.compile(r"^Node (\d+): PID (\d+), port (\d+)$", re.MULTILINE)


@dataclass
class Launcher:
    """``ops/multi-node/start`` running: the balancer (for the pilots) and what it printed."""

    balancer: Server
    out: Path

    def nodes(self) -> dict[int, tuple[int, int]]:
        """Each node's latest PID and port, as printed."""
        return {int(n): (int(pid), int(port)) for n, pid, port in NODE_LINE.findall(self.printed())}

    def printed(self) -> str:
        return self.out.read_text()


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    """``ops/multi-node/start 2``, up with its demo logins."""
    if shutil.which("haproxy") is None:
        if os.environ.get("CHAT_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail("HAProxy is missing")
        pytest.skip("HAProxy is missing")
    require(REDIS_HOST, REDIS_PORT, "Redis")
    lb_port = free_port()
    with fresh_postgres_database() as url:
        out = tmp_path / "ops.out"
        with out.open("w") as stdout, (tmp_path / "ops.err").open("w") as stderr:
            process = subprocess.Popen(
                [ROOT / "ops/multi-node/start", "2"],
                env={
                    **os.environ,
                    "LB_PORT": str(lb_port),
                    "DATABASE_URL": url,
                    "BROKER_URL": REDIS_URL,
                },
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        balancer = Server(port=lb_port, data_dir=tmp_path, env={})
        try:
            _wait_for_demo_logins(balancer, out)
            yield Launcher(balancer, out)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


@pytest.fixture
def balanced(launcher: Launcher) -> Server:
    """A Server pointing at the balancer, for the pilots."""
    return launcher.balancer


def _wait_for_demo_logins(balancer: Server, out: Path) -> None:
    deadline = time.monotonic() + ready_timeout(60)
    while time.monotonic() < deadline:
        logins = DEMO_LINE.findall(out.read_text())
        # Counsellor, supervisor, researcher: the last printed (node 1 retries with --demo).
        if len(logins) >= 3 and _healthy(balancer):
            balancer.demo_passwords = {role: (user, pw) for role, user, pw in logins[-3:]}
            return
        time.sleep(0.2)
    errors = out.with_suffix(".err").read_text()[-4000:]
    raise RuntimeError(f"the multi-node launcher did not come up:\n{out.read_text()}\n{errors}")


def _healthy(server: Server) -> bool:
    """Answers /healthz; on a loaded machine an answer may take more than a second."""
    try:
        return httpx.get(f"{server.base_url}/healthz", timeout=ready_timeout(2)).status_code == 200
    except httpx.HTTPError:
        return False


def _node(port: int) -> Server:
    return Server(port=port, data_dir=Path(), env={})


async def test_multi_node_launcher_serves_a_chat_through_the_load_balancer(
    balanced: Server,
) -> None:
    visitor = await Visitor.start(balanced)
    await visitor.connect()
    counsellor = await Counsellor.demo(balanced)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.receive()
    for n in range(4):  # round-robin: requests land on both nodes
        await visitor.say(f"via de balancer {n}")
        await counsellor.say(conversation_id, f"antwoord {n}")
    heard = await asyncio.wait_for(counsellor.ws.messages(9, conversation_id), 10)
    assert [frame["seq"] for frame in heard] == list(range(1, 10))


def test_a_killed_node_is_restarted_while_the_other_node_and_the_balancer_keep_serving(
    launcher: Launcher,
) -> None:
    nodes = launcher.nodes()
    assert sorted(nodes) == [1, 2]
    (killed_pid, killed_port), (_, other_port) = nodes[2], nodes[1]
    os.kill(killed_pid, signal.SIGKILL)
    answers: list[tuple[bool, bool]] = []  # (balancer, the other node) while node 2 is away
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Asked again at once before it counts as down: one lost probe on a loaded machine is
        # noise, an outage is not answered twice in a row.
        answers.append(
            (
                _healthy(launcher.balancer) or _healthy(launcher.balancer),
                _healthy(_node(other_port)) or _healthy(_node(other_port)),
            )
        )
        pid, port = launcher.nodes()[2]
        if pid != killed_pid and _healthy(_node(port)):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"node 2 did not come back:\n{launcher.printed()}")
    assert port == killed_port
    assert f"Node 2 (PID {killed_pid}) stopped with status 137; restarting it" in launcher.printed()
    assert answers
    assert all(balancer for balancer, _ in answers), "the balancer stopped answering"
    assert all(other for _, other in answers), "the other node stopped answering"
