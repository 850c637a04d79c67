"""Our own detectors for what deduce misses in Dutch chat text.

deduce is written for clinical notes: it expects capitalised names, ages as "15 jaar",
dates with a year, and knows no usernames. Chats are different ("ik ben sanne, 15, uit
rotterdam"). Each rule here covers one measured gap (tests/unit/test_deidentify.py):

- bare ages after "ik ben", "toen ik ... was", "mijn 12e", also as words ("vijftien");
- Dutch and international phone numbers deduce reads as plain ids;
- usernames: ``@handle``, a name after "insta"/"snap"/…, ``lisa_xx``, ``sanne2009``;
- schools and other institutions by their kind (College, Lyceum, AZC, …) and name;
- dates without a year ("14 feb", "14-02") and month-and-year ("maart 2023");
- lower-case first names and places, looked up case-blind in deduce's own lists
  (:class:`CaseBlindLookup`), minus words that are mostly ordinary words in chat.

Every rule errs towards removing too much: a quote with one tag too many is still a
quote, a name left in is a breach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from triage.research.deidentify.spans import Span, Tag


def wordlist(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> list[Token]:
    """Words and single punctuation marks, the way deduce's lists are split."""
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def rule_spans(text: str) -> list[Span]:
    """Everything the pattern rules find (the case-blind lookup needs lists; see below)."""
    return [
        *age_spans(text),
        *phone_spans(text),
        *username_spans(text),
        *institution_spans(text),
        *date_spans(text),
    ]


# -- ages ------------------------------------------------------------------------------------------

_UNITS = ("een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen")
_TEENS = wordlist("tien elf twaalf dertien veertien vijftien zestien zeventien achttien negentien")
_TENS = ("twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig")


def _number_words() -> dict[str, str]:
    """Dutch 2-99 as words, each mapped to its ordinal ("twaalf" -> "twaalfde")."""

    def ordinal(word: str) -> str:
        if word.endswith(("tig", "acht")):
            return word + "ste"
        return {"twee": "tweede", "drie": "derde"}.get(word, word + "de")

    words = [*_UNITS[1:], *_TEENS, *_TENS]
    for tens in _TENS:
        for unit in _UNITS:
            words.append(f"{unit}en{tens}")
            if unit.endswith("e"):  # tweeëntwintig, also typed without the diaeresis
                words.append(f"{unit}ën{tens}")
    return {word: ordinal(word) for word in words}


NUMBER_WORDS = _number_words()
ORDINAL_WORDS = frozenset(NUMBER_WORDS.values())

#: "ik ben 15", "was hij 30", "wordt 16": a form of "to be/become" before the number.
COPULAS = frozenset(wordlist("ben bent is was waren word wordt werd werden zijn"))
#: Words that may stand between the copula and the number ("ik ben nu pas 15").
FILLERS = frozenset(
    wordlist(
        "nu pas al bijna net toen nog maar zelf ook dan inmiddels ongeveer rond ong "
        "ik je jij hij zij ze u we wij hem haar"
    )
)
#: "en ik 16", "toen ik 13 was": a pronoun right before the number.
PRONOUNS = frozenset(wordlist("ik ikzelf je jij hij zij ze hem haar mij"))
#: "het is 12" is a time, "dat was 20" a price: no age after these subjects.
THING_SUBJECTS = frozenset(wordlist("het dat dit er wat"))
#: "m'n" is split as "m", "'", "n": the "n" stands for it.
POSSESSIVES = frozenset(wordlist("mijn n mn zijn zn haar je jouw hun"))
PERSON_NOUNS = frozenset(wordlist("man vrouw jongen meisje meid gast vent kerel"))
#: What may follow an age; anything else ("3 keer", "20 euro", "12 uur") is no age.
AGE_FOLLOWERS = frozenset(
    wordlist(
        "jaar jr j jaartjes jarig jarige oud jong geworden en maar toen of ofzo ofzoiets ofso "
        "dus nu hoor al pas btw ja nee wel niet bijna he hè toch want omdat als terwijl was ben "
        "is werd word wordt zijn waren werden ok oke oké haha hahaha lol xd denk geloof ongeveer zo"
    )
)
ATTACHED_AGE = re.compile(r"(?i)^(?:\d{1,2}(?:j|jr)|(?:\d{1,2}|[a-zë]+)jarige?)$")
ORDINAL_DIGITS = re.compile(r"(?i)^\d{1,2}(?:e|de|ste)$")
#: A number glued to another by punctuation is a time, a date or a score, not an age.
GLUED_AFTER = re.compile(r"[.,:/-]\d")
GLUED_BEFORE = re.compile(r"\d[.,:/-]$")


def age_spans(text: str) -> Iterator[Span]:
    words = tokens(text)
    lowered = [w.text.lower() for w in words]
    for i, word in enumerate(words):
        if _is_age(text, words, lowered, i):
            yield Span(word.start, word.end, Tag.LEEFTIJD)


def _is_age(text: str, words: list[Token], lowered: list[str], i: int) -> bool:
    word = lowered[i]
    if ATTACHED_AGE.match(word) and _jarige_number(word):
        return True
    before = lowered[i - 1] if i > 0 else ""
    if ORDINAL_DIGITS.match(word) or word in ORDINAL_WORDS:
        return before in POSSESSIVES
    if not (_is_number(word) and _stands_alone(text, words[i])):
        return False
    return _age_follows(lowered, i) and _age_precedes(lowered, i)


def _jarige_number(word: str) -> bool:
    stem = re.sub(r"(?i)(jarige?|jr|j)$", "", word)
    return _is_number(stem)


def _is_number(word: str) -> bool:
    if word.isdigit():
        return len(word) <= 2 and int(word) > 0
    return word in NUMBER_WORDS


def _stands_alone(text: str, word: Token) -> bool:
    return not (GLUED_AFTER.match(text, word.end) or GLUED_BEFORE.search(text[: word.start]))


def _age_follows(lowered: list[str], i: int) -> bool:
    if i + 1 == len(lowered):
        return True
    after = lowered[i + 1]
    return after in AGE_FOLLOWERS or not after[0].isalnum()


def _age_precedes(lowered: list[str], i: int) -> bool:
    before = lowered[i - 1] if i > 0 else ""
    if before in PRONOUNS:
        return True
    if before == "(" and lowered[i + 1 : i + 2] == [")"]:
        return True  # "Sanne (15)"
    if before == "van" and i > 1 and lowered[i - 2] in PERSON_NOUNS:
        return True  # "een man van 40"
    if before in {":", "is"} and i > 1 and lowered[i - 2] == "leeftijd":
        return True
    j = i - 1
    while j >= 0 and i - j <= 3 and lowered[j] in FILLERS:
        j -= 1
    if j < 0 or lowered[j] not in COPULAS:
        return False
    return j == 0 or lowered[j - 1] not in THING_SUBJECTS


# -- phone numbers ---------------------------------------------------------------------------------

SEPARATED_DIGIT = r"[\s.()-]{0,2}\d"
PHONES = (
    # Dutch: ten digits from the leading 0, in any grouping ("06-12345678", "(020) 123 4567")
    re.compile(rf"(?<![\w+])\(?0(?:{SEPARATED_DIGIT}){{9}}(?!\d)"),
    # International: + or 00, a country code and the number ("+31 6 1234 5678", "+48 512...")
    re.compile(rf"(?<![\w+])(?:\+|00)\s?[1-9](?:{SEPARATED_DIGIT}){{7,14}}(?!\d)"),
)


def phone_spans(text: str) -> Iterator[Span]:
    for pattern in PHONES:
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), Tag.TELEFOONNUMMER)


# -- usernames -------------------------------------------------------------------------------------

PLATFORMS = wordlist(
    "insta instagram ig snap snapchat tiktok telegram whatsapp discord facebook fb twitter kik "
    "signal onlyfans roblox fortnite xbox psn steam tinder badoo grindr reddit twitch skype youtube"
)
HANDLE_CHARS = r"[A-Za-z0-9_.]"
AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
#: "insta: lisa", "mijn snap is sanne2009", "zijn tiktok naam is jay".
NAMED_HANDLE = re.compile(
    rf"(?i)\b(?:{'|'.join(PLATFORMS)})\b"
    r"(?:\s*(?:naam|name|account|acc|id|username|gebruikersnaam))?"
    r"(?:\s+van\s+(?:mij|hem|haar))?"
    r"\s*(?:[:=]|\bis\b|\bheet\b)\s*"
    rf"(?P<handle>@?{HANDLE_CHARS}{{3,30}})"
)
#: "snap sanne2009": straight after the platform, a word with a digit, "_" or ".".
BARE_HANDLE = re.compile(
    rf"(?i)\b(?:{'|'.join(PLATFORMS)})\s+"
    rf"(?P<handle>(?=[a-z]*[\d_.]){HANDLE_CHARS}{{3,30}})(?!{HANDLE_CHARS})"
)
#: Words shaped like handles whatever precedes them: letters with an underscore, or three
#: letters or more and then two digits or more ("lisa_xx", "sanne2009", "jay010").
HANDLE_SHAPED = re.compile(r"(?<![\w@.])(?:(?=\w*_)(?=\w*[A-Za-z])\w+|[A-Za-z]{3,}\d{2,}(?!\w))")
NOT_A_HANDLE = frozenset(
    wordlist(
        "het de een niet wel ook echt nu weg er dat die dit zo heel erg prive privé open dicht "
        "ik je jij hij zij ze hem haar mijn zijn "
        "verwijderd geblokkeerd gehackt anders leeg nieuw oud off uit aan"
    )
)


def username_spans(text: str) -> Iterator[Span]:
    for match in AT_HANDLE.finditer(text):
        yield Span(match.start(), match.end(), Tag.GEBRUIKERSNAAM)
    for pattern in (NAMED_HANDLE, BARE_HANDLE):
        for match in pattern.finditer(text):
            handle = match.group("handle").rstrip(".")
            if handle.lower() not in NOT_A_HANDLE:
                start = match.start("handle")
                yield Span(start, start + len(handle), Tag.GEBRUIKERSNAAM)
    for match in HANDLE_SHAPED.finditer(text):
        yield Span(match.start(), match.end(), Tag.GEBRUIKERSNAAM)


# -- institutions ----------------------------------------------------------------------------------

INSTITUTION_KINDS = wordlist(
    "college lyceum gymnasium atheneum scholengemeenschap mavo havo vmbo vwo basisschool school "
    "academie hogeschool universiteit roc mbo azc opvang kliniek ziekenhuis instelling "
    "jeugdinstelling tehuis internaat gezinshuis kerk moskee vereniging club sportclub voetbalclub"
)
KIND = rf"(?i:{'|'.join(INSTITUTION_KINDS)})"
PROPER = r"[A-Z][\w'\u2019.-]*"
#: "Stedelijk Gymnasium Leiden", "ROC van Amsterdam", "het Erasmus College", "AZC Ter Apel".
NAMED_INSTITUTION = re.compile(
    rf"(?:{PROPER}\s+){{0,3}}\b{KIND}\b(?:\s+(?:van|aan\s+de)\s+{PROPER})?(?:\s+{PROPER}){{0,3}}"
)
#: "de Montessorischool", "het Vossiusgymnasium", "de Pieterskerk".
COMPOUND_INSTITUTION = re.compile(
    rf"\b[A-Z]\w+(?:school|college|lyceum|gymnasium|kliniek|kerk|moskee)\b(?:\s+{PROPER}){{0,3}}"
)
#: Typed in lower case: "op het erasmus college".
LOWER_INSTITUTION = re.compile(
    r"(?i)\b[a-z][\w'-]+(?:\s+[a-z][\w'-]+)?\s+"
    r"(?:college|lyceum|gymnasium|atheneum|scholengemeenschap)\b"
)
#: Words around an institution that are not part of its name ("Op school", "het nieuwe").
NOT_A_NAME = frozenset(
    wordlist(
        "op in naar bij van voor na met uit de het een mijn zijn haar onze hun die dat deze dit ik "
        "we wij jij je hij zij ze en of maar toen want dus ook nog al wel niet geen gisteren "
        "vandaag morgen vroeger nu thuis nieuwe oude andere zelfde eigen vorige volgende grote "
        "kleine middelbare hele"
    )
)
KINDS = frozenset(INSTITUTION_KINDS)
WORD = re.compile(r"\S+")


def institution_spans(text: str) -> Iterator[Span]:
    for pattern in (NAMED_INSTITUTION, COMPOUND_INSTITUTION, LOWER_INSTITUTION):
        for match in pattern.finditer(text):
            words = list(WORD.finditer(match.group()))
            while words and words[0].group().lower() in NOT_A_NAME:
                words.pop(0)
            while words and words[-1].group().lower() in NOT_A_NAME:
                words.pop()
            names = [w for w in words if w.group().lower() not in KINDS]
            if names and (pattern is LOWER_INSTITUTION or names[0].group()[0].isupper()):
                start = match.start()
                yield Span(start + words[0].start(), start + words[-1].end(), Tag.INSTELLING)


# -- dates -----------------------------------------------------------------------------------------

MONTHS = wordlist(
    "januari jan februari feb maart mrt mar april apr mei juni jun juli jul augustus aug "
    "september sept sep oktober okt oct november nov december dec"
)
MONTH = rf"(?:{'|'.join(MONTHS)})"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
DATE_PATTERNS = (
    # "14 feb", "1 april", "3e mei", "5 januari" (deduce wants a year)
    re.compile(rf"(?i)(?<![\w.,:/-]){DAY}(?:e|de|ste)?\s*[-/.]?\s*{MONTH}\b\.?"),
    # "maart 2023"
    re.compile(
        r"(?i)\b(?:januari|februari|maart|mrt|april|mei|juni|juli|augustus|september|"
        r"sept|oktober|okt|november|december)\s+(?:19|20)\d{2}\b"
    ),
    # "14-02", "3/04"
    re.compile(rf"(?<![\w.,:/-]){DAY}[-/](?:0[1-9]|1[0-2])(?![\w/-])"),
)


def date_spans(text: str) -> Iterator[Span]:
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), Tag.DATUM)


# -- names and places typed in lower case ----------------------------------------------------------

#: Words in deduce's name and place lists that in chat are mostly ordinary Dutch or English
#: words ("ik doe mijn best", "ik ken hem", "mijn buren", "love"). Found by matching the
#: lists against the 20,000 most frequent Dutch words (wordfreq) and reading the 1,719 hits:
#: words that are mostly names or places (max, roos, floor, utrecht) stay names.
COMMON_WORDS = frozenset(
    wordlist(
        """
    age ai akker alien amen amor an angel anno ans baan baard balk banen bars beek beer bene
    beren best bin bing blije bloem boeket boer bonnen borg born boy brain brand broek
    bruggen bruin brunette buck buddy buren burger bus campagne can candy cars chan che
    cherry chi christ constant daily dal dalen day dee deen dia dies diesel dijken din
    domino done donk doorn doorsnee doosje dot draai dre driehoek duinen duiven eindje emo
    engel engelen enter eren est eve fake fan fee feite fine flip fox frans gauw gebergte
    gene geo ginger goes goor graaf grave grazen gun guy hai halfweg halte ham handel
    hang haring has hay heaven hee hees hei heide helden hell helling hero herten heuvel him
    hoef hoek hoeve hoeven hof hok hollander hope horn hout houten huizen indie islam jazz
    jeep jersey job joke june junior just kabel kade kader kam kamp kampen kapel kar kas ken
    kerkhof kick kin king kit klei kleuter klooster knol kok koks koop kraan kwartier laar
    lam lan lance lava lean leen leeuw leg lei lente leur lie lieve lijntje linden line ling
    lion lions lok loo look lotus love lucky lux maan maas mac made manen mans mare marine
    mas matje mattie may mees meeuwen middag middenveld mill mine mint mir monster monte
    moon most mus my nan nana nes nike nine ninja noorden ocean opende oranje ouwe overschot
    paal paradijs parel pax pearl peel peer pepper pie pier ping plak plantage pluk pol
    prince princess putten raaf ram raven rein rem richel ridge rijen rijk river roman rose
    rosé rover ruiten said sang sas schans schijf schoot sen seven silver sim sing skip sky
    sloot sloten sluis sol son spike star steeg stern storm straten strepen sue sultan
    summer sunny tak take tam tan tao tea tempel terra thai tiger tin tiny ton tromp veen
    veer veld velden viel vin vink violet volken voort vos vrouwtje vuren waal wan wateren
    waterval wei well wen werven wier win wing winkel winkelstraat winter wissel wolf woud
    xi ya yen zen zomer zonne zwaan
    """
    )
)


@dataclass
class _Trie:
    children: dict[str, _Trie] = field(default_factory=dict)
    terminal: bool = False

    @classmethod
    def of(cls, entries: Iterable[Iterable[str]]) -> _Trie:
        root = cls()
        for entry in entries:
            node = root
            for word in entry:
                node = node.children.setdefault(word, cls())
            node.terminal = True
        return root

    def longest(self, words: list[str], start: int) -> int:
        """How many words from ``start`` form the longest entry (0 if none)."""
        node, longest = self, 0
        for offset, word in enumerate(words[start:], start=1):
            found = node.children.get(word)
            if found is None:
                break
            node = found
            if node.terminal:
                longest = offset
        return longest


def lowered_entries(entries: Iterable[Iterable[str]]) -> set[tuple[str, ...]]:
    """List entries as lower-case words split the way :func:`tokens` splits text."""
    return {
        tuple(word for token in entry for word in TOKEN.findall(token.lower())) for entry in entries
    }


class CaseBlindLookup:
    """deduce's first names and places matched whatever their case, and a surname after a
    first name ("sanne de vries"); deduce itself only sees capitalised words."""

    def __init__(
        self,
        *,
        first_names: Iterable[Iterable[str]],
        places: Iterable[Iterable[str]],
        surnames: Iterable[Iterable[str]],
        interfixes: Iterable[Iterable[str]],
    ) -> None:
        self._kinds = (
            (_Trie.of(lowered_entries(places)), Tag.LOCATIE),
            (_Trie.of(lowered_entries(first_names)), Tag.NAAM),
        )
        self._surnames = _Trie.of(lowered_entries(surnames))
        self._interfixes = _Trie.of(lowered_entries(interfixes))

    def spans(self, text: str) -> Iterator[Span]:
        words = tokens(text)
        lowered = [w.text.lower() for w in words]
        i = 0
        while i < len(words):
            length, tag = self._match(lowered, i)
            if not length:
                i += 1
                continue
            if tag is Tag.NAAM:
                length += self._surname_after(lowered, i + length)
            yield Span(words[i].start, words[i + length - 1].end, tag)
            i += length

    def _match(self, lowered: list[str], i: int) -> tuple[int, Tag]:
        best, best_tag = 0, Tag.NAAM
        for trie, tag in self._kinds:
            length = trie.longest(lowered, i)
            if length > best and _counts(lowered[i : i + length]):
                best, best_tag = length, tag
        return best, best_tag

    def _surname_after(self, lowered: list[str], i: int) -> int:
        interfix = self._interfixes.longest(lowered, i)
        surname = self._surnames.longest(lowered, i + interfix)
        if surname and _counts(lowered[i + interfix : i + interfix + surname]):
            return interfix + surname
        return 0


#: Leading words of place names that say nothing by themselves ("de Bus", "'s-Gravenhage").
PLACE_ARTICLES = frozenset(wordlist("de het den der t s ter ten"))


def _counts(words: list[str]) -> bool:
    """A match of one ordinary word ("best", "an", "de bus") is no name."""
    if not words[0].isalpha() and words[0] != "'":
        return False
    telling = [w for w in words if w.isalpha() and w not in PLACE_ARTICLES]
    if len(telling) != 1:
        return bool(telling)
    return len(telling[0]) >= 3 and telling[0] not in COMMON_WORDS
