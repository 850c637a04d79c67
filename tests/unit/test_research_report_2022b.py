"""A year coded under ckm-2022b: the report reads presence variables, main relation and clients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from triage.codebook import UNKNOWN, load_edition
from triage.research.dataset.pipeline import ConversationRecord, count_year
from triage.research.report.figures import yearly_tables
from triage.research.report.jobs import parse_options
from triage.research.report.small_cells import control
from triage.research.report.tables import Table

EDITION = load_edition("ckm-2022b")

VICTIM: dict[str, Any] = {"chatter_background": "victim", "exploitation_form": ["sexual"]}
CODINGS: list[dict[str, Any]] = [
    {
        **VICTIM,
        "perpetrator_main": "family",
        "perpetrator_family": "father_stepfather",
        "multiple_perpetrators": "mentioned",
        "perpetrator_others": ["ex_partner"],
        "other_victims_known": "mentioned",
        "coercion_mentioned": "mentioned",
        "coercion_means": ["living_in", "sextortion"],
        "clients_discussed": "mentioned",
        "client_knowledge": "knew",
        "client_indicators": ["trafficker_present", "client_filmed"],
    },
    {
        **VICTIM,
        "perpetrator_main": "ex_partner",
        "multiple_perpetrators": "not_mentioned",
        "other_victims_known": "not_mentioned",
        "coercion_mentioned": "not_mentioned",
        "clients_discussed": "mentioned",
        "client_knowledge": "should_have_known",
        "client_indicators": ["none_mentioned"],
    },
    {
        **VICTIM,
        "perpetrator_main": "ex_partner",
        "multiple_perpetrators": UNKNOWN,
        "other_victims_known": "not_mentioned",
        "coercion_mentioned": "not_mentioned",
        "clients_discussed": "not_mentioned",
    },
]


def tables() -> dict[str, Table]:
    records = [
        ConversationRecord(f"c{i}", datetime(2022, 3, 1 + i, 12, tzinfo=UTC), None, True, None, c)
        for i, c in enumerate(CODINGS)
    ]
    return {
        t.key: t for t in yearly_tables(count_year(records, 2022, edition=EDITION), small_cell=1)
    }


def test_the_main_relation_partitions_the_victims_and_adds_up_to_all_known() -> None:
    group = tables()["perpetrator_relation"].group("all")
    assert group.partition
    assert (group.row("family").count, group.row("ex_partner").count, group.n) == (1, 2, 3)


def test_not_mentioned_counts_in_the_denominator_and_unknown_does_not() -> None:
    table = tables()["perpetrators_and_victims"]
    multiple = table.group("multiple_perpetrators")
    assert (multiple.row("mentioned").count, multiple.n) == (1, 2)
    others = table.group("other_victims_known")
    assert (others.row("mentioned").count, others.n) == (1, 3)


def test_coercion_means_count_the_visitors_with_them_mentioned_over_everyone() -> None:
    row = tables()["coercion_means"].group("at_least_one").row("at_least_one")
    assert (row.count, row.n) == (1, 3)


def test_client_knowledge_counts_wherever_clients_are_discussed_should_have_known_apart() -> None:
    group = tables()["client_knowledge"].group("knowledge")
    assert (group.row("knew").count, group.row("should_have_known").count, group.n) == (1, 1, 2)
    assert not any(row.derived for row in group.rows)


def test_the_client_analysis_counts_over_the_conversations_where_clients_knew() -> None:
    group = tables()["client_knowledge"].group("analysis")
    two = group.row("two_or_more_indicators")
    assert (two.count, two.n) == (1, 1)
    assert group.row("client_filmed").count == 1
    parents = group.row("trafficker_present_parents")
    assert parents.n == 1


def test_should_have_known_is_kept_apart_with_how_young_the_victims_were() -> None:
    group = tables()["client_knowledge"].group("should_have_known")
    assert group.row("should_have_known").count == 1
    assert group.row("minors").n == group.n == 0  # no age coded


def test_a_share_over_all_cases_is_given_beside_the_share_over_known_ones() -> None:
    row = tables()["perpetrators_and_victims"].group("multiple_perpetrators").row("mentioned")
    assert (row.count, row.n, row.n_all) == (1, 2, 3)
    assert (row.percent, row.percent_all) == (50.0, 33.3)


def test_living_in_with_exploiting_parents_is_counted_among_those_living_in() -> None:
    row = tables()["coercion_means"].group("living_in").row("parents")
    assert (row.count, row.n) == (1, 1)


def test_a_chapter_per_form_also_counts_the_visitors_with_that_form_alone() -> None:
    assert tables()["chapter_sexual_alone"].group("visitors").row("visitors").count == 3


def test_still_in_exploitation_at_first_contact_is_shown_over_victim_chatters() -> None:
    assert tables()["acutely_unsafe"].group("victim_chatters").population == 3


def test_referral_source_adds_the_three_kinds_of_care_services() -> None:
    row = tables()["referral_source"].group("all").row("care")
    assert row.atoms == ("care_professional", "kindertelefoon", "care_unspecified")


def test_a_chapter_per_form_counts_the_visitors_of_that_form_including_combinations() -> None:
    chapter = tables()["chapter_sexual"]
    visitors = chapter.group("visitors")
    assert visitors.row("visitors").count == 3
    assert visitors.row("victim_chatters").count == 3
    assert chapter.group("perpetrator_main").row("ex_partner").count == 2
    assert tables()["chapter_criminal"].group("visitors").row("visitors").count == 0


def test_first_conversations_are_counted_by_month_over_all_visitors() -> None:
    group = tables()["first_contact_month"].group("all")
    assert (group.row("03").count, group.n) == (3, 3)


def test_the_ckm_profile_publishes_small_counts_and_the_default_stays_suppress() -> None:
    exact = tuple(tables().values())
    assert control(exact, 5, "publish") == exact
    assert control(exact, 5, "suppress") != exact
    assert parse_options({"year": 2022}, this_year=2026).small_cells == "suppress"
    chosen = parse_options({"year": 2022}, this_year=2026, small_cells="publish")
    assert chosen.small_cells == "publish"
