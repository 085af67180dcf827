"""A small status-bar button: the level and how much is pending; click for the preview."""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QToolButton, QWidget

from napari_telemetry.schema import Level

from ._banner import debounce_timer
from ._controller import TelemetryController, get_controller
from ._core import DecisionLike

_MUTED = "color: palette(mid);"
REFRESH_DELAY_MS = 500


class StatusIndicator(QToolButton):
    """``Telemetry: <level> · <n> pending`` (muted ``Telemetry off``); tooltip: the next send."""

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
        self._timer = debounce_timer(self, REFRESH_DELAY_MS)
        self._connect_signals()
        self._on_decision_changed(self._controller.decision())

    def level(self) -> Level:
        """The effective level shown."""
        return self._level

    def _connect_signals(self) -> None:
        self.clicked.connect(self.previewRequested)
        self._controller.decisionChanged.connect(self._on_decision_changed)
        self._controller.recordsChanged.connect(self._timer.start)
        self._timer.timeout.connect(self._on_records_changed)

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        self._level = decision.level if decision is not None else Level.NONE
        self._reason = decision.reason if decision is not None else "unknown"
        self.setStyleSheet("" if self._level is not Level.NONE else _MUTED)
        self._show_text()
        self._on_records_changed()

    def _show_text(self) -> None:
        on = self._level is not Level.NONE
        text = f"Telemetry: {self._level.value}" if on else "Telemetry off"
        if self._pending:
            text += f" · {self._pending:,} pending"
        self.setText(text)

    def _on_records_changed(self) -> None:
        self._controller.run_in_thread("count pending records", self._read, self._on_status_read)

    def _read(self) -> tuple[int, str]:
        core = self._controller.core
        return core.pending_count(), core.next_send()

    def _on_status_read(self, status: tuple[int, str]) -> None:
        self._pending, next_send = status
        self._show_text()
        self.setToolTip(
            f"napari telemetry: {self._level.value} ({self._reason})\n"
            f"{self._pending:,} records pending\nNext send: {next_send}\n"
            "Click to see what will be sent."
        )
