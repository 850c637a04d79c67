"""Detectors for identifiers typed in chat: plates, IBANs, BSNs, disguised e-mail, links, dates.

Each errs towards removal: a check digit that fails (a typo) does not make a number safe, so
the checks only widen what is caught (a number of any grouping that passes the 11-check or
mod-97), never narrow it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triage.research.deidentify.chat_rules import MONTH, NUMBER_WORDS, ORDINAL_WORDS
from triage.research.deidentify.spans import Span, Tag

# -- licence plates --------------------------------------------------------------------------------

#: The Dutch sidecodes 1-14 (RDW), as letter (X) and digit (9) groups.
SIDECODES = (
    "XX 99 99", "99 99 XX", "99 XX 99", "XX 99 XX", "XX XX 99", "99 XX XX", "99 XXX 9",
    "9 XXX 99", "XX 999 X", "X 999 XX", "XXX 99 X", "X 99 XXX", "9 XX 999", "999 XX 9",
)  # fmt: skip


def _plates(separator: str) -> str:
    """Every sidecode with ``separator`` between its groups (one separator throughout)."""
    codes = (
        separator.join(("[A-Z]" if g[0] == "X" else r"\d") + f"{{{len(g)}}}" for g in c.split())
        for c in SIDECODES
    )
    return "|".join(f"(?:{code})" for code in codes)


#: With dashes or none, in any case ("gj347k"); with spaces only in capitals ("GJ 347 K"),
#: as "is 14 en" has the shape of one too.
PLATE_PATTERNS = (
    re.compile(rf"(?i)(?<![\w-])(?:{_plates('-')}|{_plates('')})(?![\w-])"),
    re.compile(rf"(?<![\w-])(?:{_plates(' ')})(?![\w-])"),
)


def plate_spans(text: str) -> Iterator[Span]:
    for match in (m for pattern in PLATE_PATTERNS for m in pattern.finditer(text)):
        value = match.group()
        if any(c.isalpha() for c in value) and any(c.isdigit() for c in value):
            yield Span(match.start(), match.end(), Tag.KENTEKEN)


# -- IBAN ------------------------------------------------------------------------------------------

#: A country code, two check digits and 10-30 letters and digits, in groups of four or not.
IBAN = re.compile(
    r"(?i)(?<![\w])[A-Z]{2}\d{2}[ ]?[A-Z0-9]{4}"
    r"(?:[ ]?(?=[A-Z0-9]{0,3}\d)[A-Z0-9]{4}){1,6}(?:[ ]?\d{1,3})?(?![\w])"
)
#: "NL91 ABNA ..." shape: country code and check digits, then a bank code of four letters.
BANK_SHAPED = re.compile(r"(?i)^[A-Z]{2}\d{2}\s?[A-Z]{4}")


def iban_valid(value: str) -> bool:
    """The ISO 13616 mod-97 check."""
    compact = value.replace(" ", "").upper()
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    return digits.isdigit() and int(digits) % 97 == 1


def iban_spans(text: str) -> Iterator[Span]:
    for match in IBAN.finditer(text):
        value = match.group()
        digits = sum(c.isdigit() for c in value)
        if iban_valid(value) or BANK_SHAPED.match(value) or digits >= 10:
            yield Span(match.start(), match.end(), Tag.REKENINGNUMMER)


# -- BSN -------------------------------------------------------------------------------------------

#: Nine digits (eight for old ones), grouped by spaces, dots or dashes or not at all.
NINE_DIGITS = re.compile(r"(?<![\w.,-])\d(?:[ .-]?\d){7,8}(?![\w]|[.,-]\d)")
BSN_WORDS = re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofinummer|sofi)\b\D{0,12}$")


def eleven_check(digits: str) -> bool:
    """The BSN 11-check: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11 (and not 0)."""
    digits = digits.rjust(9, "0")
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total != 0 and total % 11 == 0


def bsn_spans(text: str) -> Iterator[Span]:
    for match in NINE_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if eleven_check(digits) or BSN_WORDS.search(text[: match.start()]):
            yield Span(match.start(), match.end(), Tag.NUMMER)


# -- e-mail written out, links ---------------------------------------------------------------------

AT = r"(?:\s*@\s*|\s*[(\[]\s*(?:at|apenstaartje)\s*[)\]]\s*|\s+(?:at|apenstaartje)\s+)"
DOT = r"(?:\s*\.\s*|\s*[(\[]\s*(?:dot|punt)\s*[)\]]\s*|\s+(?:dot|punt)\s+)"
LOCAL = rf"[\w+-]+(?:{DOT}[\w+-]+)*"
TLD = r"(?:nl|com|be|net|org|eu|de|info|co\.uk|uk|fr|pl|ro|tr|me|io)"
#: "kim at hotmail punt com", "sanne(at)gmail(dot)com", "j.bakker [at] ziggo [punt] nl".
SPELLED_EMAIL = re.compile(rf"(?i)(?<![\w.]){LOCAL}{AT}[\w-]+(?:{DOT}[\w-]+)*?{DOT}{TLD}\b")
#: Telegram and similar invitation links, with or without https://.
LINK = re.compile(
    r"(?i)(?<![\w/])(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|wa\.me|chat\.whatsapp\.com|"
    r"discord\.gg|snapchat\.com/add|instagram\.com|tiktok\.com/@?)/?[\w@./+-]+"
)


def email_spans(text: str) -> Iterator[Span]:
    for match in SPELLED_EMAIL.finditer(text):
        yield Span(match.start(), match.end(), Tag.EMAIL)
    for match in LINK.finditer(text):
        yield Span(match.start(), match.end(), Tag.URL)


# -- dates without a year, area codes --------------------------------------------------------------

WEEKDAYS = r"(?:maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|ma|di|wo|do|vr|za|zo)"
DAY_WORD = "|".join(sorted({*NUMBER_WORDS, *ORDINAL_WORDS, "eerste", "een"}, key=len, reverse=True))
DATES = (
    # "3/9", "12/10", "3-9": day and month, with one digit each or two
    re.compile(r"(?<![\w.,:/-])(?:0?[1-9]|[12]\d|3[01])[/-](?:0?[1-9]|1[0-2])(?![\w/:.-]|[.,]\d)"),
    # "twaalf mei", "eerste maart", "vijf juni"
    re.compile(rf"(?i)\b(?:{DAY_WORD})\s+{MONTH}\b"),
    # "maandag 4 november": the weekday goes with the date
    re.compile(rf"(?i)\b{WEEKDAYS}\s+\d{{1,2}}(?:e|de|ste)?\s+{MONTH}\b"),
)
#: Dutch area codes typed alone ("een 010 nummer", "de 013 regio"): they name a town.
AREA_CODE = re.compile(r"(?<![\w.,:/+-])0[1-7]\d{1,2}(?![\w.,:/-]|\s?\d)")


def date_spans(text: str) -> Iterator[Span]:
    for pattern in DATES:
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), Tag.DATUM)
    for match in AREA_CODE.finditer(text):
        yield Span(match.start(), match.end(), Tag.LOCATIE)


def identifier_spans(text: str) -> list[Span]:
    return [
        *plate_spans(text),
        *iban_spans(text),
        *bsn_spans(text),
        *email_spans(text),
        *date_spans(text),
    ]
