"""The optional facts a visitor may type about themselves: age and gender.

Both start empty. An empty field means "not given", never a default value: a
pre-filled age once corrupted a whole year of research figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.errors import InvalidInput

GENDERS = frozenset({"female", "male", "neutral"})
MAX_AGE = 120
PROFILE_FIELDS = ("age", "gender")


@dataclass(frozen=True)
class VisitorProfile:
    age: int | None = None
    gender: str | None = None


def parse_profile(data: Mapping[str, object]) -> VisitorProfile:
    refuse_unknown_fields(data, PROFILE_FIELDS)
    age = data.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)):
        raise InvalidInput("'age' must be a whole number or null", field="age")
    if age is not None and not 0 < age <= MAX_AGE:
        raise InvalidInput(f"'age' must be between 1 and {MAX_AGE}", field="age")
    gender = data.get("gender")
    if gender is not None and (not isinstance(gender, str) or gender not in GENDERS):
        raise InvalidInput(f"'gender' must be one of {sorted(GENDERS)} or null", field="gender")
    return VisitorProfile(age=age, gender=gender if isinstance(gender, str) else None)


def parse_danger(value: object) -> bool | None:
    """The answer to "Ben je nu in gevaar?": yes, no, or not answered (``None``)."""
    if value is not None and not isinstance(value, bool):
        raise InvalidInput("'in_danger' must be true, false or null", field="in_danger")
    return value
