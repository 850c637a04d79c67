"""Every read and write the chat needs, each in one transaction, as one object on one engine.

Each concept's queries live in their own module; the steps they share inside a transaction
(the per-conversation sequence, the row lock, ending a chat) in :mod:`chatserver.store.steps`.
"""

from __future__ import annotations

from chatserver.store.conversations import ConversationStore
from chatserver.store.endings import EndingStore
from chatserver.store.messages import MessageStore
from chatserver.store.notes import NoteStore
from chatserver.store.queue import QueueStore
from chatserver.store.sessions import SessionStore
from chatserver.store.staff import StaffStore
from chatserver.store.transcripts import TranscriptStore


class Repository(
    ConversationStore,
    MessageStore,
    QueueStore,
    EndingStore,
    NoteStore,
    TranscriptStore,
    StaffStore,
    SessionStore,
):
    """The one store the chat's services hold: every concept's queries on one engine."""
