"""Reading codebook editions from ``editions/*.json``, strictly, once.

A malformed edition file is a deployment error, not bad client input, so it
raises :class:`CodebookError` (not ``InvalidInput``). An edition id nobody
published raises :class:`UnknownEdition`, which is also a ``KeyError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar, cast

from triage.codebook.model import (
    KINDS,
    SUBJECTS,
    UNKNOWN,
    Category,
    Condition,
    Edition,
    Kind,
    Subject,
    Variable,
)

#: The edition new codings use.
CURRENT_EDITION_ID = "ckm-2022b"

EDITION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
#: SPSS variable names: a letter first, at most 64 bytes; kept lower-case ASCII here.
VARIABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
CATEGORY_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: SPSS limits: variable labels 256 bytes, value labels 120 bytes (UTF-8).
VARIABLE_LABEL_MAX_BYTES = 256
VALUE_LABEL_MAX_BYTES = 120
HELP_MAX_CHARS = 2000

T = TypeVar("T")


class CodebookError(Exception):
    """An edition file is missing, unreadable or breaks the codebook's rules."""


class UnknownEdition(CodebookError, KeyError):
    """No edition with this id is published."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown edition"


# -- public API ---------------------------------------------------------------------------------


def load_editions() -> dict[str, Edition]:
    """Every published edition by id (a fresh dict; the editions themselves are cached)."""
    return dict(_all_editions())


def load_edition(edition_id: str) -> Edition:
    editions = _all_editions()
    if not isinstance(edition_id, str) or edition_id not in editions:
        raise UnknownEdition(f"unknown codebook edition {edition_id!r}")
    return editions[edition_id]


def current_edition() -> Edition:
    return load_edition(CURRENT_EDITION_ID)


def load_edition_file(path: Path | Traversable) -> Edition:
    """Read and check one edition file; its ``id`` must match the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path.name}: cannot read: {exc}") from exc
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except ValueError as exc:
        raise CodebookError(f"{path.name}: not valid JSON: {exc}") from exc
    edition = parse_edition(data, source=path.name)
    stem = path.name.removesuffix(".json")
    if edition.id != stem:
        raise CodebookError(f"{path.name}: id {edition.id!r} does not match the file name")
    return edition


def parse_edition(data: object, *, source: str = "edition") -> Edition:
    """Build an :class:`Edition` from decoded JSON, or raise :class:`CodebookError`."""
    return _EditionParser(source).edition(data)


# -- reading files ------------------------------------------------------------------------------


def _editions_dir() -> Traversable:
    return resources.files("triage.codebook").joinpath("editions")


@cache
def _all_editions() -> dict[str, Edition]:
    folder = _editions_dir()
    if not folder.is_dir():
        raise CodebookError("the codebook editions folder is missing")
    editions: dict[str, Edition] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json") and entry.is_file():
            edition = load_edition_file(entry)
            editions[edition.id] = edition
    if CURRENT_EDITION_ID not in editions:
        raise CodebookError(f"the current edition {CURRENT_EDITION_ID!r} is missing")
    return editions


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# -- checking the structure ---------------------------------------------------------------------

_EDITION_KEYS = {"id", "title", "published", "help_question", "exclusion_reasons", "variables"}
_VARIABLE_REQUIRED = {"name", "label_nl", "label_en", "subject", "kind", "help_nl", "help_en"}
_VARIABLE_OPTIONAL = {
    "categories",
    "applies_when",
    "minimum",
    "maximum",
    "parent",
    "choices_from",
    "optional",
}
_CATEGORY_KEYS = {"code", "value", "label_nl", "label_en"}


class _EditionParser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> CodebookError:
        return CodebookError(f"{self.source}: {where}: {problem}")

    # generic readers

    def obj(
        self, raw: object, where: str, required: set[str], optional: set[str]
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object")
        data = cast(dict[str, Any], raw)
        missing = required - data.keys()
        if missing:
            raise self.fail(where, f"missing {', '.join(sorted(missing))}")
        extra = data.keys() - required - optional
        if extra:
            raise self.fail(where, f"unexpected {', '.join(sorted(extra))}")
        return data

    def text(self, raw: object, where: str, *, max_bytes: int | None = None) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(where, "must be non-empty text")
        if raw != raw.strip():
            raise self.fail(where, "has leading or trailing spaces")
        if max_bytes is not None and len(raw.encode("utf-8")) > max_bytes:
            raise self.fail(where, f"is longer than {max_bytes} bytes")
        return raw

    def integer(self, raw: object, where: str) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise self.fail(where, "must be an integer")
        return raw

    def pattern(self, raw: object, where: str, pattern: re.Pattern[str], what: str) -> str:
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise self.fail(where, f"must be {what}")
        return raw

    def items(self, raw: object, where: str, parse: Callable[[object, str], T]) -> tuple[T, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list")
        return tuple(parse(item, f"{where}[{index}]") for index, item in enumerate(raw))

    # the parts

    def edition(self, raw: object) -> Edition:
        data = self.obj(raw, "edition", _EDITION_KEYS, set())
        edition_id = self.pattern(data["id"], "id", EDITION_ID, "lower-case letters, digits, -")
        published = self.text(data["published"], "published")
        try:
            date.fromisoformat(published)
        except ValueError:
            raise self.fail("published", "must be a date YYYY-MM-DD") from None
        if len(published) != len("YYYY-MM-DD"):
            raise self.fail("published", "must be a date YYYY-MM-DD")
        reasons = self.items(data["exclusion_reasons"], "exclusion_reasons", self.category)
        self.unique_categories(reasons, "exclusion_reasons")
        variables = self.items(data["variables"], "variables", self.variable)
        help_question = self.variable(data["help_question"], "help_question")
        if help_question.kind != "boolean" or help_question.applies_when is not None:
            raise self.fail("help_question", "must be an unconditional boolean variable")
        edition = Edition(
            id=edition_id,
            title=self.text(data["title"], "title", max_bytes=VARIABLE_LABEL_MAX_BYTES),
            published=published,
            variables=variables,
            exclusion_reasons=reasons,
            help_question=help_question,
        )
        self.cross_check(edition)
        return edition

    def category(self, raw: object, where: str) -> Category:
        data = self.obj(raw, where, _CATEGORY_KEYS, set())
        code = self.pattern(data["code"], f"{where}.code", CATEGORY_CODE, "a lower-case identifier")
        where = f"{where} ({code})"
        if code == UNKNOWN:
            raise self.fail(where, f"{UNKNOWN!r} is reserved for the unknown state, not a category")
        value = self.integer(data["value"], f"{where}.value")
        if value < 0:
            raise self.fail(f"{where}.value", "must not be negative")
        return Category(
            code=code,
            value=value,
            label_nl=self.text(
                data["label_nl"], f"{where}.label_nl", max_bytes=VALUE_LABEL_MAX_BYTES
            ),
            label_en=self.text(
                data["label_en"], f"{where}.label_en", max_bytes=VALUE_LABEL_MAX_BYTES
            ),
        )

    def unique_categories(self, categories: Iterable[Category], where: str) -> None:
        codes: set[str] = set()
        values: set[int] = set()
        for category in categories:
            if category.code in codes:
                raise self.fail(where, f"category code {category.code!r} occurs twice")
            if category.value in values:
                raise self.fail(where, f"category value {category.value} occurs twice")
            codes.add(category.code)
            values.add(category.value)

    def variable(self, raw: object, where: str) -> Variable:
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            where = f"variable {raw['name']!r}"
        data = self.obj(raw, where, _VARIABLE_REQUIRED, _VARIABLE_OPTIONAL)
        name = self.pattern(data["name"], f"{where}.name", VARIABLE_NAME, "an SPSS-safe name")
        subject = data["subject"]
        if subject not in SUBJECTS:
            raise self.fail(where, f"subject must be one of {', '.join(SUBJECTS)}")
        kind = data["kind"]
        if kind not in KINDS:
            raise self.fail(where, f"kind must be one of {', '.join(KINDS)}")

        categories: tuple[Category, ...] = ()
        if kind in ("single", "multi"):
            if "categories" not in data:
                raise self.fail(where, f"a {kind} variable needs categories")
            categories = self.items(data["categories"], f"{where}.categories", self.category)
            self.unique_categories(categories, where)
        elif "categories" in data:
            raise self.fail(where, f"a {kind} variable has no categories")

        minimum = maximum = None
        if kind == "integer":
            if "minimum" not in data or "maximum" not in data:
                raise self.fail(where, "an integer variable needs minimum and maximum")
            minimum = self.integer(data["minimum"], f"{where}.minimum")
            maximum = self.integer(data["maximum"], f"{where}.maximum")
            if not 0 <= minimum <= maximum:
                raise self.fail(where, "needs 0 <= minimum <= maximum")
        elif "minimum" in data or "maximum" in data:
            raise self.fail(where, "only integer variables have minimum and maximum")

        optional = data.get("optional", False)
        if not isinstance(optional, bool):
            raise self.fail(f"{where}.optional", "must be true or false")
        choices_from = None
        if "choices_from" in data:
            if kind != "single":
                raise self.fail(where, "only a single variable takes choices_from")
            choices_from = self.pattern(
                data["choices_from"], f"{where}.choices_from", VARIABLE_NAME, "a variable name"
            )
        parent = None
        if "parent" in data:
            parent = self.pattern(
                data["parent"], f"{where}.parent", VARIABLE_NAME, "a variable name"
            )
        applies_when = None
        if "applies_when" in data:
            applies_when = self.condition(data["applies_when"], f"{where}.applies_when")

        return Variable(
            name=name,
            label_nl=self.text(
                data["label_nl"], f"{where}.label_nl", max_bytes=VARIABLE_LABEL_MAX_BYTES
            ),
            label_en=self.text(
                data["label_en"], f"{where}.label_en", max_bytes=VARIABLE_LABEL_MAX_BYTES
            ),
            subject=cast(Subject, subject),
            kind=cast(Kind, kind),
            categories=categories,
            applies_when=applies_when,
            minimum=minimum,
            maximum=maximum,
            parent=parent,
            help_nl=self.help(data["help_nl"], f"{where}.help_nl"),
            help_en=self.help(data["help_en"], f"{where}.help_en"),
            choices_from=choices_from,
            optional=optional,
        )

    def help(self, raw: object, where: str) -> str:
        text = self.text(raw, where)
        if len(text) > HELP_MAX_CHARS:
            raise self.fail(where, f"is longer than {HELP_MAX_CHARS} characters")
        return text

    def condition(self, raw: object, where: str) -> Condition:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object")
        if "all_of" in raw:
            data = self.obj(raw, where, {"all_of"}, set())
            parts = self.items(data["all_of"], f"{where}.all_of", self.condition)
            return Condition(op="all_of", conditions=parts)
        operators = [op for op in ("in", "excludes", "min_selected") if op in raw]
        if len(operators) != 1:
            raise self.fail(where, "needs exactly one of in, excludes, min_selected or all_of")
        op = operators[0]
        data = self.obj(raw, where, {"variable", op}, set())
        variable = self.pattern(data["variable"], f"{where}.variable", VARIABLE_NAME, "a name")
        if op == "min_selected":
            count = self.integer(data[op], f"{where}.min_selected")
            if count < 1:
                raise self.fail(where, "min_selected must be at least 1")
            return Condition(op="min_selected", variable=variable, count=count)
        codes = self.items(data[op], f"{where}.{op}", self.code)
        if len(set(codes)) != len(codes):
            raise self.fail(where, "lists a code twice")
        return Condition(op="in" if op == "in" else "excludes", variable=variable, codes=codes)

    def code(self, raw: object, where: str) -> str:
        return self.pattern(raw, where, CATEGORY_CODE, "a category code")

    # references between variables

    def cross_check(self, edition: Edition) -> None:
        seen: set[str] = set()
        for variable in edition.variables:
            if variable.name in seen:
                raise self.fail(f"variable {variable.name!r}", "the name occurs twice")
            seen.add(variable.name)
        if edition.help_question.name in seen:
            raise self.fail("help_question", "its name is also a coding variable")

        for variable in edition.variables:
            where = f"variable {variable.name!r}"
            if variable.parent is not None:
                if variable.parent == variable.name:
                    raise self.fail(where, "is its own parent")
                if not edition.has(variable.parent):
                    raise self.fail(where, f"parent {variable.parent!r} does not exist")
            if variable.choices_from is not None:
                source = self.existing(edition, variable.choices_from, where, "choices_from")
                if source.kind != "multi":
                    raise self.fail(where, "choices_from must name a multi variable")
                if not set(variable.codes) <= set(source.codes):
                    raise self.fail(where, f"has categories that {source.name!r} lacks")
            if variable.applies_when is not None:
                self.check_condition(edition, variable, variable.applies_when, where)
        self.no_cycles(edition, "parent", lambda v: {v.parent} if v.parent else set())
        self.no_cycles(
            edition,
            "applies_when",
            lambda v: set(v.applies_when.referenced()) if v.applies_when else set(),
        )

    def existing(self, edition: Edition, name: str, where: str, what: str) -> Variable:
        if not edition.has(name):
            raise self.fail(where, f"{what} refers to unknown variable {name!r}")
        return edition.variable(name)

    def check_condition(
        self, edition: Edition, owner: Variable, condition: Condition, where: str
    ) -> None:
        if condition.op == "all_of":
            for part in condition.conditions:
                self.check_condition(edition, owner, part, where)
            return
        assert condition.variable is not None
        if condition.variable == owner.name:
            raise self.fail(where, "applies_when refers to the variable itself")
        gate = self.existing(edition, condition.variable, where, "applies_when")
        if condition.op == "min_selected":
            if gate.kind != "multi":
                raise self.fail(where, f"min_selected needs a multi variable, not {gate.name!r}")
            assert condition.count is not None
            if condition.count > len(gate.categories):
                raise self.fail(where, f"{gate.name!r} has fewer than {condition.count} categories")
            return
        if gate.kind not in ("single", "multi"):
            raise self.fail(
                where, f"applies_when needs a single or multi variable, not {gate.name!r}"
            )
        for code in condition.codes:
            if code not in gate.codes:
                raise self.fail(
                    where, f"applies_when refers to unknown category {code!r} of {gate.name!r}"
                )

    def no_cycles(self, edition: Edition, what: str, edges: Callable[[Variable], set[str]]) -> None:
        done: set[str] = set()

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in path:
                cycle = " -> ".join((*path[path.index(name) :], name))
                raise self.fail(f"variable {name!r}", f"{what} goes round in a circle: {cycle}")
            if name in done:
                return
            for nxt in sorted(edges(edition.variable(name))):
                visit(nxt, (*path, name))
            done.add(name)

        for variable in edition.variables:
            visit(variable.name, ())
