"""Everything a running node holds, built from settings and closed in order."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.auth.accounts import Accounts
from chatserver.auth.passwords import PasswordHasher
from chatserver.auth.throttle import LoginThrottle
from chatserver.auth.two_factor import TwoFactor
from chatserver.broker import Broker, broker_from_url
from chatserver.chat import ChatService, utc_now
from chatserver.domain.sources import SourceLimits
from chatserver.fanout import Hub, QueueFeed
from chatserver.presence import Presence
from chatserver.retention import RetentionJob
from chatserver.settings import Settings
from chatserver.store.engine import create_engine
from chatserver.store.login_attempts import LoginAttemptStore
from chatserver.store.repository import Repository
from chatserver.store.work import WorkModeStore
from chatserver.work import WorkGate


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    broker: Broker
    repository: Repository
    chat: ChatService
    accounts: Accounts
    hub: Hub
    queue_feed: QueueFeed
    retention: RetentionJob
    presence: Presence
    sources: SourceLimits
    work: WorkGate

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_max_overflow,
            pool_timeout_s=settings.db_pool_timeout_s,
        )
        broker = broker_from_url(settings.broker_url, settings.redis_prefix)
        repository = Repository(engine)
        hasher = PasswordHasher(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
            concurrency=settings.login_hash_concurrency,
            queue=settings.login_hash_queue,
        )
        chat = ChatService(repository, broker, settings, utc_now)
        hub = Hub(broker, repository.newest_seqs)
        sources = SourceLimits(
            rotate_s=settings.source_key_rotate_s,
            starts=settings.chat_starts_per_source,
            start_window_s=settings.chat_start_window_s,
            prehello=settings.prehello_sockets_per_source,
            visitor_sockets=settings.visitor_sockets_per_source,
            now=time.monotonic(),
        )

        async def waiting() -> int:
            return len(await repository.waiting())

        return cls(
            settings=settings,
            engine=engine,
            broker=broker,
            repository=repository,
            chat=chat,
            accounts=Accounts(
                repository,
                broker,
                hasher,
                LoginThrottle(LoginAttemptStore(engine), settings, utc_now),
                TwoFactor(repository, settings, utc_now),
                settings,
                utc_now,
            ),
            hub=hub,
            queue_feed=QueueFeed(hub, chat.queue_snapshot),
            retention=RetentionJob(repository, settings, utc_now),
            presence=Presence(chat, settings, utc_now),
            sources=sources,
            work=WorkGate(WorkModeStore(engine), broker, sources.keys, waiting, settings),
        )

    async def start(self) -> None:
        await self.hub.start()
        self.retention.start()
        self.presence.start()

    async def close(self) -> None:
        await self.presence.close()
        await self.retention.close()
        await self.queue_feed.close()
        await self.hub.close()
        await self.broker.close()
        await self.engine.dispose()
