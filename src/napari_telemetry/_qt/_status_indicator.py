"""A small status-bar button: telemetry on and at which level; click for the preview."""

from __future__ import annotations

from datetime import datetime

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QToolButton, QWidget

from napari_telemetry.schema import Level

from ._banner import debounce_timer
from ._controller import TelemetryController, get_controller
from ._core import DecisionLike

_MUTED = "color: palette(mid);"
REFRESH_DELAY_MS = 500


class StatusIndicator(QToolButton):
    """``Telemetry: <level>`` (muted ``Telemetry off``); tooltip: pending count, next send."""

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
        on = self._level is not Level.NONE
        self.setText(f"Telemetry: {self._level.value}" if on else "Telemetry off")
        self.setStyleSheet("" if on else _MUTED)
        self._on_records_changed()

    def _on_records_changed(self) -> None:
        self._controller.run_in_thread("count pending records", self._read, self._on_status_read)

    def _read(self) -> tuple[int, datetime | None]:
        core = self._controller.core
        attempts = [core.next_attempt(lv) for lv in self._level.streams()]
        return core.pending_count(), min((a for a in attempts if a is not None), default=None)

    def _on_status_read(self, status: tuple[int, datetime | None]) -> None:
        count, next_send = status
        when = next_send.strftime("%Y-%m-%d %H:%M") if next_send else "not planned"
        self.setToolTip(
            f"napari telemetry: {self._level.value} ({self._reason})\n"
            f"{count} records pending\nNext send: {when}\nClick to see what will be sent."
        )
