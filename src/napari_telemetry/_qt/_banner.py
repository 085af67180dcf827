"""Small pieces the views share: a message strip, a wrapping label, a debounce timer."""

from __future__ import annotations

from qtpy.QtCore import QObject, QTimer
from qtpy.QtWidgets import QLabel, QWidget

_ERROR_STYLE = "color: #b00020; padding: 4px;"
_INFO_STYLE = "padding: 4px;"


class MessageBanner(QLabel):
    """Hidden until there is something to say; errors are shown in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setVisible(False)
        self._is_error = False

    def showError(self, text: str) -> None:
        """Show *text* as an error."""
        self._show(text, error=True)

    def showMessage(self, text: str) -> None:
        """Show *text* as information."""
        self._show(text, error=False)

    def isError(self) -> bool:
        """Whether the text shown is an error."""
        return self._is_error and bool(self.text())

    def _show(self, text: str, *, error: bool) -> None:
        self._is_error = error
        self.setStyleSheet(_ERROR_STYLE if error else _INFO_STYLE)
        self.setText(text)
        self.setVisible(True)


def wrapping_label(text: str = "") -> QLabel:
    """A label that wraps long lines."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def debounce_timer(parent: QObject, msec: int) -> QTimer:
    """A single-shot timer: restart it on every event, act once the burst is over."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(msec)
    return timer
