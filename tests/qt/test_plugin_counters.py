"""The settings dock's plugin counters: a switch per plugin, off until used; the preview's
counter records with what they count. Over the fake core, and once over the real one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from qtpy.QtWidgets import QTreeWidgetItemIterator

from napari_telemetry._qt import PluginCountersSection, PreviewDock, SettingsDock
from napari_telemetry.core import telemetry
from napari_telemetry.core._counters import _manifest
from napari_telemetry.schema import Level

from ._fakes import EXAMPLE_OFFER, make_batch

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


Section = Callable[["TelemetryController"], PluginCountersSection]


@pytest.fixture
def section_of(qtbot: QtBot) -> Section:
    """The section inside a shown settings dock (kept for the test: qtbot holds it weakly, and
    a dock collected takes its section with it)."""
    docks: list[SettingsDock] = []

    def make(controller: TelemetryController) -> PluginCountersSection:
        dock = SettingsDock(controller)
        qtbot.addWidget(dock)
        dock.show()
        docks.append(dock)
        section = dock.findChild(PluginCountersSection)
        assert section is not None  # the dock embeds it
        return section

    return make


def _wait_rows(qtbot: QtBot, section: PluginCountersSection, n: int) -> None:
    qtbot.waitUntil(lambda: len(section.rows()) == n and "In use:" in section.noteText())


def test_each_plugin_is_listed_off_with_what_it_counts(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.agreed = Level.FULL
    fake_core.offers = [EXAMPLE_OFFER]
    section = section_of(fake_controller)
    _wait_rows(qtbot, section, 1)
    (row,) = section.rows()
    assert (row.plugin(), row.isOn()) == ("napari-example", False)
    assert row.stateText().startswith("Off: it counts nothing.")
    assert "How often a segmentation ran, by its model." in row.countersText()
    assert "labels: cyto · until 2027-06-30" in row.countersText()
    assert "collection manifest version 3" in section.noteText()


def test_switching_a_plugin_on_is_stored_by_the_core_and_shown(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.agreed = Level.FULL
    fake_core.offers = [EXAMPLE_OFFER]
    section = section_of(fake_controller)
    _wait_rows(qtbot, section, 1)
    section.rows()[0].setOn(True)
    qtbot.waitUntil(lambda: "set_plugin_counters" in fake_core.calls)
    qtbot.waitUntil(lambda: section.rows()[0].stateText().startswith("On:"))
    assert fake_core.offers[0].state == "on"


def test_a_plugin_that_asks_again_says_what_is_new(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    from dataclasses import replace

    fake_core.agreed = Level.FULL
    new = ("`segmentations` now also counts by nuclei",)
    fake_core.offers = [replace(EXAMPLE_OFFER, state="changed", new=new)]
    section = section_of(fake_controller)
    _wait_rows(qtbot, section, 1)
    (row,) = section.rows()
    assert not row.isOn()
    assert row.stateText() == (
        "Off until you agree again: something new was approved for it.\n"
        "New: `segmentations` now also counts by nuclei"
    )


def test_below_full_the_switches_cannot_be_used(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.agreed = Level.MIDDLE
    fake_core.offers = [EXAMPLE_OFFER]
    section = section_of(fake_controller)
    _wait_rows(qtbot, section, 1)
    assert not section.rows()[0]._switch.isEnabled()
    assert "Plugins count only at the full level." in section.noteText()


def test_no_plugin_with_counters_says_so(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    section = section_of(fake_controller)
    qtbot.waitUntil(lambda: "In use:" in section.noteText())
    assert section.rows() == []
    assert section.noteText().startswith("No installed plugin has approved counters.")


def test_a_switch_that_cannot_be_stored_says_so_and_shows_the_stored_state(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.agreed = Level.FULL
    fake_core.offers = [EXAMPLE_OFFER]
    fake_core.fail["set_plugin_counters"] = OSError(28, "No space left on device")
    dock = SettingsDock(fake_controller)
    qtbot.addWidget(dock)
    dock.show()
    section = dock.findChild(PluginCountersSection)
    assert section is not None
    _wait_rows(qtbot, section, 1)
    first = section.rows()[0]
    first.setOn(True)
    qtbot.waitUntil(lambda: dock.banner.isError())
    assert "No space left on device" in dock.banner.text()
    qtbot.waitUntil(lambda: section.rows() and section.rows()[0] is not first)
    assert not section.rows()[0].isOn()


def test_the_preview_shows_a_counter_record_with_what_it_counts(
    qtbot: QtBot, section_of: Section, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.offers = [EXAMPLE_OFFER]
    batch = make_batch(Level.FULL)
    batch["records"].append(
        {"type": "counter", "plugin": "napari-example", "counter": "segmentations",
         "label": "cyto", "count": 3}
    )  # fmt: skip
    fake_core.pending = [batch]
    dock = PreviewDock(fake_controller)
    qtbot.addWidget(dock)
    tree = dock.pendingPane()._tree

    def counts_leaf() -> list[str]:
        found, it = [], QTreeWidgetItemIterator(tree)
        while it.value() is not None:
            if it.value().text(0) == "counts":
                found.append(it.value().text(1))
            it += 1
        return found

    qtbot.waitUntil(lambda: counts_leaf() != [])
    assert counts_leaf() == ["How often a segmentation ran, by its model."]


def test_the_real_core_lists_the_example_plugin_and_stores_its_switch(
    qtbot: QtBot,
    section_of: Section,
    real_controller: TelemetryController,
    monkeypatch: pytest.MonkeyPatch,
    example_site: Path,
    tmp_path: Path,
) -> None:
    from core.counter_helpers import (
        EXAMPLE,
        ManifestServer,
        approved_example,
        forget_example_modules,
        signed,
        trust,
        use_site,
    )

    key = Ed25519PrivateKey.generate()
    use_site(monkeypatch, example_site)
    trust(monkeypatch, tmp_path, key)
    telemetry.record_consent(Level.FULL)
    _manifest.refresh(ManifestServer(signed(approved_example(), key)))
    try:
        section = section_of(real_controller)
        _wait_rows(qtbot, section, 1)
        section.rows()[0].setOn(True)
        qtbot.waitUntil(lambda: telemetry.plugin_counters().plugins[0].state == "on")
        qtbot.waitUntil(lambda: section.rows()[0].stateText().startswith("On:"))
        assert telemetry.plugin_counters().plugins[0].plugin == EXAMPLE
    finally:
        forget_example_modules()
