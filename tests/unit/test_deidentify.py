"""De-identification of Dutch chat messages: deduce plus our chat rules, on realistic text.

deduce is loaded once per test worker (``deidentify_engine``), and a module's tests share one
worker (``--dist loadscope``), so a run loads it once; its tables are cached under the
repository's ``var/`` across runs, so only the first run on a machine builds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from chatserver.errors import Unavailable
from tests.support.server import DEDUCE_CACHE
from triage.research.deidentify.chat_rules import age_spans, date_spans, phone_spans, username_spans
from triage.research.deidentify.engine import Engine
from triage.research.deidentify.spans import Span, Tag, merge, redact
from triage.research.deidentify.worker import Deidentifier

#: The first run on a machine builds deduce's tables inside the first test (a minute or two).
pytestmark = pytest.mark.timeout(600)

# (message, what must be gone, what must be there instead)
CHAT = [
    ("hoi ik ben Sanne en ik ben 15", ["Sanne", "15"], ["[NAAM]", "[LEEFTIJD]"]),
    ("hoi ik ben sanne en ik woon in rotterdam", ["sanne", "rotterdam"], ["[NAAM]", "[LOCATIE]"]),
    ("ik ben 14 jaar en woon in Rotterdam", ["14", "Rotterdam"], ["[LEEFTIJD] jaar", "[LOCATIE]"]),
    ("mijn vriend jayden de vries zegt dat ik moet", ["jayden", "vries"], ["vriend [NAAM] zegt"]),
    ("Mijn naam is Fatima El Amrani", ["Fatima", "Amrani"], ["[NAAM]"]),
    ("bel me op 06-12345678", ["12345678"], ["[TELEFOONNUMMER]"]),
    ("mijn nummer is 0612345678", ["0612345678"], ["[TELEFOONNUMMER]"]),
    ("app hem: 06 12 34 56 78", ["12 34"], ["[TELEFOONNUMMER]"]),
    ("of +31 6 12345678 of 0031 6 1234 5678", ["12345678", "5678"], ["[TELEFOONNUMMER]"]),
    ("zijn nummer is +48 512 345 678", ["512"], ["[TELEFOONNUMMER]"]),
    ("op 12 maart 2023 begon het", ["12 maart"], ["op [DATUM] begon"]),
    ("ik ben op 1 april jarig", ["1 april"], ["[DATUM]"]),
    ("het was op 14-02, in maart 2023 ging ik weg", ["14-02", "2023"], ["[DATUM]"]),
    ("toen ik 13 was begon het", ["13"], ["toen ik [LEEFTIJD] was"]),
    ("hij is 25 en ik 16", ["25", "16"], ["hij is [LEEFTIJD] en ik [LEEFTIJD]"]),
    ("ik ben vijftien en hij is een man van 40", ["vijftien", "40"], ["[LEEFTIJD]"]),
    ("vanaf mijn 12e moest ik, op m'n zestiende ging ik weg", ["12e", "zestiende"], []),
    ("Ik ben Sanne (15) uit Utrecht", ["Sanne", "15", "Utrecht"], ["([LEEFTIJD])"]),
    ("ik ben al 16 jaar", ["16"], ["[LEEFTIJD] jaar"]),
    ("ik zit op het Erasmus College in Zoetermeer", ["Erasmus", "Zoetermeer"], ["[INSTELLING]"]),
    ("ik zit op het erasmus college", ["erasmus"], ["het [INSTELLING]"]),
    ("ik zit op het Stedelijk Gymnasium Leiden", ["Stedelijk", "Leiden"], ["[INSTELLING]"]),
    ("op het Erasmus College Ik word gepest", ["Erasmus"], ["het [INSTELLING] Ik word"]),
    ("ik zit op de Montessorischool", ["Montessori"], ["de [INSTELLING]"]),
    ("ik woonde in het AZC Budel", ["Budel"], ["[INSTELLING]"]),
    ("ik was bij Jeugdzorg Amsterdam", ["Jeugdzorg", "Amsterdam"], ["[INSTELLING]"]),
    ("mijn insta is @lisa_xx", ["lisa"], ["[GEBRUIKERSNAAM]"]),
    ("voeg me toe op snap sanne2009", ["sanne2009"], ["snap [GEBRUIKERSNAAM]"]),
    ("zijn tiktok naam is jaydenxx", ["jaydenxx"], ["[GEBRUIKERSNAAM]"]),
    ("mail lisa.devries@gmail.com of www.voorbeeld.nl", ["lisa", "voorbeeld"], ["[EMAIL]"]),
    ("ik woon in den haag, vroeger in 's-hertogenbosch", ["haag", "hertogen"], ["[LOCATIE]"]),
    ("Mijn BSN is 123456782", ["123456782"], ["[NUMMER]"]),
]

# Ordinary chat that must come through unchanged.
UNCHANGED = [
    "ik doe mijn best maar het is 12 uur en ik was 3 keer bij hem",
    "ik ken hem van de bus, mijn buren weten niks",
    "Op school zei iedereen dat ik een slet ben",
    "ik heb 2 broers en 1 zus",
    "het kost 20 euro per keer",
    "hij wil dat ik vanavond om 21:30 kom",
    "ik ben bang dat hij me vindt, hij weet waar ik woon",
    "sinds vorig jaar zomer moet ik met mannen afspreken",
    "ik heb insta en snap",
]


@pytest.mark.parametrize(("message", "gone", "present"), CHAT, ids=[c[0] for c in CHAT])
def test_identifying_details_in_a_chat_message_are_replaced_by_tags(
    deidentify_engine: Engine, message: str, gone: list[str], present: list[str]
) -> None:
    result = deidentify_engine.deidentify(message)
    for fragment in gone:
        assert fragment not in result, result
    for fragment in present:
        assert fragment in result, result


@pytest.mark.parametrize("message", UNCHANGED)
def test_ordinary_chat_text_comes_through_unchanged(
    deidentify_engine: Engine, message: str
) -> None:
    assert deidentify_engine.deidentify(message) == message


def test_tags_carry_no_numbers_that_could_link_two_quotes(deidentify_engine: Engine) -> None:
    result = deidentify_engine.deidentify("Mo en Jayden wonen in Utrecht en Breda")
    assert result == "[NAAM] en [NAAM] wonen in [LOCATIE] en [LOCATIE]"


# -- the rules alone, without deduce ---------------------------------------------------------------


def found(spans: Iterable[Span], text: str) -> list[str]:
    """The text each finding covers, overlapping findings joined as in the output."""
    return [text[span.start : span.end] for span in merge(spans)]


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("ik ben 15", ["15"]),
        ("ik ben nu pas 15!", ["15"]),
        ("ik was toen pas twaalf", ["twaalf"]),
        ("was hij 30 ofzo", ["30"]),
        ("ik ben 15j", ["15j"]),
        ("een vijftienjarige", ["vijftienjarige"]),
        ("leeftijd: 17", ["17"]),
        ("het is 12", []),
        ("dat was 20", []),
        ("ik was 3 keer bij hem", []),
        ("om 15:30 ben ik 15", ["15"]),
        ("de 3e keer", []),
    ],
)
def test_bare_ages_are_found_by_their_context(text: str, ages: list[str]) -> None:
    assert found(age_spans(text), text) == ages


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("06-12345678", ["06-12345678"]),
        ("(020) 123 4567", ["(020) 123 4567"]),
        ("+31 (0)6 1234 5678", ["+31 (0)6 1234 5678"]),
        ("bsn 123456782", []),
        ("op 01-02-2023", []),
        ("0612345678 15 jaar", ["0612345678"]),
    ],
)
def test_phone_numbers_are_dutch_or_international(text: str, numbers: list[str]) -> None:
    assert found(phone_spans(text), text) == numbers


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("@lisa_xx", ["@lisa_xx"]),
        ("mail a@b.nl", []),
        ("mijn snap is sanne", ["sanne"]),
        ("op insta is het anders", []),
        ("zijn tiktok naam is jay", ["jay"]),
        ("ik heb insta en snap", []),
    ],
)
def test_usernames_are_found_by_shape_or_platform(text: str, handles: list[str]) -> None:
    assert found(username_spans(text), text) == handles


def test_a_date_without_a_year_is_a_date() -> None:
    text = "het begon op 5 januari"
    assert found(date_spans(text), text) == ["5 januari"]


def test_overlapping_findings_become_one_tag_of_the_longest() -> None:
    text = "bel 0612345678 nu"
    spans = [Span(4, 14, Tag.NUMMER), Span(4, 14, Tag.TELEFOONNUMMER), Span(6, 14, Tag.NUMMER)]
    assert redact(text, spans) == "bel [TELEFOONNUMMER] nu"


# -- the worker process ---------------------------------------------------------------------------


async def test_the_worker_process_de_identifies_with_its_own_deduce() -> None:
    deidentifier = Deidentifier(DEDUCE_CACHE)
    try:
        assert await deidentifier.deidentify("ik ben Sanne") == "ik ben [NAAM]"
    finally:
        deidentifier.close()


async def test_a_worker_that_cannot_load_is_unavailable_and_started_anew(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    deidentifier = Deidentifier(not_a_directory)
    try:
        for _ in range(2):
            with pytest.raises(Unavailable):
                await deidentifier.deidentify("Sanne")
    finally:
        deidentifier.close()


def test_countries_and_nationalities_are_removed_unless_kept_by_setting(
    deidentify_engine: Engine,
) -> None:
    message = "hij is marokkaans en komt uit eritrea"
    assert deidentify_engine.deidentify(message) == "hij is [LAND] en komt uit [LAND]"
    deidentify_engine.keep_nationality = True
    try:
        assert deidentify_engine.deidentify(message) == message
    finally:
        deidentify_engine.keep_nationality = False
