"""Privacy rules for published cells: the k threshold, folding into "other", the denylist.

Pure functions over grouped rows. A *cell* is one (week, a, b) combination with the number of
distinct weekly ids behind it; ``b`` is ``""`` in one-dimensional tables. No table crosses more
than two dimensions besides the week.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

OTHER = "other"
DEFAULT_K = 5
WEEK_RE = re.compile(r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$")

Key = tuple[str, str, str]
_SEP = re.compile(r"[.:]")


@dataclass(frozen=True)
class Cell:
    """Distinct weekly ids (``users``) and summed counts (``total``) of one combination."""

    week: str
    a: str
    b: str
    users: int
    total: int

    @property
    def key(self) -> Key:
        return (self.week, self.a, self.b)


@dataclass(frozen=True)
class Denylist:
    """Values the operator never wants published, compared case-insensitively."""

    values: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", frozenset(v.strip().lower() for v in self.values))

    @classmethod
    def load(cls, path: Path | None) -> Denylist:
        """Read one value per line; ``#`` starts a comment; a missing file is an empty list."""
        if path is None or not path.exists():
            return cls()
        lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
        return cls(frozenset(line for line in lines if line))

    def denies(self, *values: object) -> bool:
        """Whether any of *values* is on the list, or is a command namespaced under one."""
        if not self.values:
            return False
        for value in values:
            text = str(value).lower()
            if text in self.values or _SEP.split(text, maxsplit=1)[0] in self.values:
                return True
        return False


@dataclass
class FoldPlan:
    """Cells that stand on their own, and the source keys to recount under a folded key."""

    kept: list[Cell] = field(default_factory=list)
    fold: dict[Key, Key] = field(default_factory=dict)
    dropped: int = 0


def plan_fold(
    cells: Iterable[Cell],
    *,
    k: int,
    deny: Denylist,
    parents: dict[tuple[str, str], int] | None = None,
) -> FoldPlan:
    """Decide which cells are published as they are and which are folded into "other".

    One-dimensional (``parents is None``): a value with fewer than k ids, or denied, folds into
    ``("other", "")``. Two-dimensional: a whole ``a`` with fewer than k ids (per ``parents``) or
    denied is dropped (its ids appear in the one-dimensional table's "other"); a rare or denied
    ``b`` folds into ``(a, "other")``. A real value spelled "other" is always recounted with the
    folded ones so that no id is counted twice.
    """
    plan = FoldPlan()
    for cell in cells:
        if parents is None:
            if cell.users < k or cell.a == OTHER or deny.denies(cell.a):
                plan.fold[cell.key] = (cell.week, OTHER, "")
            else:
                plan.kept.append(cell)
            continue
        if parents.get((cell.week, cell.a), 0) < k or deny.denies(cell.a):
            plan.dropped += 1
        elif cell.users < k or cell.b == OTHER or deny.denies(cell.b):
            plan.fold[cell.key] = (cell.week, cell.a, OTHER)
        else:
            plan.kept.append(cell)
    return plan


def count_folded(
    rows: Iterable[tuple[str, str, str, str, int]], fold: dict[Key, Key]
) -> list[Cell]:
    """Recount folded cells exactly from (week, a, b, user_id, total) rows: ids are unioned."""
    users: dict[Key, set[str]] = {}
    totals: dict[Key, int] = {}
    for week, a, b, user_id, total in rows:
        target = fold.get((week, a, b))
        if target is None:
            continue
        users.setdefault(target, set()).add(user_id)
        totals[target] = totals.get(target, 0) + int(total)
    return [Cell(*key, len(ids), totals[key]) for key, ids in users.items()]


def finish(plan: FoldPlan, folded: Iterable[Cell], *, k: int) -> list[Cell]:
    """The published cells: kept ones plus folded ones reaching k (smaller ones suppressed)."""
    return sorted([*plan.kept, *(c for c in folded if c.users >= k)], key=lambda c: c.key)


def valid_week(week: object) -> bool:
    """Whether *week* is an ISO week string such as ``2026-W48`` that exists (from 1970 on).

    The wire pattern also admits ``2025-W53`` (2025 has 52 weeks) and year 0000: one such batch
    must be a malformed row, not an error that stops every aggregation run.
    """
    if not isinstance(week, str) or WEEK_RE.match(week) is None:
        return False
    try:
        return date.fromisocalendar(int(week[:4]), int(week[6:]), 1).year >= 1970
    except ValueError:
        return False


BUCKETS = (5, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def bucket_range(value: float) -> tuple[int, int | None]:
    """The bucket [low, high) holding *value*: ``(100, 300)``; ``(0, 5)`` below the first."""
    low, high = 0, BUCKETS[0]
    for edge, nxt in zip(BUCKETS, (*BUCKETS[1:], None), strict=True):
        if value >= edge:
            low, high = edge, nxt  # type: ignore[assignment]
    return low, high
