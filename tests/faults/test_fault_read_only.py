"""A read-only data folder: status, ids and preview work; forget says what it could not do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _paths, telemetry
from napari_telemetry.core._store import get_recorder
from napari_telemetry.schema import Level

from .fault_disks import read_only, tmpfs

BIN = Path(sys.executable).parent


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk") as mount:
        monkeypatch.setenv("NAPARI_TELEMETRY_DIR", str(mount / "telemetry"))
        yield mount


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "napari-telemetry"), *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _record(with_secret: bool) -> None:
    _consent.record_consent(Level.FULL)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    if not with_secret:  # agreeing makes it; an agreement from before that, or elsewhere, did not
        _paths.secret_file().unlink()


@pytest.mark.parametrize("with_secret", [True, False], ids=["secret", "no-secret-yet"])
def test_reading_works_on_a_read_only_data_folder(disk: Path, with_secret: bool) -> None:
    _record(with_secret)
    with read_only(disk):
        status = cli("status")
        ids = cli("ids")
        preview = cli("preview")
    for done in (status, ids, preview):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "cannot use the telemetry files" not in done.stderr
        assert "telemetry is off for this session" not in done.stderr
    assert "Telemetry level: full" in status.stdout
    assert "Pending records: 1" in status.stdout
    weeks = [line for line in ids.stdout.splitlines() if line.startswith("20")]
    if with_secret:
        assert [line.split()[1] for line in weeks] == [i for _, i in telemetry.ids()]
        assert len(weeks) == 1  # this week: agreed, and a record waits
    else:
        assert weeks == []
        assert "You have no weekly ids in use" in ids.stdout


@pytest.mark.parametrize("with_secret", [True, False], ids=["secret", "no-secret-yet"])
def test_forget_on_a_read_only_folder_says_what_it_could_not_do(
    disk: Path, with_secret: bool
) -> None:
    _record(with_secret)
    before = telemetry.ids() if with_secret else []
    with read_only(disk):
        done = cli("forget")
    assert done.returncode == 1
    assert "cannot use the telemetry files" not in done.stderr
    assert "Your secret could not be replaced (is the data folder writable?)." in done.stdout
    assert all(uid in done.stdout for _, uid in before)
    if with_secret:
        assert before
        assert "e-mail the ids above to privacy@napari.org" in done.stdout  # the way left
        assert telemetry.ids() == before  # the secret was left as it was
    else:
        assert "No ids to delete: none was used with your current secret." in done.stdout
