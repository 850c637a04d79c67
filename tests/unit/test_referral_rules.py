"""Referral rules without a server: fields, age bands, consent, lifecycle, signatures, units."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from chatserver.errors import InvalidInput
from triage.codebook import current_edition
from triage.referral.delivery import is_permanent
from triage.referral.record import (
    NEXT,
    Status,
    age_band,
    can_move,
    family_perpetrator,
    parse_consent_answer,
    parse_proposal,
    parse_trusted_adult,
)
from triage.referral.signing import sign, verify
from triage.referral.units import AREAS, PROVINCES, UNITS, UnitsConfigError, load_endpoints

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 32

VALID: dict[str, Any] = {
    "unit": "oost-brabant",
    "exploitation_forms": ["sexual"],
    "gender": "female",
    "age": 16,
    "nationality": "probably_dutch",
    "contact": {"method": "contact_moment", "detail": "dinsdag 14:00 in deze chat"},
    "acutely_unsafe": False,
    "summary": "Wil met de politie praten.",
}


def proposal(**changes: Any) -> dict[str, Any]:
    return parse_proposal({**VALID, **changes}, current_edition())


def refused_field(**changes: Any) -> str | None:
    with pytest.raises(InvalidInput) as refused:
        proposal(**changes)
    return refused.value.field


def test_a_valid_proposal_keeps_exactly_the_shared_fields() -> None:
    assert proposal() == {
        "exploitation_forms": ["sexual"],
        "sectors": [],
        "gender": "female",
        "age": 16,
        "age_band": "minor",
        "nationality": "probably_dutch",
        "contact": {"method": "contact_moment", "detail": "dinsdag 14:00 in deze chat"},
        "acutely_unsafe": False,
        "summary": "Wil met de politie praten.",
    }


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (1, "minor"),
        (17, "minor"),
        (18, "18-22"),
        (22, "18-22"),
        (23, "23-29"),
        (39, "30-39"),
        (40, "40+"),
        (120, "40+"),
    ],
)
def test_age_bands_follow_the_registry(age: int, band: str) -> None:
    assert age_band(age) == band


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"exploitation_forms": []}, "exploitation_forms"),
        ({"exploitation_forms": ["sexual", "sexual"]}, "exploitation_forms"),
        ({"exploitation_forms": ["fraud"]}, "exploitation_forms"),
        ({"sectors": ["farm"]}, "sectors"),
        ({"gender": "f"}, "gender"),
        ({"age": 0}, "age"),
        ({"age": True}, "age"),
        ({"age": 30, "age_band": "minor"}, "age_band"),
        ({"age": None}, "age_band"),
        ({"nationality": "Dutch"}, "nationality"),
        ({"nationality": "nl"}, "nationality"),
        ({"contact": {"method": "phone", "detail": "call me"}}, "contact"),
        ({"contact": {"method": "contact_moment", "detail": " "}}, "contact"),
        ({"contact": {"method": "pigeon", "detail": ""}}, "contact"),
        ({"contact": {"method": "phone", "detail": "0612345678", "email": "x"}}, "contact"),
        ({"acutely_unsafe": "no"}, "acutely_unsafe"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"transcript": "..."}, "transcript"),
    ],
)
def test_a_bad_field_is_refused_by_name(changes: dict[str, Any], field: str) -> None:
    assert refused_field(**changes) == field


def test_an_unknown_age_needs_a_band() -> None:
    assert proposal(age=None, age_band="23-29")["age_band"] == "23-29"


def test_a_phone_number_as_typed_is_kept() -> None:
    contact = proposal(contact={"method": "phone", "detail": "+31 (6) 12-345-678"})["contact"]
    assert contact == {"method": "phone", "detail": "+31 (6) 12-345-678"}


def test_a_consent_answer_is_the_visitors_own_yes_or_no() -> None:
    assert parse_consent_answer({"consent": True}) is True
    assert parse_consent_answer({"consent": False}) is False
    with pytest.raises(InvalidInput) as refused:
        parse_consent_answer({"consent": True, "party": "parent"})
    assert refused.value.field == "party"


def test_a_minors_proposal_carries_no_guardian_field() -> None:
    shares = proposal(age=15)
    assert shares["age_band"] == "minor"
    assert not any("guardian" in key or "parent" in key for key in shares)


@pytest.mark.parametrize(
    ("codings", "family"),
    [
        ({}, False),
        ({"ckm-2022": {"perpetrator_relation": ["ex_partner"]}}, False),
        ({"ckm-2022": {"perpetrator_relation": ["stranger", "family"]}}, True),
        ({"ckm-2022": {"perpetrator_family": "mother"}}, True),
        ({"ckm-2022b": {"perpetrator_main": "ex_partner"}}, False),
        ({"ckm-2022b": {"perpetrator_main": "family"}}, True),
        ({"ckm-2022b": {"perpetrator_main": "ex_partner", "perpetrator_others": ["family"]}}, True),
        ({"ckm-2020": {"chatter_background": "partner"}}, False),
    ],
)
def test_a_family_perpetrator_is_read_from_any_editions_coding(
    codings: dict[str, dict[str, Any]], family: bool
) -> None:
    assert family_perpetrator(codings) is family


def test_a_trusted_adult_is_optional_information_refused_when_family_is_the_perpetrator() -> None:
    assert parse_trusted_adult({}, family=False) is None
    assert parse_trusted_adult({"trusted_adult": True}, family=False) is True
    assert parse_trusted_adult({"trusted_adult": False}, family=True) is False
    for bad in ({"trusted_adult": True}, {"trusted_adult": "yes"}):
        with pytest.raises(InvalidInput) as refused:
            parse_trusted_adult(bad, family=True)
        assert refused.value.field == "trusted_adult"


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        (400, True),
        (401, True),
        (403, True),
        (404, True),
        (422, True),
        (408, False),
        (409, False),
        (425, False),
        (429, False),
        (500, False),
        (503, False),
    ],
)
def test_only_a_permanent_4xx_stops_retrying(code: int, permanent: bool) -> None:
    assert is_permanent(code) is permanent


def test_the_lifecycle_only_moves_forward() -> None:
    assert can_move(Status.PROPOSED, Status.CONSENTED)
    assert can_move(Status.SENDING, Status.WITHDRAWN)
    assert not can_move(Status.SENT, Status.WITHDRAWN)
    assert not can_move(Status.REFUSED, Status.CONSENTED)
    assert can_move(Status.SENDING, Status.FAILED)
    assert not can_move(Status.FAILED, Status.SENDING)
    ended = {Status.REFUSED, Status.WITHDRAWN, Status.CANCELLED, Status.CLOSED}
    assert ended.isdisjoint(NEXT)


def test_a_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"a": 1}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1700000000, body) == f"sha256={expected}"


def test_a_stale_or_altered_signature_is_refused() -> None:
    body = b'{"a": 1}'
    good = sign(SECRET, 1700000000, body)
    assert verify(SECRET, "1700000000", good, body, now=1700000100)
    assert not verify(SECRET, "1700000000", good, body, now=1700000301)
    assert not verify(SECRET, "1700000000", good, b'{"a": 2}', now=1700000100)
    assert not verify("t" * 32, "1700000000", good, body, now=1700000100)
    assert not verify(SECRET, "not-a-time", good, body, now=1700000100)


def test_the_catalogue_has_the_ten_regional_units_and_every_province() -> None:
    assert len(UNITS) == 10
    assert "landelijke-eenheid" not in {unit.code for unit in UNITS}
    assert len(PROVINCES) == 12
    known = {unit.code for unit in UNITS}
    assert all(set(province.units) <= known for province in PROVINCES)


def test_the_shipped_example_units_file_loads() -> None:
    endpoints = load_endpoints(str(ROOT / "ops" / "referral-units.example.json"))
    assert set(endpoints) == {"oost-brabant", "amsterdam"}
    assert endpoints["amsterdam"].contact_text  # a default names the unit
    assert "0900" in endpoints["amsterdam"].fallback


def test_gooi_en_vechtstreek_belongs_to_midden_nederland() -> None:
    [area] = [area for area in AREAS if area.code == "gooi-en-vechtstreek"]
    assert (area.province, area.unit) == ("noord-holland", "midden-nederland")
    [noord_holland] = [p for p in PROVINCES if p.code == "noord-holland"]
    assert "midden-nederland" in noord_holland.units


def test_the_landelijke_eenheid_in_the_units_file_stops_the_server_naming_why(
    tmp_path: Path,
) -> None:
    path = tmp_path / "units.json"
    entry = {"url": "https://x.example", "secret": SECRET}
    path.write_text(json.dumps({"units": {"landelijke-eenheid": entry}}))
    with pytest.raises(UnitsConfigError, match="Landelijke Eenheid is not a referral target"):
        load_endpoints(str(path))


@pytest.mark.parametrize(
    "units",
    [
        {"utrecht": {"url": "https://x.example", "secret": SECRET}},
        {"amsterdam": {"url": "ftp://x.example", "secret": SECRET}},
        {"amsterdam": {"url": "https://x.example", "secret": "short"}},
        {"amsterdam": {"url": "https://x.example", "secret": SECRET, "token": "x"}},
        {"amsterdam": {"url": "https://x.example", "secret": SECRET, "fallback": 112}},
    ],
)
def test_a_units_file_that_would_misroute_stops_the_server(
    tmp_path: Path, units: dict[str, Any]
) -> None:
    path = tmp_path / "units.json"
    path.write_text(json.dumps({"units": units}))
    with pytest.raises(UnitsConfigError):
        load_endpoints(str(path))
