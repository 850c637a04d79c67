"""Checking a (partial) coding against an edition, completeness, and derived age bands.

A coding maps variable names to values. A missing key means "not filled in";
:data:`UNKNOWN` means "unknown / not discussed" and is accepted by every
variable, applicable or not; anything else must fit the variable's kind and
categories and may only be given when the variable applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from chatserver.errors import InvalidInput
from triage.codebook.model import UNKNOWN, Condition, Edition, Variable

TEXT_MAX_CHARS = 2000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")

_ValueOf = Callable[[str], object]

#: Bands derived from the exact age, in order (referral and yearly report).
AGE_BANDS = ("minor", "18-22", "23-29", "30-39", "40+")


class CodingError(InvalidInput):
    """One value of a coding is wrong: ``field`` names the variable, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)
        self.reason = reason


class CodingErrors(InvalidInput):
    """Every problem in one coding; ``field`` is the first one's variable."""

    def __init__(self, errors: list[CodingError]) -> None:
        if not errors:
            raise ValueError("CodingErrors needs at least one error")
        super().__init__("; ".join(error.message for error in errors), field=errors[0].field)
        self.errors: tuple[CodingError, ...] = tuple(errors)

    def details(self) -> list[dict[str, str]]:
        """The errors as ``{"field", "reason"}`` pairs, for an API response."""
        return [{"field": e.field or "", "reason": e.reason} for e in self.errors]


@dataclass(frozen=True)
class Completeness:
    """How much of a coding is done: ``filled`` of ``applicable`` variables.

    :data:`UNKNOWN` counts as filled; variables whose condition is not met and
    optional variables are left out; ``missing`` lists the rest in edition order.
    """

    filled: int
    applicable: int
    missing: tuple[str, ...]


def validate_values(edition: Edition, values: Mapping[str, object]) -> dict[str, object]:
    """The checked coding (multi-selects in category order), or :class:`CodingErrors`."""
    errors: dict[str, CodingError] = {}
    clean: dict[str, object] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not edition.has(name):
            field = name if isinstance(name, str) else repr(name)
            errors[field] = CodingError(field, f"not a variable of codebook edition {edition.id}")
            continue
        try:
            clean[name] = _check_value(edition.variable(name), value)
        except CodingError as error:
            errors[name] = error

    applicable = _applicability(edition, clean)
    undetermined = _reading(edition, set(errors))
    for variable in edition.variables:
        name = variable.name
        if name not in clean or clean[name] == UNKNOWN or name in undetermined:
            continue
        condition = variable.applies_when
        if condition is not None and not applicable[name]:
            errors[name] = CodingError(name, _not_applicable(edition, condition, clean, applicable))
            continue
        if variable.choices_from is not None:
            chosen = clean.get(variable.choices_from)
            if isinstance(chosen, list) and clean[name] not in chosen:
                errors[name] = CodingError(
                    name, f"must be one of the choices in {variable.choices_from}"
                )

    if errors:
        order = {name: index for index, name in enumerate(edition.names)}
        ranked = sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))
        raise CodingErrors([error for _, error in ranked])
    return clean


def completeness(edition: Edition, values: Mapping[str, object]) -> Completeness:
    """Filled versus applicable variables of a (valid, possibly partial) coding."""
    applicable = _applicability(edition, values)
    counted = [v.name for v in edition.variables if applicable[v.name] and not v.optional]
    missing = tuple(name for name in counted if name not in values)
    return Completeness(
        filled=len(counted) - len(missing), applicable=len(counted), missing=missing
    )


def applicable_variables(edition: Edition, values: Mapping[str, object]) -> tuple[str, ...]:
    """The variables that apply given these values, in edition order (for forms)."""
    applicable = _applicability(edition, values)
    return tuple(name for name in edition.names if applicable[name])


def age_band(age: int) -> str:
    """``minor`` (under 18), ``18-22``, ``23-29``, ``30-39`` or ``40+``."""
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        raise ValueError(f"an age is a whole number of years, not {age!r}")
    if age < 18:
        return "minor"
    if age <= 22:
        return "18-22"
    if age <= 29:
        return "23-29"
    if age <= 39:
        return "30-39"
    return "40+"


# -- one value ----------------------------------------------------------------------------------


def _check_value(variable: Variable, value: object) -> object:
    if value == UNKNOWN and isinstance(value, str):
        return UNKNOWN
    name = variable.name
    match variable.kind:
        case "single":
            if not isinstance(value, str) or value not in variable.codes:
                raise CodingError(name, f"must be one of {_choices(variable)} or {UNKNOWN!r}")
            return value
        case "multi":
            return _check_multi(variable, value)
        case "integer":
            assert variable.minimum is not None
            assert variable.maximum is not None
            if not isinstance(value, int) or isinstance(value, bool):
                raise CodingError(name, f"must be a whole number or {UNKNOWN!r}")
            if not variable.minimum <= value <= variable.maximum:
                raise CodingError(
                    name, f"must be between {variable.minimum} and {variable.maximum}"
                )
            return value
        case "date":
            if not isinstance(value, str) or not _is_date(value):
                raise CodingError(name, f"must be a date YYYY-MM-DD or YYYY-MM, or {UNKNOWN!r}")
            return value
        case "text":
            if not isinstance(value, str) or not value.strip():
                raise CodingError(name, "must be non-empty text")
            if len(value) > TEXT_MAX_CHARS:
                raise CodingError(name, f"must be at most {TEXT_MAX_CHARS} characters")
            return value
        case "boolean":
            if not isinstance(value, bool):
                raise CodingError(name, f"must be true, false or {UNKNOWN!r}")
            return value
    raise AssertionError(variable.kind)  # pragma: no cover


def _check_multi(variable: Variable, value: object) -> list[str]:
    name = variable.name
    if not isinstance(value, list | tuple):
        raise CodingError(name, f"must be a list of choices or {UNKNOWN!r}")
    if not value:
        raise CodingError(name, f"must have at least one choice; leave it out or use {UNKNOWN!r}")
    if not all(isinstance(code, str) for code in value):
        raise CodingError(name, "choices must be category codes")
    if UNKNOWN in value:
        raise CodingError(name, f"{UNKNOWN!r} stands alone, not in a list of choices")
    wrong = [code for code in value if code not in variable.codes]
    if wrong:
        raise CodingError(name, f"{', '.join(map(repr, wrong))} not among {_choices(variable)}")
    if len(set(value)) != len(value):
        raise CodingError(name, "a choice occurs twice")
    return [code for code in variable.codes if code in value]


def _is_date(value: str) -> bool:
    if _DAY.fullmatch(value):
        text = value
    elif _MONTH.fullmatch(value):
        text = f"{value}-01"
    else:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _choices(variable: Variable) -> str:
    return ", ".join(repr(code) for code in variable.codes)


# -- applicability ------------------------------------------------------------------------------


def _applicability(edition: Edition, values: Mapping[str, object]) -> dict[str, bool]:
    """Per variable: does its condition hold? A gate that does not apply counts as empty."""
    result: dict[str, bool] = {}

    def applies(name: str) -> bool:
        if name not in result:
            condition = edition.variable(name).applies_when
            result[name] = condition is None or _holds(condition, effective)
        return result[name]

    def effective(name: str) -> object:
        return values.get(name) if applies(name) else None

    for name in edition.names:
        applies(name)
    return result


def _reading(edition: Edition, wrong: set[str]) -> set[str]:
    """``wrong`` and every variable whose condition reads one of them, directly or not.

    Such a condition cannot be judged, so only the wrong value itself is reported.
    """
    found = set(wrong)
    grew = True
    while grew:  # conditions may refer forwards, so repeat until nothing changes
        grew = False
        for variable in edition.variables:
            condition = variable.applies_when
            if variable.name in found or condition is None:
                continue
            if condition.referenced() & found:
                found.add(variable.name)
                grew = True
    return found


def _not_applicable(
    edition: Edition,
    condition: Condition,
    values: Mapping[str, object],
    applicable: Mapping[str, bool],
) -> str:
    reason = f"only coded when {_describe(edition, condition)}"
    if _holds(condition, values.get):  # the values fit, but a variable they sit in does not apply
        gates = sorted(name for name in condition.referenced() if not applicable[name])
        reason += f", and {', '.join(gates)} does not apply here"
    return reason


def _holds(condition: Condition, value_of: _ValueOf) -> bool:
    if condition.op == "all_of":
        return all(_holds(part, value_of) for part in condition.conditions)
    assert condition.variable is not None
    value = value_of(condition.variable)
    chosen: list[object]
    if isinstance(value, str) and value != UNKNOWN:
        chosen = [value]
    elif isinstance(value, list):
        chosen = value
    else:  # missing, unknown or not applicable: nothing is known
        chosen = []
    if condition.op == "in":
        return any(code in chosen for code in condition.codes)
    if condition.op == "excludes":
        return not any(code in chosen for code in condition.codes)
    assert condition.count is not None
    return len(set(map(str, chosen))) >= condition.count


def _describe(edition: Edition, condition: Condition) -> str:
    if condition.op == "all_of":
        return " and ".join(_describe(edition, part) for part in condition.conditions)
    assert condition.variable is not None
    name = condition.variable
    codes = " or ".join(condition.codes)
    multi = edition.variable(name).kind == "multi"
    if condition.op == "in":
        return f"{name} {'includes' if multi else 'is'} {codes}"
    if condition.op == "excludes":
        return f"{name} {'does not include' if multi else 'is not'} {codes}"
    return f"{name} has at least {condition.count} choices"
