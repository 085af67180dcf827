"""Render the plugin's views from the real code to PNG (docs/images/ unless --out is given).

    python scripts/screenshots.py [--out DIR]

consent.png, settings.png and preview.png are the real widgets over the real client core, with
a throwaway telemetry folder holding a little pending data; statusbar.png is the bottom of a real
napari window after the plugin started in it (needs a display: Xvfb with LIBGL_ALWAYS_SOFTWARE=1
on a headless machine). Nothing leaves the machine: uploads point at a dead loopback port.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from demo_session import pump  # the same Qt pump as the scripted demo (scripts/ is on the path)

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("consent.png", "settings.png", "preview.png", "statusbar.png")


def isolate(folder: Path) -> None:
    """Point every file the plugin and napari write at *folder*; let nothing leave the machine.

    The collector addresses stay the real defaults (that is what a user sees), but debug mode
    sends nothing, and the public plugin index is "fetched" from a dead loopback port.
    """
    os.environ["NAPARI_TELEMETRY_DIR"] = str(folder / "telemetry")
    os.environ["NAPARI_TELEMETRY_DEBUG"] = "1"
    os.environ["NAPARI_TELEMETRY_INDEX_URL"] = "http://127.0.0.1:9/extended_summary.json"
    os.environ["NAPARI_CONFIG"] = str(folder / "napari" / "settings.yaml")
    for name in ("DO_NOT_TRACK", "NAPARI_TELEMETRY", "NAPARI_TELEMETRY_URL"):
        os.environ.pop(name, None)


def seed() -> None:
    """Agree to ``full`` and record a few plausible records, as napari would."""
    from napari_telemetry.core import _consent, _store
    from napari_telemetry.schema import Level

    _consent.record_consent(Level.FULL, days=30)
    recorder = _store.get_recorder()
    recorder.count("session", ("0.9.2", "3.11.7", "Linux", "debian-12", "x86_64"))
    recorder.count("plugin", ("napari-svg", "0.2.1"))
    recorder.count("plugin", ("napari-console", "0.1.5"))
    recorder.count("command", ("napari.window.file.open_files_dialog", "napari"), 3)
    recorder.count("layer", ("Image", "numpy.ndarray", 2, "float32", False, 1, 15), 2)
    recorder.count("layer", ("Image", "dask.Array", 3, "uint16", False, 1, 20))
    recorder.flush(timeout=2)


def save(widget: Any, path: Path, size: tuple[int, int] | None = None) -> None:
    """Show *widget* at *size*, let it settle, and write what it draws."""
    if size is not None:
        widget.resize(*size)
    widget.show()
    pump(1.0)
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def render_widgets(out: Path) -> None:
    from napari_telemetry._qt import ConsentDialog, PreviewDock, SettingsDock, get_controller

    controller = get_controller()
    save(ConsentDialog(), out / "consent.png", (640, 860))
    settings = SettingsDock(controller)
    settings._ids_box.expand(animate=False)  # show the weekly ids too
    save(settings, out / "settings.png", (560, 620))
    preview = PreviewDock(controller)
    pump(1.0)
    tree = preview.pendingPane()._tree
    tree.setCurrentItem(tree.topLevelItem(0).child(0).child(0))
    save(preview, out / "preview.png", (640, 720))


def render_status_bar(out: Path) -> None:
    import napari

    from napari_telemetry._napari import _widgets

    viewer = napari.Viewer(title="napari-telemetry", show=True)
    viewer.window.resize(1000, 640)
    _widgets.preview_dock(viewer)  # any contribution starts the plugin and mounts the indicator
    pump(1.5)
    bar = viewer.window.main_menu.window().statusBar()
    pump(0.5)
    if not bar.grab().save(str(out / "statusbar.png")):
        raise SystemExit("could not write statusbar.png")
    print(f"wrote {out / 'statusbar.png'}")
    viewer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="napari-telemetry-shots-") as tmp:
        isolate(Path(tmp))
        from napari.qt import get_qapp

        app = get_qapp()  # napari's own application settings, as in a real session
        seed()
        render_widgets(args.out)
        render_status_bar(args.out)
        pump(0.5)
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
