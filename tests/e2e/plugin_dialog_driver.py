"""A user inside a real napari, driven from its own event loop (run by test_plugin_dialog.py).

    python plugin_dialog_driver.py install|first-launch|uninstall|after-uninstall SECONDS

This runs in the environment under test (a fresh venv with napari and napari-plugin-manager), so
it imports only napari, Qt and the standard library, and napari-telemetry only once it is
installed and has shown itself. Each phase clicks through napari's own menus and dialogs, then
prints one ``RESULT {json}`` line and quits. The waits below only keep a broken run from hanging.

The one patch: napari-plugin-manager fetches its plugin list from two module constants
(``npe2api.EXTENDED_SUMMARY_URL`` and ``CONDA_URL``, read at call time) and offers no setting,
so ``install`` and ``uninstall`` point them at the local copy in ``E2E_PLUGIN_LIST``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import napari
from qtpy.QtCore import Qt, QTimer
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QAbstractButton, QApplication, QDialog, QMenu, QPushButton, QWidget

PLUGIN = "napari-telemetry"
TIMEOUT = 240.0
RESULT: dict[str, Any] = {}


def wait_until(what: str, condition: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Let napari run until *condition* returns something true; fail naming *what*."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        QTest.qWait(50)
    return value


def click(button: QAbstractButton) -> None:
    """A real mouse click in the middle of *button*."""
    wait_until(f"{button.text()!r} clickable", lambda: button.isVisible() and button.isEnabled())
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def menu_action(viewer: Any, *path: str) -> Any:
    """The menu-bar action at *path* (``"Plugins", "napari-telemetry", "Settings"``)."""
    actions = viewer.window.main_menu.actions()
    for i, title in enumerate(path):
        found = [a for a in actions if a.text().replace("&", "").startswith(title)]
        if not found:
            raise LookupError(f"no menu entry {' › '.join(path[: i + 1])!r}")
        if i == len(path) - 1:
            return found[0]
        menu: QMenu = found[0].menu()
        menu.aboutToShow.emit()  # napari fills some menus when they open
        actions = menu.actions()
    raise LookupError(path)


def menu_titles(viewer: Any, title: str) -> list[str]:
    """The entries of one menu of the menu bar, as shown."""
    (menu,) = [a.menu() for a in viewer.window.main_menu.actions() if title in a.text()]
    menu.aboutToShow.emit()
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


def accept_restart_notices() -> QTimer:
    """Answer napari-plugin-manager's modal "Please restart napari" with its Okay button."""

    def answer() -> None:
        notice = top_dialog("Restart napari")
        if notice is not None:
            RESULT["restart_notices"] = RESULT.get("restart_notices", 0) + 1
            button(notice, "Okay").click()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(100)
    return timer


# ---------------------------------------------------------------- napari-plugin-manager


def open_plugin_dialog(viewer: Any) -> Any:
    """Plugins › Install/Uninstall Plugins…, pointed at the local plugin list."""
    from napari_plugin_manager import npe2api

    base = os.environ["E2E_PLUGIN_LIST"]
    npe2api.EXTENDED_SUMMARY_URL = f"{base}/extended_summary"
    npe2api.CONDA_URL = f"{base}/conda"
    menu_action(viewer, "Plugins", "Install/Uninstall Plugins").trigger()
    window = viewer.window.main_menu.window()
    return wait_until("the plugin dialog", lambda: getattr(window, "_plugin_manager_dialog", None))


def list_item(plugin_list: Any, name: str) -> Any:
    """The row widget of *name* in one of the dialog's lists, or None."""
    for i in range(plugin_list.count()):
        widget = getattr(plugin_list.item(i), "widget", None)
        if widget is not None and widget.name == name and not plugin_list.item(i).isHidden():
            return widget
    return None


def run_action(dialog: Any, row: Any) -> int:
    """Click the row's Install or Uninstall button; wait for the installer; its exit code."""
    codes: list[int] = []
    dialog.installer.processFinished.connect(lambda data: codes.append(data["exit_code"]))
    RESULT["button"] = row.action_button.text()
    click(row.action_button)
    wait_until("the installer to finish", lambda: codes and not dialog.installer.hasJobs())
    RESULT["installer_output"] = dialog.stdout_text.toPlainText()[-3000:]
    return codes[-1]


def phase_install(viewer: Any) -> None:
    dialog = open_plugin_dialog(viewer)
    QTest.keyClicks(dialog.packages_search, "telemetry")
    row = wait_until("the plugin listed", lambda: list_item(dialog.available_list, PLUGIN))
    RESULT["listed_version"] = row.version_choice_dropdown.currentText()
    RESULT["exit_code"] = run_action(dialog, row)
    RESULT["shown_installed"] = bool(
        wait_until("the installed row", lambda: list_item(dialog.installed_list, PLUGIN), 30)
    )
    click(dialog.close_btn)


def phase_uninstall(viewer: Any) -> None:
    # The control for "sends nothing" later: installed, the plugin sends a finished day by itself.
    sent = Path(os.environ["NAPARI_TELEMETRY_DIR"], "data", "sent", "basic")
    wait_until("the plugin to send the finished day", lambda: list(sent.glob("*.json")))
    RESULT["sent_by_itself"] = len(list(sent.glob("*.json")))
    dialog = open_plugin_dialog(viewer)
    row = wait_until("the installed row", lambda: list_item(dialog.installed_list, PLUGIN))
    RESULT["exit_code"] = run_action(dialog, row)
    RESULT["shown_installed"] = list_item(dialog.installed_list, PLUGIN) is not None
    click(dialog.close_btn)


# ---------------------------------------------------------------- napari-telemetry's own UI


def top_dialog(title_start: str) -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        shown = isinstance(widget, QDialog) and widget.isVisible()
        if shown and widget.windowTitle().startswith(title_start):
            return widget
    return None


def button(parent: QWidget, text: str) -> QPushButton:
    (found,) = [b for b in parent.findChildren(QPushButton) if b.text() == text]
    return found


def phase_first_launch(viewer: Any) -> None:
    consent = wait_until("the consent dialog", lambda: top_dialog("napari-telemetry"))
    click(button(consent, "Share full"))
    from napari_telemetry._qt import PreviewDock, SettingsDock, StatusIndicator
    from napari_telemetry.schema import Level

    window = viewer.window.main_menu.window()
    (indicator,) = window.statusBar().findChildren(StatusIndicator)
    wait_until("the indicator at full", lambda: indicator.text().startswith("Telemetry: full"))
    menu_action(viewer, "Plugins", "napari-telemetry", "Settings").trigger()
    settings = wait_until("the settings dock", lambda: window.findChildren(SettingsDock))[0]
    settings.setLevel(Level.BASIC)  # the level switch, as a user picks
    wait_until("the indicator at basic", lambda: indicator.text().startswith("Telemetry: basic"))
    click(button(settings, "Preview…"))
    preview = wait_until("the preview dock", lambda: window.findChildren(PreviewDock))[0]
    pane = preview.pendingPane()
    wait_until("a pending batch", pane.batches)
    RESULT["pending"] = [
        {"level": b["level"], "types": sorted({r["type"] for r in b["records"]})}
        for b in pane.batches()
    ]
    RESULT["indicator"] = indicator.text()


def phase_after_uninstall(viewer: Any) -> None:
    QTest.qWait(int(float(sys.argv[2]) * 1000))  # longer than an installed plugin takes to send
    window = viewer.window.main_menu.window()
    RESULT["modules"] = sorted(m for m in sys.modules if m.startswith("napari_telemetry"))
    RESULT["dialogs"] = [w.windowTitle() for w in QApplication.topLevelWidgets()
                         if isinstance(w, QDialog) and w.isVisible()]  # fmt: skip
    RESULT["status_bar"] = [w.objectName() for w in window.statusBar().findChildren(QWidget)
                            if "telemetry" in w.objectName()]  # fmt: skip
    RESULT["plugins_menu"] = menu_titles(viewer, "Plugins")
    import npe2

    RESULT["manifests"] = sorted(m.name for m in npe2.PluginManager.instance().iter_manifests())


PHASES = {
    "install": phase_install,
    "first-launch": phase_first_launch,
    "uninstall": phase_uninstall,
    "after-uninstall": phase_after_uninstall,
}


def main() -> None:
    phase = PHASES[sys.argv[1]]
    viewer = napari.Viewer()
    notices = accept_restart_notices()

    def drive() -> None:
        try:
            phase(viewer)
            RESULT["ok"] = True
        except Exception:
            RESULT["error"] = traceback.format_exc()
        notices.stop()
        print("RESULT " + json.dumps(RESULT), flush=True)
        viewer.close()
        QApplication.instance().quit()

    QTimer.singleShot(0, drive)
    napari.run()


if __name__ == "__main__":
    main()
