"""The ledger of released periods, kept in the raw database: what was published, once.

Each released period (a week, a quarter) is one row: what it covered, the day it was released,
its release document (privacy accounting, the settings and bounds it was counted under) and its
released numbers, keyed by the aggregate table they fill (all public anyway). A period is
written once, in the same transaction as what the release leaves behind (a week's quarter
partials) or takes away (a quarter's), and its primary key keeps a second release of it out.
``purge`` and ``forget`` never touch these tables: they hold no weekly id and no raw row.

``window_partials`` holds a released week's bounded, exact plugin counts until its quarter is
released (raw data is kept 60 days; a quarter is 13 weeks), and ``counter_partials`` the same
week's bounded counts of every plugin counter's cell it released (zeros included: the cells a
quarter releases are those its weeks released); they are private and never published as they
are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy import exc as sa_exc

from ._tables import SCHEMA_LOCK, metadata

ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(32), primary_key=True),  # "first_week", "created_on"
    Column("value", String(200), nullable=False),
)
ledger_periods = Table(
    "ledger_periods",
    metadata,
    Column("period", String(8), primary_key=True),  # "2026-W48" or "2026-Q4"
    Column("kind", String(16), nullable=False),  # "week" | "window" (a quarter)
    Column("first_week", String(8), nullable=False),
    Column("last_week", String(8), nullable=False),
    Column("released_on", String(10), nullable=False),  # ISO date
    Column("document", Text, nullable=False),  # JSON, sorted keys
    Column("numbers", Text, nullable=False),  # JSON {aggregate table: [row, ...]}
)
ledger_keys = Table(
    "ledger_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("pem", Text, nullable=False),
    Column("first_used", String(10), nullable=False),
)
window_partials = Table(
    "window_partials",
    metadata,
    Column("period", String(8), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("plugin", String(200), primary_key=True),  # "" marks a week covered by no plugin
    Column("ids", Integer, nullable=False),
)
counter_partials = Table(
    "counter_partials",
    metadata,
    Column("period", String(8), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("plugin", String(100), primary_key=True),
    Column("counter", String(40), primary_key=True),
    Column("label", String(40), primary_key=True),  # "" for a counter without labels
    Column("ids", Integer, nullable=False),
)
# What a ledger must have to be read (``counter_partials`` came later: made when missing).
LEDGER_TABLES = (ledger_meta, ledger_periods, ledger_keys, window_partials)


class AlreadyReleased(ValueError):
    """The ledger holds this period already (another run released it meanwhile)."""


@dataclass(frozen=True)
class Period:
    """One released period as the ledger keeps it."""

    period: str
    kind: str
    first_week: str
    last_week: str
    released_on: str
    document: dict[str, Any]
    numbers: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class PublicKey:
    """The public half of a key that signed a certificate."""

    key_id: str
    pem: str
    first_used: str


Cell = tuple[str, str, str]  # a plugin counter's (plugin, counter, label)


@dataclass(frozen=True)
class Partials:
    """A week's bounded plugin counts (and counter cells), kept until its quarter's release."""

    period: str
    week: str
    counts: Counter[str]
    cells: Mapping[Cell, int] = field(default_factory=dict)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class Ledger:
    """The ledger's tables in the raw database *engine* (created if missing, with *create*)."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        if not create:
            missing = {t.name for t in LEDGER_TABLES} - set(inspect(engine).get_table_names())
            if missing:
                raise ValueError(f"no ledger in this database (no table {min(missing)})")
            return
        with self._write() as conn:
            if engine.dialect.name != "sqlite":  # as Storage does: one creates, the others wait
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            metadata.create_all(conn, tables=[*LEDGER_TABLES, counter_partials])

    def meta(self) -> dict[str, str]:
        """The calendar's settings: ``first_week`` and ``created_on`` (empty before the first)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ledger_meta.c.key, ledger_meta.c.value)).tuples()
            return dict(rows.all())  # a Result has keys(): dict() would take it for a mapping

    def periods(self) -> list[Period]:
        """Every released period, in the order they cover (weeks before their quarter)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ledger_periods)).mappings().all()
        found = [
            Period(
                period=r["period"],
                kind=r["kind"],
                first_week=r["first_week"],
                last_week=r["last_week"],
                released_on=r["released_on"],
                document=json.loads(r["document"]),
                numbers=json.loads(r["numbers"]),
            )
            for r in rows
        ]
        return sorted(found, key=lambda p: (p.last_week, p.kind, p.period))

    def keys(self) -> list[PublicKey]:
        """Every public key that signed a certificate, by key id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ledger_keys).order_by(ledger_keys.c.key_id)).tuples()
            return [PublicKey(*row) for row in rows]

    def start(
        self,
        meta: dict[str, str],
        adopted: Sequence[Period] = (),
        keys: Sequence[PublicKey] = (),
    ) -> None:
        """Set the calendar and take in periods and keys published before (one transaction)."""
        with self._write() as conn:
            conn.execute(ledger_meta.delete().where(ledger_meta.c.key.in_(sorted(meta))))
            conn.execute(ledger_meta.insert(), [{"key": k, "value": v} for k, v in meta.items()])
            for period in adopted:
                self._insert(conn, period)
            for key in keys:
                self._insert_key(conn, key)

    def record(
        self, period: Period, keep: Partials | None = None, release: Iterable[str] = ()
    ) -> None:
        """Write *period* with the partials it keeps or releases, in one transaction."""
        with self._write() as conn:
            self._insert(conn, period)
            if keep is not None:
                self._keep(conn, keep)
            self._drop(conn, release)

    def add_key(self, key: PublicKey) -> None:
        """Record a public key (a key already recorded keeps its first use)."""
        with self._write() as conn:
            found = conn.scalar(
                select(ledger_keys.c.key_id).where(ledger_keys.c.key_id == key.key_id)
            )
            if found is None:
                self._insert_key(conn, key)

    def partials(self, period: str) -> tuple[list[str], Counter[str]]:
        """The weeks kept for *period* and their summed counts (install-weeks per plugin)."""
        t = window_partials
        weeks: set[str] = set()
        total: Counter[str] = Counter()
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.week, t.c.plugin, t.c.ids).where(t.c.period == period))
            for week, plugin, ids in rows:
                weeks.add(week)
                if plugin:
                    total[plugin] += int(ids)
        return sorted(weeks), total

    def cell_partials(self, period: str) -> Counter[Cell]:
        """The counter cells *period*'s weeks released, with their summed counts (zeros too)."""
        t = counter_partials
        total: Counter[Cell] = Counter()
        with self.engine.connect() as conn:
            query = select(t.c.plugin, t.c.counter, t.c.label, t.c.ids).where(t.c.period == period)
            for plugin, counter, label, ids in conn.execute(query):
                total[(plugin, counter, label)] += int(ids)
        return total

    def partial_periods(self) -> set[str]:
        """Periods that have partials waiting."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(window_partials.c.period).distinct()).scalars())

    def drop_partials(self, periods: Iterable[str]) -> None:
        """Delete what is kept for *periods* (released, or never to be)."""
        with self._write() as conn:
            self._drop(conn, periods)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    @staticmethod
    def _insert(conn: Connection, period: Period) -> None:
        row = {
            "period": period.period,
            "kind": period.kind,
            "first_week": period.first_week,
            "last_week": period.last_week,
            "released_on": period.released_on,
            "document": _json(period.document),
            "numbers": _json(period.numbers),
        }
        try:
            conn.execute(ledger_periods.insert(), [row])
        except sa_exc.IntegrityError as e:  # the whole transaction is rolled back
            raise AlreadyReleased(
                f"the ledger already holds {period.period} (another `aggregate` released it "
                "meanwhile); this run's release of it was not kept"
            ) from e

    @staticmethod
    def _insert_key(conn: Connection, key: PublicKey) -> None:
        conn.execute(
            ledger_keys.insert(),
            [{"key_id": key.key_id, "pem": key.pem, "first_used": key.first_used}],
        )

    @staticmethod
    def _keep(conn: Connection, partials: Partials) -> None:
        t, period, week = window_partials, partials.period, partials.week
        conn.execute(t.delete().where(t.c.period == period, t.c.week == week))
        rows = [{"period": period, "week": week, "plugin": "", "ids": 0}]
        rows += [
            {"period": period, "week": week, "plugin": p, "ids": n}
            for p, n in sorted(partials.counts.items())
        ]
        conn.execute(t.insert(), rows)
        c = counter_partials
        conn.execute(c.delete().where(c.c.period == period, c.c.week == week))
        cells = [
            {"period": period, "week": week, "plugin": p, "counter": n, "label": label, "ids": ids}
            for (p, n, label), ids in sorted(partials.cells.items())
        ]
        if cells:
            conn.execute(c.insert(), cells)

    @staticmethod
    def _drop(conn: Connection, periods: Iterable[str]) -> None:
        names = sorted(set(periods))
        if names:
            for t in (window_partials, counter_partials):
                conn.execute(t.delete().where(t.c.period.in_(names)))
