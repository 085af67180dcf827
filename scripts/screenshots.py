"""Photograph the plugin's views in a real napari window (docs/images/ unless --out is given).

    python scripts/screenshots.py [--out DIR]     # draw the pictures and their manifest
    python scripts/screenshots.py --check         # do the committed pictures show the code?

consent.png is the consent dialog as napari first shows it (640 × 480, napari's default dark
theme); settings.png and preview.png are the docks at napari's dock width (300 px), title bar
included, over the real client core with a throwaway telemetry folder holding a little pending
data; statusbar.png is the bottom of the window. Needs a display (Xvfb with
LIBGL_ALWAYS_SOFTWARE=1 on a headless machine). Nothing leaves the machine: debug mode sends
nothing, and the plugin index is "fetched" from a dead loopback port. ``--check`` draws into a
temporary folder and compares the texts with docs/images/screenshots.json (picture_manifest).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import picture_manifest  # the scripts' folder is on the path
from demo_session import pump  # the same Qt pump as the scripted demo

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("consent.png", "settings.png", "preview.png", "statusbar.png")
DOCK_WIDTH = 300  # napari's plugin docks, as a user first sees them
WINDOW = (1100, 720)


def isolate(folder: Path) -> None:
    """Point every file the plugin and napari write at *folder*; let nothing leave the machine.

    The collector addresses stay the real defaults (that is what a user sees), but debug mode
    sends nothing, and the public plugin index is "fetched" from a dead loopback port.
    """
    os.environ["NAPARI_TELEMETRY_DIR"] = str(folder / "telemetry")
    os.environ["NAPARI_TELEMETRY_DEBUG"] = "1"
    os.environ["NAPARI_TELEMETRY_INDEX_URL"] = "http://127.0.0.1:9/extended_summary.json"
    os.environ["NAPARI_CONFIG"] = str(folder / "napari" / "settings.yaml")
    for name in ("DO_NOT_TRACK", "NAPARI_TELEMETRY", "NAPARI_TELEMETRY_URL", "CI"):
        os.environ.pop(name, None)


def seed() -> None:
    """Agree to ``full`` for 30 days and record a few plausible records, as napari would."""
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


def save(widget: Any, path: Path, words_of: Any = None) -> list[str]:
    """Write what *widget* draws to *path*; return the texts it (or *words_of*) shows."""
    from views_text import texts  # with Qt: once napari's application exists

    pump(0.5)
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")
    return [picture_manifest.mask(t) for t in texts(words_of or widget)]


def consent(viewer: Any, out: Path) -> list[str]:
    """The dialog as a first launch shows it, before any choice."""
    from napari_telemetry._napari import _widgets
    from napari_telemetry._qt import ConsentDialog

    _widgets.ask_consent(viewer)  # starts telemetry in this window: napari's theme is read
    (dialog,) = viewer.window.main_menu.window().findChildren(ConsentDialog)
    dialog.resize(640, 480)
    shown = save(dialog, out / "consent.png")
    dialog.blockSignals(True)  # closed by the script: no choice to record
    dialog.close()
    return shown


def docks(viewer: Any, out: Path) -> dict[str, list[str]]:
    """Each dock alone at napari's dock width, then the status bar."""
    from qtpy.QtCore import Qt

    from napari_telemetry._qt import StatusIndicator

    window = viewer.window.main_menu.window()
    drawn = {}
    for name, png in (("Settings", "settings.png"), ("Preview", "preview.png")):
        dock, widget = viewer.window.add_plugin_dock_widget("napari-telemetry", name)
        window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        pump(1.0)
        if name == "Settings":
            widget.idsBox.expand(animate=False)  # show the weekly ids too
        else:
            tree = widget.pendingPane().tree()
            tree.setCurrentItem(tree.topLevelItem(0).child(0).child(0))  # a field, explained
        drawn[png] = save(dock, out / png)
        dock.hide()
    bar = window.statusBar()
    (indicator,) = bar.findChildren(StatusIndicator)  # napari's own messages come and go
    drawn["statusbar.png"] = save(bar, out / "statusbar.png", words_of=indicator)
    return drawn


def draw(out: Path) -> dict[str, list[str]]:
    """Every picture of the views into *out*; what each shows, in words."""
    with tempfile.TemporaryDirectory(prefix="napari-telemetry-shots-") as tmp:
        isolate(Path(tmp))
        import napari

        viewer = napari.Viewer(title="napari-telemetry", show=True)
        viewer.theme = "dark"  # napari's default, whatever the machine prefers
        viewer.window.resize(*WINDOW)
        pump(1.0)
        drawn = {"consent.png": consent(viewer, out)}
        seed()
        drawn |= docks(viewer, out)
        viewer.close()
        pump(0.5)
    return drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument(
        "--check", action="store_true", help="compare with docs/images, write nothing there"
    )
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="napari-telemetry-check-") as tmp:
            return picture_manifest.check(draw(Path(tmp)))
    args.out.mkdir(parents=True, exist_ok=True)
    drawn = draw(args.out)
    if args.out.resolve() == picture_manifest.MANIFEST.parent.resolve():
        picture_manifest.save(drawn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
