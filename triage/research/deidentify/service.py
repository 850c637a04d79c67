"""One de-identification service per node, shared by every chat process on it.

Each chat process with its own worker pool loads deduce itself: about 1 GB and seconds to a
minute of CPU per process, so four processes on a node carry four copies. With
``DEIDENTIFY_SOCKET`` set, a chat process sends its quotes instead to the service that
``chatserver deidentify-service`` runs on that path: it holds the node's one worker pool and
answers every process. The socket is a Unix socket in a directory only the service user may
enter (the text is what a visitor typed); nothing of it is logged.

The wire is one JSON object per line each way: ``{"text": ..., "keep_nationality": ...}``
asked, ``{"text": ...}`` or ``{"error": ...}`` answered. A service that cannot be reached, or
whose pool failed, answers the quote ``unavailable``; the counsellor tries again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any, Protocol

from chatserver.errors import ChatError, Unavailable
from chatserver.settings import Settings
from triage.research.deidentify.worker import Deidentifier

log = logging.getLogger(__name__)

#: A quote is one chat message; a line this long is not one.
MAX_LINE_BYTES = 1 << 20
UNAVAILABLE = "De-identification is not available; try again."


class Deidentifies(Protocol):
    """What the quotes need: text in, de-identified text out."""

    async def deidentify(self, text: str) -> str: ...

    def close(self) -> None: ...


class RemoteDeidentifier:
    """De-identifies through the node's service on ``socket_path``."""

    def __init__(self, socket_path: Path, *, keep_nationality: bool = False) -> None:
        self._socket_path = socket_path
        self._keep_nationality = keep_nationality

    async def deidentify(self, text: str) -> str:
        request = {"text": text, "keep_nationality": self._keep_nationality}
        try:
            reader, writer = await asyncio.open_unix_connection(
                self._socket_path, limit=MAX_LINE_BYTES
            )
        except OSError:
            log.warning("the de-identification service cannot be reached")
            raise Unavailable(UNAVAILABLE) from None
        try:
            writer.write(json.dumps(request).encode() + b"\n")
            await writer.drain()
            answer = _decode(await reader.readline())
        except (OSError, ValueError, asyncio.LimitOverrunError):
            log.warning("the de-identification service broke off")
            raise Unavailable(UNAVAILABLE) from None
        finally:
            writer.close()
        if not isinstance(answer.get("text"), str):
            raise Unavailable(UNAVAILABLE)
        return str(answer["text"])

    def close(self) -> None:
        """Nothing to release: each quote opens its own connection."""


def deidentifier_for(settings: Settings) -> Deidentifies:
    """The node's service when ``DEIDENTIFY_SOCKET`` names one, else workers of this process."""
    if settings.deidentify_socket:
        return RemoteDeidentifier(
            Path(settings.deidentify_socket), keep_nationality=settings.quotes_keep_nationality
        )
    return Deidentifier(
        Path(settings.deduce_cache_dir),
        workers=settings.deidentify_workers,
        keep_nationality=settings.quotes_keep_nationality,
    )


def claim(socket_path: Path) -> None:
    """Make ``socket_path`` ready to listen on: a private directory, no stale socket."""
    socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(socket_path.parent.stat().st_mode) & 0o077:
        raise PermissionError(f"{socket_path.parent} must be open to its owner only (mode 700)")
    socket_path.unlink(missing_ok=True)


async def serve(socket_path: Path, deidentifier: Deidentifier) -> None:
    """Answer de-identification requests on ``socket_path`` (see :func:`claim`) until cancelled."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = _decode(await reader.readline())
            text, keep = request.get("text"), request.get("keep_nationality", False)
            if not isinstance(text, str) or not isinstance(keep, bool):
                reply: dict[str, Any] = {"error": "a request is {text, keep_nationality}"}
            else:
                reply = {"text": await deidentifier.deidentify(text, keep_nationality=keep)}
        except ChatError as error:
            reply = {"error": error.message}
        except (ValueError, asyncio.LimitOverrunError):
            reply = {"error": "a request is one JSON object on one line"}
        try:
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except OSError:
            pass  # the chat process went away; nothing to answer
        finally:
            writer.close()

    server = await asyncio.start_unix_server(answer, socket_path, limit=MAX_LINE_BYTES)
    os.chmod(socket_path, 0o600)
    log.info("de-identification service ready")
    try:
        async with server:
            await server.serve_forever()
    finally:
        deidentifier.close()


def _decode(line: bytes) -> dict[str, Any]:
    decoded = json.loads(line)
    if not isinstance(decoded, dict):
        raise ValueError("not an object")
    return decoded
