"""Who is still there: visitors' last-seen times, and the sweep that ends abandoned chats.

"Has a socket" must hold across nodes, so no node counts another's sockets: the node that
holds a visitor's socket refreshes the conversation's ``visitor_seen_at`` in the store (one
write per round for all its visitors), and every node's sweep judges "gone" from that time
alone. A node that dies simply stops refreshing, and its visitors count as gone after the
grace period like any other.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from chatserver.background import Periodic
from chatserver.chat import ChatService
from chatserver.settings import Settings

logger = logging.getLogger("chatserver.presence")

#: Refresh and sweep at most this far apart, and four times within the grace period.
LONGEST_ROUND_S = 15.0


def round_interval(settings: Settings) -> float:
    return min(LONGEST_ROUND_S, settings.queue_abandon_after_s / 4)


class Presence:
    def __init__(
        self, chat: ChatService, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self._chat = chat
        self._clock = clock
        self._here: Counter[str] = Counter()
        self._periodic = Periodic("presence", self.run_once, round_interval(settings), logger)

    def start(self) -> None:
        self._periodic.start()

    async def close(self) -> None:
        await self._periodic.close()

    async def arrived(self, conversation_id: str) -> None:
        """A visitor socket for this chat opened on this node."""
        self._here[conversation_id] += 1
        await self._chat.visitor_present(conversation_id, True)

    async def left(self, conversation_id: str) -> None:
        """A visitor socket closed; the last one of this chat here tells the counsellor."""
        self._here[conversation_id] -= 1
        if self._here[conversation_id] <= 0:
            del self._here[conversation_id]
            await self._chat.visitor_present(conversation_id, False)

    async def run_once(self) -> int:
        """Refresh this node's visitors, then end what nobody is at any more; how many."""
        await self._chat.repository.touch_visitors(tuple(self._here), now=self._clock())
        ended = await self._chat.end_abandoned()
        if ended:
            logger.info("abandoned chats ended", extra={"count": len(ended)})
        return len(ended)
