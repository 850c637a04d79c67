"""Triage reads and writes; every change and its audit entry commit together."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chatserver.domain.records import staff_author
from chatserver.domain.tokens import token_digest
from chatserver.errors import Conflict, InvalidInput, NotFound
from chatserver.store.schema import ConversationRow, MessageRow
from chatserver.store.transaction import Store
from triage.schema import AuditRow, CodingRow, PersonRow, ReturnCodeRow, TriageStateRow

#: Return codes avoid look-alike characters (0/O, 1/I/L) so they survive being read aloud.
RETURN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RETURN_CODE_LENGTH = 8


@dataclass(frozen=True)
class TriageView:
    conversation_id: str
    pseudonym: str
    started_at: datetime
    help_question: bool | None
    excluded_reason: str | None
    exclusion_note: str | None
    person_id: str | None
    codings: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    staff_id: str
    action: str
    conversation_id: str | None
    person_id: str | None
    details: dict[str, Any]


class TriageStore(Store):
    async def took_part(self, conversation_id: str, staff_id: str) -> bool:
        """A counsellor took part if they joined, were transferred the chat, or wrote in it."""
        async with self._transaction() as session:
            found = await session.scalar(
                select(
                    exists().where(
                        MessageRow.conversation_id == conversation_id,
                        MessageRow.author == staff_author(staff_id),
                    )
                )
            )
            return bool(found)

    async def view(self, conversation_id: str) -> TriageView:
        async with self._transaction() as session:
            return await _view(session, conversation_id)

    async def views(self, conversation_ids: list[str]) -> list[TriageView]:
        async with self._transaction() as session:
            return [await _view(session, conversation_id) for conversation_id in conversation_ids]

    async def help_question_conversations(self) -> list[str]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(TriageStateRow.conversation_id)
                .join(ConversationRow, ConversationRow.id == TriageStateRow.conversation_id)
                .where(TriageStateRow.help_question.is_(True))
                .order_by(ConversationRow.created_at)
            )
            return list(rows)

    async def set_help_question(
        self, conversation_id: str, value: bool | None, *, by: str, now: datetime
    ) -> None:
        async with self._transaction() as session:
            state = await _state(session, conversation_id, now)
            old, state.help_question, state.updated_at = state.help_question, value, now
            add_audit_entry(session, now, by, "help_question", conversation_id, old=old, new=value)

    async def save_coding(
        self,
        conversation_id: str,
        edition_id: str,
        merge: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        by: str,
        now: datetime,
    ) -> dict[str, Any]:
        """Apply ``merge(old_values) -> new_values`` and record what changed.

        ``merge`` validates; when it raises, the transaction rolls back and nothing changes.
        """
        async with self._transaction() as session:
            await _state(session, conversation_id, now)
            row = await session.get(CodingRow, (conversation_id, edition_id), with_for_update=True)
            old: dict[str, Any] = dict(row.values) if row is not None else {}
            new: dict[str, Any] = merge(old)
            changes = {
                name: [old.get(name), new.get(name)]
                for name in sorted(set(old) | set(new))
                if old.get(name) != new.get(name)
            }
            if not changes:
                return new
            if row is None:
                session.add(
                    CodingRow(
                        conversation_id=conversation_id,
                        edition_id=edition_id,
                        values=new,
                        updated_at=now,
                        updated_by=by,
                    )
                )
            else:
                row.values, row.updated_at, row.updated_by = new, now, by
            add_audit_entry(
                session, now, by, "coding", conversation_id, edition=edition_id, changes=changes
            )
            return new

    async def set_exclusion(
        self,
        conversation_id: str,
        reason: str | None,
        note: str | None,
        *,
        by: str,
        now: datetime,
    ) -> None:
        async with self._transaction() as session:
            state = await _state(session, conversation_id, now)
            old = state.excluded_reason
            state.excluded_reason, state.exclusion_note, state.updated_at = reason, note, now
            action = "excluded" if reason is not None else "included"
            add_audit_entry(
                session, now, by, action, conversation_id, old=old, new=reason, note=note
            )

    async def link(self, conversation_ids: list[str], *, by: str, now: datetime) -> str:
        """Put the conversations in one person, merging persons they already belong to."""
        async with self._transaction() as session:
            states = [await _state(session, cid, now) for cid in conversation_ids]
            persons = sorted({s.person_id for s in states if s.person_id is not None})
            person_id = persons[0] if persons else secrets.token_hex(16)
            if not persons:
                session.add(PersonRow(id=person_id, created_at=now))
            merged = persons[1:]
            if merged:
                await session.execute(
                    update(TriageStateRow)
                    .where(TriageStateRow.person_id.in_(merged))
                    .values(person_id=person_id, updated_at=now)
                )
            for state in states:
                state.person_id, state.updated_at = person_id, now
            await session.flush()
            if merged:
                await session.execute(delete(PersonRow).where(PersonRow.id.in_(merged)))
            add_audit_entry(
                session,
                now,
                by,
                "linked",
                None,
                person_id=person_id,
                conversations=conversation_ids,
                merged_persons=merged,
            )
            return person_id

    async def unlink(self, conversation_id: str, *, by: str, now: datetime) -> None:
        async with self._transaction() as session:
            state = await _state(session, conversation_id, now)
            person_id = state.person_id
            if person_id is None:
                raise Conflict("This conversation is not linked to a person.")
            state.person_id, state.updated_at = None, now
            await session.flush()
            remaining = list(
                await session.scalars(
                    select(TriageStateRow).where(TriageStateRow.person_id == person_id)
                )
            )
            if len(remaining) <= 1:  # a person of one conversation is no link at all
                for other in remaining:
                    other.person_id = None
                await session.flush()
                await session.execute(delete(PersonRow).where(PersonRow.id == person_id))
            add_audit_entry(session, now, by, "unlinked", conversation_id, person_id=person_id)

    async def person_conversations(self, person_id: str) -> list[str]:
        async with self._transaction() as session:
            if await session.get(PersonRow, person_id) is None:
                raise NotFound("No such person.")
            rows = await session.scalars(
                select(TriageStateRow.conversation_id)
                .join(ConversationRow, ConversationRow.id == TriageStateRow.conversation_id)
                .where(TriageStateRow.person_id == person_id)
                .order_by(ConversationRow.created_at)
            )
            return list(rows)

    async def create_return_code(self, conversation_id: str, *, now: datetime) -> str:
        code = "".join(secrets.choice(RETURN_CODE_ALPHABET) for _ in range(RETURN_CODE_LENGTH))
        async with self._transaction() as session:
            session.add(
                ReturnCodeRow(
                    code_hash=token_digest(code), conversation_id=conversation_id, created_at=now
                )
            )
        return code

    async def return_code_conversation(self, code: str) -> str:
        normalised = code.strip().upper().replace("-", "").replace(" ", "")
        async with self._transaction() as session:
            row = await session.get(ReturnCodeRow, token_digest(normalised))
            if row is None:
                raise InvalidInput("Unknown return code.", field="code")
            return row.conversation_id

    async def audit(self, conversation_id: str | None, limit: int) -> list[AuditEntry]:
        async with self._transaction() as session:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if conversation_id is not None:
                query = query.where(AuditRow.conversation_id == conversation_id)
            return [
                AuditEntry(
                    row.id,
                    row.at,
                    row.staff_id,
                    row.action,
                    row.conversation_id,
                    row.person_id,
                    row.details,
                )
                for row in await session.scalars(query)
            ]

    async def countadd_audit_entry(self) -> int:
        async with self._transaction() as session:
            return await session.scalar(select(func.count()).select_from(AuditRow)) or 0


async def _state(session: AsyncSession, conversation_id: str, now: datetime) -> TriageStateRow:
    state = await session.get(TriageStateRow, conversation_id, with_for_update=True)
    if state is not None:
        return state
    if await session.get(ConversationRow, conversation_id) is None:
        raise NotFound("No such conversation.")
    state = TriageStateRow(conversation_id=conversation_id, updated_at=now)
    session.add(state)
    await session.flush()
    return state


async def _view(session: AsyncSession, conversation_id: str) -> TriageView:
    conversation = await session.get(ConversationRow, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.")
    state = await session.get(TriageStateRow, conversation_id)
    codings = {
        row.edition_id: dict(row.values)
        for row in await session.scalars(
            select(CodingRow).where(CodingRow.conversation_id == conversation_id)
        )
    }
    return TriageView(
        conversation_id=conversation_id,
        pseudonym=conversation.pseudonym,
        started_at=conversation.created_at,
        help_question=state.help_question if state else None,
        excluded_reason=state.excluded_reason if state else None,
        exclusion_note=state.exclusion_note if state else None,
        person_id=state.person_id if state else None,
        codings=codings,
    )


def add_audit_entry(
    session: AsyncSession,
    now: datetime,
    staff_id: str,
    action: str,
    conversation_id: str | None,
    *,
    person_id: str | None = None,
    **details: Any,
) -> None:
    """An entry in the triage audit log, in the caller's transaction: ids, never typed text."""
    session.add(
        AuditRow(
            at=now,
            staff_id=staff_id,
            action=action,
            conversation_id=conversation_id,
            person_id=person_id,
            details=details,
        )
    )
