"""Reading and linting counter declarations and the operators' reviewed file.

Both are TOML (the standard library reads it, refuses a key written twice and has real dates):
``napari-telemetry counters lint`` and the collector's ``collection check`` print these
problems, so a maintainer and a reviewer read the same words. Errors make a file unusable;
warnings are what a reviewer will ask about. The rules follow Glean's linter where they fit.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ._collection import ReviewedCollection
from ._counters import CounterDeclaration, Declaration

MAX_EXPIRY = timedelta(days=730)  # Glean's EXPIRATION_DATE_TOO_FAR
LONG_EXPIRY = timedelta(days=366)
_PLACEHOLDERS = {"todo", "tbd", "fixme", "xxx", "description", "counts things"}
_PRIVATE_WORDS = {"path", "file", "filename", "url", "uri", "email", "user", "username",
                  "host", "hostname", "ip", "name"}  # fmt: skip
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (a dotted key path) and what, in words."""

    severity: Literal["error", "warning"]
    where: str
    message: str
    code: str = "schema"  # what kind: schema, toml, expired, expiry, similar, placeholder, private

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class DeclarationError(ValueError):
    """A declaration or reviewed file that cannot be used; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def lint_declaration(text: str, *, today: date) -> tuple[Declaration | None, list[Problem]]:
    """A plugin's ``napari-telemetry.toml``: the declaration (None if unusable) and problems."""
    declaration, problems = _parse(text, Declaration)
    if declaration is not None:
        problems += _counter_problems(declaration.counters.items(), "counters", today)
    return declaration, problems


def lint_reviewed(text: str, *, today: date) -> tuple[ReviewedCollection | None, list[Problem]]:
    """The operators' reviewed file: the collection (None if unusable) and problems."""
    reviewed, problems = _parse(text, ReviewedCollection)
    if reviewed is not None:
        for plugin, entry in reviewed.plugins.items():
            where = f"plugins.{plugin}.counters"
            problems += _counter_problems(entry.counters.items(), where, today)
    return reviewed, problems


def read_declaration(text: str) -> Declaration:
    """The declaration in *text* (dates are not judged); :class:`DeclarationError` if unusable."""
    return _read(text, Declaration)


def read_reviewed(text: str) -> ReviewedCollection:
    """The reviewed file in *text* (dates not judged); :class:`DeclarationError` if unusable."""
    return _read(text, ReviewedCollection)


def _read(text: str, model: type[Model]) -> Model:
    value, problems = _parse(text, model)
    if value is None:
        raise DeclarationError(problems)
    return value


def _parse(text: str, model: type[Model]) -> tuple[Model | None, list[Problem]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [Problem("error", "file", f"not valid TOML: {e}", "toml")]
    try:
        return model.model_validate(data), []
    except ValidationError as e:
        return None, [_problem(err) for err in e.errors()]


def _problem(err: Any) -> Problem:
    loc = [str(p) for p in err["loc"] if p != "[key]"]
    where = ".".join(loc) or "file"
    kind, msg = err["type"], str(err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        msg = f"`{loc[-1]}` is missing"
    elif kind == "extra_forbidden":
        msg = f"`{loc[-1]}` is not a key this file may have"
    elif kind.startswith("date"):
        msg = f"expected a date such as 2027-06-30, got {err.get('input')!r}"
    elif kind == "string_too_short" and loc[-1] == "description":
        msg = "describe what is counted in a sentence a user can follow (20 characters or more)"
    return Problem("error", where, msg)


def _counter_problems(
    counters: Iterable[tuple[str, CounterDeclaration]], where: str, today: date
) -> list[Problem]:
    items = list(counters)
    problems = _similar([name for name, _ in items], where, "counter names")
    for name, counter in items:
        here = f"{where}.{name}"
        problems += _expiry(counter.expires, here, today)
        if counter.description.strip(" .!").lower() in _PLACEHOLDERS:
            problems.append(
                Problem("error", f"{here}.description", "a placeholder, not a text", "placeholder")
            )
        problems += _similar(list(counter.labels), f"{here}.labels", "labels")
        problems += _private(name, counter.labels, here)
    return problems


def _expiry(expires: date, where: str, today: date) -> list[Problem]:
    here = f"{where}.expires"
    if expires <= today:
        return [
            Problem("error", here, f"expired on {expires}: it is no longer counted", "expired")
        ]
    if expires - today > MAX_EXPIRY:
        far = f"{expires} is more than two years away; renew it later"
        return [Problem("error", here, far, "expiry")]
    if expires - today > LONG_EXPIRY:
        return [Problem("warning", here, f"{expires} is more than a year away", "expiry")]
    return []


def _similar(names: list[str], where: str, what: str) -> list[Problem]:
    """Names that differ only by case or by `_`, `.` and `-` (Glean's NAME_TOO_SIMILAR)."""
    seen: dict[str, str] = {}
    problems = []
    for name in names:
        key = re.sub(r"[-_.]", "", name).lower()
        if key in seen:
            message = f"{seen[key]!r} and {name!r} differ only by case or punctuation"
            problems.append(Problem("error", where, f"{what}: {message}", "similar"))
        seen.setdefault(key, name)
    return problems


def _private(name: str, labels: tuple[str, ...], where: str) -> list[Problem]:
    """Names that sound as if they could carry a file, an address or a person."""
    words = {w for w in re.split(r"[-_.]", name.lower()) if w in _PRIVATE_WORDS}
    for label in labels:
        words |= {w for w in re.split(r"[-_.]", label.lower()) if w in _PRIVATE_WORDS}
    if not words:
        return []
    text = ", ".join(sorted(words))
    why = "a count must never name a file, a path, an address or a person"
    says = f"mentions {text}: {why}; say in the description why not"
    return [Problem("warning", where, says, "private")]
