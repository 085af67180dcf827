"""Confirmations of what cannot be undone: what will happen, then the action or Cancel.

Both are non-blocking message boxes (``open()``, never ``exec()``); Cancel is the default
button, and ``confirmed`` is emitted only for the action's own button.
"""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QAbstractButton, QMessageBox, QPushButton, QWidget

FORGET = "Forget me"
FORGET_LOCAL = "Forget me and delete local data"
_FORGET_WHAT = (
    "Forget me asks the collector to delete everything sent with your weekly ids in use (the "
    "ids listed under “Your weekly ids in use”), then replaces your secret, so that your "
    "future ids cannot be linked to the old ones, and deletes the data not sent yet."
)
_FORGET_AFTER = (
    "This cannot be undone. Telemetry stays at the level you chose; if the collector cannot "
    "be reached, the secret is replaced anyway and you are shown the ids to e-mail."
)
_LOCAL_WHAT = (
    "napari-telemetry asks the collector to delete everything sent with your weekly ids, then "
    "deletes every file it keeps on this computer, for all your Python environments:"
)
_LOCAL_AFTER = (
    "Nothing is recorded or sent afterwards. If napari-telemetry stays installed, napari asks "
    "for your consent again at its next start; uninstall it to be rid of it for good."
)


class Confirmation(QMessageBox):
    """*what* and *after*, with *action* (destructive) and Cancel (the default)."""

    confirmed = Signal()

    def __init__(self, title: str, what: str, after: str, action: str, parent: QWidget | None):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(what)
        self.setInformativeText(after)
        self._action = QPushButton(action)
        self.addButton(self._action, QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.addButton(QMessageBox.StandardButton.Cancel))
        self.buttonClicked.connect(self._on_button_clicked)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def actionButton(self) -> QAbstractButton:
        """The button that confirms."""
        return self._action

    def _on_button_clicked(self, button: QAbstractButton) -> None:
        if button is self._action:
            self.confirmed.emit()


class ForgetDialog(Confirmation):
    """Confirm *Forget me*."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FORGET, _FORGET_WHAT, _FORGET_AFTER, FORGET, parent)


class ForgetLocalDialog(Confirmation):
    """Confirm *Forget me and delete local data*, listing the folders that go."""

    def __init__(self, folders: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        listed = [f"• {path}: {holds}" for path, holds in folders] or ["• (no folder yet)"]
        after = "\n".join([*listed, "", _LOCAL_AFTER])
        super().__init__(FORGET_LOCAL, _LOCAL_WHAT, after, "Delete", parent)

    def deleteButton(self) -> QAbstractButton:
        """The button that confirms."""
        return self.actionButton()
