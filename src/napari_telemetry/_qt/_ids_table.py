"""This user's weekly ids in use, newest first (what a deletion request covers)."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ._banner import wrapping_label
from ._controller import TelemetryController

_COLUMNS = ("week", "id")
_NOTE = (
    "The weeks whose data left this computer or waits to, and this week while telemetry is "
    "on. Each week has a new id, made on this computer; the collector cannot link them. "
    "<i>Forget me</i> (or <code>napari-telemetry forget</code>) asks it to delete what was "
    "sent with them."
)
_NO_IDS = "No weekly ids in use: nothing was recorded or sent with your current secret."
ROWS_SHOWN = 3  # at least, however little room the dock has


class IdsTable(QWidget):
    """A read-only table of (week, id); loaded in a worker, reloaded when the level changes."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._table = QTableWidget(0, len(_COLUMNS))
        self._table.setHorizontalHeaderLabels(list(_COLUMNS))
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._table.setWordWrap(False)
        self._table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        _vertical(self._table).setVisible(False)
        header = _horizontal(self._table)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._note = wrapping_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._table)
        layout.addWidget(self._note)
        self._fit_rows(0)
        self._connect_signals()
        self.reload()

    def rows(self) -> list[tuple[str, str]]:
        """The (week, id) rows shown."""
        return [(self._cell(r, 0), self._cell(r, 1)) for r in range(self._table.rowCount())]

    def noteText(self) -> str:
        """The note under the table."""
        return self._note.text()

    def reload(self) -> None:
        """Read the ids again, off the GUI thread."""
        core = self._controller.core
        self._controller.run_in_thread("list your weekly ids", core.ids, self._on_ids_loaded)

    def _cell(self, row: int, column: int) -> str:
        item = self._table.item(row, column)
        return item.text() if item is not None else ""

    def _connect_signals(self) -> None:
        # a bound method, not a lambda: Qt drops the connection when this table is deleted
        self._controller.decisionChanged.connect(self._on_decision_changed)

    def _on_decision_changed(self, _decision: object) -> None:
        self.reload()

    def _on_ids_loaded(self, ids: Any) -> None:
        pairs = [(str(week), str(uid)) for week, uid in ids]
        self._table.setRowCount(len(pairs))
        for row, pair in enumerate(pairs):
            for column, text in enumerate(pair):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self._table.setItem(row, column, item)
        self._fit_rows(len(pairs))
        self._note.setText(_NOTE if pairs else _NO_IDS)

    def _fit_rows(self, rows: int) -> None:
        """Tall enough for ROWS_SHOWN rows (and for all of them when there are few)."""
        row = _vertical(self._table).defaultSectionSize()
        header = _horizontal(self._table).sizeHint().height()
        frame = 2 * self._table.frameWidth()
        shown = max(ROWS_SHOWN, min(rows, 9))
        self._table.setMinimumHeight(header + frame + row * min(shown, ROWS_SHOWN))
        self._table.setMaximumHeight(header + frame + row * shown)


def _vertical(table: QTableWidget) -> QHeaderView:
    header = table.verticalHeader()
    assert header is not None  # a QTableWidget always has both
    return header


def _horizontal(table: QTableWidget) -> QHeaderView:
    header = table.horizontalHeader()
    assert header is not None
    return header
