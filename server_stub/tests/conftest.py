"""Collector fixtures: settings in a temp folder, SQLite and a real PostgreSQL, a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from glob import glob
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry.schema import iso_week
from napari_telemetry_server import Settings, Storage, create_app, make_engine
from napari_telemetry_server.storage import metadata
from tests.collector_testing import Clock, LiveServer, Process, free_port

_SERVER_ENV = ("DB", "PLUGIN_INDEX", "LOG_DIR", "MAX_BODY_BYTES", "RATE_LIMIT", "RATE_WINDOW",
               "REQUEST_TIMEOUT", "TRUSTED_PROXIES", "DELETION_LIMIT", "WAL_LIMIT",
               "COLLECTION_DIR", "COLLECTION_KEY", "METRICS_PORT")  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same isolation as the plugin's tests: own folders, uploads to a dead loopback port."""
    monkeypatch.setenv("NAPARI_TELEMETRY_DIR", str(tmp_path / "telemetry"))
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", "http://127.0.0.1:9/{level}")
    for name in ("DO_NOT_TRACK", "NAPARI_TELEMETRY", "NAPARI_TELEMETRY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name in _SERVER_ENV:
        monkeypatch.delenv(f"NAPARI_TELEMETRY_SERVER_{name}", raising=False)


# ------------------------------------------------------------------ PostgreSQL


def _run_as_postgres(cmd: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + cmd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """NAPARI_TELEMETRY_TEST_PG_URL, or a throwaway cluster on 127.0.0.1 stopped at the end."""
    given = os.environ.get("NAPARI_TELEMETRY_TEST_PG_URL")
    if given:
        yield given
        return
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or (os.geteuid() == 0 and not shutil.which("runuser")):
        if os.environ.get("NAPARI_TELEMETRY_REQUIRE_PG") == "1":
            pytest.fail("NAPARI_TELEMETRY_REQUIRE_PG=1 but no PostgreSQL binaries were found")
        pytest.skip("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="napari-telemetry-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    _run_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync"])  # fmt: skip
    options = f"-h 127.0.0.1 -p {port} -k {root} -F"
    _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                      "-o", options, "start"])  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh raw database: a SQLite file, then (same tests) a real PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "raw.sqlite")
        return
    url: str = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> Clock:
    """The collector's day: today, so that the batches of ``make_batch`` are inside the window."""
    return Clock(date.today())


@pytest.fixture
def storage(db_url: str, clock: Clock) -> Iterator[Storage]:
    engine = make_engine(db_url)
    yield Storage(engine, today=clock)
    engine.dispose()


# ------------------------------------------------------------------ batches


@pytest.fixture
def make_batch(clock: Clock) -> Callable[..., dict[str, Any]]:
    """A valid wire batch (a JSON-ready dict) for *level* with *n* distinct records.

    Its week is the clock's, so it is inside the collector's week window.
    """

    def make(level: str = "middle", n: int = 1, **envelope: Any) -> dict[str, Any]:
        records = [_record(level, i) for i in range(n)]
        batch: dict[str, Any] = {
            "schema_version": 1,
            "batch_id": str(uuid.uuid4()),
            "level": level,
            "user_id": uuid.uuid4().hex,
            "week": iso_week(clock.day),
            "first_report": False,
            "install_age": "month",
            "client_version": "0.1.0",
            "records": records,
        }
        return {**batch, **envelope}

    return make


def _record(level: str, i: int) -> dict[str, Any]:
    if level == "basic":
        return {
            "type": "session", "napari_version": f"0.6.{i}", "python_version": "3.12.4",
            "os_name": "Linux", "os_version": "ubuntu-24", "arch": "x86_64", "launches": 2,
        }  # fmt: skip
    if level == "middle":
        return {"type": "plugin", "name": f"napari-plugin-{i}", "version": "1.0.0"}
    if i % 2:
        return {"type": "layer", "layer_type": "Image", "data_type": "numpy.ndarray", "ndim": 2,
                "dtype": "uint8", "multiscale": False, "levels": 1, "size_bucket": i % 40,
                "count": 1}  # fmt: skip
    return {"type": "command", "command_id": f"napari:cmd_{i}", "plugin": "napari", "count": 3}


@pytest.fixture
def plugin_index(tmp_path: Path) -> Path:
    """An index (npe2api extended_summary.json shape) listing napari-plugin-0..59 at 1.0.0."""
    import json

    entries = [
        {"name": f"napari-plugin-{i}", "normalized_name": f"napari-plugin-{i}",
         "version": "1.0.0", "pypi_versions": ["0.9.0", "1.0.0", "1.1.0rc1"]}
        for i in range(60)
    ]  # fmt: skip
    path = tmp_path / "public_plugins.json"
    path.write_text(json.dumps(entries))
    return path


@pytest.fixture
def settings(tmp_path: Path, plugin_index: Path) -> Settings:
    return Settings(
        db=str(tmp_path / "raw.sqlite"),
        plugin_index=plugin_index,
        collection_dir=tmp_path / "collection",
        log_dir=tmp_path / "logs",
        rate_limit=10_000,
    )


# ------------------------------------------------------------------ live server


@pytest.fixture
def serve() -> Iterator[Callable[..., LiveServer]]:
    """Start ``create_app(settings, storage=...)`` on 127.0.0.1; stopped after the test."""
    started: list[LiveServer] = []

    def start(settings: Settings, storage: Storage | None = None) -> LiveServer:
        server = LiveServer(create_app(settings, storage=storage)).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()
        server.app.state.resources.close()


@pytest.fixture
def collector(serve: Callable[..., LiveServer], settings: Settings) -> LiveServer:
    """The collector with default settings on a SQLite file, over real HTTP."""
    return serve(settings)


@pytest.fixture
def run_server(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start ``napari-telemetry-server serve ARGS`` in ``tmp_path/server``; stopped after."""
    started: list[Process] = []

    def start(*args: str, port: int | None = None, **env: str) -> Process:
        folder = tmp_path / "server"
        folder.mkdir(exist_ok=True)
        started.append(Process(list(args), folder, env, port))
        return started[-1]

    yield start
    for process in started:
        process.stop()
