"""Triage use cases: who may do what, codebook validation, then the store.

Counsellors work on conversations they took part in; supervisors and
researchers review everything but, here, never see a transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chatserver.domain.records import Staff
from chatserver.domain.roles import Role
from chatserver.errors import Forbidden, InvalidInput
from triage.codebook import Edition, completeness, current_edition, load_edition, validate_values
from triage.store import AuditEntry, TriageStore, TriageView

REVIEWERS = frozenset({Role.SUPERVISOR, Role.RESEARCHER})
MAX_LINKED = 50
NOTE_MAX_CHARS = 2000


class Triage:
    def __init__(self, store: TriageStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self._clock = clock

    # -- access -----------------------------------------------------------------------------------

    async def require_access(self, staff: Staff, conversation_id: str) -> None:
        if staff.role in REVIEWERS:
            return
        if staff.role is Role.COUNSELLOR and await self.store.took_part(conversation_id, staff.id):
            return
        raise Forbidden("You may only triage conversations you took part in.")

    @staticmethod
    def _require_reviewer(staff: Staff) -> None:
        if staff.role not in REVIEWERS:
            raise Forbidden("Only supervisors and researchers review.")

    # -- reading ----------------------------------------------------------------------------------

    async def view(self, staff: Staff, conversation_id: str) -> tuple[TriageView, Edition]:
        await self.require_access(staff, conversation_id)
        return await self.store.view(conversation_id), current_edition()

    async def review(self, staff: Staff) -> list[TriageView]:
        self._require_reviewer(staff)
        return await self.store.views(await self.store.help_question_conversations())

    async def person(self, staff: Staff, person_id: str) -> list[TriageView]:
        conversation_ids = await self.store.person_conversations(person_id)
        if staff.role not in REVIEWERS:
            for conversation_id in conversation_ids:
                await self.require_access(staff, conversation_id)
        return await self.store.views(conversation_ids)

    async def audit(self, staff: Staff, conversation_id: str | None) -> list[AuditEntry]:
        if staff.role is not Role.SUPERVISOR:
            raise Forbidden("Only supervisors read the audit log.")
        return await self.store.audit(conversation_id, limit=500)

    # -- changing ---------------------------------------------------------------------------------

    async def set_help_question(self, staff: Staff, conversation_id: str, value: object) -> None:
        if value is not None and not isinstance(value, bool):
            raise InvalidInput("'help_question' must be true, false or null", field="help_question")
        await self.require_access(staff, conversation_id)
        await self.store.set_help_question(conversation_id, value, by=staff.id, now=self._clock())

    async def code(
        self, staff: Staff, conversation_id: str, edition_id: object, changes: object
    ) -> dict[str, Any]:
        """Save part of a coding; ``null`` clears a field. All or nothing."""
        edition = _edition(edition_id)
        if not isinstance(changes, dict):
            raise InvalidInput("'values' must be an object of variable: value", field="values")
        await self.require_access(staff, conversation_id)

        def merge(old: dict[str, Any]) -> dict[str, Any]:
            new = {**old, **changes}
            return validate_values(edition, {k: v for k, v in new.items() if v is not None})

        return await self.store.save_coding(
            conversation_id, edition.id, merge, by=staff.id, now=self._clock()
        )

    async def exclude(
        self, staff: Staff, conversation_id: str, reason: object, note: object
    ) -> None:
        self._require_reviewer(staff)
        reasons = {category.code for category in current_edition().exclusion_reasons}
        if not isinstance(reason, str) or reason not in reasons:
            raise InvalidInput(f"'reason' must be one of {sorted(reasons)}", field="reason")
        if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX_CHARS):
            raise InvalidInput(
                f"'note' must be text up to {NOTE_MAX_CHARS} characters", field="note"
            )
        await self.store.set_exclusion(
            conversation_id, reason, note, by=staff.id, now=self._clock()
        )

    async def include(self, staff: Staff, conversation_id: str) -> None:
        self._require_reviewer(staff)
        await self.store.set_exclusion(conversation_id, None, None, by=staff.id, now=self._clock())

    async def link(self, staff: Staff, conversation_ids: object) -> str:
        if (
            not isinstance(conversation_ids, list)
            or not all(isinstance(c, str) for c in conversation_ids)
            or not 2 <= len(set(conversation_ids)) <= MAX_LINKED
        ):
            raise InvalidInput(
                f"'conversation_ids' must list 2-{MAX_LINKED} different conversations",
                field="conversation_ids",
            )
        ids = sorted(set(conversation_ids))
        for conversation_id in ids:
            await self.require_access(staff, conversation_id)
        return await self.store.link(ids, by=staff.id, now=self._clock())

    async def unlink(self, staff: Staff, conversation_id: str) -> None:
        await self.require_access(staff, conversation_id)
        await self.store.unlink(conversation_id, by=staff.id, now=self._clock())

    async def redeem_return_code(self, staff: Staff, code: object, conversation_id: str) -> str:
        """Link this conversation to the one whose visitor was given ``code``."""
        if not isinstance(code, str) or not 0 < len(code) <= 32:
            raise InvalidInput("'code' must be the visitor's return code", field="code")
        await self.require_access(staff, conversation_id)
        earlier = await self.store.return_code_conversation(code)
        if earlier == conversation_id:
            raise InvalidInput("That code belongs to this same conversation.", field="code")
        return await self.store.link(
            sorted({earlier, conversation_id}), by=staff.id, now=self._clock()
        )

    async def new_return_code(self, conversation_id: str) -> str:
        return await self.store.create_return_code(conversation_id, now=self._clock())


def _edition(edition_id: object) -> Edition:
    if edition_id is None:
        return current_edition()
    if not isinstance(edition_id, str):
        raise InvalidInput("'edition' must be an edition id", field="edition")
    try:
        return load_edition(edition_id)
    except (KeyError, FileNotFoundError, ValueError):
        raise InvalidInput(f"unknown codebook edition {edition_id!r}", field="edition") from None


def summary(view: TriageView, edition: Edition, role: Role) -> dict[str, Any]:
    """A conversation's triage state for the API: no transcript, ever.

    Researchers get what the exports give (month, no pseudonym): a pseudonym and a
    minute are enough to recognise a chat one heard about, the month is not.
    """
    values = view.codings.get(edition.id, {})
    done = completeness(edition, values)
    researcher = role is Role.RESEARCHER
    return {
        "conversation_id": view.conversation_id,
        "pseudonym": None if researcher else view.pseudonym,
        "started_at": None if researcher else view.started_at.isoformat(),
        "started_month": view.started_at.strftime("%Y-%m"),
        "help_question": view.help_question,
        "excluded_reason": view.excluded_reason,
        "exclusion_note": view.exclusion_note,
        "person_id": view.person_id,
        "edition": edition.id,
        "values": values,
        "other_editions": sorted(set(view.codings) - {edition.id}),
        "completeness": {
            "filled": done.filled,
            "applicable": done.applicable,
            "missing": list(done.missing),
        },
    }
