"""Opening the ledger for a run: its calendar, and the aggregate file checked against it.

The ledger in the raw database is the record of what was published. An aggregate file that is
missing or behind it (a lost disk, a restored backup) is simply rebuilt from it. A file that
disagrees with it about a period both hold is an error naming the period, and so is a file that
holds periods the ledger lacks, unless the operator says to adopt them (``aggregate --adopt``:
a file made before the ledger existed, or a raw database restored from a backup older than the
file). Nothing is ever released a second time to fill a gap.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from napari_telemetry.schema import iso_week, shift_week
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import Ledger, Period

from ._cache import Book, read

_REBUILD = "move the file away and run `aggregate` again, which rebuilds it from the ledger"


def book_of(ledger: Ledger) -> Book:
    """What the ledger holds now."""
    return Book(ledger.periods(), ledger.keys(), ledger.meta().get("first_week"))


def open_books(
    ledger: Ledger, out: Path, settings: ReleaseSettings, today: date, adopt: bool = False
) -> tuple[Book, list[str]]:
    """The ledger's book for this run (its calendar set), and notes for the report.

    ValueError when the aggregate file *out* disagrees with the ledger, or holds releases the
    ledger lacks and *adopt* is not given; nothing is written then.
    """
    mine = book_of(ledger)
    theirs = read(out) if out.exists() else None
    extra = _extra(mine, theirs, out) if theirs is not None else None
    if extra is not None and not adopt:
        raise ValueError(_unknown(out, extra))
    first = mine.first_week or settings.first_week
    if extra is not None:
        newest = max((p.last_week for p in extra.periods), default=None)
        first = first or extra.first_week or (newest and shift_week(newest, 1))
    first = first or iso_week(today)
    if settings.first_week not in (None, first):
        raise ValueError(
            f"the release calendar of this ledger starts at {first}, but the setting "
            f"FIRST_WEEK says {settings.first_week}: a calendar never moves (unset it)"
        )
    notes: list[str] = []
    if extra is not None:
        ledger.start(_calendar(first, today), extra.periods, extra.keys)
        notes.append(
            f"adopted {len(extra.periods)} releases and {len(extra.keys)} public keys "
            f"from {str(out)!r} into the ledger"
        )
    elif mine.first_week is None:
        ledger.start(_calendar(first, today))
    return book_of(ledger), notes


def check(ledger: Ledger, out: Path) -> None:
    """ValueError unless the aggregate file *out* is missing, behind or equal to the ledger."""
    if out.exists():
        extra = _extra(book_of(ledger), read(out), out)
        if extra is not None:
            raise ValueError(_unknown(out, extra))


def _calendar(first: str, today: date) -> dict[str, str]:
    return {"first_week": first, "created_on": today.isoformat()}


def _extra(mine: Book, theirs: Book, out: Path) -> Book | None:
    """What the file holds beyond the ledger; ValueError where the two disagree."""
    known = {p.period: p for p in mine.periods}
    extra = []
    for period in theirs.periods:
        ours = known.get(period.period)
        if ours is None:
            extra.append(period)
        elif ours != period:
            raise ValueError(
                f"{str(out)!r} disagrees with the ledger in the raw database on {period.period} "
                f"({_difference(ours, period)}); nothing was released. The ledger is the record "
                f"of what was published: {_REBUILD} (nothing is released twice)"
            )
    if None not in (mine.first_week, theirs.first_week) and mine.first_week != theirs.first_week:
        raise ValueError(
            f"{str(out)!r} has a release calendar from {theirs.first_week}, the ledger from "
            f"{mine.first_week}; nothing was released: {_REBUILD}"
        )
    keys = [k for k in theirs.keys if k.key_id not in {m.key_id for m in mine.keys}]
    if not extra and not keys:
        return None
    return Book(extra, keys, theirs.first_week)


def _difference(ours: Period, theirs: Period) -> str:
    for name in ("kind", "first_week", "last_week", "released_on", "document"):
        if getattr(ours, name) != getattr(theirs, name):
            return f"its {name.replace('_', ' ')}"
    tables = sorted(set(ours.numbers) | set(theirs.numbers))
    differ = [t for t in tables if ours.numbers.get(t) != theirs.numbers.get(t)]
    return f"its numbers in {', '.join(differ)}"


def _unknown(out: Path, extra: Book) -> str:
    names = [p.period for p in extra.periods] or [f"public key {k.key_id}" for k in extra.keys]
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return (
        f"{str(out)!r} holds {names[0]}{more}, which the ledger in the raw database does not; "
        "nothing was released. If this file is what was published (made before the ledger "
        "existed, or the raw database was restored from a backup older than it), run "
        f"`aggregate --adopt` once to record it in the ledger; if not, {_REBUILD}"
    )
