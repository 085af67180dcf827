"""A real napari Viewer (Xvfb + Mesa) with telemetry started: what ends up pending, per level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_telemetry._napari import _runtime
from napari_telemetry.schema import Level

from .telemetry_helpers import consent, pending

pytestmark = [pytest.mark.napari, pytest.mark.gui]


@pytest.fixture
def viewer(make_napari_viewer: Any, small_index: Any) -> Any:
    """A shown viewer; the public index is the small test index."""
    return make_napari_viewer(show=True)


def _zarr_image() -> Any:
    zarr = pytest.importorskip("zarr")
    z = zarr.zeros((32, 32), chunks=(16, 16), dtype="uint16")  # zarr 2 and 3 alike
    z[:] = 7
    return z


def test_full_level_records_session_plugins_commands_and_layers(
    viewer: Any, tmp_path: Path
) -> None:
    da = pytest.importorskip("dask.array")
    consent(Level.FULL)
    _runtime.start(viewer, interactive=False)

    viewer.add_image(np.zeros((64, 64), "uint8"))
    viewer.layers.save(str(tmp_path / "out.svg"), plugin="napari-svg")  # a plugin's writer
    viewer.add_image(da.zeros((4, 64, 64), dtype="float32", chunks=(1, 64, 64)))
    viewer.add_image(_zarr_image())
    from napari._app_model import get_app_model

    get_app_model().commands.execute_command("napari.layer.toggle_visibility")

    got = pending()
    assert set(got) == {"session", "plugin", "command", "layer"}
    assert [r["launches"] for r in got["session"]] == [1]
    assert {(r["name"], r["version"]) for r in got["plugin"]} == {
        ("napari-svg", "0.2.1"),
        ("napari-console", "0.1.5"),
    }
    commands = {(r["command_id"], r["plugin"]) for r in got["command"]}
    assert ("napari-svg.svg_writer", "napari-svg") in commands
    assert ("napari.layer.toggle_visibility", "napari") in commands
    assert all(r["plugin"] in {"napari", "napari-svg", "napari-console"} for r in got["command"])
    layers = {(r["data_type"], r["ndim"], r["dtype"]) for r in got["layer"]}
    assert layers == {
        ("numpy.ndarray", 2, "uint8"),
        ("dask.Array", 3, "float32"),
        ("zarr.Array", 2, "uint16"),
    }


def test_basic_level_records_only_the_session(viewer: Any) -> None:
    consent(Level.BASIC)
    _runtime.start(viewer, interactive=False)
    viewer.add_image(np.zeros((8, 8)))
    from napari._app_model import get_app_model

    get_app_model().commands.execute_command("napari.layer.toggle_visibility")
    assert set(pending()) == {"session"}


def test_nothing_before_consent(viewer: Any) -> None:
    _runtime.start(viewer, interactive=False)  # no record, a test run: never asks, records nothing
    viewer.add_image(np.zeros((8, 8)))
    assert pending() == {}


def test_lowering_the_level_stops_collection_and_deletes_pending_above(viewer: Any) -> None:
    consent(Level.FULL)
    _runtime.start(viewer, interactive=False)
    viewer.add_image(np.zeros((8, 8)))
    assert "layer" in pending()

    consent(Level.BASIC)  # what the settings dock does
    viewer.add_image(np.zeros((9, 9)))
    assert set(pending()) == {"session"}

    consent(Level.FULL)  # raised again: collection resumes, nothing old comes back
    viewer.add_image(np.zeros((4, 4, 4)))
    assert [r["ndim"] for r in pending()["layer"]] == [3]


def test_two_viewers_one_session_layers_of_both(make_napari_viewer: Any) -> None:
    consent(Level.FULL)
    first, second = make_napari_viewer(), make_napari_viewer()
    _runtime.start(first, interactive=False)
    _runtime.start(second, interactive=False)
    _runtime.start(second, interactive=False)  # idempotent
    first.add_points(np.zeros((3, 2)))
    second.add_labels(np.zeros((5, 5), "int32"))
    first.close()
    second.add_image(np.zeros((5, 5)))
    got = pending()
    assert [r["launches"] for r in got["session"]] == [1]
    assert sorted(r["layer_type"] for r in got["layer"]) == ["Image", "Labels", "Points"]


def test_npe2_sample_data_and_readers_count_as_commands(viewer: Any, tmp_path: Path) -> None:
    consent(Level.FULL)
    _runtime.start(viewer, interactive=False)
    viewer.open_sample("napari", "camera")  # npe2 sample data, not through a menu
    path = tmp_path / "secret-name.npy"
    np.save(path, np.zeros((3, 3)))
    viewer.open(str(path), plugin="napari")  # npe2 reader
    got = pending()
    commands = {r["command_id"]: r["plugin"] for r in got["command"]}
    assert commands == {"napari.data.camera": "napari", "napari.get_reader": "napari"}
    assert "secret-name" not in json.dumps(got)  # never a file name


def test_disabling_deletes_everything_and_stops_at_once(viewer: Any) -> None:
    from napari._app_model import get_app_model

    from napari_telemetry.core import _consent

    consent(Level.FULL)
    _runtime.start(viewer, interactive=False)
    viewer.add_image(np.zeros((8, 8)))
    assert pending()
    _consent.disable()  # the settings dock's "Turn off"
    viewer.add_image(np.zeros((8, 8)))
    get_app_model().commands.execute_command("napari.layer.toggle_visibility")
    assert pending() == {}
