"""A day bigger than the collector's body limit is sent in batches that fit, none dropped."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from e2e.e2e_support import INDEX, Collector
from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._store import get_recorder, preview
from napari_telemetry.core._store._batches import wire_bytes
from napari_telemetry.core._transport import RequestsTransport
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import MAX_BATCH_BYTES, Level

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    with Collector(tmp_path / "collector", INDEX) as running:
        monkeypatch.setenv("NAPARI_TELEMETRY_URL", running.url)
        yield running


def _record_a_big_day(commands: int) -> None:
    """A schema-valid full day: *commands* command records with long ids (≈ 1.3 MB of JSON)."""
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    for i in range(commands):
        recorder.count("command", (f"napari.{'x' * 180}.c{i:05d}", "napari"), i + 1)
    recorder.flush(timeout=30)
    past = (date.today() - timedelta(days=1)).isoformat()
    for path in _paths.pending_dir().glob("*/*.jsonl"):
        path.rename(path.with_name(f"{past}.jsonl"))


def _rows(db: Path, sql: str) -> tuple[object, ...]:
    with closing(sqlite3.connect(db)) as conn:
        return tuple(conn.execute(sql).fetchone())


def test_a_day_over_the_body_limit_is_split_into_batches_that_all_arrive(
    collector: Collector,
) -> None:
    _record_a_big_day(5_000)
    full = [b for b in preview() if b["level"] == "full"]
    assert sum(len(wire_bytes(b)) for b in full) > MAX_BATCH_BYTES  # one batch would be 413
    assert len(full) >= 2
    assert all(len(wire_bytes(b)) <= MAX_BATCH_BYTES for b in full)
    assert len({b["week"] for b in full}) == 1
    assert len({b["user_id"] for b in full}) == 1
    assert len({b["batch_id"] for b in full}) == len(full)
    assert sum(len(b["records"]) for b in full) == 5_000

    report = Uploader(RequestsTransport()).send_now()
    assert (report.sent, report.dropped, report.kept) == (len(full), 0, 0), str(report)
    expected = (len(full), 5_000, sum(range(1, 5_001)))
    counts = "SELECT (SELECT COUNT(*) FROM batches WHERE level = 'full'), COUNT(*), SUM(count) "
    counts += "FROM command_records"
    assert _rows(collector.db, counts) == expected

    # A retry of every part (the answer was lost) is accepted and stores nothing twice.
    transport = RequestsTransport()
    for batch in full:
        response = transport.post(
            f"{collector.url}/v1/full/batches",
            wire_bytes(batch),
            {"Content-Type": "application/json"},
            timeout=30,
        )
        assert 200 <= response.status < 300, response
    assert _rows(collector.db, counts) == expected
    assert preview() == []
