"""The HTTP API's OpenAPI document (docs/openapi.json), served self-contained.

The document names request and response bodies that the WebSocket protocol shares by
reference into docs/protocol.schema.json, so each body has one definition. Served, those
definitions are copied in under ``components/schemas``: tools get one file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.errors import NotFound
from chatserver.transport.http import ok

DOCS = Path(__file__).resolve().parents[2] / "docs"
PROTOCOL_REF = "protocol.schema.json#/$defs/"
LOCAL_REF = "#/$defs/"
COMPONENT_REF = "#/components/schemas/"


def bundle(spec: dict[str, Any], protocol: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every protocol definition it reaches inlined as a component."""
    definitions: dict[str, Any] = protocol["$defs"]
    wanted = _references(spec, PROTOCOL_REF)
    inlined: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name not in inlined:
            inlined[name] = definitions[name]
            wanted |= _references(definitions[name], LOCAL_REF)
    components = spec["components"]["schemas"]
    if clash := sorted(inlined.keys() & components.keys()):
        raise ValueError(f"docs/openapi.json defines protocol schemas again: {clash}")
    text = json.dumps(spec).replace(f'"{PROTOCOL_REF}', f'"{COMPONENT_REF}')
    bundled: dict[str, Any] = json.loads(text)
    rewritten = json.loads(json.dumps(inlined).replace(f'"{LOCAL_REF}', f'"{COMPONENT_REF}'))
    own = bundled["components"]["schemas"]
    bundled["components"]["schemas"] = {**own, **dict(sorted(rewritten.items()))}
    return bundled


def _references(node: Any, prefix: str) -> set[str]:
    if isinstance(node, dict):
        found = (
            {node["$ref"].removeprefix(prefix)}
            if node.get("$ref", "").startswith(prefix)
            else set()
        )
        return found.union(*(_references(value, prefix) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(item, prefix) for item in node))
    return set()


@cache
def document() -> dict[str, Any]:
    spec = json.loads((DOCS / "openapi.json").read_text(encoding="utf-8"))
    protocol = json.loads((DOCS / "protocol.schema.json").read_text(encoding="utf-8"))
    return bundle(spec, protocol)


async def openapi(request: Request) -> Response:
    if not (DOCS / "openapi.json").is_file():
        raise NotFound("This installation has no API document.")
    return ok(document())


routes = [Route("/api/openapi.json", openapi, methods=["GET"])]
