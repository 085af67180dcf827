"""The consent dialog: what each level sends and what happens to it; returns the user's choice.

Its first screen (640 × 480, no scrolling) says what each level sends in one line, who sees the
raw data, what is published and how, how long it is kept, how to stop, and where the public
numbers are; the field lists and the budget's details fold away. It stores nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QTextDocument
from qtpy.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from napari_telemetry.schema import SENDING_LEVELS, Level

from . import _consent_text as words
from ._banner import Column, fold
from ._controller import TelemetryController, get_controller, views
from ._core import DecisionLike
from ._flow import button_row
from ._palette import Palette

TITLE = "napari-telemetry: share anonymous usage counts?"
LATER = "later"  # the key of "Ask me later" among the buttons


@dataclass(frozen=True)
class ConsentChoice:
    """What the user chose: a level (``NONE``: "Don't share") and an optional duration in
    days, or (*later*) no choice yet: "Ask me later", or the window closed."""

    level: Level
    days: int | None = None
    later: bool = False


ASK_LATER = ConsentChoice(Level.NONE, later=True)


class ConsentDialog(QDialog):
    """Ask which level to share; closing the window is "Ask me later"."""

    choiceMade = Signal(object)  # ConsentChoice

    def __init__(
        self,
        changes: Sequence[str] = (),
        parent: QWidget | None = None,
        *,
        current: DecisionLike | None = None,
        palette: Palette | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self._choice: ConsentChoice | None = None
        self._reported = False
        self._palette = palette or Palette.from_qt()
        self._holds = current is not None and current.source == "consent"
        self._labels: list[QLabel] = []
        self._fields = fold("Every field each level sends")
        self._protection = fold("How the public numbers are protected")
        self._current = self._label(_current_html(current)) if current is not None else None
        self._temporary = QCheckBox(f"Share only for {words.TEMPORARY_DAYS} days, then ask again")
        self._buttons = self._make_buttons(current)
        self._build(changes)
        self._connect_signals()

    def choice(self) -> ConsentChoice | None:
        """The choice, once the dialog is finished (closing it is "Ask me later")."""
        return self._choice

    def buttons(self) -> dict[str, QPushButton]:
        """The choices by key: ``none``, ``later``, ``basic``, ``middle``, ``full``."""
        return dict(self._buttons)

    def plainText(self) -> str:
        """Every word the dialog shows (folded parts included), as plain text."""
        doc = QTextDocument()
        parts = []
        for label in self._labels:
            doc.setHtml(label.text())
            parts.append(doc.toPlainText())
        return "\n".join(parts)

    def choose(self, level: Level) -> None:
        """Finish with *level*, as clicking its button does."""
        days = words.TEMPORARY_DAYS if self._temporary.isChecked() else None
        self._choice = ConsentChoice(level, days if level is not Level.NONE else None)
        self.accept()

    def askLater(self) -> None:
        """Finish without a choice, as "Ask me later" does."""
        self._choice = ASK_LATER
        self.accept()

    def done(self, result: int) -> None:
        """Finish; any way of closing without a button is "Ask me later"."""
        first = not self._reported
        if self._choice is None:
            self._choice = ASK_LATER
        self._reported = True
        super().done(result)
        if first:
            self.choiceMade.emit(self._choice)

    def _label(self, html: str) -> QLabel:
        label = QLabel(html)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self._labels.append(label)
        return label

    def _make_buttons(self, current: DecisionLike | None) -> dict[str, QPushButton]:
        later = "Keep my choice" if self._holds else "Ask me later"
        buttons = {"none": QPushButton("Don't share"), LATER: QPushButton(later)}
        buttons |= {lv.value: QPushButton(f"Share {lv.value}") for lv in SENDING_LEVELS}
        chosen = current.agreed_level.value if current is not None and self._holds else None
        width = max(b.sizeHint().width() for b in buttons.values())
        for key, button in buttons.items():  # equal weight: same kind, same size, no default
            button.setAutoDefault(False)
            button.setDefault(False)
            button.setMinimumWidth(width)
            button.setCheckable(key == chosen)
            button.setChecked(key == chosen)  # the choice that holds now
        return buttons

    def _build(self, changes: Sequence[str]) -> None:
        link = self._palette.link
        content = Column()
        body = content.column
        body.setContentsMargins(0, 0, 4, 0)
        body.setSpacing(4)
        body.addWidget(self._label(words.intro_html()))
        if changes:
            body.addWidget(self._label(words.changes_html(changes)))
        body.addLayout(self._levels())
        self._fields.addWidget(Column(self._label(words.fields_html(link))))
        body.addWidget(self._fields)
        body.addWidget(self._label(words.facts_html(link)))
        self._protection.addWidget(Column(self._label(words.protection_html())))
        body.addWidget(self._protection)
        body.addStretch()
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll = scroll
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        if self._current is not None:
            layout.addWidget(self._current)
        layout.addWidget(self._temporary)
        layout.addWidget(button_row(*self._buttons.values()))
        self.resize(640, 480)

    def _levels(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setContentsMargins(12, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for row, (level, line) in enumerate(words.level_lines()):
            grid.addWidget(self._label(f"<b>{level}</b>"), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self._label(line), row, 1)
        grid.setColumnStretch(1, 1)
        return grid

    def _connect_signals(self) -> None:
        for key, button in self._buttons.items():
            if key == LATER:
                button.clicked.connect(self.askLater)
            else:
                button.clicked.connect(lambda _=False, key=key: self.choose(Level(key)))


def _current_html(decision: DecisionLike) -> str:
    return f"<i>Now: {decision.reason}.</i>"


def show_consent_dialog(
    controller: TelemetryController, parent: QWidget | None = None
) -> ConsentDialog:
    """Open the dialog without blocking; the controller records the choice when it closes."""
    decision = controller.decision()
    dialog = ConsentDialog(
        decision.changes if decision else (),
        parent,
        current=decision if decision is not None and decision.source != "no_consent" else None,
        palette=controller.palette(),
    )
    # Not the parent: the dialog outlives its window in views and must not keep it alive.
    dialog.choiceMade.connect(lambda c: _record(controller, c))
    dialog.open()
    return dialog


def _record(controller: TelemetryController, choice: ConsentChoice) -> None:
    """Store the choice; if it cannot be stored, say so (no other view may be open to tell)."""
    if choice.later:
        controller.ask_later()  # not stored: asked again at the next start, no harm done
        return
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
    box = QMessageBox(QMessageBox.Icon.Warning, "napari-telemetry", "", parent=parent)
    box.setText(f"Your choice {what} could not be saved.")
    box.setInformativeText(
        " ".join(problems or ["The consent record could not be written."])
        + "\n\nNothing is recorded or sent in this session, and you will be asked again at the "
        "next start. You can also choose in Plugins › napari-telemetry › Settings."
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
