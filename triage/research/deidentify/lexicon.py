"""Detectors from our own lists: countries, neighbourhoods, regions, names, businesses.

The lists are package data (``data/*.txt``): one or more entries a line, ``_`` joining the
words of one entry ("de_pijp"), ``~`` before an entry that is also an ordinary word and only
counts after "in", "uit", "bij", "de", … ("bij de action", "in ondiep").
Also here: stretched names ("lisaaa"), workplaces by kind and name ("nagelstudio glamour",
"hotel okura") and handles after a platform without an @ ("snap dikkeboy").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from importlib import resources

from triage.research.deidentify.chat_rules import (
    PLATFORMS,
    Token,
    _Trie,
    lowered_entries,
    tokens,
    wordlist,
)
from triage.research.deidentify.spans import Span, Tag

#: Words after which a "~" entry counts.
CONTEXT = frozenset(wordlist("in uit naar bij de het op van the from at"))
LISTS = {
    "countries.txt": Tag.LAND,
    "neighbourhoods.txt": Tag.LOCATIE,
    "regions.txt": Tag.LOCATIE,
    "places.txt": Tag.LOCATIE,
    "businesses.txt": Tag.INSTELLING,
    "names.txt": Tag.NAAM,
}


def read_list(name: str) -> tuple[list[str], list[str]]:
    """A list's plain entries and its "~" ones."""
    text = (resources.files("triage.research.deidentify") / "data" / name).read_text("utf-8")
    plain: list[str] = []
    contextual: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for entry in line.split():
            words = entry.lstrip("~").replace("_", " ")
            (contextual if entry.startswith("~") else plain).append(words)
    return plain, contextual


def _trie(entries: Iterable[str]) -> _Trie:
    return _Trie.of(lowered_entries(entry.split() for entry in entries))


class Lexicon:
    """Our lists matched case-blind, longest entry first."""

    def __init__(self, first_names: Iterable[str] = ()) -> None:
        self._lists: list[tuple[_Trie, _Trie, Tag]] = []
        for name, tag in LISTS.items():
            plain, contextual = read_list(name)
            self._lists.append((_trie(plain), _trie(contextual), tag))
        self._names = frozenset(read_list("names.txt")[0]) | frozenset(first_names)

    def spans(self, text: str) -> Iterator[Span]:
        words = tokens(text)
        lowered = [w.text.lower() for w in words]
        for i in range(len(words)):
            for plain, contextual, tag in self._lists:
                length = plain.longest(lowered, i)
                if not length and i > 0 and lowered[i - 1] in CONTEXT:
                    length = contextual.longest(lowered, i)
                if length:
                    yield Span(words[i].start, words[i + length - 1].end, tag)
        yield from self._stretched(words)

    def _stretched(self, words: list[Token]) -> Iterator[Span]:
        """ "lisaaa", "sannneee", "timmmm": a name with letters typed three times or more."""
        for word in words:
            if not STRETCH.search(word.text):
                continue
            forms = {
                "".join(choice)
                for choice in itertools.product(
                    *(
                        (part[0], part[:2]) if len(part) > 2 else (part,)
                        for part in (m.group() for m in RUNS.finditer(word.text.lower()))
                    )
                )
            }
            if forms & self._names:
                yield Span(word.start, word.end, Tag.NAAM)


STRETCH = re.compile(r"(?i)([a-z])\1{2,}")
RUNS = re.compile(r"(.)\1*")

# -- workplaces, addresses and handles -------------------------------------------------------------

#: Kinds of workplace and school that are followed by their name ("nagelstudio glamour",
#: "hotel okura", "basisschool de klimop"). Not "school" or "winkel": "op school zei ze ...".
WORKPLACE_KINDS = wordlist(
    """
    nagelstudio nagelsalon nailstudio nailsalon kapsalon barbershop massagesalon
    massagestudio beautysalon hotel hostel motel carwash wasstraat autowasstraat snackbar
    shoarmazaak pizzeria autobedrijf uitzendbureau kwekerij distributiecentrum coffeeshop
    sauna privéhuis privehuis escortbureau toko basisschool vv sv fc
    """
)
#: "car wash sparkle": kinds of two words too.
KIND = r"(?:car\s?wash|" + "|".join(WORKPLACE_KINDS) + ")"
#: Words that may begin a name after its kind ("hotel van der valk", "basisschool de klimop").
ARTICLES = frozenset(wordlist("de het van der den t"))
#: Words that end a name ("hotel okura in ..."), or show the kind is used as a common noun.
STOP = frozenset(
    wordlist(
        """
        in op bij voor na met uit en of maar want dus die dat is was zijn heeft had
        ik je jij hij zij ze we wij jullie hem haar mijn ons onze hun een
        werken werk werkt gewerkt moet moeten mag kan wil ga gaat ging niet wel ook nog al
        heel erg echt nu toen daar hier waar wat wie hoe als dan om te tot aan door over
        betaalt betaald schoonmaken slapen slaap staat stond ligt hele hebben zei zegt
        """
    )
)
WORKPLACE = re.compile(rf"(?i)\b{KIND}\b(?P<name>(?:\s+[\w'&-]+){{1,4}})")
#: "nails by yasmin".
WORKPLACE_BY = re.compile(r"(?i)\b\w+\s+by\s+\w+\b")
#: "ik zit op de regenboog", "mijn school is het stedelijk": a school's name after these.
SCHOOL_AFTER = re.compile(
    r"(?i)\b(?:zit|zat|ga|ging|zitten|zaten)\s+op\s+(?:de|het)\s+(?P<name>\w+)"
    r"|\bschool\s+is\s+(?:de|het)\s+(?P<name2>\w+)"
)
NOT_A_SCHOOL = frozenset(wordlist("bank grond bed wc toilet trein bus fiets kamer stoep hoek"))
#: "kerkstraat 12", "de dorpsstraat 4": a street with a house number.
ADDRESS = re.compile(
    r"(?i)\b[a-z][\w'-]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|pad|hof|park|steeg|"
    r"dreef|erf|ring|baan|markt|veld|wal)\s+\d{1,4}\s?[a-z]?\b"
)
PLATFORM = r"(?:" + "|".join(PLATFORMS) + ")"
#: "op snap dikkeboy", "tiktok melodyyy heeft", "zijn insta is rapperjoe".
HANDLE_AFTER = re.compile(
    rf"(?i)\b{PLATFORM}\s+(?:(?:is|=|:|naam\s+is|heet)\s*)?(?P<handle>[a-z0-9_.]{{3,30}})(?![\w@])"
)
HANDLE_NOT = frozenset(
    wordlist(
        """
        gezet gepost gezien gestuurd staat stuurt stuurde zegt zei naam account filmpje
        filmpjes foto fotos video videos verhaal story dm berichten bericht gebeld
        """
    )
)


def workplace_spans(text: str) -> Iterator[Span]:
    """Workplaces and schools by kind and name, addresses, and handles after a platform."""
    for match in WORKPLACE.finditer(text):
        kept = _name_words(match.group("name"))
        if kept:
            yield Span(match.start(), match.start("name") + kept, Tag.INSTELLING)
    for match in WORKPLACE_BY.finditer(text):
        yield Span(match.start(), match.end(), Tag.INSTELLING)
    for match in SCHOOL_AFTER.finditer(text):
        group = "name" if match.group("name") else "name2"
        if match.group(group).lower() not in NOT_A_SCHOOL:
            yield Span(match.start(group), match.end(group), Tag.INSTELLING)
    for match in ADDRESS.finditer(text):
        yield Span(match.start(), match.end(), Tag.LOCATIE)
    for match in HANDLE_AFTER.finditer(text):
        handle = match.group("handle").lower()
        if handle not in STOP and handle not in HANDLE_NOT and handle not in ARTICLES:
            yield Span(match.start("handle"), match.end("handle"), Tag.GEBRUIKERSNAAM)


def _name_words(name: str) -> int:
    """How far into ``name`` the workplace's name runs (0: it has none)."""
    end = 0
    for word in re.finditer(r"\S+", name):
        lowered = word.group().lower()
        if lowered in STOP:
            break
        if lowered not in ARTICLES:
            end = word.end()
    return end
