"""Start at launch: npe2's discovery in the first Viewer() imports the package, which starts
telemetry once the event loop runs; and nothing happens in any other process that imports it.

These run napari in a fresh interpreter: napari's pytest plugin, and this test process, would
have imported the package long before discovery.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from napari_telemetry._napari import _launch
from napari_telemetry.core import _paths
from napari_telemetry.schema import Level

from .telemetry_helpers import consent

LAUNCH = """
import json, sys
import napari
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
viewer = napari.Viewer(show=False)
out = {"imported_by_discovery": "napari_telemetry" in sys.modules}
def check():
    try:
        from napari_telemetry._napari import _runtime
        from napari_telemetry.core import _store
        out["hooks"] = [name for _, name in _runtime._rt.registries]
        out["attached"] = viewer in _runtime._rt.viewers
        out["asked"] = _runtime._rt.asked
        _store.get_recorder().flush(timeout=5)
        out["pending"] = sorted(r["type"] for b in _store.preview() for r in b["records"])
        print("RESULT " + json.dumps(out), flush=True)
    finally:
        viewer.close()
        QApplication.instance().quit()
QTimer.singleShot(1000, check)
napari.run()
"""


def _run(code: str, **env: str) -> dict[str, Any]:
    """Run *code* in a fresh interpreter that looks like a user's desktop napari."""
    clean = {k: v for k, v in os.environ.items() if k not in _NOT_A_DESKTOP}
    clean.update(DISPLAY=os.environ.get("DISPLAY", ":99"), LIBGL_ALWAYS_SOFTWARE="1", **env)
    proc = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert lines, proc.stdout[-2000:] + proc.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT "))  # type: ignore[no-any-return]


_NOT_A_DESKTOP = {"PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "QT_QPA_PLATFORM", "PYTHONPATH"}


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_first_viewer_starts_telemetry_without_any_widget() -> None:
    consent(Level.FULL)
    got = _run(LAUNCH)
    assert got["imported_by_discovery"], (
        "napari's plugin discovery no longer imports napari_telemetry: the sub-package entry "
        "point (napari_telemetry._manifest:napari.yaml) stopped working, so telemetry will not "
        "start at launch; see docs/design.md 'Starting at launch'"
    )
    assert got["hooks"] == ["execute_command", "get", "actions"]
    assert got["attached"] is True
    assert got["pending"] == ["session"]  # full, but nothing was done yet; index unavailable


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_first_launch_asks_for_consent_and_records_nothing() -> None:
    got = _run(LAUNCH)
    assert got["imported_by_discovery"]
    assert got["asked"] is True
    assert got["pending"] == []


# napari-plugin-manager's dialog runs npe2's discovery again right after `pip install`, in the
# napari that is already open; here the package is kept out of the first Viewer()'s discovery
# (as if not yet installed) and discovered afterwards.
INSTALLED_WHILE_RUNNING = LAUNCH.replace(
    "viewer = napari.Viewer(show=False)\n",
    "sys.modules['napari_telemetry'] = None\n"
    "viewer = napari.Viewer(show=False)\n"
    "del sys.modules['napari_telemetry']\n"
    "import npe2\n"
    "npe2.PluginManager.instance().discover()\n",
)


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_installed_while_napari_runs_starts_at_the_next_launch() -> None:
    got = _run(INSTALLED_WHILE_RUNNING)
    assert got["imported_by_discovery"]
    assert got["asked"] is False  # no consent prompt popping up over the plugin dialog
    assert got["hooks"] == []
    assert got["pending"] == []


SHOW_DIALOG = LAUNCH.replace(
    '        out["asked"] = _runtime._rt.asked\n',
    '        out["asked"] = _runtime._rt.asked\n'
    "        from napari_telemetry._qt._consent_dialog import ConsentDialog\n"
    '        out["dialogs"] = [w.plainText() for w in QApplication.topLevelWidgets()\n'
    "                          if isinstance(w, ConsentDialog) and w.isVisible()]\n",
)


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_a_changed_field_is_explained_when_napari_asks_again() -> None:
    consent(Level.BASIC)
    path = _paths.consent_file()
    record = json.loads(path.read_text())
    record["schema_hash"] = "0" * 16  # agreed under an older plugin, whose os_name lacked "other"
    record["terms"]["session.os_name"]["enum"].remove("other")
    path.write_text(json.dumps(record))
    got = _run(SHOW_DIALOG)
    assert got["asked"] is True
    (text,) = got["dialogs"]
    assert "What changed since you agreed\nsession.os_name: now also reports other" in text
    assert "Now: what the basic level collects changed since you agreed on" in text


def test_plain_import_touches_neither_napari_nor_qt() -> None:
    code = (
        "import sys, json, napari_telemetry, napari_telemetry.schema\n"
        "mods = [m for m in sys.modules if m.split('.')[0] in "
        "('napari', 'qtpy', 'PyQt6', 'PyQt5', 'PySide6', 'npe2', 'requests')"
        " or m.startswith('napari_telemetry._napari')]\n"
        "print('RESULT ' + json.dumps(mods))\n"
    )
    assert _run(code) == []  # type: ignore[comparison-overlap]


def test_npe2_discovery_outside_napari_imports_but_starts_nothing() -> None:
    code = (
        "import sys, json, npe2\n"
        "pm = npe2.PluginManager()\n"
        "pm.discover()\n"
        "print('RESULT ' + json.dumps({'imported': 'napari_telemetry' in sys.modules,"
        " 'found': 'napari-telemetry' in pm._manifests,"
        " 'launch': 'napari_telemetry._napari._launch' in sys.modules}))\n"
    )
    got = _run(code)
    assert got == {"imported": True, "found": True, "launch": False}


def test_never_starts_inside_a_test_run() -> None:
    assert _launch.in_napari_gui() is False
    _launch.on_import()  # a no-op here, and never raises


def test_the_queued_start_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from napari_telemetry._napari import _hooks

    def broken() -> None:
        raise RuntimeError("napari changed")

    monkeypatch.setattr(_hooks, "current_viewer", broken)
    _launch.launched()  # logged at debug, nothing raised into Qt
