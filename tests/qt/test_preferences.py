"""The manifest's ``configurations`` (napari >= 0.9 Preferences), in step with the dock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from napari_telemetry._napari._preferences import sync_preferences
from napari_telemetry._qt import SettingsDock
from napari_telemetry.core import _consent
from napari_telemetry.schema import Level

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

pytestmark = pytest.mark.napari
MANIFEST = Path(__file__).resolve().parents[2] / "napari.yaml"


def _has_plugin_settings() -> bool:
    try:
        import napari.settings
    except ImportError:
        return False
    return hasattr(napari.settings, "get_plugin_settings")


# Plugin Preferences (manifest `configurations`) arrived in napari 0.9; older napari ignores them.
needs_plugin_settings = pytest.mark.skipif(
    not _has_plugin_settings(), reason="napari < 0.9 has no plugin Preferences"
)


def test_manifest_declares_the_level_for_preferences() -> None:
    from npe2 import PluginManifest

    mf = PluginManifest.from_file(MANIFEST)
    prop = mf.contributions.configurations["telemetry"].properties["level"]
    assert prop.enum == [lv.value for lv in Level]
    assert prop.default == "none"


def test_npe2_without_configurations_ignores_the_key() -> None:
    """Older npe2 has no ``configurations`` field; like today's, it ignores unknown keys."""
    from npe2 import PluginManifest

    data = yaml.safe_load(MANIFEST.read_text())
    data["contributions"]["configurations_of_a_later_npe2"] = data["contributions"].pop(
        "configurations"
    )
    mf = PluginManifest(**data)
    assert not mf.contributions.configurations
    assert mf.contributions.widgets


@pytest.fixture
def telemetry_settings(plugin_settings: None, npe2pm: Any) -> Any:
    from napari.settings import get_plugin_settings
    from npe2 import PluginManifest

    npe2pm.register(PluginManifest.from_file(MANIFEST))
    return get_plugin_settings("napari-telemetry")


@needs_plugin_settings
def test_preferences_start_from_the_consent_record(
    telemetry_settings: Any, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.MIDDLE)
    assert telemetry_settings.telemetry.level == "none"
    assert sync_preferences(real_controller)
    assert telemetry_settings.telemetry.level == "middle"


@needs_plugin_settings
def test_dock_and_preferences_follow_each_other(
    qtbot: QtBot, telemetry_settings: Any, real_controller: TelemetryController
) -> None:
    sync_preferences(real_controller)
    dock = SettingsDock(real_controller)
    qtbot.addWidget(dock)
    dock.setLevel(Level.BASIC)
    assert telemetry_settings.telemetry.level == "basic"
    assert "level: basic" in Path(telemetry_settings.config_path).read_text()
    telemetry_settings.telemetry.level = "full"  # as napari's Preferences dialog does
    assert _consent.effective_level().agreed_level is Level.FULL
    assert dock.level() is Level.FULL


def test_without_plugin_settings_nothing_happens(
    real_controller: TelemetryController, monkeypatch: pytest.MonkeyPatch
) -> None:
    import napari.settings

    def missing(name: str) -> None:
        raise KeyError(name)

    monkeypatch.setattr(napari.settings, "get_plugin_settings", missing, raising=False)
    assert sync_preferences(real_controller) is False


@needs_plugin_settings
def test_preferences_wait_for_napari_to_build_them(
    plugin_settings: None, npe2pm: Any, real_controller: TelemetryController
) -> None:
    """Building napari's plugin settings at launch costs napari memory for a page that may never
    be opened: the level is set once napari builds them (its Preferences dialog does)."""
    import napari.settings
    from npe2 import PluginManifest

    from napari_telemetry._napari import _runtime
    from napari_telemetry._napari._preferences import sync_when_built

    npe2pm.register(PluginManifest.from_file(MANIFEST))
    _consent.record_consent(Level.MIDDLE)
    original = napari.settings.get_plugin_settings
    assert sync_when_built(real_controller)
    assert not napari.settings._PLUGIN_SETTINGS  # nothing built at launch
    section = napari.settings.get_plugin_settings("napari-telemetry")  # the dialog opens
    assert section.telemetry.level == "middle"
    section.telemetry.level = "basic"  # and a change there is the user's choice
    assert _consent.effective_level().agreed_level is Level.BASIC
    _runtime.stop()
    assert napari.settings.get_plugin_settings is original
