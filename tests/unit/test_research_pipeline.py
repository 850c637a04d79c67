"""The yearly counting pipeline and the merge rule, on hand-made conversation records."""

from __future__ import annotations

from tests.support.records import conversation
from triage.codebook import UNKNOWN, current_edition
from triage.research.dataset.pipeline import NOT_APPLICABLE, count_year, merge_values

EDITION = current_edition()


def test_linked_conversations_count_as_one_person() -> None:
    records = [
        conversation("2024-02-01T12:00", person="p"),
        conversation("2024-03-01T12:00", person="p"),
        conversation("2024-04-01T12:00"),
    ]
    counts = count_year(records, 2024).counts
    assert (counts.conversations, counts.persons, counts.duplicates) == (3, 2, 1)
    assert counts.unique_visitors == 2


def test_a_visitor_first_seen_the_year_before_is_not_counted() -> None:
    records = [
        conversation("2023-12-20T12:00", person="p", help_question=False),
        conversation("2024-01-05T12:00", person="p"),
    ]
    assert count_year(records, 2024).counts.conversations == 0


def test_only_conversations_in_the_year_with_a_help_question_count() -> None:
    records = [
        conversation("2024-05-01T12:00", person="p", help_question=None),
        conversation("2024-06-01T12:00", person="p", help_question=True),
        conversation("2025-01-02T12:00", person="p", help_question=True),
        conversation("2024-07-01T12:00", help_question=False),
    ]
    year = count_year(records, 2024)
    assert (year.counts.conversations, year.counts.unique_visitors) == (1, 1)
    assert year.persons[0].first_contact.month == 5


def test_the_year_ends_at_midnight_in_the_netherlands() -> None:
    new_year_in_amsterdam = conversation("2024-12-31T23:30")
    assert count_year([new_year_in_amsterdam], 2024).counts.conversations == 0
    assert count_year([new_year_in_amsterdam], 2025).counts.conversations == 1


def test_exclusions_are_removed_and_counted_by_reason() -> None:
    records = [
        conversation("2024-02-01T12:00", person="p", excluded="other"),
        conversation("2024-03-01T12:00", person="p"),
        conversation("2024-04-01T12:00", excluded="other_sexual_violence"),
        conversation("2024-05-01T12:00", person="q", excluded="other"),
        conversation("2024-06-01T12:00", person="q", excluded="financial_or_extortion"),
    ]
    counts = count_year(records, 2024).counts
    assert counts.excluded_conversations == 4
    assert counts.excluded_conversations_by_reason == {
        "financial_or_extortion": 1,
        "other": 2,
        "other_sexual_violence": 1,
    }
    assert counts.excluded_persons_by_reason == {"other": 1, "other_sexual_violence": 1}
    assert (counts.persons, counts.unique_visitors) == (3, 1)


def test_a_persons_values_come_from_the_earliest_conversation_that_knows_them() -> None:
    merged = merge_values(
        EDITION,
        [
            {"age": UNKNOWN, "gender": "female"},
            {"age": 15, "gender": "male"},
            {"age": 16},
        ],
    )
    assert (merged["age"], merged["gender"]) == (15, "female")


def test_unknown_stays_distinct_from_not_coded() -> None:
    merged = merge_values(EDITION, [{"age": UNKNOWN}, {}])
    assert merged["age"] == UNKNOWN
    assert "gender" not in merged


def test_multi_selects_are_the_union_in_codebook_order() -> None:
    merged = merge_values(
        EDITION,
        [
            {"exploitation_form": ["criminal"]},
            {"exploitation_form": UNKNOWN},
            {"exploitation_form": ["sexual"]},
        ],
    )
    assert merged["exploitation_form"] == ["sexual", "criminal"]


def test_a_detail_whose_condition_fails_after_merging_is_not_applicable() -> None:
    merged = merge_values(
        EDITION,
        [
            {"perpetrator_relation": ["social_environment"], "meeting_channel": "online"},
            {"perpetrator_relation": ["family"]},
        ],
    )
    assert merged["meeting_channel"] == NOT_APPLICABLE
    assert merged["first_disclosure"] == NOT_APPLICABLE  # chatter background not known
