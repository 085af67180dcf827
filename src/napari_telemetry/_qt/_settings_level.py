"""The settings dock's first section: the level now and why, the switch, a temporary agreement."""

from __future__ import annotations

from enum import Enum

from qtpy.QtWidgets import QFormLayout, QLabel, QSpinBox, QWidget
from superqt import QEnumComboBox, QToggleSwitch

from napari_telemetry.schema import Level

from ._banner import wrapping_label
from ._consent_text import TEMPORARY_DAYS
from ._controller import TelemetryController
from ._core import DecisionLike

LEVEL_LABELS = {
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
        return LEVEL_LABELS[self.value]


class LevelSection(QWidget):
    """What is shared now and why; choosing another level takes effect at once."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._now = QLabel()
        self._reason = wrapping_label()
        self._combo = QEnumComboBox(enum_class=LevelChoice)
        self._temporary = QToggleSwitch("Ask me again after")
        self._days = QSpinBox()
        self._days.setRange(1, 365)
        self._days.setValue(TEMPORARY_DAYS)
        self._days.setSuffix(" days")
        self._expiry = QLabel()
        self._build()
        self._connect_signals()

    def level(self) -> Level:
        """The level the switch shows."""
        choice = self._combo.currentEnum()
        return choice.value if isinstance(choice, LevelChoice) else Level.NONE

    def setLevel(self, level: Level) -> None:
        """Choose *level*, as the user does with the switch."""
        self._combo.setCurrentEnum(LevelChoice(level))

    def setTemporary(self, on: bool) -> None:
        """Turn "Ask me again after" on or off, as the user does."""
        self._temporary.setChecked(on)

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Now:", self._now)
        form.addRow(self._reason)
        form.addRow("Level:", self._combo)
        form.addRow(self._temporary, self._days)
        form.addRow("Expires:", self._expiry)

    def _connect_signals(self) -> None:
        self._controller.decisionChanged.connect(self._on_decision_changed)
        self._combo.currentEnumChanged.connect(self._on_level_changed)
        self._temporary.toggled.connect(self._on_temporary_changed)

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

    def _chosen_days(self) -> int | None:
        return self._days.value() if self._temporary.isChecked() else None

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        if decision is None:
            self._now.setText("unknown")
            return
        self._now.setText(f"<b>{LEVEL_LABELS[decision.level]}</b>")
        self._reason.setText(f"{decision.reason[:1].upper()}{decision.reason[1:]}.")
        self._combo.blockSignals(True)
        self._combo.setCurrentEnum(LevelChoice(decision.agreed_level))
        self._combo.blockSignals(False)
        self._temporary.blockSignals(True)
        agreed = decision.agreed_level is not Level.NONE  # not a postponed question
        self._temporary.setChecked(agreed and decision.expires is not None)
        self._temporary.blockSignals(False)
        ends = decision.expires if agreed else None
        self._expiry.setText(ends.isoformat() if ends else "never")
        self._set_locked(decision)

    def _set_locked(self, decision: DecisionLike) -> None:
        why = f"Decided outside napari: {decision.reason}" if decision.locked else ""
        for widget in (self._combo, self._temporary, self._days):
            widget.setEnabled(not decision.locked)
            widget.setToolTip(why)
        self._days.setEnabled(not decision.locked and self._temporary.isChecked())
