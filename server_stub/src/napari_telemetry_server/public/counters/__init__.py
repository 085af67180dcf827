"""Plugins' counters on the public side: the cells a week releases and the bound per weekly id
(``_cells``), their released numbers as the rows of the aggregate tables ``counters`` and
``counter_windows`` (``_rows``), and what a plugin's page shows of them (``_page``).

The releases themselves are the week's and the quarter's like every other table
(``_release_plan``: a listed query in each, with its own share of the budget); this room holds
what only counters need.
"""

from __future__ import annotations

from ._cells import (
    CELLS,
    WINDOW_CELLS,
    Cell,
    CellCounting,
    key,
    listed,
    parts,
    values_per_id,
)
from ._page import counter_pages
from ._rows import week_rows, window_rows

__all__ = [
    "CELLS",
    "WINDOW_CELLS",
    "Cell",
    "CellCounting",
    "counter_pages",
    "key",
    "listed",
    "parts",
    "values_per_id",
    "week_rows",
    "window_rows",
]
