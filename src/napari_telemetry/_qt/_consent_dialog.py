"""The consent dialog: explains each level and returns the user's choice (it stores nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from napari_telemetry.schema import SENDING_LEVELS, Level

from ._consent_text import TEMPORARY_DAYS, consent_html
from ._controller import TelemetryController, get_controller, views


@dataclass(frozen=True)
class ConsentChoice:
    """What the user chose: a level (``NONE`` for "not now") and an optional duration in days."""

    level: Level
    days: int | None = None


NOT_NOW = ConsentChoice(Level.NONE)


class ConsentDialog(QDialog):
    """Ask which level to share; closing the window means "not now"."""

    choiceMade = Signal(object)  # ConsentChoice

    def __init__(self, changes: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("napari telemetry: share anonymous usage counts?")
        self._choice: ConsentChoice | None = None
        self._reported = False
        self._text = QTextBrowser()
        self._text.setOpenExternalLinks(True)
        self._text.setHtml(consent_html(changes))
        self._temporary = QCheckBox(f"Only for {TEMPORARY_DAYS} days, then ask me again")
        # Equal weight: same widget, same size, no default button, "Not now" first.
        self._buttons: dict[Level, QPushButton] = {
            Level.NONE: QPushButton("Not now"),
            **{lv: QPushButton(f"Share {lv.value}") for lv in SENDING_LEVELS},
        }
        self._build()
        self._connect_signals()

    def choice(self) -> ConsentChoice | None:
        """The choice, once the dialog is finished (closing it is "not now")."""
        return self._choice

    def choose(self, level: Level) -> None:
        """Finish with *level*, as clicking its button does."""
        days = TEMPORARY_DAYS if self._temporary.isChecked() and level is not Level.NONE else None
        self._choice = ConsentChoice(level, days)
        self.accept()

    def done(self, result: int) -> None:
        """Finish; any way of closing without a button is "not now"."""
        first = not self._reported
        if self._choice is None:
            self._choice = NOT_NOW
        self._reported = True
        super().done(result)
        if first:
            self.choiceMade.emit(self._choice)

    def _build(self) -> None:
        row = QHBoxLayout()
        for button in self._buttons.values():
            button.setAutoDefault(False)
            button.setDefault(False)
            button.setMinimumWidth(120)
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self._text)
        layout.addWidget(self._temporary)
        layout.addLayout(row)
        self.resize(640, 620)

    def _connect_signals(self) -> None:
        for level, button in self._buttons.items():
            button.clicked.connect(lambda _=False, lv=level: self.choose(lv))


def show_consent_dialog(
    controller: TelemetryController, parent: QWidget | None = None
) -> ConsentDialog:
    """Open the dialog without blocking; the controller records the choice when it closes."""
    decision = controller.decision()
    dialog = ConsentDialog(decision.changes if decision else (), parent)
    # Not the parent: the dialog outlives its window in views and must not keep it alive.
    dialog.choiceMade.connect(lambda c: _record(controller, c))
    dialog.open()
    return dialog


def _record(controller: TelemetryController, choice: ConsentChoice) -> None:
    """Store the choice; if it cannot be stored, say so (no other view may be open to tell)."""
    problems: list[str] = []

    def note(message: str) -> None:
        problems.append(message)

    controller.errorOccurred.connect(note)
    try:
        stored = controller.set_level(choice.level, choice.days)
    finally:
        controller.errorOccurred.disconnect(note)
    if not stored:
        views.notice = unsaved_notice(choice, problems)


def unsaved_notice(
    choice: ConsentChoice, problems: list[str], parent: QWidget | None = None
) -> QMessageBox:
    """A non-blocking warning that *choice* was not stored."""
    what = "not to share" if choice.level is Level.NONE else f"to share {choice.level.value}"
    box = QMessageBox(QMessageBox.Icon.Warning, "napari telemetry", "", parent=parent)
    box.setText(f"Your choice {what} could not be saved.")
    box.setInformativeText(
        " ".join(problems or ["The consent record could not be written."])
        + "\n\nNothing is recorded or sent in this session, and you will be asked again at the "
        "next start. You can also choose in Plugins › napari telemetry › Telemetry settings."
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def ask_consent(parent: QWidget | None = None) -> ConsentDialog:
    """Ask once, without blocking (napari start-up calls this when ``should_ask``)."""
    shown = views.consent
    if isinstance(shown, ConsentDialog) and _is_shown(shown):  # asked again from the menu
        shown.raise_()
        return shown
    dialog = views.consent = show_consent_dialog(get_controller(), parent)
    return dialog


def _is_shown(dialog: ConsentDialog) -> bool:
    try:
        return dialog.isVisible()
    except RuntimeError:  # its window was closed and Qt deleted it
        return False
