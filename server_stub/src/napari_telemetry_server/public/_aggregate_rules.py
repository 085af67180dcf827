"""Publication rules that are not noise: the operator's denylist, week validity, badge buckets.

Pure functions with their reasons in docstrings; the privacy of released numbers is in
``_release_dp`` (differential privacy), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from napari_telemetry.schema import week_start

_SEP = re.compile(r"[.:]")


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


def valid_week(week: object) -> bool:
    """Whether *week* is an ISO week such as ``2026-W48`` that exists (from 1970 on).

    The wire pattern also admits ``2025-W53`` (2025 has 52 weeks) and year 0000: a batch stored
    before the ingest window refused them must be skipped, not stop a release.
    """
    try:
        return isinstance(week, str) and week_start(week).year >= 1970
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
