"""The documented multi-node launcher works: a chat through HAProxy across two nodes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import DEMO_LINE, ROOT, Server, free_port
from tests.support.services import REDIS_HOST, REDIS_PORT, fresh_postgres_database, require


@pytest.fixture
def balanced(tmp_path: Path) -> Iterator[Server]:
    """``ops/multi-node/start 2``; a Server pointing at the balancer, for the pilots."""
    if shutil.which("haproxy") is None:
        if os.environ.get("CHAT_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail("HAProxy is missing")
        pytest.skip("HAProxy is missing")
    require(REDIS_HOST, REDIS_PORT, "Redis")
    lb_port = free_port()
    with fresh_postgres_database() as url:
        out = tmp_path / "ops.out"
        with out.open("w") as stdout:
            launcher = subprocess.Popen(
                [ROOT / "ops/multi-node/start", "2"],
                env={**os.environ, "LB_PORT": str(lb_port), "DATABASE_URL": url},
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        balancer = Server(port=lb_port, data_dir=tmp_path, env={})
        try:
            _wait_for_demo_logins(balancer, out)
            yield balancer
        finally:
            os.killpg(launcher.pid, signal.SIGTERM)
            launcher.wait(timeout=20)


def _wait_for_demo_logins(balancer: Server, out: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logins = DEMO_LINE.findall(out.read_text())
        if len(logins) == 3 and _healthy(balancer):  # counsellor, supervisor, researcher
            balancer.demo_passwords = {role: (user, pw) for role, user, pw in logins}
            return
        time.sleep(0.2)
    raise RuntimeError(f"the multi-node launcher did not come up:\n{out.read_text()}")


def _healthy(balancer: Server) -> bool:
    try:
        return httpx.get(f"{balancer.base_url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


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
