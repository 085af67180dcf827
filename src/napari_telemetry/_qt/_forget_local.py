"""The confirmation of "Forget me and delete local data": what goes, then Delete or Cancel."""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QAbstractButton, QMessageBox, QPushButton, QWidget

TITLE = "Forget me and delete local data"
_WHAT = (
    "napari-telemetry asks the collector to delete everything sent with your weekly ids, then "
    "deletes every file it keeps on this computer, for all your Python environments:"
)
_AFTER = (
    "Nothing is recorded or sent afterwards. If napari-telemetry stays installed, napari asks "
    "for your consent again at its next start; uninstall it to be rid of it for good."
)


class ForgetLocalDialog(QMessageBox):
    """Lists the folders that go; ``confirmed`` is emitted only for the Delete button."""

    confirmed = Signal()

    def __init__(self, folders: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(TITLE)
        self.setText(_WHAT)
        listed = [f"• {path}: {holds}" for path, holds in folders] or ["• (no folder yet)"]
        self.setInformativeText("\n".join([*listed, "", _AFTER]))
        self._delete = QPushButton("Delete")
        self.addButton(self._delete, QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.addButton(QMessageBox.StandardButton.Cancel))
        self.buttonClicked.connect(self._on_button_clicked)

    def deleteButton(self) -> QAbstractButton:
        """The button that confirms."""
        return self._delete

    def _on_button_clicked(self, button: QAbstractButton) -> None:
        if button is self._delete:
            self.confirmed.emit()
