"""Small-cell control in the yearly report, on small hand-made years (threshold 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.reports import OpenedReport, make, planned_records
from triage.codebook import load_edition
from triage.research.dataset.pipeline import ConversationRecord, YearCount, count_year
from triage.research.dataset.synthetic import plan

THRESHOLD = 5
#: ckm-2022 codings (yes/no variables), still readable under the current ckm-2022b.
EDITION = load_edition("ckm-2022")


def year_of(*codings: dict[str, Any]) -> YearCount:
    """One unlinked conversation per coding, each a unique visitor of 2024."""
    start = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    records = [
        ConversationRecord(f"c{i}", start + timedelta(hours=i), None, True, None, values)
        for i, values in enumerate(codings)
    ]
    return count_year(records, 2024, edition=EDITION)


def genders(**options: Any) -> OpenedReport:
    codings = [{"gender": "female"}] * 10 + [{"gender": "male"}] * 6 + [{"gender": "neutral"}] * 2
    return make(year_of(*codings), threshold=THRESHOLD, **options)


def test_a_small_count_is_hidden_with_its_percentage() -> None:
    neutral = genders().group("gender", "all")["neutral"]
    assert (neutral["count"], neutral["percent"], neutral["flag"]) == ("", "", "suppressed")
    assert neutral["n"] == "18"


def test_a_second_count_is_hidden_so_that_the_first_cannot_be_worked_out_from_n() -> None:
    rows = genders().group("gender", "all")
    assert rows["male"]["flag"] == "suppressed"
    assert (rows["female"]["count"], rows["female"]["percent"]) == ("10", "55.6")


def test_flagging_shows_small_counts_marked_instead_of_hiding_them() -> None:
    rows = genders(small_cells="flag").group("gender", "all")
    assert (rows["neutral"]["count"], rows["neutral"]["flag"]) == ("2", "small")
    assert (rows["male"]["count"], rows["male"]["flag"]) == ("6", "")


def test_a_group_of_fewer_cases_than_the_threshold_is_hidden_whole() -> None:
    clients = [{"chatter_background": "client", "client_knowledge": "yes"}] * 3
    others = [{"chatter_background": "victim"}] * 20
    rows = make(year_of(*clients, *others), threshold=THRESHOLD).group(
        "client_knowledge", "knowledge"
    )
    assert {row["flag"] for row in rows.values()} == {"suppressed"}
    assert {(row["count"], row["n"], row["population"]) for row in rows.values()} == {("", "", "")}


def test_a_sum_is_shown_only_when_no_hidden_count_can_be_worked_out_from_it() -> None:
    durations = {
        "under_3_months": 10,
        "months_3_to_12": 7,
        "years_1_to_2": 6,
        "years_2_to_5": 8,
        "over_5_years": 2,
    }
    codings = [{"duration": code} for code, count in durations.items() for _ in range(count)]
    rows = make(year_of(*codings), threshold=THRESHOLD).group("duration", "all")
    hidden = {key for key, row in rows.items() if row["flag"] == "suppressed"}
    # 2 is small; 6 hides with it; "more than 1 year" adds both up (8: safe), but "more than
    # 2 years" minus 2-5 years would give the 2 away.
    assert hidden == {"over_5_years", "years_1_to_2", "more_than_2_years", "more_than_5_years"}
    assert rows["more_than_1_year"]["count"] == "16"


def test_age_bounds_are_fixed_ages_beyond_the_extremes_never_an_exact_age() -> None:
    ages = [11, 13, 14, 15, 16, 17, 30, 44, 52, 67]
    year = year_of(*({"age": age} for age in ages))
    for threshold in (THRESHOLD, 1):
        rows = make(year, threshold=threshold).group("age", "all")
        assert (rows["youngest"]["value"], rows["oldest"]["value"]) == ("<12", ">65")
    assert "jonger dan 12" in make(year, threshold=1).page


def test_one_victim_beyond_a_bound_is_enough_for_it() -> None:
    year = year_of(*({"age": age} for age in [20, 22, 25, 31, 33, 70]))
    rows = make(year, threshold=THRESHOLD).group("age", "all")
    assert (rows["youngest"]["value"], rows["oldest"]["value"]) == ("<21", ">65")


def test_pipeline_totals_are_shown_even_when_small() -> None:
    steps = make(year_of({}, {}, {}), threshold=THRESHOLD).group("pipeline", "steps")
    assert (steps["unique_visitors"]["count"], steps["unique_visitors"]["flag"]) == ("3", "")


def test_no_published_count_or_denominator_is_small_in_a_synthetic_year() -> None:
    records = planned_records(plan(2024, 150, seed=8, edition=EDITION))
    published = make(count_year(records, 2024, edition=EDITION), threshold=THRESHOLD)
    totals = {
        ("pipeline", "steps"),
        ("comparison", "conversations"),
        ("comparison", "unique_visitors"),
    }
    suppressed = 0
    for table, rows in published.tables.items():
        for row in rows:
            if (table, row["group"]) in totals or (table, row["row"]) in totals:
                continue
            for figure in (row["count"], row["n"], row["population"]):
                assert figure == "" or not 0 < int(figure) < THRESHOLD, (table, row)
            suppressed += row["flag"] == "suppressed"
    assert suppressed > 0
