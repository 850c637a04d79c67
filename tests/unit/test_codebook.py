"""The CKM codebook: editions cover the domain codebook, load strictly, and check codings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatserver.errors import InvalidInput
from triage.codebook import (
    UNKNOWN,
    CodebookError,
    CodingError,
    CodingErrors,
    Edition,
    UnknownEdition,
    age_band,
    applicable_variables,
    completeness,
    current_edition,
    load_edition,
    load_edition_file,
    load_editions,
    parse_edition,
    validate_values,
)

# Every variable of /work/shared/domain/codebook.md, in its order, as named in the edition.
CODEBOOK_VARIABLES = [
    # Chatter
    "chatter_background",
    "channel",
    "partner_platform",  # the configurable list of partner platforms
    "referral_source",
    "chat_language",
    "first_conversation_date",
    # Victim
    "exploitation_form",
    "first_concern",  # for combinations: which concern came first
    "criminal_acts",
    "age",
    "gender",
    "acutely_unsafe",
    "first_disclosure",
    "told_before",
    "duration",
    "time_since_start",
    "time_since_end",
    "start_date",
    "perpetrator_relation",
    "perpetrator_family",  # sub-code
    "perpetrator_social",  # sub-code
    "meeting_channel",
    "meeting_platforms",
    "multiple_perpetrators",
    "other_victims_known",
    "coercion_means",
    "violence_forms",  # sub-forms of violence, each used or threatened
    "client_knowledge",
    "client_indicators",
    "sector",
]

YES_NO = {"yes", "no"}
BANDS = {
    "under_3_months",
    "months_3_to_12",
    "years_1_to_2",
    "years_2_to_5",
    "over_5_years",
    "several_years",
}
FORMS = {"sexual", "criminal", "labour"}
# The categories codebook.md names; its "unknown" answers are the UNKNOWN state, not a category.
CODEBOOK_CATEGORIES: dict[str, set[str]] = {
    "chatter_background": {
        "victim",
        "family",
        "ex_partner",
        "social_environment",
        "client",
        "other",
    },
    "channel": {"direct", "partner_platform"},
    "partner_platform": {"centrum_seksueel_geweld", "other"},
    "referral_source": {
        "care_services",
        "kindertelefoon",
        "other_helpline",
        "search_engine",
        "media",
        "close_environment",
        "partner_website",
        "other",
    },
    "chat_language": {"nl", "en", "other"},
    "exploitation_form": FORMS,
    "first_concern": FORMS,
    "criminal_acts": {"drugs", "theft", "money_laundering", "recruiting", "other", "unclear"},
    "gender": {"female", "male", "neutral"},
    "acutely_unsafe": YES_NO,
    "first_disclosure": YES_NO,
    "told_before": {"family_friend_partner", "care_professional", "police", "other"},
    "duration": BANDS,
    "time_since_start": BANDS,
    "time_since_end": BANDS | {"not_ended"},
    "perpetrator_relation": {"family", "ex_partner", "social_environment", "stranger"},
    "perpetrator_family": {
        "father_stepfather",
        "mother",
        "both_parents",
        "sibling",
        "other",
        "unknown_how",
    },
    "perpetrator_social": {"friends_acquaintances", "friends_of_network", "social_media", "other"},
    "meeting_channel": {"offline", "online"},
    "meeting_platforms": {"instagram", "snapchat", "dating_app", "facebook", "telegram", "other"},
    "multiple_perpetrators": YES_NO,
    "other_victims_known": YES_NO,
    "coercion_means": {
        "sextortion",
        "substance_dependence",
        "intellectual_disability",
        "age_difference",
        "living_in",
        "violence",
        "financial_dependence",
        "other",
    },
    "violence_forms": {
        f"{form}_{how}"
        for form in ("sexual", "physical", "verbal", "psychological")
        for how in ("used", "threatened")
    },
    "client_knowledge": {"yes", "should_have_known", "no"},
    "client_indicators": {
        "trafficker_present",
        "client_violence",
        "client_coercion",
        "client_filmed",
        "victim_unwilling",
    },
    "sector": {
        "home",
        "escort_hotel",
        "brothel_club",
        "window",
        "street",
        "online_webcam",
        "other",
    },
}
EXCLUSION_REASONS = {
    "other_sexual_violence",
    "sextortion_without_exploitation",
    "financial_or_extortion",
    "sex_worker_work_question",
    "other",
}


@pytest.fixture(scope="module")
def edition() -> Edition:
    """ckm-2022: its codings stay readable after ckm-2022b became the current edition."""
    return load_edition("ckm-2022")


def errors_of(edition: Edition, values: dict[str, object]) -> dict[str, str]:
    with pytest.raises(CodingErrors) as caught:
        validate_values(edition, values)
    return {error.field or "": error.reason for error in caught.value.errors}


# -- the ckm-2022 edition covers codebook.md -------------------------------------------------------


def test_every_variable_of_the_codebook_is_in_the_2022_edition(edition: Edition) -> None:
    assert list(edition.names) == CODEBOOK_VARIABLES


def test_every_category_of_the_codebook_is_in_the_2022_edition(edition: Edition) -> None:
    coded = {v.name: set(v.codes) for v in edition.variables if v.categories}
    assert coded == CODEBOOK_CATEGORIES


def test_inclusion_has_the_help_question_and_the_exclusion_reasons(edition: Edition) -> None:
    assert edition.help_question.name == "help_question"
    assert edition.help_question.kind == "boolean"
    assert {reason.code for reason in edition.exclusion_reasons} == EXCLUSION_REASONS


def test_every_variable_and_category_has_dutch_and_english_labels() -> None:
    for edition in load_editions().values():
        variables = [*edition.variables, edition.help_question]
        categories = [c for v in edition.variables for c in v.categories]
        for item in [*variables, *categories, *edition.exclusion_reasons]:
            assert item.label_nl.strip(), item
            assert item.label_en.strip(), item
        for variable in variables:
            assert variable.help_nl.strip(), variable.name
            assert variable.help_en.strip(), variable.name


def test_yes_no_variables_code_yes_as_1_and_no_as_0(edition: Edition) -> None:
    yes_no = [v for v in edition.variables if set(v.codes) == YES_NO]
    assert {v.name for v in yes_no} == {
        "acutely_unsafe",
        "first_disclosure",
        "multiple_perpetrators",
        "other_victims_known",
    }
    for variable in yes_no:
        assert variable.kind == "single"
        assert (variable.category("yes").value, variable.category("no").value) == (1, 0)


def test_the_2020_edition_has_partner_and_the_later_ones_ex_partner() -> None:
    old, new = load_edition("ckm-2020"), current_edition()
    assert "partner" in old.variable("chatter_background").codes
    assert "ex_partner" not in old.variable("chatter_background").codes
    assert "ex_partner" in new.variable("chatter_background").codes
    assert "partner" not in new.variable("chatter_background").codes


# -- loading ------------------------------------------------------------------------------------


def test_editions_are_loaded_once_and_shared() -> None:
    assert load_edition("ckm-2022b") is load_edition("ckm-2022b") is current_edition()
    assert set(load_editions()) == {"ckm-2020", "ckm-2022", "ckm-2022b"}


@pytest.mark.parametrize("edition_id", ["ckm-1999", "../ckm-2022", "", "CKM-2022"])
def test_an_unknown_edition_id_is_refused(edition_id: str) -> None:
    with pytest.raises(UnknownEdition, match="unknown codebook edition"):
        load_edition(edition_id)
    with pytest.raises(KeyError):  # what callers catch without importing the codebook
        load_edition(edition_id)


def small_edition() -> dict[str, Any]:
    """A minimal well-formed edition file, to break in one place per test."""

    def yes_no(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "label_nl": name,
            "label_en": name,
            "subject": "victim",
            "kind": "single",
            "categories": [
                {"code": "yes", "value": 1, "label_nl": "Ja", "label_en": "Yes"},
                {"code": "no", "value": 0, "label_nl": "Nee", "label_en": "No"},
            ],
            "help_nl": "Uitleg.",
            "help_en": "Explanation.",
            **extra,
        }

    return {
        "id": "test-1",
        "title": "Test",
        "published": "2024-01-01",
        "help_question": {
            "name": "help_question",
            "label_nl": "Hulpvraag",
            "label_en": "Help question",
            "subject": "conversation",
            "kind": "boolean",
            "help_nl": "Uitleg.",
            "help_en": "Explanation.",
        },
        "exclusion_reasons": [{"code": "other", "value": 90, "label_nl": "A", "label_en": "O"}],
        "variables": [
            yes_no("gate"),
            yes_no("follow_up", parent="gate", applies_when={"variable": "gate", "in": ["yes"]}),
            {
                "name": "notes",
                "label_nl": "Notities",
                "label_en": "Notes",
                "subject": "conversation",
                "kind": "text",
                "help_nl": "Uitleg.",
                "help_en": "Explanation.",
            },
            {
                "name": "flag",
                "label_nl": "Vlag",
                "label_en": "Flag",
                "subject": "conversation",
                "kind": "boolean",
                "help_nl": "Uitleg.",
                "help_en": "Explanation.",
            },
        ],
    }


def write_edition(folder: Path, data: dict[str, Any], name: str = "test-1.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_well_formed_edition_file_loads(tmp_path: Path) -> None:
    edition = load_edition_file(write_edition(tmp_path, small_edition()))
    assert edition.names == ("gate", "follow_up", "notes", "flag")
    assert edition.variable("follow_up").parent == "gate"


Breakage = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Breakage:
    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return apply


def _duplicate_variable(data: dict[str, Any]) -> None:
    data["variables"].append(copy.deepcopy(data["variables"][0]))


def _duplicate_category_code(data: dict[str, Any]) -> None:
    data["variables"][0]["categories"][1]["code"] = "yes"


def _integer_without_bounds(data: dict[str, Any]) -> None:
    data["variables"][2]["kind"] = "integer"


def _cycle(data: dict[str, Any]) -> None:
    data["variables"][0]["applies_when"] = {"variable": "follow_up", "in": ["yes"]}


MALFORMED: dict[str, tuple[Breakage, str]] = {
    "duplicate variable name": (_duplicate_variable, "occurs twice"),
    "duplicate category code": (_duplicate_category_code, "code 'yes' occurs twice"),
    "duplicate category value": (_set("variables.0.categories.1.value", 1), "value 1 occurs twice"),
    "condition on a missing variable": (
        _set("variables.1.applies_when", {"variable": "nope", "in": ["yes"]}),
        "unknown variable 'nope'",
    ),
    "condition on a missing category": (
        _set("variables.1.applies_when", {"variable": "gate", "in": ["maybe"]}),
        "unknown category 'maybe'",
    ),
    "condition without an operator": (
        _set("variables.1.applies_when", {"variable": "gate"}),
        "exactly one of",
    ),
    "conditions in a circle": (_cycle, "circle"),
    "missing parent": (_set("variables.1.parent", "nope"), "parent 'nope' does not exist"),
    "unknown as a category code": (
        _set("variables.0.categories.0.code", "unknown"),
        "reserved for the unknown state",
    ),
    "negative category value": (_set("variables.0.categories.0.value", -1), "negative"),
    "missing English label": (_set("variables.0.categories.0.label_en", ""), "label_en"),
    "a default value": (_set("variables.0.default", "no"), "unexpected default"),
    "unknown kind": (_set("variables.0.kind", "scale"), "kind must be one of"),
    "integer without bounds": (_integer_without_bounds, "needs minimum and maximum"),
    "categories on a text variable": (
        _set(
            "variables.2.categories", [{"code": "a", "value": 1, "label_nl": "a", "label_en": "a"}]
        ),
        "has no categories",
    ),
    "no variables": (_set("variables", []), "non-empty list"),
    "id other than the file name": (_set("id", "test-2"), "does not match the file name"),
    "published not a date": (_set("published", "2024-13-01"), "must be a date"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_loading_rejects_a_malformed_edition(tmp_path: Path, case: str) -> None:
    breakage, message = MALFORMED[case]
    data = small_edition()
    breakage(data)
    with pytest.raises(CodebookError, match=message):
        load_edition_file(write_edition(tmp_path, data))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"id": "a", "id": "b"}', "duplicate key 'id'"),
        ("[]", "must be an object"),
    ],
)
def test_loading_rejects_a_file_that_is_not_an_edition_object(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "test-1.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=message):
        load_edition_file(path)


# -- unknown, missing and no ----------------------------------------------------------------------


def test_unknown_is_accepted_for_every_variable_even_where_it_does_not_apply(
    edition: Edition,
) -> None:
    values = dict.fromkeys(edition.names, UNKNOWN)
    assert validate_values(edition, values) == values


def test_unknown_is_kept_distinct_from_no_and_from_not_filled_in(edition: Edition) -> None:
    assert validate_values(edition, {"acutely_unsafe": UNKNOWN}) == {"acutely_unsafe": "unknown"}
    assert validate_values(edition, {"acutely_unsafe": "no"}) == {"acutely_unsafe": "no"}
    assert "acutely_unsafe" not in validate_values(edition, {})
    assert UNKNOWN not in edition.variable("acutely_unsafe").codes


def test_unknown_cannot_be_mixed_into_a_multi_select(edition: Edition) -> None:
    reason = errors_of(edition, {"coercion_means": ["violence", UNKNOWN]})["coercion_means"]
    assert "stands alone" in reason


# -- kinds --------------------------------------------------------------------------------------


def test_age_has_no_default_and_starts_empty(edition: Edition) -> None:
    assert not hasattr(edition.variable("age"), "default")
    assert validate_values(edition, {}) == {}
    assert "age" in completeness(edition, {}).missing


@pytest.mark.parametrize("age", [121, -1, True, "15", 15.0, None])
def test_age_rejects_values_outside_whole_years_0_to_120(edition: Edition, age: object) -> None:
    assert "age" in errors_of(edition, {"age": age})


@pytest.mark.parametrize("age", [0, 15, 120])
def test_age_accepts_whole_years_0_to_120(edition: Edition, age: int) -> None:
    assert validate_values(edition, {"age": age}) == {"age": age}


def test_single_select_accepts_only_its_own_codes(edition: Edition) -> None:
    assert validate_values(edition, {"gender": "neutral"}) == {"gender": "neutral"}
    for wrong in ("partner", "Female", ["female"], 1):
        assert "gender" in errors_of(edition, {"gender": wrong})


def test_multi_select_rejects_duplicates(edition: Edition) -> None:
    reason = errors_of(edition, {"exploitation_form": ["sexual", "sexual"]})["exploitation_form"]
    assert "twice" in reason


def test_multi_select_rejects_an_empty_list(edition: Edition) -> None:
    assert "at least one" in errors_of(edition, {"exploitation_form": []})["exploitation_form"]


def test_multi_select_rejects_codes_not_in_the_variable(edition: Edition) -> None:
    assert "exploitation_form" in errors_of(edition, {"exploitation_form": ["sexual", "drugs"]})
    assert "exploitation_form" in errors_of(edition, {"exploitation_form": "sexual"})


def test_multi_select_is_stored_in_category_order(edition: Edition) -> None:
    coded = validate_values(edition, {"exploitation_form": ["labour", "sexual"]})
    assert coded == {"exploitation_form": ["sexual", "labour"]}


@pytest.mark.parametrize("when", ["2021-06-15", "2021-06"])
def test_dates_take_a_day_or_a_month(edition: Edition, when: str) -> None:
    assert validate_values(edition, {"start_date": when}) == {"start_date": when}


@pytest.mark.parametrize("when", ["2021", "2021-13", "2021-02-30", "15-06-2021", "2021-6-1", 2021])
def test_dates_reject_anything_else(edition: Edition, when: object) -> None:
    assert "start_date" in errors_of(edition, {"start_date": when})


def test_text_and_boolean_kinds_are_checked() -> None:
    small = parse_edition(small_edition())
    assert validate_values(small, {"notes": "x" * 2000, "flag": False}) == {
        "notes": "x" * 2000,
        "flag": False,
    }
    errors = errors_of(small, {"notes": "x" * 2001, "flag": "no"})
    assert set(errors) == {"notes", "flag"}
    assert "notes" in errors_of(small, {"notes": "   "})


def test_a_name_outside_the_edition_is_an_error(edition: Edition) -> None:
    assert "not a variable" in errors_of(edition, {"help_question": True})["help_question"]
    assert "hair_colour" in errors_of(edition, {"hair_colour": "red"})


# -- applicability --------------------------------------------------------------------------------


@pytest.mark.parametrize("background", ["client", "family", UNKNOWN])
def test_first_disclosure_is_refused_unless_the_chatter_is_the_victim(
    edition: Edition, background: str
) -> None:
    values = {"chatter_background": background, "first_disclosure": "yes"}
    errors = errors_of(edition, values)
    assert errors == {"first_disclosure": "only coded when chatter_background is victim"}


def test_first_disclosure_is_accepted_for_a_victim_chatter(edition: Edition) -> None:
    values = {"chatter_background": "victim", "first_disclosure": "no", "told_before": ["police"]}
    assert validate_values(edition, values) == values


def test_first_disclosure_may_be_unknown_for_any_chatter(edition: Edition) -> None:
    values = {"chatter_background": "client", "first_disclosure": UNKNOWN}
    assert validate_values(edition, values) == values


def test_meeting_channel_is_refused_when_the_perpetrator_is_family(edition: Edition) -> None:
    values = {"perpetrator_relation": ["family", "ex_partner"], "meeting_channel": "online"}
    reason = errors_of(edition, values)["meeting_channel"]
    assert reason == "only coded when perpetrator_relation does not include family"


def test_meeting_channel_is_accepted_when_the_relation_is_not_family_or_not_known(
    edition: Edition,
) -> None:
    for relation in (["ex_partner"], UNKNOWN, None):
        values: dict[str, object] = {"meeting_channel": "online", "meeting_platforms": ["snapchat"]}
        if relation is not None:
            values["perpetrator_relation"] = relation
        assert validate_values(edition, values) == values


def test_a_sub_code_needs_its_category_chosen(edition: Edition) -> None:
    values = {"perpetrator_relation": ["ex_partner"], "perpetrator_family": "mother"}
    assert "perpetrator_family" in errors_of(edition, values)
    values = {"perpetrator_relation": ["family"], "perpetrator_family": "mother"}
    assert validate_values(edition, values) == values


def test_which_concern_came_first_only_for_combinations_and_among_them(edition: Edition) -> None:
    both = {"exploitation_form": ["sexual", "criminal"], "first_concern": "criminal"}
    assert validate_values(edition, both) == both
    single = {"exploitation_form": ["sexual"], "first_concern": "sexual"}
    assert "at least 2" in errors_of(edition, single)["first_concern"]
    outside = {"exploitation_form": ["sexual", "criminal"], "first_concern": "labour"}
    assert "exploitation_form" in errors_of(edition, outside)["first_concern"]


def test_all_errors_are_reported_at_once(edition: Edition) -> None:
    values = {
        "age": 121,
        "chatter_background": "client",
        "first_disclosure": "yes",
        "coercion_means": [],
        "hair_colour": "red",
    }
    with pytest.raises(CodingErrors) as caught:
        validate_values(edition, values)
    fields = [error.field for error in caught.value.errors]
    assert fields == ["age", "first_disclosure", "coercion_means", "hair_colour"]
    assert caught.value.field == "age"
    assert all(isinstance(error, CodingError) for error in caught.value.errors)


def test_a_wrong_gate_value_does_not_also_blame_what_depends_on_it(edition: Edition) -> None:
    values = {"chatter_background": "victm", "first_disclosure": "yes"}
    assert set(errors_of(edition, values)) == {"chatter_background"}


def test_a_follow_up_of_a_variable_that_does_not_apply_is_refused_too(edition: Edition) -> None:
    values = {"chatter_background": "client", "first_disclosure": "no", "told_before": ["police"]}
    errors = errors_of(edition, values)
    assert errors["told_before"] == (
        "only coded when first_disclosure is no, and first_disclosure does not apply here"
    )
    assert set(errors) == {"first_disclosure", "told_before"}


def test_coding_errors_are_invalid_input_with_the_field(edition: Edition) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_values(edition, {"gender": "x"})
    assert caught.value.status == 400
    assert caught.value.field == "gender"
    assert "gender" in caught.value.message


# -- completeness ---------------------------------------------------------------------------------


def test_completeness_counts_unknown_as_filled(edition: Edition) -> None:
    empty = completeness(edition, {})
    done = completeness(edition, {"age": UNKNOWN, "gender": "female"})
    assert done.filled == empty.filled + 2
    assert done.applicable == empty.applicable
    assert "age" not in done.missing
    assert "gender" not in done.missing


def test_completeness_skips_variables_that_do_not_apply(edition: Edition) -> None:
    client = completeness(edition, {"chatter_background": "client"})
    victim = completeness(edition, {"chatter_background": "victim"})
    assert "first_disclosure" not in client.missing
    assert "first_disclosure" in victim.missing
    assert "client_knowledge" in client.missing
    assert "client_knowledge" not in victim.missing
    family = completeness(edition, {"perpetrator_relation": ["family"]})
    assert "meeting_channel" not in family.missing
    assert "perpetrator_family" in family.missing


def test_completeness_leaves_out_optional_variables(edition: Edition) -> None:
    assert edition.variable("sector").optional
    assert "sector" not in completeness(edition, {}).missing
    assert completeness(edition, {"sector": ["window"]}) == completeness(edition, {})


def test_a_fully_coded_conversation_is_complete(edition: Edition) -> None:
    values = {name: UNKNOWN for name in applicable_variables(edition, {})}
    done = completeness(edition, values)
    assert (done.filled, done.missing) == (done.applicable, ())


# -- editions side by side ------------------------------------------------------------------------


def test_the_2020_edition_still_validates_an_old_coding_with_partner() -> None:
    old = load_edition("ckm-2020")
    coding = {"chatter_background": "partner", "age": 16, "exploitation_form": ["sexual"]}
    assert validate_values(old, coding) == coding
    assert "chatter_background" in errors_of(current_edition(), coding)


# -- age bands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "minor"),
        (17, "minor"),
        (18, "18-22"),
        (22, "18-22"),
        (23, "23-29"),
        (29, "23-29"),
        (30, "30-39"),
        (39, "30-39"),
        (40, "40+"),
        (120, "40+"),
    ],
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


@pytest.mark.parametrize("age", [-1, True])
def test_age_band_refuses_what_is_not_an_age(age: int) -> None:
    with pytest.raises(ValueError, match="whole number"):
        age_band(age)
