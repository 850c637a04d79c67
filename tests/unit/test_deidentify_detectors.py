"""The detectors added for issue 21 and the conservative layer, without deduce (fast)."""

from __future__ import annotations

import pytest

from triage.research.deidentify.conservative import Conservative, common_words
from triage.research.deidentify.identifiers import eleven_check, iban_valid, identifier_spans
from triage.research.deidentify.lexicon import Lexicon, workplace_spans
from triage.research.deidentify.spans import Span, Tag, redact


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(["lisa", "sanne", "tim"])


@pytest.fixture(scope="module")
def conservative() -> Conservative:
    return Conservative(common_words())


def removed(text: str, spans: list[Span]) -> str:
    return redact(text, spans)


@pytest.mark.parametrize(
    "plate",
    ["XT-123-B", "12-ABC-3", "1-KBB-23", "GJ-347-K", "gj347k", "99-XXF-1", "4TFL24", "GJ 347 K"],
)
def test_dutch_plates_of_every_sidecode_are_removed(plate: str) -> None:
    assert removed(f"kenteken {plate} zag ik", identifier_spans(f"kenteken {plate} zag ik")) == (
        "kenteken [KENTEKEN] zag ik"
    )


@pytest.mark.parametrize(
    "text", ["hij is 14 en ik 16", "het kost 20 euro", "ik was 3 keer bij hem"]
)
def test_numbers_in_ordinary_sentences_are_no_plates(text: str) -> None:
    assert not [s for s in identifier_spans(text) if s.tag is Tag.KENTEKEN]


@pytest.mark.parametrize(
    "iban",
    ["NL91 ABNA 0417 1643 00", "NL91ABNA0417164300", "nl91abna0417164300", "BE68 5390 0754 7034"],
)
def test_ibans_are_removed_whole_with_their_country_prefix(iban: str) -> None:
    text = f"stuur het naar {iban} vandaag"
    assert redact(text, identifier_spans(text)) == "stuur het naar [REKENINGNUMMER] vandaag"


def test_the_iban_check_is_mod_97() -> None:
    assert iban_valid("NL91ABNA0417164300")
    assert not iban_valid("NL92ABNA0417164300")


@pytest.mark.parametrize("bsn", ["123456782", "123 456 782", "1234.56.782", "111-222-333"])
def test_bsns_passing_the_eleven_check_are_removed_in_any_grouping(bsn: str) -> None:
    text = f"nummer {bsn} staat erop"
    assert redact(text, identifier_spans(text)) == "nummer [NUMMER] staat erop"


def test_a_nine_digit_number_after_bsn_is_removed_even_if_the_check_fails() -> None:
    assert not eleven_check("123456789")
    assert redact("mijn bsn is 123456789", identifier_spans("mijn bsn is 123456789")) == (
        "mijn bsn is [NUMMER]"
    )


@pytest.mark.parametrize(
    "email",
    [
        "jessica dot b at ziggo punt nl",
        "sanne(at)gmail(dot)com",
        "j.bakker [at] ziggo [punt] nl",
        "lisa @ live . nl",
    ],
)
def test_spelled_out_email_addresses_are_removed(email: str) -> None:
    text = f"mail {email} oke"
    assert redact(text, identifier_spans(text)) == "mail [EMAIL] oke"


@pytest.mark.parametrize(
    "link", ["t.me/geldsnel_nl", "https://t.me/werk_in_nl", "t.me/joinchat/abc123"]
)
def test_telegram_links_are_removed(link: str) -> None:
    assert redact(f"kijk {link} snel", identifier_spans(f"kijk {link} snel")) == "kijk [URL] snel"


@pytest.mark.parametrize(
    "date", ["3/9", "12/10", "twaalf mei", "eerste maart", "maandag 4 november"]
)
def test_dates_without_a_year_are_removed(date: str) -> None:
    assert redact(f"op {date} gebeurde het", identifier_spans(f"op {date} gebeurde het")) == (
        "op [DATUM] gebeurde het"
    )


@pytest.mark.parametrize("text", ["een 010 nummer", "de 013 regio"])
def test_area_codes_are_removed_as_places(text: str) -> None:
    assert "[LOCATIE]" in redact(text, identifier_spans(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hij komt uit eritrea", "hij komt uit [LAND]"),
        ("mijn vader is marokkaans", "mijn vader is [LAND]"),
        ("she is romanian", "she is [LAND]"),
        ("wij komen van curaçao", "wij komen van [LAND]"),
        ("wij komen van curacao", "wij komen van [LAND]"),
        ("we wonen in overvecht", "we wonen in [LOCATIE]"),
        ("hij woont in de pijp", "hij woont in [LOCATIE]"),
        ("ik ben een utrechtse meid", "ik ben een [LOCATIE] meid"),
        ("hij is een haagse jongen", "hij is een [LOCATIE] jongen"),
        ("ik werk bij de action", "ik werk bij de [INSTELLING]"),
        ("mijn vriend farid uit kabul", "mijn vriend [NAAM] uit [LOCATIE]"),
        ("tsega en rahwa slapen hier", "[NAAM] en [NAAM] slapen hier"),
        ("gülşen en gulsen", "[NAAM] en [NAAM]"),
        ("wojciech en małgorzata", "[NAAM] en [NAAM]"),
        ("mo zegt dat", "[NAAM] zegt dat"),
        ("lisaaa hier", "[NAAM] hier"),
        ("sannneee wil mee", "[NAAM] wil mee"),
    ],
)
def test_our_lists_remove_countries_neighbourhoods_businesses_and_names(
    lexicon: Lexicon, text: str, expected: str
) -> None:
    assert redact(text, lexicon.spans(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ik heb hoop",
        "ik moet rust nemen",
        "je bent sterk",
        "dat is lief",
        "ik doe mijn best",
        "het was een actie",
        "de hoop is dat het stopt",
        "het is daar ondiep water",
    ],
)
def test_ordinary_words_are_not_taken_from_the_lists(lexicon: Lexicon, text: str) -> None:
    assert redact(text, lexicon.spans(text)) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ik werk bij nagelstudio glamour", "ik werk bij [INSTELLING]"),
        ("ik slaap in hotel van der valk bij schiphol", "ik slaap in [INSTELLING] bij schiphol"),
        ("de baas van car wash sparkle betaalt niks", "de baas van [INSTELLING] betaalt niks"),
        ("ik werk bij nails by yasmin", "ik werk bij [INSTELLING]"),
        ("basisschool de klimop in emmen", "[INSTELLING] in emmen"),
        ("ik zit op de regenboog", "ik zit op de [INSTELLING]"),
        ("we wonen op de dorpsstraat 4", "we wonen op de [LOCATIE]"),
        ("volg me op snap dikkeboy", "volg me op snap [GEBRUIKERSNAAM]"),
        ("tiktok melodyyy heeft het gepost", "tiktok [GEBRUIKERSNAAM] heeft het gepost"),
    ],
)
def test_workplaces_schools_addresses_and_handles(text: str, expected: str) -> None:
    assert redact(text, workplace_spans(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Op school zei iedereen dat ik een slet ben",
        "ik zit op de bank",
        "op snap heeft hij het gezet",
    ],
)
def test_common_nouns_are_no_workplaces(text: str) -> None:
    assert redact(text, workplace_spans(text)) == text


@pytest.mark.parametrize(
    "name", ["tsega", "rahwa", "goitom", "gülşen", "zarghuna", "xnoortje", "kibrom"]
)
def test_the_conservative_layer_removes_a_name_no_list_has(
    conservative: Conservative, name: str
) -> None:
    assert redact(f"ik ken {name} al lang", conservative.spans(f"ik ken {name} al lang")) == (
        "ik ken [ANONIEM] al lang"
    )


@pytest.mark.parametrize(
    "text",
    [
        "ik heb hoop dat het beter wordt",
        "ik moet rust nemen",
        "je bent sterk",
        "will you help me please",
        "dat is lief van je",
        "ik heb de kindertelefoon gebeld",
        "veilig thuis en fier en slachtofferhulp",
        "als het gevaarlijk is bel ik 112",
        "haha ok ofzo 😢",
        "ik heb geen verblijfsvergunning en hij heeft me gechanteerd",
    ],
)
def test_the_conservative_layer_keeps_ordinary_words_and_helplines(
    conservative: Conservative, text: str
) -> None:
    assert redact(text, conservative.spans(text)) == text
