"""The package's public names are pinned: adding or removing one is a deliberate change."""

from __future__ import annotations

import napari_telemetry
import napari_telemetry._napari


def test_package_exports() -> None:
    assert napari_telemetry.__all__ == ["__version__", "start"]
    assert napari_telemetry._napari.__all__ == ["on_import", "start", "stop"]
    for package in (napari_telemetry, napari_telemetry._napari):
        assert package.__all__ == sorted(package.__all__)
        assert all(hasattr(package, name) for name in package.__all__)


def test_public_start_never_raises_without_napari_running() -> None:
    napari_telemetry.start()  # no viewer, a test run: records nothing, raises nothing
