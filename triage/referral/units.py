"""The police units that take referrals, and where each one's intake endpoint is.

The catalogue (names, province hints) is fixed data; the endpoints and shared secrets
are deployment configuration, read from the JSON file named by ``REFERRAL_UNITS_FILE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_SECRET_CHARS = 32
FALLBACK_MAX_CHARS = 300
ENTRY_FIELDS = frozenset({"url", "secret", "contact_text", "fallback"})


@dataclass(frozen=True)
class Unit:
    code: str
    name: str


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    #: More than one unit: the counsellor chooses.
    units: tuple[str, ...]


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    province: str
    unit: str


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    contact_text: str
    #: Staff only: how to reach the unit another way (phone) when delivery failed.
    fallback: str = ""


UNITS: tuple[Unit, ...] = (
    Unit("noord-nederland", "Noord-Nederland"),
    Unit("oost-nederland", "Oost-Nederland"),
    Unit("midden-nederland", "Midden-Nederland"),
    Unit("noord-holland", "Noord-Holland"),
    Unit("amsterdam", "Amsterdam"),
    Unit("den-haag", "Den Haag"),
    Unit("rotterdam", "Rotterdam"),
    Unit("zeeland-west-brabant", "Zeeland-West-Brabant"),
    Unit("oost-brabant", "Oost-Brabant"),
    Unit("limburg", "Limburg"),
)
UNITS_BY_CODE = {unit.code: unit for unit in UNITS}
#: The Landelijke Eenheid is no place where anybody lives and hardly ever reports victims.
NATIONAL_UNIT = "landelijke-eenheid"
NOT_A_TARGET = (
    "the Landelijke Eenheid is not a referral target: refer to the regional unit where the "
    "victim lives"
)

PROVINCES: tuple[Province, ...] = (
    Province("groningen", "Groningen", ("noord-nederland",)),
    Province("friesland", "Friesland", ("noord-nederland",)),
    Province("drenthe", "Drenthe", ("noord-nederland",)),
    Province("overijssel", "Overijssel", ("oost-nederland",)),
    Province("gelderland", "Gelderland", ("oost-nederland",)),
    Province("utrecht", "Utrecht", ("midden-nederland",)),
    Province("flevoland", "Flevoland", ("midden-nederland",)),
    # Gooi en Vechtstreek lies in Noord-Holland but belongs to unit Midden-Nederland.
    Province("noord-holland", "Noord-Holland", ("noord-holland", "amsterdam", "midden-nederland")),
    Province("zuid-holland", "Zuid-Holland", ("den-haag", "rotterdam")),
    Province("zeeland", "Zeeland", ("zeeland-west-brabant",)),
    Province("noord-brabant", "Noord-Brabant", ("zeeland-west-brabant", "oost-brabant")),
    Province("limburg", "Limburg", ("limburg",)),
)

#: Regions inside a province that belong to another unit than the province's name suggests.
AREAS: tuple[Area, ...] = (
    Area("gooi-en-vechtstreek", "Gooi en Vechtstreek", "noord-holland", "midden-nederland"),
)


def default_contact_text(unit: Unit) -> str:
    return (
        f"Het AVIM-team (mensenhandel) van politie-eenheid {unit.name} neemt contact met je op, "
        "alleen op de manier die jij hebt gekozen."
    )


class UnitsConfigError(ValueError):
    """The units file cannot be used; the server refuses to start rather than misroute."""


def load_endpoints(path: str) -> dict[str, Endpoint]:
    """The configured units' endpoints; none when no file is named."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UnitsConfigError(f"cannot read REFERRAL_UNITS_FILE: {error}") from None
    units = data.get("units") if isinstance(data, dict) else None
    if not isinstance(units, dict):
        raise UnitsConfigError('REFERRAL_UNITS_FILE must hold {"units": {code: {...}}}')
    return {code: _endpoint(code, entry) for code, entry in units.items()}


def _endpoint(code: str, entry: Any) -> Endpoint:
    if code == NATIONAL_UNIT:
        raise UnitsConfigError(f"REFERRAL_UNITS_FILE: {NOT_A_TARGET}")
    if code not in UNITS_BY_CODE:
        raise UnitsConfigError(f"unknown unit {code!r} in REFERRAL_UNITS_FILE")
    if not isinstance(entry, dict) or set(entry) - ENTRY_FIELDS:
        raise UnitsConfigError(f"unit {code!r}: expected only {sorted(ENTRY_FIELDS)}")
    url, secret = entry.get("url"), entry.get("secret")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise UnitsConfigError(f"unit {code!r}: 'url' must be an http(s) URL")
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_CHARS:
        raise UnitsConfigError(f"unit {code!r}: 'secret' must be at least {MIN_SECRET_CHARS} chars")
    contact_text = entry.get("contact_text") or default_contact_text(UNITS_BY_CODE[code])
    if not isinstance(contact_text, str):
        raise UnitsConfigError(f"unit {code!r}: 'contact_text' must be text")
    fallback = entry.get("fallback", "")
    if not isinstance(fallback, str) or len(fallback) > FALLBACK_MAX_CHARS:
        raise UnitsConfigError(
            f"unit {code!r}: 'fallback' must be text up to {FALLBACK_MAX_CHARS} characters"
        )
    return Endpoint(url=url, secret=secret, contact_text=contact_text, fallback=fallback.strip())
