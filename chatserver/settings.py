"""Every setting, read once from the environment.

This is the only module that reads ``os.environ``; everything else receives a
:class:`Settings`. Defaults give the embedded mode: a SQLite file and the
in-process broker, so a fresh machine needs nothing else.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatserver.domain.availability import OpeningHours, parse_opening_hours


class SettingsError(ValueError):
    """An environment variable has a value we cannot use."""


#: A shorter metrics token could be guessed; ``openssl rand -hex 32`` gives 64.
METRICS_TOKEN_MIN_CHARS = 32


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/chat.db"
    #: PostgreSQL connections per node (SQLite always has one), and how long a use case waits
    #: for one before the client is told ``unavailable`` (retry) instead of waiting on.
    db_pool_size: int = 10
    db_pool_max_overflow: int = 20
    db_pool_timeout_s: float = 30.0
    broker_url: str = "memory://"
    #: Before every Redis channel and key, so deployments (or tests) sharing a Redis never
    #: see each other's hints.
    redis_prefix: str = "chat:"
    host: str = "127.0.0.1"
    port: int = 8000
    #: Browser origins allowed to open WebSockets; empty means "this server's own".
    allowed_origins: tuple[str, ...] = ()
    public_url: str = ""
    log_level: str = "INFO"

    max_chats_per_counsellor: int = 3
    #: When visitors can start a chat (``None``: always) and how many may wait (0: no cap).
    opening_hours: OpeningHours | None = None
    queue_max_waiting: int = 0
    #: Nobody waits unseen (docs/operations.md): a waiting visitor without a socket this long
    #: leaves the queue; a wait this long alerts the console again; a visitor in acute danger
    #: counts as having joined this much earlier, so nobody who waited longer is overtaken.
    queue_abandon_after_s: float = 180.0
    queue_escalate_after_s: float = 300.0
    queue_danger_head_start_s: float = 600.0
    #: An active chat's visitor gone this long: one click closes it; this long: it closes
    #: itself (0: never), and the visitor may still read it back within the resume window.
    visitor_away_close_offer_s: float = 300.0
    visitor_away_autoclose_s: float = 1800.0
    #: Where to turn while the chat is closed, as ``name=number`` entries between ``;``.
    help_alternatives: tuple[tuple[str, str], ...] = (
        ("Alarmnummer (acuut gevaar)", "112"),
        ("Kindertelefoon", "0800 0432"),
        ("Veilig Thuis", "0800 2000"),
        ("Centrum Seksueel Geweld", "0800 0188"),
    )
    #: Quick exit (docs/privacy.md): where the visitor lands, an innocuous page outside the
    #: helpline (an absolute http(s) URL, or a path on this server such as ``/neutral.html``),
    #: and the tab title of the visitor's pages, which says nothing about help or violence.
    quick_exit_url: str = "https://www.weeronline.nl/"
    visitor_page_title: str = "Weerbericht"
    message_max_chars: int = 4000
    note_max_chars: int = 4000
    frame_max_bytes: int = 16 * 1024
    #: Token bucket per WebSocket connection: sustained frames per second and burst.
    frames_per_second: float = 5.0
    frame_burst: int = 20
    outbound_queue_size: int = 256

    staff_idle_timeout_s: int = 30 * 60
    staff_absolute_timeout_s: int = 12 * 60 * 60
    visitor_resume_ttl_s: int = 24 * 60 * 60
    http_body_max_bytes: int = 64 * 1024

    #: Argon2id cost, OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    #: Password hashes computed at once (each takes about a core), and how many more logins
    #: may wait for one; beyond that a login is answered 503 with Retry-After at once.
    login_hash_concurrency: int = 1
    login_hash_queue: int = 10

    #: Ended chats' messages and notes are deleted this long after the end; coded data stays.
    transcript_retention_days: float = 90.0
    retention_interval_s: float = 3600.0

    #: Referral to the police: where the units' endpoints and secrets are (docs/referrals.md).
    referral_units_file: str = ""
    referral_organisation: str = "Helpline"
    referral_retry_max_s: float = 300.0
    referral_alert_after_s: float = 900.0
    #: An urgent (acutely unsafe) referral the unit has not confirmed by then alerts at once.
    referral_urgent_alert_after_s: float = 120.0
    referral_timeout_s: float = 10.0
    referral_relay_interval_s: float = 2.0

    #: Research exports (docs/research.md): k-anonymity over these dataset columns, small
    #: cells in published tables, how long an export's file is kept, the counting timezone.
    research_k: int = 5
    research_quasi_identifiers: tuple[str, ...] = (
        "age_band",
        "gender",
        "first_contact_quarter",
        "channel",
        "chat_language",
    )
    research_small_cell: int = 5
    #: The yearly report's default small-cell rule: ``suppress`` (safest), ``flag``, or
    #: ``publish`` (CKM's own disclosure profile: small counts shown, ages as bounds).
    research_small_cells: str = "suppress"
    research_export_keep_hours: float = 24.0
    research_timezone: str = "Europe/Amsterdam"
    #: Bearer token for ``GET /metrics``; unset, the endpoint does not exist (docs/operations.md).
    metrics_token: str = field(default="", repr=False)
    #: On a stop signal, report not ready (``/readyz``) this long before closing connections,
    #: so the load balancer stops sending new clients first.
    shutdown_drain_s: float = 0.0
    #: Where deduce's lookup tables are cached (docs/research-quotes.md); service user only.
    deduce_cache_dir: str = "var/deduce-cache"
    #: Worker processes that de-identify quotes, each loading deduce (about 1 GB) once.
    deidentify_workers: int = 1
    #: The node's de-identification service (``chatserver deidentify-service``) that every chat
    #: process on the node shares; unset, each process starts its own workers.
    deidentify_socket: str = ""
    #: Keep countries and nationalities in research quotes (``QUOTES_KEEP_NATIONALITY=1``), for
    #: research questions about nationality; removed by default (docs/research-quotes.md).
    quotes_keep_nationality: bool = False
    #: Login brute-force protection (docs/security.md): failures allowed per account and per
    #: source address before each further attempt must wait, doubling from the base to the cap.
    login_account_free_attempts: int = 5
    login_source_free_attempts: int = 20
    login_backoff_base_s: float = 30.0
    login_backoff_max_s: float = 900.0
    #: The header a trusted reverse proxy puts the client's address in (its last entry is
    #: used). It is read only on connections from a peer in ``trusted_proxies`` (addresses or
    #: networks); from anyone else, and when no proxy is listed, the TCP peer is the source.
    client_address_header: str = "X-Forwarded-For"
    trusted_proxies: tuple[str, ...] = ()
    #: Per-source limits (docs/security.md): a source is a keyed hash of its address under a
    #: key replaced this often. Chat starts per window, sockets that have not said hello yet
    #: (visitor and staff each), and visitor sockets open at once.
    source_key_rotate_s: float = 3600.0
    chat_starts_per_source: int = 30
    chat_start_window_s: float = 600.0
    prehello_sockets_per_source: int = 20
    visitor_sockets_per_source: int = 100
    #: Visitor sockets on this node at once: below ``limit_concurrency``, so that what is left
    #: is for staff, whose sockets always get through. A socket must say hello within this.
    visitor_sockets_max: int = 3000
    hello_timeout_s: float = 10.0
    #: uvicorn's cap on connections and tasks (503 beyond it), and the time a client may take
    #: to send a request's headers (slowloris).
    limit_concurrency: int = 4000
    header_timeout_s: float = 10.0
    #: Proof of work for chat starts (docs/operations.md): zero bits the widget's SHA-256
    #: must start with (14: about half a second on this project's test machine in Chromium,
    #: docs/security.md), how long a puzzle may be solved, and when ``auto`` asks for work:
    #: this many different sources starting chats within the window, or the queue at this
    #: percentage of ``QUEUE_MAX_WAITING``; it stops after the calm period without either.
    work_difficulty_bits: int = 14
    work_challenge_ttl_s: float = 120.0
    work_auto_sources: int = 20
    work_auto_window_s: float = 60.0
    work_auto_queue_percent: int = 80
    work_auto_calm_s: float = 600.0
    #: The name authenticator apps show next to a staff member's two-factor code.
    totp_issuer: str = "Helpline"
    #: ``run --demo`` only: visitors of the synthetic coded year it loads once (last year,
    #: for the research page); 0 loads none (the tests' servers, which make their own data).
    demo_synthetic_visitors: int = 400

    @property
    def origins(self) -> frozenset[str]:
        if self.allowed_origins:
            return frozenset(self.allowed_origins)
        own = {f"http://{self.host}:{self.port}", f"http://localhost:{self.port}"}
        if self.public_url:
            own.add(self.public_url.rstrip("/"))
        return frozenset(own)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        return cls(
            database_url=reader.text("DATABASE_URL", cls.database_url),
            db_pool_size=reader.integer("DB_POOL_SIZE", cls.db_pool_size, minimum=1),
            db_pool_max_overflow=reader.integer(
                "DB_POOL_MAX_OVERFLOW", cls.db_pool_max_overflow, minimum=0
            ),
            db_pool_timeout_s=reader.number("DB_POOL_TIMEOUT_S", cls.db_pool_timeout_s),
            broker_url=reader.text("BROKER_URL", cls.broker_url),
            redis_prefix=reader.text("REDIS_PREFIX", cls.redis_prefix),
            host=reader.text("HOST", cls.host),
            port=reader.integer("PORT", cls.port, minimum=0),
            allowed_origins=reader.words("ALLOWED_ORIGINS"),
            public_url=reader.text("PUBLIC_URL", cls.public_url),
            log_level=reader.text("LOG_LEVEL", cls.log_level).upper(),
            max_chats_per_counsellor=reader.integer(
                "MAX_CHATS_PER_COUNSELLOR", cls.max_chats_per_counsellor, minimum=1
            ),
            opening_hours=reader.opening_hours("OPENING_HOURS", "OPENING_HOURS_TZ"),
            queue_max_waiting=reader.integer("QUEUE_MAX_WAITING", cls.queue_max_waiting, minimum=0),
            queue_abandon_after_s=reader.number(
                "QUEUE_ABANDON_AFTER_S", cls.queue_abandon_after_s, minimum=1
            ),
            queue_escalate_after_s=reader.number(
                "QUEUE_ESCALATE_AFTER_S", cls.queue_escalate_after_s, minimum=1
            ),
            queue_danger_head_start_s=reader.number(
                "QUEUE_DANGER_HEAD_START_S", cls.queue_danger_head_start_s, minimum=0
            ),
            visitor_away_close_offer_s=reader.number(
                "VISITOR_AWAY_CLOSE_OFFER_S", cls.visitor_away_close_offer_s, minimum=1
            ),
            visitor_away_autoclose_s=reader.number(
                "VISITOR_AWAY_AUTOCLOSE_S", cls.visitor_away_autoclose_s, minimum=0
            ),
            help_alternatives=reader.pairs("HELP_ALTERNATIVES") or cls.help_alternatives,
            quick_exit_url=reader.landing("QUICK_EXIT_URL", cls.quick_exit_url),
            visitor_page_title=reader.text("VISITOR_PAGE_TITLE", cls.visitor_page_title),
            message_max_chars=reader.integer("MESSAGE_MAX_CHARS", cls.message_max_chars, minimum=1),
            note_max_chars=reader.integer("NOTE_MAX_CHARS", cls.note_max_chars, minimum=1),
            frame_max_bytes=reader.integer("FRAME_MAX_BYTES", cls.frame_max_bytes, minimum=256),
            frames_per_second=reader.number("FRAMES_PER_SECOND", cls.frames_per_second),
            frame_burst=reader.integer("FRAME_BURST", cls.frame_burst, minimum=1),
            outbound_queue_size=reader.integer(
                "OUTBOUND_QUEUE_SIZE", cls.outbound_queue_size, minimum=8
            ),
            staff_idle_timeout_s=reader.integer(
                "STAFF_IDLE_TIMEOUT_S", cls.staff_idle_timeout_s, minimum=1
            ),
            staff_absolute_timeout_s=reader.integer(
                "STAFF_ABSOLUTE_TIMEOUT_S", cls.staff_absolute_timeout_s, minimum=1
            ),
            visitor_resume_ttl_s=reader.integer(
                "VISITOR_RESUME_TTL_S", cls.visitor_resume_ttl_s, minimum=60
            ),
            http_body_max_bytes=reader.integer(
                "HTTP_BODY_MAX_BYTES", cls.http_body_max_bytes, minimum=1024
            ),
            argon2_memory_kib=reader.integer("ARGON2_MEMORY_KIB", cls.argon2_memory_kib, minimum=8),
            argon2_time_cost=reader.integer("ARGON2_TIME_COST", cls.argon2_time_cost, minimum=1),
            argon2_parallelism=reader.integer(
                "ARGON2_PARALLELISM", cls.argon2_parallelism, minimum=1
            ),
            login_hash_concurrency=reader.integer(
                "LOGIN_HASH_CONCURRENCY", cls.login_hash_concurrency, minimum=1
            ),
            login_hash_queue=reader.integer("LOGIN_HASH_QUEUE", cls.login_hash_queue, minimum=0),
            transcript_retention_days=reader.number(
                "TRANSCRIPT_RETENTION_DAYS", cls.transcript_retention_days
            ),
            retention_interval_s=reader.number("RETENTION_INTERVAL_S", cls.retention_interval_s),
            referral_units_file=reader.text("REFERRAL_UNITS_FILE", cls.referral_units_file),
            referral_organisation=reader.text("REFERRAL_ORGANISATION", cls.referral_organisation),
            referral_retry_max_s=reader.number("REFERRAL_RETRY_MAX_S", cls.referral_retry_max_s),
            referral_alert_after_s=reader.number(
                "REFERRAL_ALERT_AFTER_S", cls.referral_alert_after_s
            ),
            referral_urgent_alert_after_s=reader.number(
                "REFERRAL_URGENT_ALERT_AFTER_S", cls.referral_urgent_alert_after_s
            ),
            referral_timeout_s=reader.number("REFERRAL_TIMEOUT_S", cls.referral_timeout_s),
            referral_relay_interval_s=reader.number(
                "REFERRAL_RELAY_INTERVAL_S", cls.referral_relay_interval_s
            ),
            research_k=reader.integer("RESEARCH_K", cls.research_k, minimum=1),
            research_quasi_identifiers=reader.words("RESEARCH_QUASI_IDENTIFIERS")
            or cls.research_quasi_identifiers,
            research_small_cell=reader.integer(
                "RESEARCH_SMALL_CELL", cls.research_small_cell, minimum=1
            ),
            research_small_cells=reader.one_of(
                "RESEARCH_SMALL_CELLS", cls.research_small_cells, ("suppress", "flag", "publish")
            ),
            research_export_keep_hours=reader.number(
                "RESEARCH_EXPORT_KEEP_HOURS", cls.research_export_keep_hours
            ),
            research_timezone=reader.timezone("RESEARCH_TIMEZONE", cls.research_timezone),
            metrics_token=reader.secret("METRICS_TOKEN", minimum_chars=METRICS_TOKEN_MIN_CHARS),
            shutdown_drain_s=reader.number("SHUTDOWN_DRAIN_S", cls.shutdown_drain_s, minimum=0),
            deduce_cache_dir=reader.text("DEDUCE_CACHE_DIR", cls.deduce_cache_dir),
            deidentify_workers=reader.integer(
                "DEIDENTIFY_WORKERS", cls.deidentify_workers, minimum=1
            ),
            deidentify_socket=reader.text("DEIDENTIFY_SOCKET", cls.deidentify_socket),
            quotes_keep_nationality=reader.integer("QUOTES_KEEP_NATIONALITY", 0, minimum=0) > 0,
            login_account_free_attempts=reader.integer(
                "LOGIN_ACCOUNT_FREE_ATTEMPTS", cls.login_account_free_attempts, minimum=1
            ),
            login_source_free_attempts=reader.integer(
                "LOGIN_SOURCE_FREE_ATTEMPTS", cls.login_source_free_attempts, minimum=1
            ),
            login_backoff_base_s=reader.number("LOGIN_BACKOFF_BASE_S", cls.login_backoff_base_s),
            login_backoff_max_s=reader.number("LOGIN_BACKOFF_MAX_S", cls.login_backoff_max_s),
            client_address_header=reader.text("CLIENT_ADDRESS_HEADER", cls.client_address_header),
            trusted_proxies=reader.networks("TRUSTED_PROXIES"),
            source_key_rotate_s=reader.number("SOURCE_KEY_ROTATE_S", cls.source_key_rotate_s),
            chat_starts_per_source=reader.integer(
                "CHAT_STARTS_PER_SOURCE", cls.chat_starts_per_source, minimum=1
            ),
            chat_start_window_s=reader.number("CHAT_START_WINDOW_S", cls.chat_start_window_s),
            prehello_sockets_per_source=reader.integer(
                "PREHELLO_SOCKETS_PER_SOURCE", cls.prehello_sockets_per_source, minimum=1
            ),
            visitor_sockets_per_source=reader.integer(
                "VISITOR_SOCKETS_PER_SOURCE", cls.visitor_sockets_per_source, minimum=1
            ),
            visitor_sockets_max=reader.integer(
                "VISITOR_SOCKETS_MAX", cls.visitor_sockets_max, minimum=1
            ),
            hello_timeout_s=reader.number("HELLO_TIMEOUT_S", cls.hello_timeout_s),
            limit_concurrency=reader.integer(
                "LIMIT_CONCURRENCY", cls.limit_concurrency, minimum=16
            ),
            header_timeout_s=reader.number("HEADER_TIMEOUT_S", cls.header_timeout_s),
            work_difficulty_bits=reader.integer(
                "WORK_DIFFICULTY_BITS", cls.work_difficulty_bits, minimum=1
            ),
            work_challenge_ttl_s=reader.number(
                "WORK_CHALLENGE_TTL_S", cls.work_challenge_ttl_s, minimum=1
            ),
            work_auto_sources=reader.integer("WORK_AUTO_SOURCES", cls.work_auto_sources, minimum=1),
            work_auto_window_s=reader.number("WORK_AUTO_WINDOW_S", cls.work_auto_window_s),
            work_auto_queue_percent=reader.integer(
                "WORK_AUTO_QUEUE_PERCENT", cls.work_auto_queue_percent, minimum=1
            ),
            work_auto_calm_s=reader.number("WORK_AUTO_CALM_S", cls.work_auto_calm_s),
            totp_issuer=reader.text("TOTP_ISSUER", cls.totp_issuer),
            demo_synthetic_visitors=reader.integer(
                "DEMO_SYNTHETIC_VISITORS", cls.demo_synthetic_visitors, minimum=0
            ),
        )


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        return self._environ.get(name, default).strip() or default

    def words(self, name: str) -> tuple[str, ...]:
        raw = self._environ.get(name, "")
        return tuple(word.rstrip("/") for word in raw.replace(",", " ").split())

    def networks(self, name: str) -> tuple[str, ...]:
        """Addresses or networks (``10.0.0.5``, ``10.0.0.0/24``), checked now."""
        found = self.words(name)
        for word in found:
            try:
                ipaddress.ip_network(word, strict=False)
            except ValueError:
                raise SettingsError(f"{name}: {word!r} is not an address or network") from None
        return found

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        """``name=value`` entries between ``;``; empty when unset."""
        found: list[tuple[str, str]] = []
        for entry in self._environ.get(name, "").split(";"):
            if not entry.strip():
                continue
            key, sep, value = entry.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise SettingsError(
                    f"{name}: {entry.strip()!r} is not like 'Veilig Thuis=0800 2000'"
                )
            found.append((key.strip(), value.strip()))
        return tuple(found)

    def opening_hours(self, name: str, zone_name: str) -> OpeningHours | None:
        try:
            return parse_opening_hours(
                self._environ.get(name, ""), self.text(zone_name, "Europe/Amsterdam")
            )
        except ValueError as error:
            raise SettingsError(f"{name}: {error}") from None

    def landing(self, name: str, default: str) -> str:
        """An absolute http(s) URL or a path on this server: never ``javascript:`` or the like."""
        value = self.text(name, default)
        scheme, _, rest = value.partition("://")
        local = value.startswith("/") and not value.startswith("//")
        if not local and not (scheme.lower() in ("http", "https") and rest and " " not in value):
            raise SettingsError(
                f"{name} must be an http(s) URL such as {default} or a path like /neutral.html,"
                f" got {value!r}"
            )
        return value

    def one_of(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self._environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"{name} must be a time zone such as {default}, got {value!r}"
            ) from None
        return value

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        """A number; positive, or at least ``minimum`` when one is given."""
        raw = self._environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if minimum is None and value <= 0:
            raise SettingsError(f"{name} must be positive, got {value}")
        if minimum is not None and value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def secret(self, name: str, *, minimum_chars: int) -> str:
        """A secret, empty when unset; never quoted in an error."""
        value = self._environ.get(name, "").strip()
        if value and len(value) < minimum_chars:
            raise SettingsError(f"{name} must be at least {minimum_chars} characters long")
        return value
