"""Window partials: a released week's exact, bounded plugin counts, kept until its window is.

A quarter's install-weeks need weeks older than raw retention (60 days), so when a week is
released its bounded plugin counts (distinct weekly ids per plugin, at most ``max_plugins`` per
id: no id, no raw row) are kept on the private side, in the raw database, until the quarter is
released with noise once; then they are deleted. They are never published as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, delete, select

private = MetaData()
window_partials = Table(
    "window_partials",
    private,
    Column("period", String(8), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("plugin", String(200), primary_key=True),  # "" marks a week covered by no plugin
    Column("ids", Integer, nullable=False),
)


def create(engine: Engine) -> None:
    """Create the table in the raw database if it is not there."""
    private.create_all(engine, checkfirst=True)


def store(conn: Connection, period: str, week: str, counts: Counter[str]) -> None:
    """Keep *week*'s counts for *period* (replacing an earlier, unreleased attempt)."""
    t = window_partials
    conn.execute(delete(t).where(t.c.period == period, t.c.week == week))
    rows = [{"period": period, "week": week, "plugin": "", "ids": 0}]
    rows += [{"period": period, "week": week, "plugin": p, "ids": n} for p, n in counts.items()]
    conn.execute(t.insert(), rows)


def periods(conn: Connection) -> set[str]:
    """Periods that have partials waiting."""
    return {p for (p,) in conn.execute(select(window_partials.c.period).distinct())}


def load(conn: Connection, period: str) -> tuple[list[str], Counter[str]]:
    """The weeks covered and the summed counts (install-weeks per plugin) of *period*."""
    t = window_partials
    weeks: set[str] = set()
    total: Counter[str] = Counter()
    for week, plugin, ids in conn.execute(
        select(t.c.week, t.c.plugin, t.c.ids).where(t.c.period == period)
    ):
        weeks.add(week)
        if plugin:
            total[plugin] += int(ids)
    return sorted(weeks), total


def drop(conn: Connection, done: Iterable[str]) -> None:
    """Delete the partials of released periods."""
    names = sorted(set(done))
    if names:
        conn.execute(delete(window_partials).where(window_partials.c.period.in_(names)))
