"""A napari session with the example plugins: switch napari-counter-example's counters on in the
settings dock, run its command and its labelled calls, and what must never leave the computer.

Run by tests/e2e/test_plugin_counters.py in a child process (PYTHONPATH holds the example
plugins, installed); telemetry is at `full` by the CLI before. Prints one line per step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def pump(seconds: float, until: Callable[[], bool] | None = None) -> bool:
    """Let Qt run (the plugin's start, its background fetch, repaints), at most *seconds*."""
    from qtpy.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.02)
    return until is None


def main() -> int:
    import napari
    from app_model import Application

    from napari_telemetry._qt import PluginCountersSection

    viewer = napari.Viewer(title="napari-telemetry counters")
    pump(1.0)
    _, dock = viewer.window.add_plugin_dock_widget("napari-telemetry", "Settings")
    section = dock.findChild(PluginCountersSection)
    if not pump(60, lambda: len(section.rows()) == 1):  # the manifest is fetched meanwhile
        print(f"no plugin listed: {section.noteText()}")
        return 1
    (row,) = section.rows()
    print(f"listed: {row.plugin()} on={row.isOn()}")
    row._switch.click()  # the user switches it on
    if not pump(30, lambda: section.rows() and section.rows()[0].stateText().startswith("On")):
        print("the switch did not stay on")
        return 1
    print("switched on")
    app = Application.get_app("napari")
    assert app is not None
    print(app.commands.execute_command("napari-counter-example.segment", "nuclei").result())

    import napari_counter_example as example  # imported by npe2 for the command above

    example.use_model("cyto")  # a labelled call
    example.use_model("tissue")  # declared, not approved
    example.count_undeclared()
    example.use_old_viewer()  # its declared end has passed
    app.commands.execute_command("napari-counter-rogue.impersonate").result()
    print("counted")
    pump(2.0)
    viewer.close()
    pump(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
