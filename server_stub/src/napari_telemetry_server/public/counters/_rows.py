"""Released counts of plugins' counters as rows of the aggregate tables (pure functions).

Every listed cell has a row, zeros included: the rows a release adds are its list's, never the
data's. These rows are what the ledger keeps under the tables' names in a period's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._cells import parts

Rows = list[dict[str, Any]]


def week_rows(week: str, released: Mapping[str, int]) -> Rows:
    """A week's released cells as rows of ``counters``."""
    return [{"week": week, **_names(cell), "installs": n} for cell, n in sorted(released.items())]


def window_rows(period: str, weeks: int, released: Mapping[str, int]) -> Rows:
    """A quarter's released cells (install-weeks) as rows of ``counter_windows``."""
    return [
        {"period": period, **_names(cell), "install_weeks": n, "weeks": weeks,
         "mean_installs": round(n / weeks, 2)}
        for cell, n in sorted(released.items())
    ]  # fmt: skip


def _names(cell: str) -> dict[str, str]:
    plugin, counter, label = parts(cell)
    return {"plugin": plugin, "counter": counter, "label": label}
