"""The settings dock's "Export…": pending batches to a file, for a computer without internet."""

from __future__ import annotations

from qtpy.QtWidgets import QFileDialog, QPushButton, QWidget

from ._controller import TelemetryController

SUGGESTED = "napari-telemetry-export.json"


class ExportButton(QPushButton):
    """Asks where to write, then exports through the controller (in a worker)."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__("Export pending data…", parent)
        self._controller = controller
        self.setToolTip(
            "For a computer without internet: write what would be sent to a file (it is then "
            "not sent from here), and send it from a connected computer with "
            "“napari-telemetry send --file FILE”."
        )
        self.clicked.connect(self._on_clicked)

    def _on_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export pending telemetry", SUGGESTED, "JSON (*.json)"
        )
        if path:  # the dialog asked before replacing a file
            self._controller.export(path)
