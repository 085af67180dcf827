"""This user's weekly ids, newest first (what a deletion request covers)."""

from __future__ import annotations

from typing import Any

from magicgui.widgets import Table
from qtpy.QtWidgets import QVBoxLayout, QWidget

from ._banner import wrapping_label
from ._controller import TelemetryController

_COLUMNS = ("week", "id")
_NOTE = (
    "These ids are computed on this computer and change every week. `napari-telemetry "
    "forget` (or Forget me) asks the collector to delete everything sent with them."
)
_NO_IDS = "No weekly ids yet: you get them when you agree to share."


class IdsTable(QWidget):
    """A read-only table of (week, id); loaded in a worker, reloaded after "forget me"."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._table = Table(value=[], columns=_COLUMNS)
        self._table.read_only = True
        self._table.native.verticalHeader().setVisible(False)
        self._table.native.horizontalHeader().setStretchLastSection(True)
        self._note = wrapping_label(_NOTE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._table.native)
        layout.addWidget(self._note)
        self._connect_signals()
        self.reload()

    def rows(self) -> list[tuple[str, str]]:
        """The (week, id) rows shown."""
        return [(str(r[0]), str(r[1])) for r in self._table.data.to_list()]

    def reload(self) -> None:
        """Read the ids again, off the GUI thread."""
        core = self._controller.core
        self._controller.run_in_thread(
            "list your weekly ids", core.recent_ids, self._on_ids_loaded
        )

    def _connect_signals(self) -> None:
        # a bound method, not a lambda: Qt drops the connection when this table is deleted
        self._controller.decisionChanged.connect(self._on_decision_changed)

    def _on_decision_changed(self, _decision: object) -> None:
        self.reload()

    def _on_ids_loaded(self, ids: Any) -> None:
        pairs = list(ids)
        self._table.value = {name: [p[i] for p in pairs] for i, name in enumerate(_COLUMNS)}
        self._note.setText(_NOTE if pairs else _NO_IDS)
