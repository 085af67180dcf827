"""``demo``: a year of synthetic raw data through the real storage, aggregated and published.

Everything goes into one folder (``raw.sqlite``, ``aggregates.sqlite``, ``collection/``: the
demo's signed collection manifests, ``site/``) that is never the operator's real data folder,
so a newcomer can look at a full dashboard and delete it after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from napari_telemetry.schema import iso_week, shift_week, week_start
from napari_telemetry_server.collection import sign_collection
from napari_telemetry_server.public import (
    AggregateReport,
    PublishReport,
    ReleaseSettings,
    aggregate,
    load_or_create_key,
    public_pem,
    publish,
)
from napari_telemetry_server.storage import Storage, make_engine

from ._data import REVIEWED, DemoShape, Synth

_GROUP = 2000  # batches per transaction (the collector's group commit)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things and what it did."""

    folder: Path
    batches: int
    aggregated: AggregateReport
    published: PublishReport

    @property
    def site(self) -> Path:
        return self.folder / "site"


def seed(
    raw: Path,
    shape: DemoShape,
    *,
    seed: int = 8,
    last_week: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store a synthetic year in the raw database *raw* through ``Storage``; return batches."""
    if raw.exists():
        raise ValueError(f"{str(raw)!r} already exists; the demo only seeds a new database")
    engine = make_engine(raw)
    try:
        storage = Storage(engine)
        count, group = 0, []
        for batch in Synth(seed, shape).batches(last_week or iso_week(date.today())):
            group.append(batch)
            if len(group) == _GROUP:
                count += sum(storage.insert_batches(group))
                group = []
                if progress:
                    progress(count)
        count += sum(storage.insert_batches(group)) if group else 0
    finally:
        engine.dispose()
    return count


def run_demo(
    folder: Path,
    shape: DemoShape | None = None,
    *,
    seed_value: int = 8,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Seed, aggregate and publish into *folder*; the site is ``folder / "site"``."""
    folder.mkdir(parents=True, exist_ok=True)
    shape = shape or DemoShape()
    batches = seed(folder / "raw.sqlite", shape, seed=seed_value, progress=progress)
    # The calendar starts at the synthetic year's first week (a real one starts when its ledger
    # is made), and no purge has touched synthetic data: every finished week is complete.
    first = shift_week(iso_week(date.today()), 1 - shape.weeks)
    collection = sign_demo_collection(folder, week_start(first))
    report = aggregate(
        folder / "raw.sqlite",
        folder / "aggregates.sqlite",
        settings=ReleaseSettings(first_week=first),
        assume_complete=True,
        collection=collection,
    )
    key, _ = load_or_create_key(folder / "signing_key.pem")
    site = publish(folder / "aggregates.sqlite", folder / "site", public_key=public_pem(key))
    return DemoResult(folder, batches, report, site)


def sign_demo_collection(folder: Path, since: date, until: date | None = None) -> Path:
    """The demo's collection manifests in ``folder / "collection"``, in force from *since* to
    *until* (today) at least.

    Signed as the operators would have: a new version about every year (a counter may be
    approved for a year at most), each valid until the next.
    """
    collection = folder / "collection"
    key, _ = load_or_create_key(folder / "collection_key.pem")
    day = since
    while day <= (until or date.today()):
        text = REVIEWED.format(expires=day + timedelta(days=360))
        sign_collection(text, [key], collection, today=day, days=367)
        day += timedelta(days=350)
    return collection
