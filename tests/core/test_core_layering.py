"""The core stays light and free of Qt, napari and (until a request is made) requests."""

from __future__ import annotations

import subprocess
import sys

import napari_telemetry._cli
import napari_telemetry.core
import napari_telemetry.core._store

_PROBE = """
import sys
import napari_telemetry._cli, napari_telemetry.core._store, napari_telemetry.core._uploader
from napari_telemetry.core._store import get_recorder
get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
heavy = {"napari", "qtpy", "PyQt6", "superqt", "magicgui", "requests", "vispy"}
print(sorted(heavy & {m.split(".")[0] for m in sys.modules}))
"""


def test_core_imports_no_gui_and_no_requests() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_exported_members_are_pinned() -> None:
    assert napari_telemetry.core._store.__all__ == [
        "MAX_PENDING_BYTES",
        "Pending",
        "PendingDay",
        "Recorder",
        "Waiting",
        "build",
        "bump_stats",
        "delete_pending",
        "drop_outside_window",
        "due",
        "finish",
        "get_recorder",
        "level_changed",
        "locked",
        "notify",
        "pending",
        "pending_files",
        "pending_here",
        "preview",
        "preview_json",
        "seal",
        "sent_copies",
        "stats_in_words",
        "storage_problem",
        "wire_bytes",
        "withdraw_counters",
        "withdraw_pending",
    ]
    assert napari_telemetry._cli.__all__ == ["main", "preview_json"]
    for package in (napari_telemetry.core._store, napari_telemetry._cli):
        assert package.__all__ == sorted(package.__all__)
        assert all(hasattr(package, name) for name in package.__all__)


def test_the_front_door_is_pinned() -> None:
    assert napari_telemetry.core.__all__ == [
        "MAX_CONSENT_DAYS",
        "PRIVACY_EMAIL",
        "CarryError",
        "CounterOffer",
        "Decision",
        "Endpoints",
        "ExportReport",
        "FileSendReport",
        "Folder",
        "ForgetResult",
        "LocalForgetResult",
        "NextSend",
        "Overview",
        "PluginOffer",
        "Recorder",
        "SecretError",
        "SendReport",
        "State",
        "Status",
        "Stream",
        "Telemetry",
        "preview_json",
        "state",
        "telemetry",
    ]
    assert all(hasattr(napari_telemetry.core, name) for name in napari_telemetry.core.__all__)
