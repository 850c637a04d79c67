"""Quote use cases: who may select, read, remove and export research quotes.

Selecting reads a message, so only staff who took part in the chat (and could read it)
select from it; researchers, who never see transcripts, cannot pick messages by number.
Reading a conversation's quotes and removing one follows the triage rule. The yearly
export is for researchers and supervisors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chatserver.domain.records import Staff
from chatserver.domain.roles import CHAT_ROLES
from chatserver.errors import Forbidden, InvalidInput
from chatserver.protocol.frames import SEQ_LIMIT
from triage.codebook import current_edition
from triage.research.deidentify.service import Deidentifies
from triage.research.quotes.removals import parse_removals, remove_words
from triage.research.quotes.store import Quote, QuoteStore
from triage.service import REVIEWERS, Triage

FIRST_YEAR, LAST_YEAR = 2000, 2100


class Quotes:
    def __init__(
        self,
        store: QuoteStore,
        triage: Triage,
        deidentifier: Deidentifies,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self._triage = triage
        self._deidentifier = deidentifier
        self._clock = clock

    async def preview(self, staff: Staff, conversation_id: str, seq: object) -> str:
        """Message ``seq`` as it would be kept: de-identified. Nothing is stored."""
        await self._require_participant(staff, conversation_id)  # who asks, before what
        number = _require_seq(seq)
        message = await self.store.message(conversation_id, number)
        return await self._deidentifier.deidentify(message.text)

    async def select(
        self,
        staff: Staff,
        conversation_id: str,
        seq: object,
        variable: object,
        remove: object = None,
        expected: object = None,
    ) -> Quote:
        """Keep message ``seq`` as a quote, de-identified and with the words in ``remove``
        struck too; the original is not stored. ``expected`` (optional) is the text the
        counsellor saw: a quote that would differ from it is refused."""
        seq = _require_seq(seq)
        words = parse_removals(remove)
        if expected is not None and not isinstance(expected, str):
            raise InvalidInput("'text' must be the previewed text", field="text")
        edition = current_edition()
        names = {v.name for v in edition.variables}
        if variable is not None and (not isinstance(variable, str) or variable not in names):
            raise InvalidInput(
                f"'variable' must be a variable of codebook edition {edition.id}", field="variable"
            )
        assert variable is None or isinstance(variable, str)
        await self._require_participant(staff, conversation_id)
        message = await self.store.message(conversation_id, seq)
        text = remove_words(await self._deidentifier.deidentify(message.text), words)
        if expected is not None and expected != text:
            raise InvalidInput(
                "'text' differs from the de-identified text with the words struck: "
                "words can only be removed, never added back",
                field="text",
            )
        return await self.store.add(
            conversation_id,
            seq,
            message,
            text=text,
            edition=edition.id,
            variable=variable,
            by=staff.id,
            now=self._clock(),
        )

    async def for_conversation(self, staff: Staff, conversation_id: str) -> list[Quote]:
        await self._triage.require_access(staff, conversation_id)
        return await self.store.for_conversation(conversation_id)

    async def delete(self, staff: Staff, quote_id: str) -> None:
        quote = await self.store.get(quote_id)
        if quote.conversation_id is None:
            self._require_reviewer(staff)
        else:
            await self._triage.require_access(staff, quote.conversation_id)
        await self.store.delete(quote_id, by=staff.id, now=self._clock())

    async def of_year(self, staff: Staff, year: object) -> list[Quote]:
        self._require_reviewer(staff)
        if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(f"'year' must be a year {FIRST_YEAR}-{LAST_YEAR}", field="year")
        return await self.store.of_year(year)

    async def _require_participant(self, staff: Staff, conversation_id: str) -> None:
        if staff.role in CHAT_ROLES and await self._triage.store.took_part(
            conversation_id, staff.id
        ):
            return
        raise Forbidden("Only staff who took part in the chat select quotes from it.")

    @staticmethod
    def _require_reviewer(staff: Staff) -> None:
        if staff.role not in REVIEWERS:
            raise Forbidden("Only researchers and supervisors read all quotes.")


def _require_seq(seq: object) -> int:
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < SEQ_LIMIT:
        raise InvalidInput("'seq' must be the number of a message", field="seq")
    return seq
