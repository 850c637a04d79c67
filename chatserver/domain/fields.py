"""Refusing what a request did not promise to send.

A misspelt or invented field (``is_admin``) is answered with an error naming it rather
than ignored, so a client learns of its mistake instead of believing it took effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from chatserver.errors import InvalidInput

FIELD_NAME_SHOWN = 40


def refuse_unknown_fields(data: Mapping[str, object], known: Collection[str]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        name = unknown[0][:FIELD_NAME_SHOWN]
        raise InvalidInput(f"unknown field '{name}'", field=name)
