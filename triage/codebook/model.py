"""The codebook's shape: editions of variables with categories, conditions and labels.

Everything here is immutable and free of I/O; ``loader`` builds these from the
edition files and ``validate`` checks codings against them.

Three states stay apart in a coding (a mapping of variable name to value):

* the key is missing: not filled in yet;
* the value is :data:`UNKNOWN`: the counsellor looked and it is unknown or was
  not discussed (counsellors do not ask for codebook facts);
* a category such as ``"no"``: known.

Research percentages are taken over known values only, so folding ``UNKNOWN``
into ``"no"`` (or into "not filled in") would change published figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Literal

#: Accepted by every variable; never a category code.
UNKNOWN = "unknown"

#: The numeric code an SPSS export may use for :data:`UNKNOWN` (declared user-missing).
#: Category values and integer bounds are never negative, so it cannot collide.
UNKNOWN_VALUE = -1

Subject = Literal["conversation", "chatter", "victim"]
Kind = Literal["single", "multi", "integer", "date", "text", "boolean"]
Operator = Literal["in", "excludes", "min_selected", "all_of"]

SUBJECTS: tuple[Subject, ...] = ("conversation", "chatter", "victim")
KINDS: tuple[Kind, ...] = ("single", "multi", "integer", "date", "text", "boolean")
OPERATORS: tuple[Operator, ...] = ("in", "excludes", "min_selected", "all_of")


@dataclass(frozen=True)
class Category:
    """One answer of a single- or multi-select variable.

    ``code`` is what a coding stores; ``value`` is the numeric code in SPSS.
    """

    code: str
    value: int
    label_nl: str
    label_en: str


@dataclass(frozen=True)
class Condition:
    """When a variable applies, judged on the other values of the same coding.

    * ``in``: ``variable`` is known and is (single) or includes (multi) one of ``codes``;
    * ``excludes``: ``variable`` is not (single) or does not include (multi) any of
      ``codes``; a missing or unknown ``variable`` does not exclude;
    * ``min_selected``: the multi-select ``variable`` has at least ``count`` choices;
    * ``all_of``: every one of ``conditions`` holds.

    In an edition file: ``{"variable": "chatter_background", "in": ["victim"]}``,
    ``{"variable": "perpetrator_relation", "excludes": ["family"]}``,
    ``{"variable": "exploitation_form", "min_selected": 2}`` or ``{"all_of": [...]}``.
    """

    op: Operator
    variable: str | None = None
    codes: tuple[str, ...] = ()
    count: int | None = None
    conditions: tuple[Condition, ...] = ()

    def referenced(self) -> frozenset[str]:
        """The variables this condition reads."""
        if self.op == "all_of":
            return frozenset().union(*(c.referenced() for c in self.conditions))
        assert self.variable is not None
        return frozenset({self.variable})


@dataclass(frozen=True)
class Variable:
    """One codebook variable; ``name`` doubles as the SPSS variable name.

    ``categories`` only for single/multi; ``minimum``/``maximum`` only for
    integers. ``parent`` names the variable this one refines (a sub-code).
    ``choices_from`` (single only) restricts the answer to what was chosen in
    that multi-select variable. ``optional`` variables do not count towards
    completeness. There is deliberately no default value: every field starts empty.
    """

    name: str
    label_nl: str
    label_en: str
    subject: Subject
    kind: Kind
    categories: tuple[Category, ...] = ()
    applies_when: Condition | None = None
    minimum: int | None = None
    maximum: int | None = None
    parent: str | None = None
    help_nl: str = ""
    help_en: str = ""
    choices_from: str | None = None
    optional: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(category.code for category in self.categories)

    def category(self, code: str) -> Category:
        """The category with this code; ``KeyError`` if there is none."""
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


@dataclass(frozen=True)
class Edition:
    """A published version of the codebook; every coding records its edition id.

    ``variables`` are what a coding holds. ``help_question`` describes the
    inclusion flag a counsellor sets per conversation (stored with the
    conversation's triage state, not in the coding); ``exclusion_reasons`` are
    the reasons a review may exclude a conversation for.
    """

    id: str
    title: str
    published: str  # ISO date from which the edition applies
    variables: tuple[Variable, ...]
    exclusion_reasons: tuple[Category, ...]
    help_question: Variable

    @cached_property
    def _by_name(self) -> MappingProxyType[str, Variable]:
        return MappingProxyType({variable.name: variable for variable in self.variables})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variable.name for variable in self.variables)

    def has(self, name: str) -> bool:
        return name in self._by_name

    def variable(self, name: str) -> Variable:
        """The variable called ``name``; ``KeyError`` if the edition has none."""
        return self._by_name[name]

    def exclusion_reason(self, code: str) -> Category:
        """The exclusion reason with this code; ``KeyError`` if there is none."""
        for reason in self.exclusion_reasons:
            if reason.code == code:
                return reason
        raise KeyError(code)
