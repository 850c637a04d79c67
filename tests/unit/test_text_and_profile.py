"""What a message and a visitor profile may contain."""

from __future__ import annotations

import pytest

from chatserver.domain.profile import VisitorProfile, parse_profile
from chatserver.domain.pseudonyms import ADJECTIVES, NOUNS, draw_pseudonym
from chatserver.domain.text import clean_text
from chatserver.errors import InvalidInput, TooLarge


def test_text_is_trimmed_and_normalised() -> None:
    assert clean_text("  cafe\u0301 \n", max_chars=10) == "caf\u00e9"


def test_control_characters_are_removed_but_newlines_kept() -> None:
    assert clean_text("a\x00b\nc\x1b", max_chars=10) == "ab\nc"


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", "\n\t"])
def test_empty_text_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        clean_text(raw, max_chars=10)


def test_text_over_the_limit_is_too_large() -> None:
    with pytest.raises(TooLarge):
        clean_text("x" * 11, max_chars=10)


def test_profile_starts_empty() -> None:
    assert parse_profile({}) == VisitorProfile(age=None, gender=None)


@pytest.mark.parametrize(
    "data", [{"age": 0}, {"age": 121}, {"age": "15"}, {"age": True}, {"gender": "x"}, {"x": 1}]
)
def test_invalid_profile_is_refused_naming_the_field(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_profile(data)
    assert raised.value.field in {"age", "gender", "x"}


def test_pseudonyms_are_friendly_words_and_a_number() -> None:
    for _ in range(200):
        name = draw_pseudonym()
        words, number = name[:-3], name[-3:]
        assert number.isdigit()
        assert any(words == adjective + noun for adjective in ADJECTIVES for noun in NOUNS)
