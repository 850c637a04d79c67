"""Edition ckm-2022b: presence variables, a main perpetrator, client knowledge where discussed."""

from __future__ import annotations

import pytest

from triage.codebook import (
    UNKNOWN,
    CodingErrors,
    applicable_variables,
    current_edition,
    load_edition,
    validate_values,
)

EDITION = load_edition("ckm-2022b")


@pytest.mark.parametrize(
    "name",
    ["multiple_perpetrators", "other_victims_known", "coercion_mentioned", "clients_discussed"],
)
def test_a_presence_variable_has_mentioned_and_not_mentioned_apart_from_unknown(name: str) -> None:
    variable = EDITION.variable(name)
    assert variable.codes == ("mentioned", "not_mentioned")
    assert "niet genoemd" in variable.help_nl.lower()
    assert "not mentioned" in variable.help_en.lower()
    for value in ("mentioned", "not_mentioned", UNKNOWN):
        assert validate_values(EDITION, {name: value}) == {name: value}


def test_client_knowledge_is_coded_whenever_clients_are_discussed_whoever_chats() -> None:
    values = {"chatter_background": "victim", "clients_discussed": "mentioned"}
    applicable = applicable_variables(EDITION, values)
    assert "client_knowledge" in applicable
    assert "client_indicators" in applicable
    assert "client_knowledge" not in applicable_variables(
        EDITION, {"clients_discussed": "not_mentioned"}
    )


def test_should_have_known_is_a_category_of_its_own_beside_knew() -> None:
    assert EDITION.variable("client_knowledge").codes == (
        "knew",
        "should_have_known",
        "did_not_know",
    )


def test_the_main_perpetrator_relation_is_one_answer_with_others_beside_it() -> None:
    assert EDITION.variable("perpetrator_main").kind == "single"
    assert EDITION.variable("perpetrator_others").kind == "multi"
    with pytest.raises(CodingErrors):
        validate_values(EDITION, {"perpetrator_main": ["family", "ex_partner"]})
    coding = {
        "perpetrator_main": "family",
        "multiple_perpetrators": "mentioned",
        "perpetrator_others": ["ex_partner"],
    }
    assert validate_values(EDITION, coding) == coding


def test_both_forms_can_be_named_together_as_the_first_concern() -> None:
    coding = {"exploitation_form": ["sexual", "criminal"], "first_concern": "named_together"}
    assert validate_values(EDITION, coding) == coding


def test_care_services_as_a_referral_source_are_split_three_ways() -> None:
    codes = EDITION.variable("referral_source").codes
    assert {"care_professional", "kindertelefoon", "care_unspecified"} <= set(codes)
    assert "care_services" not in codes


def test_the_2022_edition_stays_readable_beside_it() -> None:
    old = load_edition("ckm-2022")
    assert old.variable("multiple_perpetrators").codes == ("yes", "no")
    assert validate_values(old, {"perpetrator_relation": ["family", "ex_partner"]})


def test_new_codings_use_ckm_2022b_and_old_ones_stay_readable() -> None:
    assert current_edition() is EDITION
    old = {"multiple_perpetrators": "yes", "perpetrator_relation": ["family"]}
    assert validate_values(load_edition("ckm-2022"), old) == old
