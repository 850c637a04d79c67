"""Command line: ``run``, ``migrate``, ``create-staff``, ``prepare-deidentify``. Thin."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from chatserver.app import create_app
from chatserver.errors import ChatError
from chatserver.logs import configure as configure_logging
from chatserver.runtime import Runtime
from chatserver.settings import Settings, SettingsError
from chatserver.store.migrate import upgrade
from triage.research.deidentify import ensure_cache

DEMO_ACCOUNTS = (
    ("demo", "Demo Counsellor", "counsellor"),
    ("supervisor", "Demo Supervisor", "supervisor"),
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="chatserver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="migrate the database and serve")
    run.add_argument(
        "--demo",
        action="store_true",
        help="(re)create demo accounts with fresh passwords and print them; never in production",
    )
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="skip migrations (many nodes: migrate once with `migrate`, not from every node)",
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser(
        "prepare-deidentify", help="build the de-identification tables (DEDUCE_CACHE_DIR) once"
    )
    create = commands.add_parser("create-staff", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", required=True)
    create.add_argument(
        "--role", choices=("counsellor", "supervisor", "researcher"), default="counsellor"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        parser.exit(2, f"chatserver: {error}\n")
    configure_logging(settings.log_level)

    if args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "prepare-deidentify":
        ensure_cache(Path(settings.deduce_cache_dir))
    elif args.command == "create-staff":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
        asyncio.run(_create_staff(settings, args.username, args.display_name, args.role, password))
    else:
        if not args.no_migrate:
            asyncio.run(_migrate(settings))
        if args.demo:
            asyncio.run(_demo_accounts(settings))
        print(f"Visitor chat:       {settings.base_url}/", flush=True)
        print(f"Counsellor console: {settings.base_url}/console/", flush=True)
        _serve(settings)


async def _migrate(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    try:
        await upgrade(runtime.engine)
    finally:
        await runtime.close()


async def _create_staff(
    settings: Settings, username: str, display_name: str, role: str, password: str
) -> None:
    runtime = Runtime.build(settings)
    try:
        staff = await runtime.accounts.create(
            username=username, display_name=display_name, role=role, password=password, by=None
        )
    except ChatError as error:
        raise SystemExit(f"chatserver: {error.message}") from None
    finally:
        await runtime.close()
    print(f"Created {staff.role.value} account '{staff.username}'.")


async def _demo_accounts(settings: Settings) -> None:
    """Demo logins with fresh random passwords on every start, printed once."""
    runtime = Runtime.build(settings)
    try:
        for username, display_name, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            await _reset_account(runtime, username, display_name, role, password)
            print(f"Demo {role} login:  username {username!r}  password {password!r}", flush=True)
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


def _serve(settings: Settings) -> None:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        ws_max_size=settings.frame_max_bytes * 4,
        # No compression: it costs CPU per frame and, next to secrets, invites CRIME-style leaks.
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
