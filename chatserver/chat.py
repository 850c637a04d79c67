"""The chat's use cases, shared by the WebSocket and HTTP edges.

Each use case commits through the repository first and only then publishes a
broker hint, so no node ever announces a fact that is not durable. A failed
publish is logged and swallowed: the message is stored and acknowledged, and
every reader catches up from the store by sequence number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chatserver.broker import Broker, publish_hint
from chatserver.domain import topics
from chatserver.domain.availability import Availability
from chatserver.domain.profile import VisitorProfile
from chatserver.domain.pseudonyms import draw_pseudonym
from chatserver.domain.queue import RECENT_WINDOW, QueueSnapshot, queue_order_at
from chatserver.domain.records import (
    VISITOR,
    Conversation,
    Event,
    Message,
    Note,
    Staff,
    Status,
    staff_author,
)
from chatserver.domain.roles import require_chat_role
from chatserver.domain.text import clean_text
from chatserver.domain.tokens import new_token, token_digest
from chatserver.errors import QueueFull, ResumeImpossible, ServiceClosed
from chatserver.metrics import QUEUE_WAIT, QUICK_EXITS, Reading
from chatserver.protocol.server import (
    conversation_summary,
    message_frame,
    note_frame,
    presence_frame,
    typing_frame,
)
from chatserver.settings import Settings
from chatserver.store.repository import Repository

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChatService:
    def __init__(
        self,
        repository: Repository,
        broker: Broker,
        settings: Settings,
        clock: Clock = utc_now,
    ) -> None:
        self.repository = repository
        self._broker = broker
        self._settings = settings
        self._clock = clock

    # -- visitors ---------------------------------------------------------------------------------

    async def availability(self) -> Availability:
        """Closed outside the opening hours, full at the queue's cap; otherwise open."""
        now = self._clock()
        hours = self._settings.opening_hours
        if hours is not None and not hours.is_open(now):
            return Availability("closed", hours.next_opening(now))
        cap = self._settings.queue_max_waiting
        if cap and len(await self.repository.waiting()) >= cap:
            return Availability("full")
        return Availability(None)

    async def start_visitor(
        self, profile: VisitorProfile, in_danger: bool | None = None
    ) -> tuple[Conversation, str]:
        """Open a conversation in the queue; returns it with the visitor's resume token.

        ``in_danger`` is the visitor's own answer at the door; a yes puts them ahead in line.

        The cap is checked before the insert, so nodes starting chats at the same instant
        may pass it by a few: it protects the wait, not an invariant.
        """
        reason = (await self.availability()).reason
        if reason == "closed":
            raise ServiceClosed()
        if reason == "full":
            raise QueueFull()
        token = new_token()
        now = self._clock()
        head_start = timedelta(seconds=self._settings.queue_danger_head_start_s)
        conversation = await self.repository.create_conversation(
            token_hash=token_digest(token),
            profile=profile,
            draw_pseudonym=draw_pseudonym,
            now=now,
            in_danger=in_danger,
            queue_order_at=queue_order_at(now, in_danger, head_start),
        )
        await self._publish(topics.QUEUE, {"kind": "queue"})
        return conversation, token

    async def resume_visitor(self, token: str) -> Conversation:
        conversation = await self.repository.conversation_by_token(token_digest(token))
        ttl = timedelta(seconds=self._settings.visitor_resume_ttl_s)
        if conversation is None or self._clock() - conversation.created_at > ttl:
            raise ResumeImpossible()
        return conversation

    async def visitor_send(
        self, conversation: Conversation, client_msg_id: str, raw_text: object
    ) -> Message:
        return await self._append(
            conversation.id, VISITOR, conversation.pseudonym, client_msg_id, raw_text
        )

    async def set_profile(self, conversation_id: str, profile: VisitorProfile) -> None:
        await self.repository.set_profile(conversation_id, profile)

    async def end_by_visitor(self, conversation_id: str, *, quick_exit: bool = False) -> None:
        """End by the visitor; a quick exit is its own event, so the counsellor knows the
        visitor may no longer be safe. Only the first end counts (and is counted)."""
        event = Event.ENDED_QUICK_EXIT if quick_exit else Event.ENDED_BY_VISITOR
        message = await self.repository.end_by_visitor(
            conversation_id, event=event, now=self._clock()
        )
        if message is not None:
            if quick_exit:
                QUICK_EXITS.inc()
            await self.announce(message)
            await self._publish(topics.QUEUE, {"kind": "queue"})

    async def end_abandoned(self) -> list[Message]:
        """End what nobody is at any more (docs/operations.md, "Nobody waits unseen").

        Waiting chats whose visitor has had no socket for the grace period leave the
        queue; active chats whose visitor has been gone for the idle period close
        themselves. The visitor reads why on coming back, within the resume window.
        """
        now = self._clock()
        settings = self._settings
        ended = await self.repository.end_abandoned(
            Status.WAITING,
            seen_before=now - timedelta(seconds=settings.queue_abandon_after_s),
            event=Event.ENDED_LEFT_QUEUE,
            now=now,
        )
        if settings.visitor_away_autoclose_s:
            ended += await self.repository.end_abandoned(
                Status.ACTIVE,
                seen_before=now - timedelta(seconds=settings.visitor_away_autoclose_s),
                event=Event.ENDED_VISITOR_AWAY,
                now=now,
            )
        await self.announce_ended(ended)
        return ended

    async def announce_ended(self, ended: list[Message]) -> None:
        """Tell every reader of these chats that they ended, and every queue that it moved."""
        for message in ended:
            await self.announce(message)
        if ended:
            await self._publish(topics.QUEUE, {"kind": "queue"})

    async def visitor_present(self, conversation_id: str, present: bool) -> None:
        """The visitor's socket opened or closed on this node: the counsellor sees it now."""
        now = self._clock()
        await self.repository.touch_visitors([conversation_id], now=now)
        await self._publish(
            topics.staff_only(conversation_id),
            {"kind": "frame", "frame": presence_frame(conversation_id, present, now)},
        )

    async def visitor_typing(self, conversation_id: str, active: bool) -> None:
        await self._publish(
            topics.staff_only(conversation_id),
            {"kind": "frame", "frame": typing_frame(conversation_id, "visitor", active)},
        )

    async def queue_snapshot(self) -> QueueSnapshot:
        now = self._clock()
        waiting = await self.repository.waiting()
        pickups = await self.repository.recent_pickups(now - RECENT_WINDOW)
        return QueueSnapshot(waiting, pickups, now)

    async def readings(self) -> list[Reading]:
        """The waiting line and open chats as every node sees them: from the store."""
        occupancy = await self.repository.occupancy()
        oldest = occupancy.oldest_queued_at
        oldest_wait = 0.0 if oldest is None else (self._clock() - oldest).total_seconds()
        return [
            Reading("chat_queue_length", "Visitors waiting for a counsellor.", occupancy.waiting),
            Reading(
                "chat_queue_oldest_wait_seconds",
                "How long the longest-waiting visitor has waited; 0 when nobody waits.",
                max(0.0, oldest_wait),
            ),
            Reading(
                "chat_active_conversations",
                "Chats a counsellor has taken that have not ended.",
                occupancy.active,
            ),
        ]

    # -- counsellors ------------------------------------------------------------------------------

    async def accept_next(self, staff: Staff) -> Conversation:
        require_chat_role(staff.role)
        joined = await self.repository.claim_next(
            staff, cap=self._settings.max_chats_per_counsellor, now=self._clock()
        )
        await self.announce(joined)
        await self._publish(topics.QUEUE, {"kind": "queue"})
        conversation = await self.repository.conversation(joined.conversation_id)
        if conversation.assigned_at is not None:
            QUEUE_WAIT.observe((conversation.assigned_at - conversation.queued_at).total_seconds())
        await self._assign(staff.id, conversation)
        return conversation

    async def staff_send(
        self, staff: Staff, conversation_id: str, client_msg_id: str, raw_text: object
    ) -> Message:
        require_chat_role(staff.role)
        return await self._append(
            conversation_id, staff_author(staff.id), staff.display_name, client_msg_id, raw_text
        )

    async def staff_typing(self, staff: Staff, conversation_id: str, active: bool) -> None:
        require_chat_role(staff.role)
        conversation = await self.repository.conversation(conversation_id)
        if conversation.counsellor_id == staff.id and conversation.status is Status.ACTIVE:
            await self._publish(
                topics.conversation(conversation_id),
                {"kind": "frame", "frame": typing_frame(conversation_id, "counsellor", active)},
            )

    async def transfer(self, staff: Staff, conversation_id: str, to_staff_id: str) -> None:
        require_chat_role(staff.role)
        message = await self.repository.transfer(
            conversation_id,
            by=staff,
            to_staff_id=to_staff_id,
            cap=self._settings.max_chats_per_counsellor,
            now=self._clock(),
        )
        await self.announce(message)
        await self._publish(
            topics.staff(staff.id), {"kind": "unassigned", "conversation_id": conversation_id}
        )
        await self._assign(to_staff_id, await self.repository.conversation(conversation_id))

    async def end_by_staff(self, staff: Staff, conversation_id: str) -> None:
        message = await self.repository.end_by_staff(conversation_id, by=staff, now=self._clock())
        await self.announce(message)

    async def add_note(
        self, staff: Staff, conversation_id: str, client_note_id: str, raw_text: object
    ) -> Note:
        require_chat_role(staff.role)
        text = clean_text(raw_text, max_chars=self._settings.note_max_chars)
        note, created = await self.repository.add_note(
            conversation_id,
            by=staff,
            client_note_id=client_note_id,
            text=text,
            now=self._clock(),
        )
        if created:
            await self._publish(
                topics.staff_only(conversation_id), {"kind": "frame", "frame": note_frame(note)}
            )
        return note

    # -- shared -----------------------------------------------------------------------------------

    async def _append(
        self,
        conversation_id: str,
        author: str,
        author_name: str,
        client_msg_id: str,
        raw_text: object,
    ) -> Message:
        text = clean_text(raw_text, max_chars=self._settings.message_max_chars)
        message, created = await self.repository.append_message(
            conversation_id,
            author=author,
            author_name=author_name,
            client_msg_id=client_msg_id,
            text=text,
            now=self._clock(),
        )
        if created:
            await self.announce(message)
        return message

    async def _assign(self, staff_id: str, conversation: Conversation) -> None:
        """Tell every socket of ``staff_id`` to follow: the summary spares them a read."""
        await self._publish(
            topics.staff(staff_id),
            {"kind": "assigned", "conversation": conversation_summary(conversation)},
        )

    async def announce(self, message: Message) -> None:
        """Tell every reader of the conversation that ``message`` is stored."""
        await self._publish(
            topics.conversation(message.conversation_id),
            {"kind": "message", "seq": message.seq, "frame": message_frame(message)},
        )

    async def _publish(self, topic: str, event: dict[str, Any]) -> None:
        await publish_hint(self._broker, topic, event)
