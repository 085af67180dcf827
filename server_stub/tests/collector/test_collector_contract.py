"""The real client (recorder, uploader, CLI) against the real collector over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from napari_telemetry_server import Settings
from tests.collector_testing import LiveServer

pytestmark = pytest.mark.e2e

RECORD = """
from napari_telemetry.core import _consent
from napari_telemetry.core._store import get_recorder
from napari_telemetry.schema import Level

_consent.record_consent(Level.FULL)
recorder = get_recorder()
recorder.count("session", ("0.9.2", "3.11.7", "Linux", "debian-12", "x86_64"))
recorder.count("plugin", ("napari-svg", "0.2.1"))
recorder.count("plugin", ("napari-secret-lab-tool", "1.0.0"))
recorder.count("command", ("napari:window:file:open_files_dialog", "napari"), 3)
recorder.count("layer", ("Image", "numpy.ndarray", 2, "uint8", False, 1, 20))
recorder.flush(timeout=5)
"""


def _client(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def client_env(collector: LiveServer) -> dict[str, str]:
    return {**os.environ, "NAPARI_TELEMETRY_URL": collector.url}


@pytest.fixture
def index_with_svg(settings: Settings) -> None:
    entries = [{"normalized_name": "napari-svg", "name": "napari-svg", "pypi_versions": ["0.2.1"]}]
    settings.plugin_index.write_text(json.dumps(entries))


def _counts(collector: LiveServer) -> dict[str, int]:
    counts: dict[str, int] = collector.app.state.resources.storage().counts()
    return counts


@pytest.mark.usefixtures("index_with_svg")
def test_send_now_delivers_and_resending_changes_nothing(
    collector: LiveServer, client_env: dict[str, str]
) -> None:
    _client("-c", RECORD, env=client_env)
    _client("-m", "napari_telemetry", "send", "--now", env=client_env)
    counts = _counts(collector)
    assert counts["batches"] == 3  # one per level stream
    assert (counts["session_records"], counts["command_records"], counts["layer_records"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert counts["plugin_records"] == 1  # the unlisted plugin is dropped server-side too
    storage = collector.app.state.resources.storage()
    with storage.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name, version FROM plugin_records").all() == [
            ("napari-svg", "0.2.1")
        ]

    _client("-m", "napari_telemetry", "send", "--now", env=client_env)
    sent = sorted(Path(os.environ["NAPARI_TELEMETRY_DIR"]).rglob("sent/*/*.json"))
    assert len(sent) == 3
    for copy in sent:  # the very same batches, sent again
        envelope = json.loads(copy.read_text())
        again = httpx.post(f"{collector.url}/v1/{envelope['level']}/batches", json=envelope)
        assert (again.status_code, again.json()["stored"]) == (200, False)
    assert _counts(collector) == counts


@pytest.mark.usefixtures("index_with_svg")
def test_forget_deletes_what_was_sent(collector: LiveServer, client_env: dict[str, str]) -> None:
    _client("-c", RECORD, env=client_env)
    _client("-m", "napari_telemetry", "send", "--now", env=client_env)
    assert _counts(collector)["batches"] == 3
    out = _client("-m", "napari_telemetry", "forget", env=client_env)
    assert "deleted the data sent with these ids" in out
    counts = _counts(collector)
    assert counts["batches"] == counts["plugin_records"] == counts["layer_records"] == 0
    assert counts["tombstones"] >= 1
