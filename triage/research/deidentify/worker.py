"""De-identification in a worker process, so that chats neither wait for nor carry deduce.

Loading deduce takes seconds to a minute of CPU and about 1 GB of memory. Inside the chat
process that froze every chat for half a minute on the first quote and made every server
process 1 GB bigger. Here a pool of ``DEIDENTIFY_WORKERS`` processes (default 1), started on
the first quote, each loads deduce once; the chat process only sends text and awaits the
result. Workers are spawned, not forked, so they share nothing with the event loop.

A worker that fails to load or dies breaks the pool: that request, and any waiting, answer
``unavailable``, and the next quote starts a new pool.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from chatserver.errors import Unavailable
from triage.research.deidentify.engine import Engine, load_engine

log = logging.getLogger(__name__)

#: The engine of this worker process, loaded by the pool's initializer.
_loaded: dict[str, Engine] = {}


def _load(cache_dir: str) -> None:
    _loaded["engine"] = load_engine(Path(cache_dir))


def _deidentify(text: str, keep_nationality: bool) -> str:
    engine = _loaded["engine"]
    engine.keep_nationality = keep_nationality
    return engine.deidentify(text)


class Deidentifier:
    """De-identifies text in worker processes that each load deduce once."""

    def __init__(
        self, cache_dir: Path, *, workers: int = 1, keep_nationality: bool = False
    ) -> None:
        self._cache_dir = cache_dir
        self._workers = workers
        self._keep_nationality = keep_nationality
        self._pool: ProcessPoolExecutor | None = None

    async def deidentify(self, text: str, *, keep_nationality: bool | None = None) -> str:
        """``text`` de-identified; ``keep_nationality`` overrides the pool's own choice.

        The node's service (:mod:`~triage.research.deidentify.service`) passes each chat
        process's choice along.
        """
        keep = self._keep_nationality if keep_nationality is None else keep_nationality
        pool = self._started()
        try:
            return await asyncio.wrap_future(pool.submit(_deidentify, text, keep))
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
                log.error("the de-identification worker failed (see its output); restarting")
            raise Unavailable("De-identification is not available; try again.") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load,
                initargs=(str(self._cache_dir),),
            )
        return self._pool
