"""What a chat message or note may contain.

Text is normalised (NFC, no stray control characters, trimmed) so that what is
stored is what every reader sees, and an empty or oversized text is refused
before anything is written.
"""

from __future__ import annotations

import unicodedata

from chatserver.errors import InvalidInput, TooLarge

_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(raw: object, *, max_chars: int, field: str = "text") -> str:
    if not isinstance(raw, str):
        raise InvalidInput(f"'{field}' must be a string", field=field)
    text = unicodedata.normalize("NFC", raw)
    text = "".join(
        ch for ch in text if ch in _ALLOWED_CONTROLS or unicodedata.category(ch) != "Cc"
    ).strip()
    if not text:
        raise InvalidInput(f"'{field}' must not be empty", field=field)
    if len(text) > max_chars:
        raise TooLarge(f"'{field}' is longer than {max_chars} characters", field=field)
    return text
