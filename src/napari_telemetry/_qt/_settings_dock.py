"""The settings dock: small sections one under the other, in a scroll area that never scrolls
sideways (napari's docks are about 300 px wide), and the message strip under them.

Sections: the level and why (``LevelSection``), where data goes (``StreamsSection``), the weekly
ids in use (folded), the actions. Another section is one :meth:`SettingsDock.addSection` call.
"""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QShowEvent
from qtpy.QtWidgets import QFrame, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from napari_telemetry.schema import Level

from ._banner import Column, MessageBanner, hold_height_in_dock
from ._controller import TelemetryController, get_controller
from ._plugin_counters import PluginCountersSection
from ._settings_level import LevelSection
from ._settings_sections import ActionsSection, StreamsSection, ids_section

MIN_HEIGHT = 220  # stacked under other docks: the level, its switch and a few buttons show


class SettingsDock(QWidget):
    """Change the level (it takes effect at once) and act on your data."""

    previewRequested = Signal()
    consentRequested = Signal()

    def __init__(
        self, controller: TelemetryController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller or get_controller()
        self.levelSection = LevelSection(self._controller)
        self.streamsSection = StreamsSection(self._controller)
        self.idsBox, self.idsTable = ids_section(self._controller)
        self.countersSection = PluginCountersSection(self._controller)
        self.actionsSection = ActionsSection(self._controller)
        self.banner = MessageBanner(self._controller.palette())
        self._content = Column()
        self._column = self._content.column
        self._build()
        sections = (self.levelSection, self.streamsSection, self.idsBox, self.countersSection)
        for section in (*sections, self.actionsSection):
            self.addSection(section)
        self._connect_signals()
        self._controller.refresh()

    def addSection(self, section: QWidget) -> None:
        """Add *section* under the others (above the message strip)."""
        self._column.insertWidget(self._column.count() - 2, section)

    def level(self) -> Level:
        """The level the switch shows."""
        return self.levelSection.level()

    def setLevel(self, level: Level) -> None:
        """Choose *level*, as the user does with the switch."""
        self.levelSection.setLevel(level)

    def showEvent(self, event: QShowEvent | None) -> None:
        """Re-read the level: the CLI or another napari may have changed it while hidden."""
        super().showEvent(event)
        hold_height_in_dock(self)
        self._controller.refresh()

    def _build(self) -> None:
        content = self._content
        self._column.setContentsMargins(6, 6, 6, 6)
        self._column.addWidget(self.banner)
        self._column.addStretch()
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.setMinimumHeight(MIN_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def _connect_signals(self) -> None:
        self._controller.errorOccurred.connect(self.banner.showError)
        self._controller.messageOccurred.connect(self.banner.showMessage)
        self._controller.paletteChanged.connect(self.banner.applyPalette)
        self._controller.decisionChanged.connect(self.banner.followDecision)
        self.actionsSection.previewRequested.connect(self.previewRequested)
        self.actionsSection.consentRequested.connect(self.consentRequested)
