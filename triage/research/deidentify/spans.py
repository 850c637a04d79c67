"""Tagged spans of text and how overlapping ones become one tag in the output.

Several detectors (deduce and our chat rules) look at the same text; where their spans
overlap, the text they cover together is replaced once, by the tag of the longest span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Tag(StrEnum):
    """What replaced text was; written into the quote as ``[NAAM]``, ``[LOCATIE]``, …"""

    # Declared from most to least specific: on equal length the earlier one wins.
    TELEFOONNUMMER = "TELEFOONNUMMER"
    EMAIL = "EMAIL"
    URL = "URL"
    KENTEKEN = "KENTEKEN"
    REKENINGNUMMER = "REKENINGNUMMER"
    GEBRUIKERSNAAM = "GEBRUIKERSNAAM"
    INSTELLING = "INSTELLING"
    LOCATIE = "LOCATIE"
    LAND = "LAND"
    NAAM = "NAAM"
    DATUM = "DATUM"
    LEEFTIJD = "LEEFTIJD"
    NUMMER = "NUMMER"
    #: Anything a detector found that we have no better tag for: removed all the same.
    ANONIEM = "ANONIEM"


PRECEDENCE = {tag: rank for rank, tag in enumerate(Tag)}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tag: Tag

    @property
    def length(self) -> int:
        return self.end - self.start


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping spans as one span over their union, tagged like the longest of them."""
    merged: list[Span] = []
    group: list[Span] = []
    for span in sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, s.end)):
        if group and span.start >= max(s.end for s in group):
            merged.append(_union(group))
            group = []
        group.append(span)
    if group:
        merged.append(_union(group))
    return merged


def _union(group: list[Span]) -> Span:
    longest = min(group, key=lambda s: (-s.length, PRECEDENCE[s.tag]))
    return Span(min(s.start for s in group), max(s.end for s in group), longest.tag)


def redact(text: str, spans: Iterable[Span]) -> str:
    """``text`` with every span replaced by its tag in brackets."""
    parts: list[str] = []
    position = 0
    for span in merge(spans):
        parts += [text[position : span.start], f"[{span.tag}]"]
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
