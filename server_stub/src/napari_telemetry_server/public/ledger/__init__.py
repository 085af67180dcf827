"""The ledger of released periods: the calendar, the record of what was published, its budget.

The ledger itself is kept in the raw database (``storage.Ledger``), written in the same
transaction as each release. This room decides what it means: which periods are due by the
calendar alone (``_calendar``), how the aggregate file is rebuilt from the ledger byte for byte
and checked against it (``_cache``, ``_books``), and what the released periods have spent,
period by period and over a year (``_budget``).
"""

from __future__ import annotations

from ._books import book_of, check, open_books
from ._budget import Year, costs, ledger_lines, ledger_report, year
from ._cache import RELEASED, Book, read, write
from ._calendar import (
    Due,
    complete,
    due_quarters,
    due_weeks,
    pinned,
    releasable,
    settings_note,
)

__all__ = [
    "RELEASED",
    "Book",
    "Due",
    "Year",
    "book_of",
    "check",
    "complete",
    "costs",
    "due_quarters",
    "due_weeks",
    "ledger_lines",
    "ledger_report",
    "open_books",
    "pinned",
    "read",
    "releasable",
    "settings_note",
    "write",
    "year",
]
