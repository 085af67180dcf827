"""Small parts on their own: log rotation and redaction, the inflater, the limiter, exports."""

from __future__ import annotations

import gzip
import logging
import time
from pathlib import Path

import pytest

import napari_telemetry_server
from napari_telemetry_server.collector._body import BodyError, _Inflater
from napari_telemetry_server.collector._limits import RateLimiter
from napari_telemetry_server.collector._logging import LOG_DAYS, RedactAddresses, file_handler


def test_exports_are_pinned() -> None:
    assert napari_telemetry_server.__all__ == sorted(napari_telemetry_server.__all__)
    assert napari_telemetry_server.__all__ == [
        "Settings", "Storage", "StorageUnavailable", "__version__",
        "create_app", "get_settings", "make_engine",
    ]  # fmt: skip


def test_validation_uses_the_clients_own_models() -> None:
    from napari_telemetry import schema
    from napari_telemetry_server import storage as _storage
    from napari_telemetry_server.collector import _ingest

    assert _ingest.BATCH_MODELS is schema.BATCH_MODELS
    assert _storage._tables.RECORD_TYPES is schema.RECORD_TYPES


def test_log_rotates_daily_and_keeps_14_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.time()]  # a clock the handler reads, moved by hand below
    monkeypatch.setattr(time, "time", lambda: now[0])
    handler = file_handler(tmp_path)
    logger = logging.getLogger("test-rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for day in range(30):
            logger.warning("day %d", day)
            now[0] += 86_400
        logger.warning("last")
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == LOG_DAYS + 1 == 15
    assert "collector.log" in files
    assert (tmp_path / "collector.log").read_text().strip().endswith("last")
    kept = {line for f in files for line in (tmp_path / f).read_text().splitlines()}
    assert kept == {"last"} | {f"day {d}" for d in range(16, 30)}  # the 14 latest days


@pytest.mark.parametrize(
    "message",
    [
        "Uvicorn running on http://127.0.0.1:8000",
        "peer 10.2.33.4 went away",
        "bound to [::1]:8000",
        "client 2001:db8::8a2e:370:7334 said hello",
    ],
)
def test_addresses_are_redacted_from_log_records(message: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (message,), None)
    RedactAddresses().filter(record)
    text = record.getMessage()
    assert "[address]" in text
    for fragment in ("127.0.0.1", "10.2.33.4", "::1", "2001:db8"):
        assert fragment not in text


def test_redaction_leaves_versions_and_times_alone() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "napari 0.6.4 at 12:30:01", (), None
    )
    RedactAddresses().filter(record)
    assert record.getMessage() == "napari 0.6.4 at 12:30:01"


def test_inflater_stops_at_the_limit_without_inflating_the_rest() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20))
    inflater = _Inflater(limit=1 << 20)
    produced = 0

    def feed_all() -> None:
        nonlocal produced
        for i in range(0, len(bomb), 4096):
            produced += len(inflater.feed(bomb[i : i + 4096]))

    with pytest.raises(BodyError) as caught:
        feed_all()
    assert caught.value.status == 413
    assert produced <= 1 << 20
    assert inflater._size <= (1 << 20) + 1


def test_limiter_counts_per_source_and_forgets_each_window() -> None:
    now = [100.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    now[0] += 15
    assert limiter.hit("a") == 45
    salt = limiter._salt
    now[0] += 45
    assert limiter.hit("a") is None
    assert limiter._salt != salt
    assert len(limiter._counts) == 1
