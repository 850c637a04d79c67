"""What a referral carries, how it moves through its life, and whose consent it needs.

The victim's own consent is what counts, at every age (``shared/domain/referral.md``): a
referral never asks for, waits for or records a parent's or guardian's consent.

Pure rules: no storage, no HTTP. The fields are the ones the national registry uses
(``shared/domain/referral.md``) and nothing else from the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.errors import InvalidInput
from triage.codebook import Edition

SUMMARY_MAX_CHARS = 2000
CONTACT_DETAIL_MAX_CHARS = 200
MAX_AGE = 120
PHONE = re.compile(r"[0-9+\-() ]{6,20}")
COUNTRY = re.compile(r"[A-Z]{2}")
PROBABLY_DUTCH = "probably_dutch"

PROPOSAL_FIELDS = (
    "unit",
    "exploitation_forms",
    "sectors",
    "gender",
    "age",
    "age_band",
    "nationality",
    "contact",
    "acutely_unsafe",
    "summary",
    "trusted_adult",
)
GENDERS = ("female", "male", "neutral", "unknown")
CONTACT_METHODS = ("phone", "contact_moment", "via_organisation")
#: Upper bound of each adult band; ``minor`` is everything under 18.
AGE_BANDS = (("minor", 17), ("18-22", 22), ("23-29", 29), ("30-39", 39), ("40+", MAX_AGE))
#: The codings that name a parent or other family member as perpetrator: the relations
#: (ckm-2022), the main relation and the others beside it (ckm-2022b), the family sub-code.
PERPETRATOR_RELATIONS = ("perpetrator_relation", "perpetrator_main", "perpetrator_others")
FAMILY = "family"
PERPETRATOR_FAMILY = "perpetrator_family"


class Status(StrEnum):
    PROPOSED = "proposed"
    CONSENTED = "consented"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    SENDING = "sending"
    SENT = "sent"
    #: The unit refused it for good (a permanent 4xx): no more retries, supervisors alerted.
    FAILED = "failed"
    RECEIVED = "received"
    CLOSED = "closed"


#: A conversation has at most one referral in these at a time.
OPEN = frozenset({Status.PROPOSED, Status.CONSENTED, Status.SENDING})
#: The steps each status may take, and nothing else.
NEXT: Mapping[Status, frozenset[Status]] = {
    Status.PROPOSED: frozenset({Status.CONSENTED, Status.REFUSED, Status.CANCELLED}),
    Status.CONSENTED: frozenset({Status.SENDING, Status.WITHDRAWN, Status.CANCELLED}),
    # The unit may answer its callback before this side has recorded the delivery.
    Status.SENDING: frozenset(
        {Status.SENT, Status.WITHDRAWN, Status.RECEIVED, Status.CLOSED, Status.FAILED}
    ),
    Status.SENT: frozenset({Status.RECEIVED, Status.CLOSED}),
    # A supervisor hands it over by the unit's phone fallback and closes it, or it ends.
    Status.FAILED: frozenset({Status.CLOSED, Status.WITHDRAWN, Status.CANCELLED}),
    Status.RECEIVED: frozenset({Status.CLOSED}),
}
#: The changes the visitor sees as a message in the chat.
ANNOUNCED = frozenset(
    {
        Status.PROPOSED,
        Status.CONSENTED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.CANCELLED,
        Status.SENT,
        Status.FAILED,
    }
)


def can_move(current: Status, to: Status) -> bool:
    return to in NEXT.get(current, frozenset())


def age_band(age: int) -> str:
    return next(band for band, upper in AGE_BANDS if age <= upper)


def family_perpetrator(codings: Mapping[str, Mapping[str, Any]]) -> bool:
    """The chat's coding (any edition) names a parent or other family member as perpetrator."""
    for values in codings.values():
        for name in PERPETRATOR_RELATIONS:
            relation = values.get(name)
            if relation == FAMILY or (isinstance(relation, list) and FAMILY in relation):
                return True
        if values.get(PERPETRATOR_FAMILY) is not None:
            return True
    return False


def parse_trusted_adult(data: Mapping[str, Any], family: bool) -> bool | None:
    """The optional note "a trusted adult is involved": information only, never a gate, and
    refused when the coding names a family member as perpetrator (it could be that person)."""
    value = data.get("trusted_adult")
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidInput("'trusted_adult' must be true, false or null", field="trusted_adult")
    if value and family:
        raise InvalidInput(
            "'trusted_adult' cannot be noted: the coding names a family member as perpetrator",
            field="trusted_adult",
        )
    return value


def parse_proposal(data: Mapping[str, Any], edition: Edition) -> dict[str, Any]:
    """The shared fields of a proposal, validated; the error names the first bad field."""
    refuse_unknown_fields(data, PROPOSAL_FIELDS)
    forms = _codes(data, "exploitation_forms", edition.variable("exploitation_form").codes)
    if not forms:
        raise InvalidInput(
            "'exploitation_forms' needs at least one form", field="exploitation_forms"
        )
    age = data.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)):
        raise InvalidInput("'age' must be a whole number or null", field="age")
    if age is not None and not 0 < age <= MAX_AGE:
        raise InvalidInput(f"'age' must be between 1 and {MAX_AGE}", field="age")
    return {
        "exploitation_forms": forms,
        "sectors": _codes(data, "sectors", edition.variable("sector").codes),
        "gender": _choice(data, "gender", GENDERS),
        "age": age,
        "age_band": _age_band(age, data.get("age_band")),
        "nationality": _nationality(data.get("nationality")),
        "contact": _contact(data.get("contact")),
        "acutely_unsafe": _flag(data, "acutely_unsafe"),
        "summary": _text(data, "summary", SUMMARY_MAX_CHARS),
    }


def parse_consent_answer(data: Mapping[str, Any]) -> bool:
    """The visitor's own yes or no; nobody else answers for them."""
    refuse_unknown_fields(data, ("consent",))
    return _flag(data, "consent")


def parse_outcome(data: Mapping[str, Any]) -> str | None:
    refuse_unknown_fields(data, ("outcome",))
    if data.get("outcome") is None:
        return None
    return _text(data, "outcome", SUMMARY_MAX_CHARS)


def _codes(data: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or any(code not in allowed for code in value):
        raise InvalidInput(f"'{name}' must be a list of {list(allowed)}", field=name)
    if len(set(value)) != len(value):
        raise InvalidInput(f"'{name}' lists a code twice", field=name)
    return list(value)


def _choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in allowed:
        raise InvalidInput(f"'{name}' must be one of {list(allowed)}", field=name)
    return str(value)


def _flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false", field=name)
    return value


def _text(data: Mapping[str, Any], name: str, max_chars: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise InvalidInput(f"'{name}' must be text of 1-{max_chars} characters", field=name)
    return value.strip()


def _age_band(age: int | None, given: object) -> str:
    if age is not None:
        derived = age_band(age)
        if given is not None and given != derived:
            raise InvalidInput(f"'age_band' must be {derived!r} for age {age}", field="age_band")
        return derived
    bands = tuple(band for band, _ in AGE_BANDS)
    if given not in bands:
        raise InvalidInput(
            f"'age_band' must be one of {list(bands)} when the age is unknown", field="age_band"
        )
    return str(given)


def _nationality(value: object) -> str:
    if value == PROBABLY_DUTCH or (isinstance(value, str) and COUNTRY.fullmatch(value)):
        return str(value)
    raise InvalidInput(
        f"'nationality' must be an ISO country code such as 'NL', or {PROBABLY_DUTCH!r}",
        field="nationality",
    )


def _contact(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput(
            "'contact' must be an object with 'method' and 'detail'", field="contact"
        )
    unknown = sorted(set(value) - {"method", "detail"})
    if unknown:
        raise InvalidInput(f"unknown field 'contact.{unknown[0][:40]}'", field="contact")
    method = value.get("method")
    if method not in CONTACT_METHODS:
        raise InvalidInput(
            f"'contact.method' must be one of {list(CONTACT_METHODS)}", field="contact"
        )
    detail = value.get("detail") or ""
    if not isinstance(detail, str) or len(detail) > CONTACT_DETAIL_MAX_CHARS:
        raise InvalidInput(
            f"'contact.detail' must be text up to {CONTACT_DETAIL_MAX_CHARS} characters",
            field="contact",
        )
    detail = detail.strip()
    if method == "phone" and not PHONE.fullmatch(detail):
        raise InvalidInput(
            "'contact.detail' must be the phone number the victim gave", field="contact"
        )
    if method == "contact_moment" and not detail:
        raise InvalidInput("'contact.detail' must say the agreed contact moment", field="contact")
    return {"method": str(method), "detail": detail}
