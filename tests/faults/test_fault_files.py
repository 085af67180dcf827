"""Damaged files and odd outputs: a folder in a day file's place, a damaged secret, garbage lines,
a reader that goes away, a consent choice that cannot be stored."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _paths, state
from napari_telemetry.core._store import get_recorder, preview
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import Level

from .fault_disks import read_only, tmpfs

BIN = Path(sys.executable).parent
SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _accepting() -> MockTransport:
    return MockTransport(lambda url, body, headers: Response(202, None, b"{}"))


def test_a_folder_in_the_place_of_a_day_file_blocks_nothing() -> None:
    _consent.record_consent(Level.BASIC)
    folder = _paths.pending_dir("basic")
    for day in (date.today() - timedelta(days=1), date.today()):
        (folder / f"{day.isoformat()}.jsonl").mkdir(parents=True)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    assert get_recorder().level is Level.BASIC  # recording went on beside the folder
    assert [len(b["records"]) for b in preview()] == [1]
    transport = _accepting()
    report = Uploader(transport).send_now(force=True)
    assert (report.sent, report.kept, report.notes) == (1, 0, []), str(report)
    assert all(p.is_dir() for p in folder.glob("*.jsonl"))  # the folders were left alone


def test_a_damaged_secret_is_explained_by_send(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    _paths.secret_file().parent.mkdir(parents=True, exist_ok=True)
    _paths.secret_file().write_bytes(b"short")
    assert main(["send", "--now"]) == 1  # nothing could be sent
    out = capsys.readouterr().out
    assert "unexpected error" not in out
    assert "nothing was sent: the secret file holds 5 bytes, expected 32" in out
    assert "napari-telemetry forget" in out


def test_the_pending_count_leaves_garbage_lines_out(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    (path,) = _paths.pending_dir("basic").glob("*.jsonl")
    with path.open("a") as f:
        f.write('{"c": "x", "t": "session"\nnot json at all\n[1, 2]\n\n')
    state.recorder = None  # as in a new process: the count comes from the files
    assert main(["status"]) == 0
    assert "Pending records: 1\n" in capsys.readouterr().out


def test_a_reader_that_goes_away_is_no_error() -> None:
    # What `napari-telemetry ids | head -3` does: the reader leaves before the output is written.
    child = subprocess.Popen(
        [str(BIN / "napari-telemetry"), "ids"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()
    err = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=60) == 1
    assert err == b""


@pytest.mark.gui
def test_a_consent_choice_that_cannot_be_stored_is_told_to_the_user(
    qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qtpy.QtWidgets import QMessageBox, QPushButton

    from napari_telemetry._qt import TelemetryController, set_controller
    from napari_telemetry._qt import _consent_dialog as dialogs
    from napari_telemetry._qt._controller import views

    with tmpfs(tmp_path / "disk") as mount:
        monkeypatch.setenv("NAPARI_TELEMETRY_DIR", str(mount / "telemetry"))
        _paths.config_dir().mkdir(parents=True)
        set_controller(TelemetryController())
        try:
            with read_only(mount):
                dialog = dialogs.ask_consent(None)
                buttons = dialog.findChildren(QPushButton)
                (share,) = [b for b in buttons if b.text() == "Share basic"]
                share.click()
                notice = views.notice
                assert isinstance(notice, QMessageBox)
                assert notice.isVisible()
                assert notice.text() == "Your choice to share basic could not be saved."
                assert "Read-only file system" in notice.informativeText()
                assert str(mount) not in notice.informativeText()  # the reason, never the path
                assert _consent.effective_level().level is Level.NONE
                notice.close()
        finally:
            state.reset()  # the views let go of the dialog and the notice before the disk goes
