"""Schemathesis against a real server and docs/openapi.json: the API does what it says.

Every operation gets valid and invalid requests (Schemathesis' examples, coverage and
fuzzing phases), authenticated as a supervisor or a visitor where the operation asks
for it. Every response must be documented, match its schema, and never be a 5xx; a
request that breaks the schema must be refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from schemathesis import Case

from chatserver.transport.openapi import document
from tests.support.server import NO_SOURCE_LIMITS, QUICK_HASHING, Server, running, sqlite_server

#: Per operation: fuzzing cases (the coverage phase adds its boundary cases).
MAX_EXAMPLES = 8


#: /metrics exists only with a token; the fuzzer sends it for the ``metricsToken`` scheme.
METRICS_TOKEN = "m" * 32


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for every operation: starting one each would cost more than the fuzzing.

    Every request comes from one address, and the fuzzer's wrong logins would make it wait
    before logging in again for the logout cases: the per-source limit is lifted (the
    per-account one still answers 429 to the fuzzer's guesses at the example username).
    """
    settings = {
        **QUICK_HASHING,
        **NO_SOURCE_LIMITS,
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOGIN_SOURCE_FREE_ATTEMPTS": "1000000",
    }
    with running(sqlite_server(tmp_path_factory.mktemp("api"), **settings)) as server:
        yield server


class Tokens:
    """A bearer token for each operation: shared ones, or a fresh one for operations
    that end their own session (logout, quick exit), so later cases stay logged in."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.staff = self.login()
        self.visitor = self.start_chat()

    def login(self) -> str:
        username, password = self.server.demo_passwords["supervisor"]
        response = httpx.post(
            f"{self.server.base_url}/api/staff/login",
            json={"username": username, "password": password},
        )
        return str(response.json()["token"])

    def start_chat(self) -> str:
        response = httpx.post(f"{self.server.base_url}/api/visitor/chats", json={})
        return str(response.json()["resume_token"])

    def headers(self, case: Case) -> dict[str, str]:
        schemes = {
            name for option in case.operation.definition.raw.get("security", []) for name in option
        }
        operation_id = case.operation.definition.raw.get("operationId")
        if "staffToken" in schemes:
            token = self.login() if operation_id == "logout" else self.staff
        elif "visitorToken" in schemes:
            token = self.start_chat() if operation_id == "quickExit" else self.visitor
        elif "metricsToken" in schemes:
            token = METRICS_TOKEN
        else:
            return {}
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def tokens(api_server: Server) -> Tokens:
    return Tokens(api_server)


#: The document as served (tests/test_openapi.py checks that), loaded without a server.
schema = schemathesis.openapi.from_dict(
    document(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # Unknown query parameters are ignored, as HTTP servers do; bodies are strict.
                "allow-extra-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                "negative_data_rejection": {"expected-statuses": ["4xx"]},
                # A request the schema allows may still be refused: codebook codes, return
                # codes and usernames are checked against data the schema does not hold.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    ),
)


@schema.parametrize()
def test_the_api_answers_every_request_as_documented(
    case: Case, api_server: Server, tokens: Tokens
) -> None:
    case.call_and_validate(base_url=api_server.base_url, headers=tokens.headers(case))
