"""A year of codings matching CKM's published 2022 figures (shared/domain/published-2022.md).

Built here from the published counts alone, never from the report code: each visitor's coding
under ckm-2022b is laid out by index ranges so that every published count, and every
crossing the report shows (gender per form, the victims still in exploitation who told
before, the clients who knew and how young they were), comes out as printed. The
fidelity test feeds it through the server's public API as counsellors would.

Visitors 0-209 have sexual exploitation alone, 210-223 criminal alone, 224-228 both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

UNKNOWN = "unknown"
SEXUAL = range(0, 210)
CRIMINAL_ALONE = range(210, 224)
BOTH = range(224, 229)
CRIMINAL = range(210, 229)
VISITORS = 229
#: Conversations of step 1 (before duplicates and exclusions), and how they are made up.
CONVERSATIONS, DUPLICATES, EXCLUDED = 308, 18, 61
#: The channel split over all 308 conversations: 217 direct, 91 via the CSG platform.
VIA_PARTNER = 91

Coding = dict[str, object]


@dataclass
class PublishedVisitor:
    coding: Coding = field(default_factory=dict)
    #: A second conversation under another username, linked to the first.
    duplicate: bool = False


@dataclass(frozen=True)
class ExcludedConversation:
    reason: str


def _ages() -> dict[int, int]:
    """Ages of the 183 victim-chatters of sexual exploitation alone, and of 18 of the 19
    visitors about criminal exploitation (youngest 12, oldest 26, mean 19, median 17)."""
    minors = [11] + [12] * 4 + [13] * 20 + [14] * 5 + [15] * 5 + [16] * 18 + [17] * 20
    young = [18] * 10 + [19] * 15 + [20] * 9 + [21] * 8 + [22] * 8 + [23] * 8 + [24] * 8
    older = [25] * 8 + [28] * 8 + [30] * 8 + [32] * 8 + [35] * 6 + [40] * 5 + [70]
    sexual = minors + young + older
    criminal = [12, 14, 15, 16, 16, 17, 17, 17, 17, 17, 19, 21, 22, 23, 24, 25, 26, 26]
    return {**dict(enumerate(sexual)), **dict(zip(range(210, 228), criminal, strict=True))}


def _spread(counts: dict[str, int], who: list[int]) -> dict[int, str]:
    """The codes handed out in order, ``counts[code]`` each, to ``who``."""
    codes = [code for code, count in counts.items() for _ in range(count)]
    assert len(codes) == len(who), (len(codes), len(who))
    return dict(zip(who, codes, strict=True))


def _rolling(counts: dict[str, int], who: list[int]) -> dict[int, list[str]]:
    """Each code to ``counts[code]`` people in turn, wrapping round ``who``: no one gets a
    code twice, and everyone gets one when the counts add up to at least ``len(who)``."""
    chosen: dict[int, list[str]] = {person: [] for person in who}
    offset = 0
    for code, count in counts.items():
        for step in range(count):
            chosen[who[(offset + step) % len(who)]].append(code)
        offset += count
    return chosen


#: The clients analysis: 43 who knew (23 of them 13 or younger), 8 "should have known".
KNEW = [*range(0, 23), *range(35, 55)]
SHOULD_HAVE_KNOWN = [25, 26, 27, 30, 31, 32, 33, 80]
CLIENTS_DISCUSSED = [*range(0, 188)]


def _client_indicators() -> dict[int, list[str]]:
    """Trafficker present 28, violence 24, coercion 10, filmed 8, unwilling 6; 32 with two
    or more: dealt slot by slot over the 43, so nobody has one indicator twice."""
    slots = [KNEW, KNEW[:32], KNEW[:1]]
    tokens = (
        ["trafficker_present"] * 28
        + ["client_violence"] * 24
        + ["client_coercion"] * 10
        + ["client_filmed"] * 8
        + ["victim_unwilling"] * 6
    )
    chosen: dict[int, list[str]] = {person: [] for person in KNEW}
    places = [person for slot in slots for person in slot]
    for person, token in zip(places, tokens, strict=True):
        assert token not in chosen[person]
        chosen[person].append(token)
    return chosen


def _durations() -> dict[int, str]:
    """103 known of sexual exploitation alone (>1 year 55, >2 years 43, >5 years 18), 28 of
    them among the clients who knew (18 longer than a year); 7 of criminal exploitation."""
    knew = _spread(
        {
            "over_5_years": 8,
            "years_2_to_5": 6,
            "years_1_to_2": 4,
            "months_3_to_12": 6,
            "under_3_months": 4,
        },
        KNEW[:28],
    )
    others = _spread(
        {
            "over_5_years": 10,
            "years_2_to_5": 14,
            "several_years": 5,
            "years_1_to_2": 8,
            "months_3_to_12": 22,
            "under_3_months": 16,
        },
        [*range(60, 135)],
    )
    criminal = _spread(
        {"months_3_to_12": 3, "years_1_to_2": 2, "years_2_to_5": 2}, [*range(210, 217)]
    )
    return {**knew, **others, **criminal}


def _relations() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Main perpetrator (sexual alone: 164 known, criminal: 18 of 19), family and social
    sub-codes."""
    main = {
        **_spread(
            {"family": 37, "social_environment": 18, "stranger": 2, "ex_partner": 107},
            [*range(0, 164)],
        ),
        **_spread({"ex_partner": 10, "social_environment": 6, "family": 2}, [*range(210, 228)]),
    }
    family = {
        **_spread(
            {
                "father_stepfather": 21,
                "mother": 4,
                "both_parents": 3,
                "sibling": 4,
                "other": 5,
            },
            [*range(0, 37)],
        ),
        226: "mother",
        227: "unknown_how",
    }
    social = {
        **_spread(
            {
                "friends_acquaintances": 5,
                "friends_of_network": 5,
                "social_media": 5,
                "other": 3,
            },
            [*range(37, 55)],
        ),
        **dict.fromkeys(range(220, 226), "friends_acquaintances"),
    }
    return main, family, social


def _coercion() -> dict[int, list[str]]:
    """158 with at least one means, 337 mentions; living in: 60, of whom the 24 children
    living with the parents who exploit them (visitors 0-23)."""
    who = [*range(0, 158)]
    chosen = _rolling(
        {
            "violence": 90,
            "sextortion": 70,
            "financial_dependence": 40,
            "substance_dependence": 30,
            "age_difference": 25,
            "intellectual_disability": 12,
            "other": 10,
        },
        who,
    )
    for person in [*range(0, 24), *range(28, 64)]:
        chosen[person].append("living_in")
    return chosen


def _background(index: int) -> str:
    if index < 183 or 210 <= index < 226:
        return "victim"
    if index in (209,):
        return "ex_partner"
    if 196 <= index < 209 or index == 228:
        return "family"
    return "social_environment"


def _gender(index: int) -> str:
    if 100 <= index < 110 or 210 <= index < 213:
        return "male"
    if index in (110, 213):
        return "neutral"
    if index in (205, 206):
        return UNKNOWN
    return "female"


def _first_disclosure() -> dict[int, str]:
    """Victims still in exploitation (134): 90 told for the first time, 27 had told before;
    the other 65 victims: 14 and 44 (first disclosure known for 175 in all)."""
    unsafe = [*range(0, 118), *range(210, 226)]
    safe = [*range(118, 183)]
    return {
        **_spread({"yes": 90, "no": 27, UNKNOWN: 17}, unsafe),
        **_spread({"yes": 14, "no": 44, UNKNOWN: 7}, safe),
    }


def _acutely_unsafe(index: int) -> str | None:
    if index < 118 or 210 <= index < 226:
        return "yes"
    if index < 168 or index >= 226:
        return "no"
    return UNKNOWN if index < 183 else None


def _referral() -> dict[int, str]:
    counts = {
        "care_professional": 9,
        "kindertelefoon": 6,
        "care_unspecified": 2,
        "search_engine": 10,
        "media": 3,
        "close_environment": 1,
        "partner_website": 2,
    }
    return _spread(counts, [(i * 7) % VISITORS for i in range(sum(counts.values()))])


def _meeting() -> tuple[dict[int, str], dict[int, list[str]]]:
    """Known for 92 without a family perpetrator: 71 offline, 21 online (dating apps and
    Instagram named most)."""
    channel = _spread({"offline": 71, "online": 21}, [*range(37, 129)])
    platforms = _spread(
        {"dating_app": 8, "instagram": 7, "snapchat": 3, "facebook": 2, "telegram": 1},
        [*range(108, 129)],
    )
    return channel, {person: [code] for person, code in platforms.items()}


def _time_since() -> dict[int, str]:
    """Fig 9: known for 171 of sexual exploitation alone (the values are not published)."""
    codes = ["under_3_months", "months_3_to_12", "years_1_to_2", "years_2_to_5", "over_5_years"]
    return {index: codes[index % len(codes)] for index in range(171)}


def visitors() -> list[PublishedVisitor]:
    """The 229 unique visitors, each with the coding of their first conversation."""
    ages, durations = _ages(), _durations()
    main, family, social = _relations()
    coercion, indicators = _coercion(), _client_indicators()
    disclosure, referral = _first_disclosure(), _referral()
    meeting, platforms = _meeting()
    time_since = _time_since()
    knowledge = {
        **dict.fromkeys(KNEW, "knew"),
        **dict.fromkeys(SHOULD_HAVE_KNOWN, "should_have_known"),
    }
    others = [i for i in CLIENTS_DISCUSSED if i not in knowledge]
    knowledge.update(_spread({"did_not_know": 100, UNKNOWN: 37}, others))
    multiple = {*range(100, 155), *range(210, 216)}
    other_victims = {*range(142, 162), 220, 221}
    people: list[PublishedVisitor] = []
    for index in range(VISITORS):
        background = _background(index)
        forms = ["sexual"] if index in SEXUAL else ["criminal"]
        if index in BOTH:
            forms = ["sexual", "criminal"]
        coding: Coding = {
            "chatter_background": background,
            "referral_source": referral.get(index, UNKNOWN),
            "chat_language": "en" if index in (50, 150) else "nl",
            "exploitation_form": forms,
            "age": ages.get(index, UNKNOWN),
            "gender": _gender(index),
            "duration": durations.get(index, UNKNOWN),
            "time_since_start": time_since.get(index, UNKNOWN),
            "perpetrator_main": main.get(index, UNKNOWN),
            "multiple_perpetrators": "mentioned" if index in multiple else "not_mentioned",
            "other_victims_known": "mentioned" if index in other_victims else "not_mentioned",
            "coercion_mentioned": "mentioned" if index in coercion else "not_mentioned",
            "clients_discussed": "mentioned" if index in CLIENTS_DISCUSSED else "not_mentioned",
        }
        if index in BOTH:
            coding["first_concern"] = "sexual" if index < 227 else "named_together"
        if index in CRIMINAL:
            acts = ["drugs"] if index < 223 else ["theft"] if index < 226 else []
            coding["criminal_acts"] = acts or [
                ("money_laundering", "recruiting", "other")[index - 226]
            ]
        if (unsafe := _acutely_unsafe(index)) is not None:
            coding["acutely_unsafe"] = unsafe
        if background == "victim":
            coding["first_disclosure"] = disclosure[index]
            if disclosure[index] == "no":
                coding["told_before"] = ["family_friend_partner"]
        if index in family:
            coding["perpetrator_family"] = family[index]
        if index in social:
            coding["perpetrator_social"] = social[index]
        if main.get(index) not in (None, "family"):
            coding["meeting_channel"] = meeting.get(index, UNKNOWN)
        if index in platforms:
            coding["meeting_platforms"] = platforms[index]
        if index in coercion:
            coding["coercion_means"] = coercion[index]
        if index in CLIENTS_DISCUSSED:
            coding["client_knowledge"] = knowledge[index]
            coding["client_indicators"] = indicators.get(index, ["none_mentioned"])
            if "trafficker_present" in indicators.get(index, []):
                coding["trafficker_present_parents"] = "yes" if index < 22 else "no"
        people.append(PublishedVisitor(coding, duplicate=index % 13 == 0 and index < 13 * 18))
    return people


def excluded() -> list[ExcludedConversation]:
    """The 61 conversations excluded on review as not about trafficking."""
    reasons = {
        "other_sexual_violence": 30,
        "sextortion_without_exploitation": 15,
        "financial_or_extortion": 8,
        "sex_worker_work_question": 4,
        "other": 4,
    }
    return [ExcludedConversation(reason) for reason, n in reasons.items() for _ in range(n)]


def channels() -> Iterator[str]:
    """The channel of each of the 308 conversations, in the order they are held."""
    for number in range(CONVERSATIONS):
        yield "partner_platform" if (number * 17) % CONVERSATIONS < VIA_PARTNER else "direct"
