"""Command line: ``run``, ``migrate``, ``create-staff``, ``synthesize``, ``export``, ``report``,
``prepare-deidentify``.

Thin: it calls services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import resource
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import uvicorn

from chatserver import demo
from chatserver.app import create_app
from chatserver.chat import utc_now
from chatserver.errors import ChatError
from chatserver.lifecycle import Drain, DrainingServer
from chatserver.logs import configure as configure_logging
from chatserver.metrics import ASYNCIO_LOGS_DROPPED
from chatserver.runtime import Runtime
from chatserver.settings import Settings, SettingsError
from chatserver.store.migrate import upgrade
from chatserver.transport.slow_headers import timed_headers
from triage.research.dataset import synthetic
from triage.research.deidentify import service as deidentify_service
from triage.research.deidentify.engine import ensure_cache
from triage.research.deidentify.worker import Deidentifier
from triage.research.export.build import parse_options
from triage.research.export.jobs import Exports, Progress, check_settings
from triage.research.report.jobs import Reports
from triage.research.report.jobs import parse_options as parse_report_options

PROGRESS_WIDTH = 30

#: Open files to ask for when the hard limit is unlimited: systemd's LimitNOFILE in ops/.
OPEN_FILES_WANTED = 65536


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="chatserver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="migrate the database and serve")
    run.add_argument(
        "--demo",
        action="store_true",
        help="try everything: fresh logins for every role, a demo police intake and a synthetic "
        "year (DEMO_SYNTHETIC_VISITORS); never in production",
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
    service = commands.add_parser(
        "deidentify-service",
        help="serve de-identification to every chat process of this node (DEIDENTIFY_SOCKET)",
    )
    service.add_argument(
        "--socket", type=Path, help="the Unix socket to listen on (default: DEIDENTIFY_SOCKET)"
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
    synthesize = commands.add_parser(
        "synthesize", help="fill the database with a synthetic coded year (demos, tests)"
    )
    synthesize.add_argument("--year", type=int, required=True)
    synthesize.add_argument("--visitors", type=int, required=True)
    synthesize.add_argument("--seed", type=int, default=0)
    export = commands.add_parser(
        "export", help="write a de-identified research dataset (logged as a command-line export)"
    )
    export.add_argument("--year", type=int, required=True)
    export.add_argument("--level", choices=("person", "conversation"), default="person")
    export.add_argument("--format", choices=("csv", "sav"), default="sav")
    export.add_argument("--language", choices=("nl", "en"), default="nl")
    export.add_argument("--k-anonymity", choices=("refuse", "suppress"), default="refuse")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    report = commands.add_parser(
        "report",
        help="write the yearly report: HTML with charts, and a zip with the page and the tables "
        "as CSV (logged as a command-line report)",
    )
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--language", choices=("nl", "en"), default="nl")
    report.add_argument(
        "--small-cells",
        choices=("suppress", "flag", "publish"),
        default=None,
        help="hide counts under RESEARCH_SMALL_CELL, only mark them, or publish them as CKM "
        "does (default: RESEARCH_SMALL_CELLS, itself 'suppress' by default)",
    )
    report.add_argument("--earlier-years", type=int, default=4, help="years to compare with")
    report.add_argument("--out", type=Path, required=True, help="the folder to write to")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        parser.exit(2, f"chatserver: {error}\n")
    configure_logging(settings.log_level, ASYNCIO_LOGS_DROPPED.inc)

    if args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "export":
        asyncio.run(_export(settings, args))
    elif args.command == "report":
        asyncio.run(_report(settings, args))
    elif args.command == "synthesize":
        asyncio.run(_synthesize(settings, args.year, args.visitors, args.seed))
    elif args.command == "prepare-deidentify":
        ensure_cache(Path(settings.deduce_cache_dir))
    elif args.command == "deidentify-service":
        socket_path = args.socket or Path(settings.deidentify_socket)
        if not str(socket_path):
            parser.exit(2, "chatserver: deidentify-service needs --socket or DEIDENTIFY_SOCKET\n")
        deidentify_service.claim(socket_path)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_deidentify_service(settings, socket_path))
        finally:
            socket_path.unlink(missing_ok=True)
    elif args.command == "create-staff":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
        asyncio.run(_create_staff(settings, args.username, args.display_name, args.role, password))
    else:
        # Bound before anything else, so PORT=0 (any free port) is known to the settings.
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        listener = socket.create_server((settings.host, settings.port), family=family)
        settings = replace(settings, port=listener.getsockname()[1])
        if not args.no_migrate:
            asyncio.run(_migrate(settings))
        if args.demo:
            asyncio.run(demo.prepare(settings))
            settings = demo.start_intake(settings)
        print(f"Visitor chat:       {settings.base_url}/", flush=True)
        print(f"Counsellor console: {settings.base_url}/console/", flush=True)
        _serve(settings, listener)


async def _migrate(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    try:
        await upgrade(runtime.engine)
    finally:
        await runtime.close()


async def _synthesize(settings: Settings, year: int, visitors: int, seed: int) -> None:
    runtime = Runtime.build(settings)
    try:
        await upgrade(runtime.engine)
        planned = await synthetic.synthesize(runtime.engine, year, visitors, seed)
    except (ChatError, ValueError) as error:
        raise SystemExit(f"chatserver: {error}") from None
    finally:
        await runtime.close()
    print(
        f"Synthesized {len(planned.visitors)} visitors and "
        f"{len(planned.conversations)} conversations for {year} (seed {seed})."
    )


async def _export(settings: Settings, args: argparse.Namespace) -> None:
    runtime = Runtime.build(settings)
    try:
        check_settings(settings)
        options = parse_options(
            {
                "year": args.year,
                "level": args.level,
                "format": args.format,
                "language": args.language,
                "k_anonymity": args.k_anonymity,
            },
            this_year=utc_now().year,
        )
        exports = Exports(runtime.engine, settings, utc_now)
        file = await exports.export_now(options, _progress_bar("Exporting"))
    except (ChatError, SettingsError) as error:
        raise SystemExit(f"\nchatserver: {error}") from None
    finally:
        await runtime.close()
    args.out.write_bytes(file.content)
    print(f"Wrote {args.out} ({len(file.content)} bytes).")


async def _report(settings: Settings, args: argparse.Namespace) -> None:
    runtime = Runtime.build(settings)
    try:
        options = parse_report_options(
            {
                "year": args.year,
                "language": args.language,
                "small_cells": args.small_cells or settings.research_small_cells,
                "earlier_years": args.earlier_years,
            },
            this_year=utc_now().year,
        )
        reports = Reports(
            Exports(runtime.engine, settings, utc_now), runtime.engine, settings, utc_now
        )
        files = await reports.report_now(options, _progress_bar("Reporting"))
    except ChatError as error:
        raise SystemExit(f"\nchatserver: {error}") from None
    finally:
        await runtime.close()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in ((files.html_name, files.html), (files.zip_name, files.zip)):
        (args.out / name).write_bytes(content)
        print(f"Wrote {args.out / name} ({len(content)} bytes).")


async def _deidentify_service(settings: Settings, socket_path: Path) -> None:
    """Serve until SIGTERM or Ctrl-C; deduce loads at once, so the first quote does not wait."""
    deidentifier = Deidentifier(
        Path(settings.deduce_cache_dir), workers=settings.deidentify_workers
    )
    loop = asyncio.get_running_loop()
    serving = asyncio.ensure_future(deidentify_service.serve(socket_path, deidentifier))
    loop.add_signal_handler(signal.SIGTERM, serving.cancel)
    warm = asyncio.ensure_future(deidentifier.deidentify(""))
    with contextlib.suppress(asyncio.CancelledError):
        await serving
    warm.cancel()


def _progress_bar(verb: str) -> Progress:
    async def show(done: int) -> None:
        filled = done * PROGRESS_WIDTH // 100
        bar = "#" * filled + "." * (PROGRESS_WIDTH - filled)
        end = "\n" if done >= 100 else ""
        sys.stderr.write(f"\r{verb} [{bar}] {done:3d}%{end}")
        sys.stderr.flush()

    return show


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


def _serve(settings: Settings, listener: socket.socket) -> None:
    drain = Drain()
    config = uvicorn.Config(
        create_app(settings, drain),
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
        # Past this many connections and tasks uvicorn answers 503 instead of falling over;
        # visitors are capped below it (VISITOR_SOCKETS_MAX), so staff always get through.
        limit_concurrency=settings.limit_concurrency,
        http=timed_headers(settings.header_timeout_s),
    )
    raise_open_files_limit()
    DrainingServer(config, drain, settings.shutdown_drain_s).run(sockets=[listener])


def raise_open_files_limit() -> None:
    """Use every file descriptor the system allows (systemd: LimitNOFILE), not the soft 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
