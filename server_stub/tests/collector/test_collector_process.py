"""``napari-telemetry-server`` as an operator runs it: a real process, real files, the CLI."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from napari_telemetry.schema import BATCH_MODELS, Level
from napari_telemetry_server import Storage, make_engine
from napari_telemetry_server._cli import main
from tests.collector_testing import UNPRIVILEGED, Process

pytestmark = pytest.mark.slow  # a real collector process per test: left out of the quick loop
MakeBatch = Callable[..., dict[str, Any]]
_needs_setpriv = pytest.mark.skipif(
    bool(UNPRIVILEGED) and shutil.which("setpriv") is None,
    reason="running as root without setpriv (util-linux): file modes cannot make the DB read-only",
)


def _standard(folder: Path, plugin_index: Path) -> list[str]:
    return ["--db", str(folder / "raw.sqlite"), "--log-dir", str(folder / "logs"),
            "--plugin-index", str(plugin_index)]  # fmt: skip


def test_no_ip_address_in_any_file_the_server_writes(
    run_server: Callable[..., Process], tmp_path: Path, plugin_index: Path, make_batch: MakeBatch
) -> None:
    folder = tmp_path / "server"
    server = run_server(*_standard(folder, plugin_index), "--rate-limit", "40")
    with httpx.Client(base_url=server.url) as client:
        for level in ("basic", "middle", "full"):
            assert (
                client.post(f"/v1/{level}/batches", json=make_batch(level, n=3)).status_code == 201
            )
        body = gzip.compress(json.dumps(make_batch("middle")).encode())
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        assert client.post("/v1/middle/batches", content=body, headers=headers).status_code == 201
        assert (
            client.post("/v1/full/batches", content=body[:20], headers=headers).status_code == 400
        )
        assert client.post("/v1/full/batches", json={"records": 1}).status_code == 422
        assert client.post("/v1/deletion", json={"user_ids": ["a" * 32]}).status_code == 202
        assert client.post("/nope", json={}).status_code == 404
        while client.get("/healthz").status_code == 200:
            if client.post("/v1/deletion", json={"user_ids": ["b" * 32]}).status_code == 429:
                break
    server.stop()
    written = [p for p in folder.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"raw.sqlite", "collector.log", "stdout.txt"} <= names
    assert "Uvicorn running on" in (folder / "logs" / "collector.log").read_text()
    for path in written:
        assert b"127.0.0.1" not in path.read_bytes(), path.name


@_needs_setpriv
def test_read_only_database_is_503_then_recovers(
    run_server: Callable[..., Process], tmp_path: Path, plugin_index: Path, make_batch: MakeBatch
) -> None:
    folder = tmp_path / "server"
    server = run_server(*_standard(folder, plugin_index))
    send = lambda: httpx.post(f"{server.url}/v1/basic/batches", json=make_batch("basic"))  # noqa: E731
    assert send().status_code == 201
    db = folder / "raw.sqlite"
    db.chmod(0o444)
    try:
        refused = send()
        assert (refused.status_code, refused.headers["retry-after"]) == (503, "60")
    finally:
        db.chmod(0o644)
    assert send().status_code == 201
    server.stop()
    engine = make_engine(db)
    assert Storage(engine).counts()["batches"] == 2
    engine.dispose()


def test_serve_without_options_uses_a_data_folder(
    run_server: Callable[..., Process], tmp_path: Path, make_batch: MakeBatch
) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    server = run_server(**env)
    response = httpx.post(f"{server.url}/v1/middle/batches", json=make_batch("middle", n=2))
    assert response.status_code == 201
    server.stop()
    assert (tmp_path / "data" / "napari-telemetry-server" / "raw.sqlite").is_file()
    log = next((tmp_path / "state").rglob("collector.log")).read_text()
    assert "no public plugin index file" in log


def test_database_from_the_environment(
    run_server: Callable[..., Process], tmp_path: Path, make_batch: MakeBatch
) -> None:
    db = tmp_path / "env.sqlite"
    server = run_server(NAPARI_TELEMETRY_SERVER_DB=str(db),
                        NAPARI_TELEMETRY_SERVER_LOG_DIR=str(tmp_path / "logs"))  # fmt: skip
    assert (
        httpx.post(f"{server.url}/v1/basic/batches", json=make_batch("basic")).status_code == 201
    )
    server.stop()
    assert db.is_file()


def _store(db: Path, make_batch: MakeBatch, received: date, **kw: Any) -> None:
    engine = make_engine(db)
    batch = BATCH_MODELS[Level.FULL].model_validate(make_batch("full", n=2, **kw))
    Storage(engine, today=lambda: received).insert_batch(batch)
    engine.dispose()


def _counts(db: Path) -> dict[str, int]:
    engine = make_engine(db)
    try:
        return Storage(engine).counts()
    finally:
        engine.dispose()


def test_purge_command(
    tmp_path: Path, make_batch: MakeBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "raw.sqlite"
    _store(db, make_batch, date.today() - timedelta(days=61))
    _store(db, make_batch, date.today() - timedelta(days=60))
    assert main(["purge", "--db", str(db)]) == 0
    assert "purged 1 raw batches" in capsys.readouterr().out
    assert _counts(db)["batches"] == 1


def test_forget_command(
    tmp_path: Path, make_batch: MakeBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "raw.sqlite"
    user = "c" * 32
    _store(db, make_batch, date.today(), user_id=user)
    _store(db, make_batch, date.today())
    assert main(["forget", user, "d" * 32, "--db", str(db)]) == 0
    assert "deleted 1 raw batches of 2 ids" in capsys.readouterr().out
    counts = _counts(db)
    assert (counts["batches"], counts["tombstones"]) == (1, 2)


def test_forget_refuses_what_is_not_an_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forget", "alice@example.org", "--db", str(tmp_path / "raw.sqlite")]) == 2
    assert "alice@example.org" in capsys.readouterr().err


def test_module_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "napari_telemetry_server", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for verb in ("serve", "purge", "forget"):
        assert verb in out
    assert "``" not in out  # reStructuredText markup does not belong in a terminal


def test_version_is_the_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.split() == [
        "napari-telemetry-server",
        version("napari-telemetry-server"),
    ]
