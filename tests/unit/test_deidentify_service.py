"""The node's de-identification service and its client, over a real Unix socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatserver.errors import Unavailable
from triage.research.deidentify.service import RemoteDeidentifier, claim, serve
from triage.research.deidentify.worker import Deidentifier


class Upper(Deidentifier):
    """Stands in for deduce: what matters here is what crosses the socket."""

    def __init__(self) -> None:
        super().__init__(Path("unused"))

    async def deidentify(self, text: str, *, keep_nationality: bool | None = None) -> str:
        return f"{text.upper()}|{keep_nationality}"


@pytest.fixture
async def socket_path(tmp_path: Path) -> AsyncIterator[Path]:
    path = tmp_path / "private" / "socket"
    claim(path)
    serving = asyncio.ensure_future(serve(path, Upper()))
    for _ in range(500):  # listening takes a turn or two of the loop
        if path.exists():
            break
        await asyncio.sleep(0.01)
    yield path
    serving.cancel()


async def test_a_chat_process_gets_the_text_back_with_its_own_nationality_choice(
    socket_path: Path,
) -> None:
    remote = RemoteDeidentifier(socket_path, keep_nationality=True)

    assert await remote.deidentify("ik ben sanne") == "IK BEN SANNE|True"


async def test_a_malformed_request_gets_an_error_and_the_service_keeps_serving(
    socket_path: Path,
) -> None:
    reader, writer = await asyncio.open_unix_connection(socket_path)
    writer.write(b"not json\n")
    answer = json.loads(await reader.readline())
    writer.close()

    assert "error" in answer
    assert await RemoteDeidentifier(socket_path).deidentify("nog") == "NOG|False"


def test_the_socket_is_open_to_its_owner_only(socket_path: Path) -> None:
    assert socket_path.stat().st_mode & 0o077 == 0
    assert socket_path.parent.stat().st_mode & 0o077 == 0


async def test_no_service_on_the_path_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(Unavailable):
        await RemoteDeidentifier(tmp_path / "nobody").deidentify("tekst")


def test_a_directory_others_may_enter_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)

    with pytest.raises(PermissionError):
        claim(shared / "socket")
