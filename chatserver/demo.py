"""``run --demo``: the whole helpline to try on one machine, never in production.

Fresh logins for every role, printed once; a synthetic coded year (last year), loaded once,
so the research page, the yearly report and the export have data; and a demo police intake
for one regional unit beside the server, so a referral can be followed to "received".
"""

from __future__ import annotations

import atexit
import json
import secrets
import shutil
import socket
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import uvicorn

from chatserver.chat import utc_now
from chatserver.errors import Conflict
from chatserver.runtime import Runtime
from chatserver.settings import Settings
from triage.referral.demo_intake import INTAKE_PATH, DemoIntake
from triage.research.dataset import synthetic

DEMO_ACCOUNTS = (
    ("demo", "Demo Counsellor", "counsellor"),
    ("supervisor", "Demo Supervisor", "supervisor"),
    ("demo-researcher", "Demo Researcher", "researcher"),
)
#: The same year on every start, so that it is loaded once.
SYNTHETIC_SEED = 0


async def prepare(settings: Settings) -> None:
    """Demo logins with fresh random passwords, and the synthetic year unless it is there."""
    runtime = Runtime.build(settings)
    try:
        for username, display_name, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            await _reset_account(runtime, username, display_name, role, password)
            print(f"Demo {role} login:  username {username!r}  password {password!r}", flush=True)
        if settings.demo_synthetic_visitors:
            await _synthetic_year(runtime, settings.demo_synthetic_visitors)
    finally:
        await runtime.close()


async def _reset_account(
    runtime: Runtime, username: str, display_name: str, role: str, password: str
) -> None:
    found = await runtime.repository.staff_credentials(username)
    if found is None:
        await runtime.accounts.create(
            username=username, display_name=display_name, role=role, password=password, by=None
        )
        return
    staff, _ = found
    await runtime.accounts.reset_password(staff.id, password, by=None)
    await runtime.repository.set_staff_active(staff.id, True)


async def _synthetic_year(runtime: Runtime, visitors: int) -> None:
    year = utc_now().year - 1
    try:
        planned = await synthetic.synthesize(runtime.engine, year, visitors, SYNTHETIC_SEED)
    except Conflict:
        print(f"Demo research data: the synthetic year {year} is loaded.", flush=True)
        return
    print(
        f"Demo research data: loaded a synthetic coded year {year} "
        f"({len(planned.conversations)} conversations, not real people; "
        "DEMO_SYNTHETIC_VISITORS=0 loads none).",
        flush=True,
    )


def start_intake(settings: Settings) -> Settings:
    """Serve the demo intake on a free local port and point the referral relay at it.

    A configured ``REFERRAL_UNITS_FILE`` is left alone: then the real units take referrals.
    """
    if settings.referral_units_file:
        return settings
    intake = DemoIntake(
        secret=secrets.token_urlsafe(32), callback_url=f"{settings.base_url}/api/referrals/callback"
    )
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = uvicorn.Config(intake.app(), log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="demo intake", daemon=True
    ).start()
    units_file = _units_file(intake.unit, f"{url}{INTAKE_PATH}", intake.secret)
    print(
        f"DEMO police intake ({intake.unit_name}, not a real unit): {url}/ "
        "shows the referrals it received",
        flush=True,
    )
    return replace(settings, referral_units_file=str(units_file))


def _units_file(unit: str, url: str, secret: str) -> Path:
    """A units file (docs/referrals.md) readable by this user only, removed at exit."""
    directory = Path(tempfile.mkdtemp(prefix="chatserver-demo-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "referral-units.json"
    path.write_text(json.dumps({"units": {unit: {"url": url, "secret": secret}}}))
    return path
