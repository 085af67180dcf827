"""A short scripted napari session: what a headless `dev.py run` and the end-to-end test do.

Opens a real napari window (under Xvfb when there is no display), adds a numpy, a dask and a
zarr image, runs a napari command and a plugin's command (napari-svg's writer) through napari's
app-model (the path menus, the command palette and keybindings take), and closes napari. The
plugin starts by itself (npe2 discovery) and records at whatever level the consent in
``NAPARI_TELEMETRY_DIR`` allows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np
import zarr


def pump(seconds: float) -> None:
    """Let Qt run for a while (timers, the plugin's start-up, repaints)."""
    from qtpy.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def main() -> int:
    import napari
    from app_model import Application

    viewer = napari.Viewer(title="napari-telemetry demo")
    pump(1.0)
    cells = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    # Names a user would not want to leave the machine: the end-to-end test greps for them.
    viewer.add_image(cells, name="patient-0042-biopsy")
    stack = da.zeros((8, 256, 256), dtype=np.uint16, chunks=(1, 256, 256))
    viewer.add_image(stack, name="confidential-stack")
    viewer.add_image(zarr.zeros(shape=(4, 128, 128), chunks=(1, 128, 128), dtype="uint8"))
    app = Application.get_app("napari")  # napari's app-model, as its menus use it
    assert app is not None
    app.commands.execute_command("napari.canvas.toggle_scale_bar").result()
    with tempfile.TemporaryDirectory() as folder:
        svg = str(Path(folder) / "patient-0042-export.svg")
        app.commands.execute_command("napari-svg.svg_writer", svg, [(cells, {}, "image")]).result()
    pump(2.0)
    viewer.close()
    pump(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
