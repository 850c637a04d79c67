"""The counsellor's extra removals: words struck from a quote on top of de-identification.

The counsellor sees the de-identified text before it is kept and may strike more words,
never fewer: the stored text is always the server's de-identification with the struck
words replaced by ``[ANONIEM]``, so a client cannot put back what the server removed.
"""

from __future__ import annotations

import re

from chatserver.errors import InvalidInput
from triage.research.deidentify.spans import Tag

MAX_WORDS = 50
MAX_WORD_CHARS = 100
TAGGED = re.compile(r"\[[A-Z]+\]")


def parse_removals(raw: object) -> list[str]:
    """``remove`` from a request: a list of at most ``MAX_WORDS`` non-empty strings."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_WORDS:
        raise InvalidInput(f"'remove' must be a list of at most {MAX_WORDS} words", field="remove")
    words: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_WORD_CHARS:
            raise InvalidInput("each word in 'remove' must be a non-empty string", field="remove")
        words.append(item.strip())
    return words


def remove_words(deidentified: str, words: list[str]) -> str:
    """``deidentified`` with every whole-word occurrence of each of ``words`` struck.

    A word that is not in the de-identified text (outside its tags) is refused: the
    counsellor struck something the quote does not contain, perhaps a stale preview.
    """
    text = deidentified
    for word in words:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        if "[" in word or "]" in word or not _outside_tags(pattern, text):
            raise InvalidInput(f"'{word}' is not in the de-identified text", field="remove")
        text = _strike(pattern, text)
    return text


def _strike(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: m.group() if _in_tag(text, m) else f"[{Tag.ANONIEM}]", text)


def _outside_tags(pattern: re.Pattern[str], text: str) -> bool:
    return any(not _in_tag(text, match) for match in pattern.finditer(text))


def _in_tag(text: str, match: re.Match[str]) -> bool:
    return any(t.start() <= match.start() < t.end() for t in TAGGED.finditer(text))
