"""An attacker on another loopback address: many chat starts, many idle sockets."""

from __future__ import annotations

import asyncio
import base64
import os
import resource

import httpx

from tests.support.server import Server

#: Loopback addresses other than 127.0.0.1 reach the same server from another source.
ATTACKER = "127.0.0.2"


def raise_open_files(wanted: int) -> None:
    """Lift this process's soft limit on open files (servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def start_chats(server: Server, count: int, source: str = ATTACKER) -> list[httpx.Response]:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        return [
            await client.post(f"{server.base_url}/api/visitor/chats", json={}) for _ in range(count)
        ]


async def idle_socket(
    server: Server, path: str = "/ws/visitor", source: str = ATTACKER
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket upgraded and then left silent: it never says hello."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(source, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Origin: {server.origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    return reader, writer


async def close_code_of(reader: asyncio.StreamReader, within: float) -> int | None:
    """The close code the server sent on a raw socket, or ``None`` if it stayed open."""
    try:
        async with asyncio.timeout(within):
            await reader.readuntil(b"\r\n\r\n")
            head = await reader.readexactly(2)
            if head[0] & 0x0F != 0x8:
                return None
            payload = await reader.readexactly(head[1] & 0x7F)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None
    return int.from_bytes(payload[:2], "big")
