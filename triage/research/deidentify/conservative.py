"""The conservative layer for quotes: a word that is not common is removed as possibly identifying.

Name and place lists always miss someone (an Eritrean name, a nickname, a small village), and a
quote that keeps one such word can identify a chatter. So after the detectors, every word that
is neither a common Dutch or English word nor a known safe term is removed as ``[ANONIEM]``.
"Common" is a Zipf frequency (wordfreq; data/common_words.tsv.gz, written by
``bench/common_words.py``) of at least ``ZIPF_THRESHOLD``, tuned on tests/deidentify_eval:
see docs/research-quotes.md for what it catches and what it costs.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from importlib import resources

from triage.research.deidentify.chat_rules import wordlist
from triage.research.deidentify.spans import Span, Tag

#: Zipf frequency (log10 of occurrences per billion words) a word needs to stay.
ZIPF_THRESHOLD = 3.0
#: Words that stay whatever their frequency: the helplines and services a chatter names,
#: and chat spellings too rare in wordfreq's sources.
SAFE_TERMS = frozenset(
    wordlist(
        """
    fier kindertelefoon slachtofferhulp jeugdzorg ggd ggz huisarts politie wijkagent
    vertrouwenspersoon voogd mentor hulpverlener jeugdbescherming raad kinderbescherming
    advocaat opvang azc coa ind veilig thuis chat chatten whatsapp snap insta tiktok
    haha hahaha hahah xd lol omg wtf idk btw ofzo ofzoiets ofso egt echt ff effe mn zn m'n
    oke oké okee okey oki jaa jaaa neee nee ja hoii hoi hey heyy doei thnx thx tnx bedankt
    mss miss wss weet idd vgm sws sowieso tog toch nie nt kzou kheb kben kweet kan wil
    gechanteerd chanteert chantage verblijfsvergunning schulden afbetalen
        """
    )
)
#: Runs of letters; digits, punctuation and emoji are the detectors' business.
WORD = re.compile(r"[^\W\d_]+")


def common_words() -> dict[str, float]:
    """Each common word with its Zipf frequency (the higher of Dutch and English)."""
    data = resources.files("triage.research.deidentify") / "data" / "common_words.tsv.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return {word: float(zipf) for word, zipf in (line.split("\t") for line in lines)}


class Conservative:
    """Removes every word that is neither common nor safe (the second layer for quotes)."""

    def __init__(
        self,
        zipf: dict[str, float],
        *,
        threshold: float = ZIPF_THRESHOLD,
        safe: frozenset[str] = SAFE_TERMS,
    ) -> None:
        self._common = frozenset(word for word, value in zipf.items() if value >= threshold)
        self._safe = safe

    def spans(self, text: str) -> Iterator[Span]:
        for match in WORD.finditer(text):
            word = match.group().lower()
            if len(word) > 1 and word not in self._common and word not in self._safe:
                yield Span(match.start(), match.end(), Tag.ANONIEM)
