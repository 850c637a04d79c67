"""A real answer checked against docs/openapi.json as Schemathesis checks the fuzzer's.

For answers the fuzzer cannot reach: those that need data (a finished export, a kept quote)
or a secret (a two-factor code) it does not have.
"""

from __future__ import annotations

import re

import httpx
import schemathesis
from schemathesis import checks

from chatserver.transport.openapi import document

API = schemathesis.openapi.from_dict(document())
#: Not ``not_a_server_error``: a 503 (closed, queue full, not ready) is a documented answer.
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def assert_documented(response: httpx.Response) -> None:
    """Its status, content type, headers and body are those the document gives its request."""
    method, path = response.request.method, response.request.url.path
    operation = API.find_operation_by_path(method, path)
    assert operation is not None, f"{method} {path} is not in docs/openapi.json"
    case = operation.Case(path_parameters=path_parameters(operation.path, path))
    case.validate_response(response, checks=CHECKS)


def path_parameters(template: str, path: str) -> dict[str, str]:
    """``/a/{id}`` and ``/a/7`` give ``{"id": "7"}``."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, path)
    assert found is not None, f"{path} is not {template}"
    return found.groupdict()
