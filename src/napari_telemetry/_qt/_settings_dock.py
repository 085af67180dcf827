"""The settings dock: the level and why, a level switch, endpoints, weekly ids and actions."""

from __future__ import annotations

from enum import Enum

from qtpy.QtCore import Signal
from qtpy.QtGui import QShowEvent
from qtpy.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible, QEnumComboBox, QToggleSwitch

from napari_telemetry.schema import SENDING_LEVELS, Level

from ._banner import MessageBanner, wrapping_label
from ._consent_text import TEMPORARY_DAYS
from ._controller import TelemetryController, get_controller
from ._core import DecisionLike
from ._export import ExportButton
from ._forget_local import TITLE as FORGET_LOCAL
from ._forget_local import ForgetLocalDialog
from ._ids_table import IdsTable
from ._plugin_counters import PluginCountersSection

_LEVEL_LABELS = {
    Level.NONE: "none (off)",
    Level.BASIC: "basic",
    Level.MIDDLE: "middle",
    Level.FULL: "full",
}


class LevelChoice(Enum):
    """The levels as the switch shows them (lower case, "none (off)")."""

    NONE = Level.NONE
    BASIC = Level.BASIC
    MIDDLE = Level.MIDDLE
    FULL = Level.FULL

    def __str__(self) -> str:
        return _LEVEL_LABELS[self.value]


class SettingsDock(QWidget):
    """Change the level (it takes effect at once) and act on your data."""

    previewRequested = Signal()
    consentRequested = Signal()

    def __init__(
        self, controller: TelemetryController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller or get_controller()
        self._level = QLabel()
        self._reason = wrapping_label()
        self._level_combo = QEnumComboBox(enum_class=LevelChoice)
        self._temporary = QToggleSwitch("Ask me again after")
        self._days = QSpinBox()
        self._days.setRange(1, 365)
        self._days.setValue(TEMPORARY_DAYS)
        self._days.setSuffix(" days")
        self._expiry = QLabel()
        self._endpoints = wrapping_label()
        self._ids = IdsTable(self._controller)
        self._ids_box = QCollapsible("Your weekly ids")
        self._send_btn = QPushButton("Send now")
        self._preview_btn = QPushButton("Preview…")
        self._consent_btn = QPushButton("Consent…")
        self._forget_btn = QPushButton("Forget me")
        self._disable_btn = QPushButton("Disable")
        self._forget_local_btn = QPushButton(FORGET_LOCAL)
        self._banner = MessageBanner()
        self._build()
        self._connect_signals()
        self._on_decision_changed(self._controller.decision())

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("Now:", self._level)
        form.addRow("", self._reason)
        form.addRow("Level:", self._level_combo)
        form.addRow(self._temporary, self._days)
        form.addRow("Expires:", self._expiry)
        form.addRow("Sends to:", self._endpoints)
        self._forget_btn.setToolTip(
            "Ask the collector to delete every batch sent with your weekly ids, then make a "
            "new secret so future ids cannot be linked to them."
        )
        self._disable_btn.setToolTip("Turn telemetry off and delete everything pending.")
        self._forget_local_btn.setToolTip(
            "Forget me, then delete every file napari-telemetry keeps on this computer "
            "(asks first, listing them)."
        )
        self._consent_btn.setToolTip("What each level collects, who sees it; choose again.")
        self._ids_box.addWidget(self._ids)
        buttons = QHBoxLayout()
        for btn in (
            self._consent_btn,
            self._preview_btn,
            self._send_btn,
            self._forget_btn,
            self._disable_btn,
        ):
            buttons.addWidget(btn)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._ids_box)
        layout.addWidget(PluginCountersSection(self._controller))
        layout.addLayout(buttons)
        layout.addWidget(self._forget_local_btn)
        layout.addWidget(ExportButton(self._controller))
        layout.addWidget(self._banner)
        layout.addStretch()

    def _connect_signals(self) -> None:
        self._controller.decisionChanged.connect(self._on_decision_changed)
        self._controller.errorOccurred.connect(self._banner.showError)
        self._controller.messageOccurred.connect(self._banner.showMessage)
        self._level_combo.currentEnumChanged.connect(self._on_level_changed)
        self._temporary.toggled.connect(self._on_temporary_changed)
        self._send_btn.clicked.connect(self._controller.send_now)
        self._preview_btn.clicked.connect(self.previewRequested)
        self._consent_btn.clicked.connect(self.consentRequested)
        self._forget_btn.clicked.connect(self._controller.forget)
        self._disable_btn.clicked.connect(self._controller.disable)
        self._forget_local_btn.clicked.connect(self._on_forget_local_clicked)

    def showEvent(self, event: QShowEvent | None) -> None:
        """Re-read the level: the CLI or another napari may have changed it while hidden."""
        super().showEvent(event)
        self._controller.refresh()

    def level(self) -> Level:
        """The level the switch shows."""
        choice = self._level_combo.currentEnum()
        return choice.value if isinstance(choice, LevelChoice) else Level.NONE

    def setLevel(self, level: Level) -> None:
        """Choose *level*, as the user does with the switch."""
        self._level_combo.setCurrentEnum(LevelChoice(level))

    def _on_level_changed(self, choice: LevelChoice) -> None:
        level = choice.value
        decision = self._controller.decision()
        if decision is not None and level is decision.agreed_level:
            return  # the combo is only showing the stored choice
        self._controller.set_level(level, self._chosen_days())

    def _on_temporary_changed(self, checked: bool) -> None:
        self._days.setEnabled(checked)
        decision = self._controller.decision()
        if decision is None or decision.agreed_level is Level.NONE:
            return  # the days apply to the level chosen next
        days = self._chosen_days()
        self._controller.refresh()  # the CLI or another napari may have turned it off meanwhile
        decision = self._controller.decision()
        if decision is not None and decision.agreed_level is not Level.NONE:
            self._controller.set_level(decision.agreed_level, days)

    def _on_forget_local_clicked(self) -> None:
        self._controller.list_local_data(self._on_local_data_listed)

    def _on_local_data_listed(self, folders: list[tuple[str, str]]) -> None:
        dialog = ForgetLocalDialog(folders, self)
        dialog.confirmed.connect(self._controller.forget_local)
        dialog.open()

    def _chosen_days(self) -> int | None:
        return self._days.value() if self._temporary.isChecked() else None

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        if decision is None:
            self._level.setText("unknown")
            return
        self._level.setText(f"<b>{_LEVEL_LABELS[decision.level]}</b>")
        self._reason.setText(decision.reason)
        self._level_combo.blockSignals(True)
        self._level_combo.setCurrentEnum(LevelChoice(decision.agreed_level))
        self._level_combo.blockSignals(False)
        self._temporary.blockSignals(True)
        self._temporary.setChecked(decision.expires is not None)
        self._temporary.blockSignals(False)
        self._expiry.setText(decision.expires.isoformat() if decision.expires else "never")
        self._show_endpoints()
        self._set_locked(decision)

    def _set_locked(self, decision: DecisionLike) -> None:
        why = f"Decided outside napari: {decision.reason}" if decision.locked else ""
        for widget in (self._level_combo, self._temporary, self._days):
            widget.setEnabled(not decision.locked)
            widget.setToolTip(why)
        self._days.setEnabled(not decision.locked and decision.expires is not None)

    def _show_endpoints(self) -> None:
        urls = self._controller.endpoints()
        lines = [f"{lv.value}: {urls.get(lv) or 'not sent'}" for lv in SENDING_LEVELS]
        self._endpoints.setText("\n".join(lines))
