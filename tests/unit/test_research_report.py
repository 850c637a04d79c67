"""The yearly report's tables on synthetic years, against figures computed here from the raw rows.

The expectations below read the generator's planned conversations directly (which
visitor, which conversation, what each coding said) and apply the counting rules of
``shared/domain/research-report.md`` themselves; they never call the report code. The
report is made with a small-cell threshold of 1, so every figure is published.
"""

from __future__ import annotations

import base64
import hashlib
import html
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.reports import OpenedReport, Tables, make, planned_records
from triage.codebook import UNKNOWN, load_edition
from triage.research.dataset.pipeline import YearCount, count_year
from triage.research.dataset.synthetic import PlannedConversation, plan
from triage.research.report.figures import AGE_BOUNDS
from triage.research.report.texts import PART_OF, PARTS

YEAR, EARLIER = 2023, (2021, 2022)
#: These tables read ckm-2022 codings, which stay readable after ckm-2022b became current.
EDITION = load_edition("ckm-2022")
PLANS = tuple(plan(y, n, seed=3, edition=EDITION) for y, n in ((2021, 60), (2022, 90), (YEAR, 260)))
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Conversations = list[PlannedConversation]


# -- the report under test ----------------------------------------------------------------------


def counted(year: int) -> YearCount:
    return count_year(planned_records(*PLANS), year, edition=EDITION)


@cache
def report() -> OpenedReport:
    return make(counted(YEAR), [counted(year) for year in EARLIER])


def tables() -> Tables:
    return report().tables


# -- expectations, from the planned rows --------------------------------------------------------


def local_year(moment: datetime) -> int:
    return moment.astimezone(AMSTERDAM).year


def in_order(conversations: Iterable[PlannedConversation]) -> Conversations:
    return sorted(conversations, key=lambda c: (c.started_at, c.id))


def pipeline_visitors(year: int) -> list[Conversations]:
    """Per visitor first seen in ``year``: their help-question conversations of the year."""
    found = []
    for p in PLANS:
        for visitor in p.visitors:
            if local_year(min(c.started_at for c in visitor.conversations)) != year:
                continue
            help_asked = [
                c
                for c in visitor.conversations
                if c.help_question is True and local_year(c.started_at) == year
            ]
            if help_asked:
                found.append(in_order(help_asked))
    return found


def unique_visitors(year: int = YEAR) -> list[Conversations]:
    """Per unique visitor: their conversations left after exclusion."""
    kept = [
        [c for c in visitor if c.excluded_reason is None] for visitor in pipeline_visitors(year)
    ]
    return [conversations for conversations in kept if conversations]


def known(conversations: Conversations, name: str) -> list[Any]:
    return [c.values[name] for c in conversations if c.values.get(name) not in (None, UNKNOWN)]


def one(conversations: Conversations, name: str) -> Any:
    """A person's single answer: the earliest known one (every one agrees in a plan)."""
    answers = known(conversations, name)
    return answers[0] if answers else None


def chosen(conversations: Conversations, name: str) -> set[str] | None:
    """A person's multi-select: the union of what their conversations chose."""
    answers = known(conversations, name)
    return set().union(*answers) if answers else None


def form(conversations: Conversations) -> str | None:
    forms = chosen(conversations, "exploitation_form")
    if forms is None:
        return None
    return "+".join(code for code in EDITION.variable("exploitation_form").codes if code in forms)


def answer(person: Conversations, name: str) -> Any:
    """The person's known answer: a set for a multi-select; ``None`` when not known."""
    multi = EDITION.variable(name).kind == "multi"
    return chosen(person, name) if multi else one(person, name)


def has(person: Conversations, name: str, code: str) -> bool | None:
    value = answer(person, name)
    if value is None:
        return None
    return code in value if isinstance(value, set) else value == code


def persons_with(
    name: str, code: str, persons: list[Conversations] | None = None
) -> list[Conversations]:
    everyone = unique_visitors() if persons is None else persons
    return [person for person in everyone if has(person, name, code)]


def tally(answers: Iterable[str | None]) -> tuple[Counter[str], int]:
    given = [a for a in answers if a is not None]
    return Counter(given), len(given)


def tally_choices(answers: Iterable[set[str] | None]) -> tuple[Counter[str], int]:
    given = [a for a in answers if a is not None]
    return Counter(code for answer in given for code in answer), len(given)


# -- checking the published figures -------------------------------------------------------------


def group_rows(table: str, group: str) -> dict[str, dict[str, str]]:
    return report().group(table, group)


def check(
    table: str,
    group: str,
    counts: Mapping[str, int],
    n: int | None,
    *,
    codes: Iterable[str] = (),
) -> None:
    """Every count row of the group: its count, its denominator n and its percentage."""
    rows = group_rows(table, group)
    expected = {**dict.fromkeys(codes, 0), **counts}
    published = {key for key, row in rows.items() if row["kind"] in ("count", "derived")}
    assert published == set(expected), f"{table}/{group}"
    for key, count in expected.items():
        row = rows[key]
        assert int(row["count"]) == count, f"{table}/{group}/{key}"
        assert row["n"] == ("" if n is None else str(n)), f"{table}/{group}/{key}"
        if n:
            assert float(row["percent"]) == round(100 * count / n, 1)
        else:
            assert row["percent"] == ""


def codes(name: str) -> tuple[str, ...]:
    return EDITION.variable(name).codes


def check_single(
    table: str, group: str, name: str, persons: list[Conversations], **extra: int
) -> None:
    counts, n = tally(one(p, name) for p in persons)
    check(table, group, {**counts, **extra}, n, codes=codes(name))
    assert group_rows(table, group)[codes(name)[0]]["population"] == str(len(persons))


def check_multi(table: str, group: str, name: str, persons: list[Conversations]) -> None:
    counts, n = tally_choices(chosen(p, name) for p in persons)
    check(table, group, counts, n, codes=codes(name))


# -- the tables ---------------------------------------------------------------------------------


def test_the_report_has_every_table_of_the_yearly_figures() -> None:
    assert list(tables()) == [
        "pipeline",
        "channel",
        "exploitation_form",
        "chatter_background",
        "gender",
        "age",
        "age_bands",
        "referral_source",
        "chat_language",
        "first_contact_month",
        "first_disclosure",
        "told_before",
        "acutely_unsafe",
        "duration",
        "time_since",
        "perpetrator_relation",
        "perpetrator_relation_by_form",
        "meeting",
        "perpetrators_and_victims",
        "coercion_means",
        "chapter_sexual",
        "chapter_sexual_alone",
        "client_knowledge",
        "chapter_criminal",
        "chapter_criminal_alone",
        "criminal_acts",
        "chapter_labour",
        "chapter_labour_alone",
        "comparison",
    ]


def test_every_figure_states_its_denominator_in_words() -> None:
    for rows in tables().values():
        assert all(row["denominator"] for row in rows)


def test_the_pipeline_goes_from_conversations_to_unique_visitors() -> None:
    visitors = pipeline_visitors(YEAR)
    conversations = [c for visitor in visitors for c in visitor]
    excluded = [c for c in conversations if c.excluded_reason]
    dropped = [v for v in visitors if all(c.excluded_reason for c in v)]
    steps = {
        "conversations": len(conversations),
        "duplicates": len(conversations) - len(visitors),
        "persons": len(visitors),
        "excluded_conversations": len(excluded),
        "excluded_persons": len(dropped),
        "unique_visitors": len(unique_visitors()),
    }
    reasons = [r.code for r in EDITION.exclusion_reasons]
    check("pipeline", "steps", steps, None)
    check(
        "pipeline",
        "excluded_conversations",
        Counter(c.excluded_reason for c in excluded if c.excluded_reason),
        len(excluded),
        codes=reasons,
    )
    check(
        "pipeline",
        "excluded_persons",
        Counter(v[0].excluded_reason for v in dropped if v[0].excluded_reason),
        len(dropped),
        codes=reasons,
    )
    assert steps["duplicates"] > 0
    assert steps["excluded_persons"] > 0


def test_the_channel_split_is_over_every_conversation_before_duplicates_and_exclusions() -> None:
    conversations = [c for person in pipeline_visitors(YEAR) for c in person]
    counts, n = tally(one([c], "channel") for c in conversations)
    check("channel", "conversations", counts, n, codes=codes("channel"))
    via_partner = [c for c in conversations if c.values.get("channel") == "partner_platform"]
    counts, n = tally(one([c], "partner_platform") for c in via_partner)
    check("channel", "partner_platforms", counts, n, codes=codes("partner_platform"))
    assert len(conversations) > sum(len(person) for person in unique_visitors())


def test_the_channel_split_over_unique_visitors_stands_beside_it() -> None:
    check_single("channel", "visitors", "channel", unique_visitors())


def test_each_combination_of_forms_of_exploitation_counts_separately() -> None:
    counts, n = tally(form(p) for p in unique_visitors())
    combinations = [row["row"] for row in tables()["exploitation_form"] if row["kind"] == "count"]
    totals = {
        f"any_{code}": sum(count for key, count in counts.items() if code in key.split("+"))
        for code in codes("exploitation_form")
    }
    check("exploitation_form", "all", {**counts, **totals}, n, codes=combinations)
    assert {"sexual", "criminal", "sexual+criminal", "labour"} <= set(combinations)
    several = [p for p in unique_visitors() if len(chosen(p, "exploitation_form") or ()) > 1]
    check_single("exploitation_form", "first_concern", "first_concern", several)


def test_chatter_background_is_over_visitors_whose_background_is_known() -> None:
    check_single("chatter_background", "all", "chatter_background", unique_visitors())


def test_gender_is_given_overall_and_per_form() -> None:
    check_single("gender", "all", "gender", unique_visitors())
    for combination in {form(p) for p in unique_visitors()} - {None}:
        assert combination is not None
        with_form = [p for p in unique_visitors() if form(p) == combination]
        check_single("gender", combination, "gender", with_form)


def test_victim_age_gives_bounds_averages_shares_and_bands() -> None:
    ages = sorted(age for p in unique_visitors() if (age := one(p, "age")) is not None)
    minors = [age for age in ages if age < 18]
    rows = group_rows("age", "all")
    assert rows["youngest"]["value"] == f"<{min(b for b in AGE_BOUNDS if b > ages[0])}"
    assert rows["oldest"]["value"] == f">{max(b for b in AGE_BOUNDS if b < ages[-1])}"
    assert float(rows["mean"]["value"]) == round(statistics.fmean(ages), 1)
    assert float(rows["median"]["value"]) == round(statistics.median(ages), 1)
    shares = {
        "minors": len(minors),
        "15_or_younger": sum(age <= 15 for age in ages),
        "under_25": sum(age < 25 for age in ages),
    }
    check("age", "all", shares, len(ages))
    minor_rows = group_rows("age", "minors")
    assert float(minor_rows["mean"]["value"]) == round(statistics.fmean(minors), 1)
    assert float(minor_rows["median"]["value"]) == round(statistics.median(minors), 1)
    assert minor_rows["mean"]["n"] == str(len(minors))
    bands = Counter(
        "minor"
        if a < 18
        else "18-22"
        if a <= 22
        else "23-29"
        if a <= 29
        else "30-39"
        if a <= 39
        else "40+"
        for a in ages
    )
    check("age_bands", "all", bands, len(ages), codes=("minor", "18-22", "23-29", "30-39", "40+"))


def test_first_disclosure_is_over_victim_chatters_and_over_all_the_acutely_unsafe() -> None:
    victims = persons_with("chatter_background", "victim")
    check_single("first_disclosure", "victim_chatters", "first_disclosure", victims)
    unsafe = persons_with("acutely_unsafe", "yes", victims)
    answers = Counter(one(p, "first_disclosure") or "unknown" for p in unsafe)
    check(
        "first_disclosure",
        "acutely_unsafe",
        answers,
        len(unsafe),
        codes=("yes", "no", "unknown"),
    )
    assert answers["unknown"] > 0


def test_whom_they_told_before_is_over_victim_chatters_who_told_before() -> None:
    told = persons_with("first_disclosure", "no", persons_with("chatter_background", "victim"))
    check_multi("told_before", "victim_chatters", "told_before", told)


def test_the_acutely_unsafe_share_is_over_known_cases() -> None:
    check_single("acutely_unsafe", "all", "acutely_unsafe", unique_visitors())


def test_duration_counts_more_than_one_two_and_five_years() -> None:
    counts, n = tally(one(p, "duration") for p in unique_visitors())
    over_2 = counts["years_2_to_5"] + counts["over_5_years"] + counts["several_years"]
    longer = {
        "more_than_1_year": counts["years_1_to_2"] + over_2,
        "more_than_2_years": over_2,
        "more_than_5_years": counts["over_5_years"],
    }
    check("duration", "all", {**counts, **longer}, n, codes=codes("duration"))


def test_perpetrator_relation_has_its_sub_codes_and_the_parents() -> None:
    check_multi("perpetrator_relation", "all", "perpetrator_relation", unique_visitors())
    family = persons_with("perpetrator_relation", "family")
    counts, n = tally(one(p, "perpetrator_family") for p in family)
    parents = counts["father_stepfather"] + counts["mother"] + counts["both_parents"]
    check(
        "perpetrator_relation",
        "family",
        {**counts, "parents": parents},
        n,
        codes=codes("perpetrator_family"),
    )
    social = persons_with("perpetrator_relation", "social_environment")
    check_single("perpetrator_relation", "social_environment", "perpetrator_social", social)


def test_perpetrator_relation_is_given_per_form() -> None:
    for combination in {form(p) for p in unique_visitors()} - {None}:
        assert combination is not None
        with_form = [p for p in unique_visitors() if form(p) == combination]
        check_multi("perpetrator_relation_by_form", combination, "perpetrator_relation", with_form)


def test_how_they_met_leaves_out_family_perpetrators() -> None:
    not_family = [
        p for p in unique_visitors() if "family" not in (chosen(p, "perpetrator_relation") or set())
    ]
    check_single("meeting", "channel", "meeting_channel", not_family)
    online = persons_with("meeting_channel", "online")
    check_multi("meeting", "platforms", "meeting_platforms", online)


def test_multiple_perpetrators_other_victims_and_both() -> None:
    persons = unique_visitors()
    check_single(
        "perpetrators_and_victims", "multiple_perpetrators", "multiple_perpetrators", persons
    )
    check_single("perpetrators_and_victims", "other_victims_known", "other_victims_known", persons)
    pairs = [(one(p, "multiple_perpetrators"), one(p, "other_victims_known")) for p in persons]
    both_known = [pair for pair in pairs if None not in pair]
    both = sum(pair == ("yes", "yes") for pair in both_known)
    check(
        "perpetrators_and_victims",
        "both",
        {"both": both, "not_both": len(both_known) - both},
        len(both_known),
    )


def test_coercion_counts_visitors_with_one_means_or_more_mentions_and_each_means() -> None:
    persons = unique_visitors()
    mentioned = [p for p in persons if chosen(p, "coercion_means") is not None]
    check("coercion_means", "at_least_one", {"at_least_one": len(mentioned)}, len(persons))
    counts, n = tally_choices(chosen(p, "coercion_means") for p in mentioned)
    mentions = sum(len(chosen(p, "coercion_means") or ()) for p in mentioned)
    rows = group_rows("coercion_means", "means")
    assert rows["mentions"]["count"] == str(mentions)
    assert rows["mentions"]["percent"] == ""
    assert all(row["n"] == str(n) for key, row in rows.items() if key != "mentions")
    for code in codes("coercion_means"):
        assert rows[code]["count"] == str(counts[code])
    violence = persons_with("coercion_means", "violence")
    check_multi("coercion_means", "violence", "violence_forms", violence)


def test_criminal_acts_are_over_visitors_with_criminal_exploitation() -> None:
    criminal = persons_with("exploitation_form", "criminal")
    check_multi("criminal_acts", "criminal_exploitation", "criminal_acts", criminal)


def test_client_knowledge_and_indicators_are_over_client_chatters() -> None:
    clients = persons_with("chatter_background", "client")
    counts, n = tally(one(p, "client_knowledge") for p in clients)
    knew = counts["yes"] + counts["should_have_known"]
    check(
        "client_knowledge",
        "knowledge",
        {**counts, "knew_or_should_have_known": knew},
        n,
        codes=codes("client_knowledge"),
    )
    check_multi("client_knowledge", "indicators", "client_indicators", clients)


def test_the_comparison_gives_each_years_figures_over_that_years_known_cases() -> None:
    for year in (*EARLIER, YEAR):
        persons = unique_visitors(year)

        def share(
            test: Callable[[Conversations], bool | None], persons: list[Conversations] = persons
        ) -> tuple[int, int]:
            answers = [a for a in map(test, persons) if a is not None]
            return sum(answers), len(answers)

        figures = {
            "victim_chatters": share(lambda p: has(p, "chatter_background", "victim")),
            "minors": share(lambda p: None if (a := one(p, "age")) is None else a < 18),
            "acutely_unsafe": share(lambda p: has(p, "acutely_unsafe", "yes")),
            **{
                f"any_{code}": share(lambda p, code=code: has(p, "exploitation_form", code))
                for code in codes("exploitation_form")
            },
        }
        rows = group_rows("comparison", str(year))
        assert rows["unique_visitors"]["count"] == str(len(persons))
        assert rows["conversations"]["count"] == str(sum(len(v) for v in pipeline_visitors(year)))
        for key, (count, n) in figures.items():
            assert (rows[key]["count"], rows[key]["n"]) == (str(count), str(n)), f"{year}/{key}"


# -- the page -----------------------------------------------------------------------------------


def test_the_page_fetches_nothing_and_runs_no_script() -> None:
    page = report().page.lower()
    for reference in ("<script", "http:", "https:", " src=", "<link", "url(", "@import"):
        assert reference not in page


def test_the_pages_own_policy_allows_exactly_its_stylesheet() -> None:
    page = report().page
    style = page.split("<style>")[1].split("</style>")[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'sha256-{digest}'"
    assert f'<meta http-equiv="Content-Security-Policy" content="{policy}">' in page


def table_section(page: str, key: str) -> str:
    return page.split(f'<section class="table" id="t-{key}">')[1].split("</section>")[0]


def test_the_page_is_in_chapters_as_ckms_report_each_with_its_tables_in_order() -> None:
    page = report().page
    chapters = {p.split('"')[0]: p for p in page.split('<section class="part" id="p-')[1:]}
    assert list(chapters) == list(PARTS)
    found = {
        table.split('"')[0]: part
        for part, chapter in chapters.items()
        for table in chapter.split('<section class="table" id="t-')[1:]
    }
    assert list(found) == list(tables())  # numbered as the CSV files are
    assert found == {
        key: f"form_{key.split('_')[1]}" if key.startswith("chapter_") else PART_OF[key]
        for key in found
    }
    assert found["client_knowledge"] == "form_sexual"
    assert found["criminal_acts"] == "form_criminal"


def test_every_table_has_a_caption_stating_its_denominator() -> None:
    opened = report()
    for key, rows in tables().items():
        section = table_section(opened.page, key)
        captions = [c.split("</caption>")[0] for c in section.split("<caption>")[1:]]
        denominators = {row["denominator"] for row in rows}
        assert captions, key
        for denominator in denominators:
            said = html.escape(denominator[:1].upper() + denominator[1:])
            assert any(html.escape(denominator) in c or said in c for c in captions), key


def test_charts_are_drawn_where_ckm_draws_a_figure_and_captioned_with_its_n() -> None:
    page = report().page
    assert page.count("<svg") == page.count("<figure>") == page.count("<figcaption>")
    drawn = {
        (key, number)
        for key in tables()
        for number in ("Figuur 2.", "Figuur 11.", "Figuur 12.", "Figuur 13.")
        if number in table_section(page, key)
    }
    assert drawn == {
        ("exploitation_form", "Figuur 2."),
        ("chapter_sexual_alone", "Figuur 11."),
        ("chapter_criminal", "Figuur 12."),
        ("chapter_criminal", "Figuur 13."),
    }
    criminal = table_section(page, "chapter_criminal")
    n = tables()["chapter_criminal"]
    acts = next(row["n"] for row in n if row["group"] == "criminal_acts")
    assert f"Figuur 12. Vormen van criminele uitbuiting (n = {acts})</figcaption>" in criminal
    assert "<svg" not in table_section(page, "comparison")


def test_the_comparison_shows_the_mean_and_median_age_of_every_year() -> None:
    comparison = table_section(report().page, "comparison")
    mean = comparison.split("Gemiddelde leeftijd</th>")[1].split("</tr>")[0]
    assert mean.count('<td class="num">') == len(EARLIER) + 1
    assert '<td class="num"></td>' not in mean


def test_labels_are_dutch_by_default_and_english_on_request() -> None:
    dutch = report()
    english = make(counted(YEAR), language="en")
    assert '<html lang="nl">' in dutch.page
    assert "Vorm van mensenhandel" in dutch.page
    assert dutch.group("gender", "all")["female"]["label"] == "Vrouw"
    assert '<html lang="en">' in english.page
    assert "Form of exploitation" in english.page
    assert english.group("gender", "all")["female"]["label"] == "Female"
