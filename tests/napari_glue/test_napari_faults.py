"""Faults: napari internals missing, a broken start, the viewer closed while an upload runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from napari_telemetry._napari import _runtime
from napari_telemetry.core import _consent, _uploader, state
from napari_telemetry.core._transport import Response
from napari_telemetry.schema import Level

from .telemetry_helpers import consent, pending

pytestmark = [pytest.mark.napari, pytest.mark.gui]


def test_missing_app_model_internals_mean_fewer_records_and_a_debug_line(
    make_napari_viewer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import napari._app_model
    from app_model import Application

    viewer = make_napari_viewer()
    monkeypatch.delattr(napari._app_model, "get_app_model")
    monkeypatch.setattr(Application, "get_app", classmethod(lambda cls, name: None))
    consent(Level.FULL)
    with caplog.at_level(logging.DEBUG, logger="napari_telemetry"):
        _runtime.start(viewer, interactive=False)
    assert "get_app_model is unavailable" in caplog.text
    assert [name for _, name in _runtime._rt.registries] == ["get", "actions"]  # still counted
    viewer.add_image(np.zeros((4, 4)))  # napari keeps working, layers still counted
    assert set(pending()) == {"session", "layer"}


def test_a_viewer_without_layer_events_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    consent(Level.FULL)
    with caplog.at_level(logging.DEBUG, logger="napari_telemetry"):
        _runtime.start(object(), interactive=False)
    assert "viewer.layers.events.inserted is unavailable" in caplog.text
    assert set(pending()) == {"session"}


def test_start_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("consent store exploded")

    monkeypatch.setattr(_consent, "effective_level", broken)
    with caplog.at_level(logging.DEBUG, logger="napari_telemetry"):
        _runtime.start(None)
    assert "could not start" in caplog.text


def test_switched_off_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    consent(Level.FULL)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    _runtime.start(None, interactive=False)
    assert _runtime._rt.registries == []


class BlockingTransport:
    """Holds every POST until released, like a slow collector."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
        self.entered.set()
        self.release.wait(10)
        return Response(200)


def test_viewer_closed_while_an_upload_runs(
    make_napari_viewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = BlockingTransport()
    monkeypatch.setattr(state, "uploader", _uploader.Uploader(transport=transport))
    viewer = make_napari_viewer()
    consent(Level.FULL)
    _runtime.start(viewer, interactive=False)
    viewer.add_image(np.zeros((4, 4)))
    pending()
    reports: list[Any] = []
    sender = threading.Thread(
        target=lambda: reports.append(_uploader.get_uploader().send_now(force=True))
    )
    sender.start()
    assert transport.entered.wait(10)
    viewer.close()  # while the POST is in flight: returns at once, nothing raised
    transport.release.set()
    sender.join(10)
    assert not sender.is_alive()
    assert "sent" in str(reports[0])


def test_missing_npe2_registry_leaves_app_model_counting(
    make_napari_viewer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import npe2

    viewer = make_napari_viewer()

    def gone() -> Any:
        raise AttributeError("PluginManager.instance was renamed")

    monkeypatch.setattr(npe2.PluginManager, "instance", staticmethod(gone))
    consent(Level.FULL)
    with caplog.at_level(logging.DEBUG, logger="napari_telemetry"):
        _runtime.start(viewer, interactive=False)
    assert "command registry is unavailable" in caplog.text
    assert [name for _, name in _runtime._rt.registries] == ["execute_command", "actions"]
    from napari._app_model import get_app_model

    get_app_model().commands.execute_command("napari.layer.toggle_visibility")
    assert {r["command_id"] for r in pending()["command"]} == {"napari.layer.toggle_visibility"}


def test_a_layer_whose_data_raises_stops_nothing(make_napari_viewer: Any) -> None:
    from napari.layers import Image

    class Flaky(Image):  # a plugin's layer whose data went away (a closed file, a lost server)
        broken = False

        @property  # type: ignore[override]
        def data(self) -> Any:
            if self.broken:
                raise RuntimeError("the data went away")
            return Image.data.fget(self)  # type: ignore[attr-defined]

        @data.setter
        def data(self, value: Any) -> None:
            Image.data.fset(self, value)  # type: ignore[attr-defined]

    viewer = make_napari_viewer()
    flaky = Flaky(np.zeros((4, 4), "uint8"))
    viewer.add_layer(flaky)
    viewer.add_image(np.zeros((8, 8), "float32"))
    consent(Level.FULL)
    flaky.broken = True  # present, and broken, when telemetry starts
    try:
        assert _runtime.start(viewer, interactive=False)
    finally:
        flaky.broken = False
    records = pending()
    assert len(records["session"]) == 1
    layers = {(r["data_type"], r["dtype"], r["ndim"]) for r in records["layer"]}
    assert layers == {("other.Other", "unknown", 2), ("numpy.ndarray", "float32", 2)}
