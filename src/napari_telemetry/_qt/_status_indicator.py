"""A small status-bar button: the level and how much is pending; click for the preview."""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QToolButton, QWidget

from napari_telemetry.schema import Level

from ._banner import debounce_timer
from ._controller import TelemetryController, get_controller
from ._core import DecisionLike
from ._palette import Palette

REFRESH_DELAY_MS = 500


class StatusIndicator(QToolButton):
    """``Telemetry: <level> · <n> pending`` (muted ``Telemetry off``); tooltip: the next send.

    The number is the core's one count of pending records (what the preview lists and
    ``napari-telemetry status`` says), read again after every change.
    """

    previewRequested = Signal()

    def __init__(
        self, controller: TelemetryController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("napari_telemetry_status")
        self.setAutoRaise(True)
        self._controller = controller or get_controller()
        self._level = Level.NONE
        self._reason = ""
        self._pending = 0
        self._next_send = ""  # in words, from the same read as the count
        self._timer = debounce_timer(self, REFRESH_DELAY_MS)
        self._connect_signals()
        self._on_decision_changed(self._controller.decision())

    def level(self) -> Level:
        """The effective level shown."""
        return self._level

    def pending(self) -> int:
        """The number of pending records shown."""
        return self._pending

    def _connect_signals(self) -> None:
        self.clicked.connect(self.previewRequested)
        self._controller.decisionChanged.connect(self._on_decision_changed)
        self._controller.recordsChanged.connect(self._timer.start)
        self._controller.paletteChanged.connect(self._on_palette_changed)
        self._timer.timeout.connect(self._on_records_changed)

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        self._level = decision.level if decision is not None else Level.NONE
        self._reason = decision.reason if decision is not None else "unknown"
        self._on_palette_changed(self._controller.palette())
        self._show()
        self._on_records_changed()

    def _on_palette_changed(self, palette: Palette) -> None:
        off = self._level is Level.NONE
        self.setStyleSheet(f"color: {palette.muted};" if off else "")

    def _show(self) -> None:
        on = self._level is not Level.NONE
        text = f"Telemetry: {self._level.value}" if on else "Telemetry off"
        if self._pending:
            text += f" · {self._pending:,} pending"
        self.setText(text)
        lines = [f"napari-telemetry: {self._level.value} ({self._reason})"]
        if on:
            lines.append(f"{self._pending:,} record(s) pending")
        if self._next_send and on:
            lines.append(f"Next send: {self._next_send}")
        lines.append("Click to see what will be sent and what was sent.")
        self.setToolTip("\n".join(lines))

    def _on_records_changed(self) -> None:
        core = self._controller.core
        self._controller.run_in_thread(
            "count pending records", core.pending_status, self._on_status_read
        )

    def _on_status_read(self, status: tuple[int, str]) -> None:
        self._pending, self._next_send = status
        self._show()
