"""A real AVIM intake endpoint for tests: a small ASGI app served by uvicorn in a subprocess.

It plays a police unit that honours the referral contract (docs/referrals.md, section 5) on its
own, without importing the server's code: it checks the HMAC signature and timestamp itself,
registers each referral once per ``Idempotency-Key``, and keeps what it registered in a JSON-lines
file, so a test can stop it (the unit is down), start it again on the same port (it is back) and
still count exactly what arrived. Every request it receives, refused or repeated ones included,
goes to a second JSON-lines file, so tests can count attempts.

Run it alone::

    python -m tests.support.intake --port 8123 --secret S --records /tmp/records.jsonl

``--fail-first N`` answers ``503`` (or ``--fail-status``) to the first N properly signed requests
(nothing registered);
``--slow-first N --slow-s S`` registers the first N new referrals but answers only after S
seconds, as a unit whose answer is lost to a timeout would.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.support.server import ROOT, terminate, wait_until_healthy

INTAKE_PATH = "/avim/intake"
#: A signature whose timestamp is further off than this is refused (the contract's 300 s).
MAX_SKEW_S = 300


# -- signing, written here independently of the server's own ---------------------------------------


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signature_is_valid(secret: str, timestamp: str, given: str, body: bytes, now: float) -> bool:
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def callback_body(referral_id: str, status: str, outcome: str | None = None) -> bytes:
    return json.dumps({"referral_id": referral_id, "status": status, "outcome": outcome}).encode()


async def post_callback(
    base_url: str,
    *,
    unit: str,
    secret: str,
    body: bytes,
    timestamp: int | None = None,
    signed_with: str | None = None,
) -> httpx.Response:
    """POST a unit's callback to the chat server's ``/api/referrals/callback``, signed with
    ``secret`` (or, to test refusals, with ``signed_with`` or at another ``timestamp``)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "X-Referral-Unit": unit,
        "X-Referral-Timestamp": str(stamp),
        "X-Referral-Signature": signature(signed_with or secret, stamp, body),
    }
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{base_url}/api/referrals/callback", content=body, headers=headers
        )


# -- the intake app --------------------------------------------------------------------------------


@dataclass
class Behaviour:
    secret: str
    records: Path
    attempts: Path
    fail_first: int = 0
    fail_status: int = 503
    slow_first: int = 0
    slow_s: float = 0.0
    #: Idempotency keys already registered, from the records file (they survive restarts).
    seen: set[str] = field(default_factory=set)
    failed: int = 0
    slowed: int = 0

    def load(self) -> None:
        for record in read_jsonl(self.records):
            self.seen.add(record["idempotency_key"])


def build_app(behaviour: Behaviour) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    behaviour.load()

    def log_attempt(request: Request, raw: bytes, outcome: str, status: int) -> None:
        append_jsonl(
            behaviour.attempts,
            {
                "at": time.time(),
                "outcome": outcome,
                "status": status,
                "idempotency_key": request.headers.get("idempotency-key"),
                "body_sha256": hashlib.sha256(raw).hexdigest(),
            },
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def intake(request: Request) -> Response:
        raw = await request.body()
        if not signature_is_valid(
            behaviour.secret,
            request.headers.get("x-referral-timestamp", ""),
            request.headers.get("x-referral-signature", ""),
            raw,
            time.time(),
        ):
            log_attempt(request, raw, "bad_signature", 401)
            return JSONResponse({"error": "bad signature"}, status_code=401)
        key = request.headers.get("idempotency-key", "")
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not key or not isinstance(payload, dict):
            log_attempt(request, raw, "invalid", 400)
            return JSONResponse({"error": "invalid"}, status_code=400)
        if key in behaviour.seen:
            log_attempt(request, raw, "duplicate", 200)
            return JSONResponse({"status": "duplicate"})
        if behaviour.failed < behaviour.fail_first:
            behaviour.failed += 1
            log_attempt(request, raw, "failed", behaviour.fail_status)
            return JSONResponse({"error": "refused"}, status_code=behaviour.fail_status)
        behaviour.seen.add(key)
        append_jsonl(
            behaviour.records,
            {
                "idempotency_key": key,
                "received_at": time.time(),
                "timestamp": request.headers.get("x-referral-timestamp"),
                "content_type": request.headers.get("content-type"),
                "raw": raw.decode(),
                "body": payload,
            },
        )
        log_attempt(request, raw, "accepted", 201)
        if behaviour.slowed < behaviour.slow_first:
            behaviour.slowed += 1
            await anyio.sleep(behaviour.slow_s)
        return JSONResponse({"status": "registered"}, status_code=201)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(INTAKE_PATH, intake, methods=["POST"]),
        ]
    )


def append_jsonl(path: Path, entry: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_units_file(directory: Path, units: dict[str, dict[str, str]]) -> Path:
    """A ``REFERRAL_UNITS_FILE`` that configures ``units``, readable by its owner only."""
    path = directory / "referral-units.json"
    path.write_text(json.dumps({"units": units}))
    path.chmod(0o600)
    return path


# -- the test's handle on it -----------------------------------------------------------------------


@dataclass
class Intake:
    """One unit's intake server, started and stopped on a fixed port as a test needs."""

    port: int
    secret: str
    data_dir: Path
    fail_first: int = 0
    fail_status: int = 503
    slow_first: int = 0
    slow_s: float = 0.0
    process: subprocess.Popen[str] | None = None

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{INTAKE_PATH}"

    @property
    def records_path(self) -> Path:
        return self.data_dir / "records.jsonl"

    @property
    def attempts_path(self) -> Path:
        return self.data_dir / "attempts.jsonl"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "intake.log"

    def entry(
        self,
        secret: str | None = None,
        contact_text: str | None = None,
        fallback: str | None = None,
    ) -> dict[str, str]:
        """This unit's entry in ``REFERRAL_UNITS_FILE`` (``secret`` to configure a wrong one)."""
        entry = {"url": self.url, "secret": secret or self.secret}
        if contact_text is not None:
            entry["contact_text"] = contact_text
        if fallback is not None:
            entry["fallback"] = fallback
        return entry

    def start(self) -> Intake:
        command = [
            sys.executable,
            "-m",
            "tests.support.intake",
            "--port",
            str(self.port),
            "--secret",
            self.secret,
            "--records",
            str(self.records_path),
            "--attempts",
            str(self.attempts_path),
            "--fail-first",
            str(self.fail_first),
            "--fail-status",
            str(self.fail_status),
            "--slow-first",
            str(self.slow_first),
            "--slow-s",
            str(self.slow_s),
        ]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, text=True)
        wait_until_healthy(
            self.process, f"http://127.0.0.1:{self.port}/healthz", self.log_path, "intake"
        )
        return self

    def stop(self) -> None:
        terminate(self.process)
        self.process = None

    def records(self) -> list[dict[str, Any]]:
        """Every referral registered, across restarts: ``body`` (parsed), ``raw``, headers."""
        return read_jsonl(self.records_path)

    def attempts(self) -> list[dict[str, Any]]:
        """Every request received: ``outcome`` is accepted, duplicate, failed, bad_signature
        or invalid; ``status`` is what was answered."""
        return read_jsonl(self.attempts_path)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A test AVIM intake endpoint.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--attempts", type=Path)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--slow-first", type=int, default=0)
    parser.add_argument("--slow-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    behaviour = Behaviour(
        secret=args.secret,
        records=args.records,
        attempts=args.attempts or args.records.with_suffix(".attempts.jsonl"),
        fail_first=args.fail_first,
        fail_status=args.fail_status,
        slow_first=args.slow_first,
        slow_s=args.slow_s,
    )
    uvicorn.run(
        build_app(behaviour), host=args.host, port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
