"""Qt test fixtures: no modal dialog can hang a run, no worker outlives its test, and every view
gets its own controller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("qtpy.QtWidgets", reason="needs a Qt binding")

from napari_telemetry._qt import TelemetryController, _workers, set_controller

from ._fakes import FakeCore


def _refuse_modal(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a modal dialog was exec()'d in a test: it would hang; use open()")


@pytest.fixture(autouse=True)
def _block_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a stray ``exec()`` or ``QMessageBox`` static fail the test instead of hanging it."""
    from qtpy.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

    for cls in (QDialog, QMessageBox, QFileDialog, QInputDialog):
        for name in ("exec", "exec_"):
            if hasattr(cls, name):
                monkeypatch.setattr(cls, name, _refuse_modal)
    for name in ("about", "critical", "information", "question", "warning"):
        monkeypatch.setattr(QMessageBox, name, _refuse_modal)
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, _refuse_modal)


@pytest.fixture(autouse=True)
def _workers_end_in_their_test() -> Iterator[None]:
    """Wait for the views' worker threads: one left running writes into the next test's folder.

    (Once, in a whole run, a secret appeared in test_looking_at_the_ids_makes_no_identity's
    folder before it agreed to anything: the paths follow NAPARI_TELEMETRY_DIR when used.)
    """
    yield
    assert _workers.wait_idle(30), "a view's worker still running after its test"
    for worker in threading.enumerate():
        if worker.name.startswith(_workers.PREFIX):
            worker.join(timeout=30)
            assert not worker.is_alive(), f"{worker.name} still running after its test"


@pytest.fixture
def fake_core() -> FakeCore:
    """An in-memory core whose calls can be made to raise."""
    return FakeCore()


@pytest.fixture
def fake_controller(qtbot: object, fake_core: FakeCore) -> TelemetryController:
    """A controller over the fake core, installed as the process-wide one for the test."""
    controller = TelemetryController(fake_core)
    set_controller(controller)
    return controller  # forgotten by the shared fresh_state


@pytest.fixture
def real_controller(qtbot: object) -> TelemetryController:
    """A controller over the real core (files in the test's NAPARI_TELEMETRY_DIR)."""
    controller = TelemetryController()
    set_controller(controller)
    return controller  # forgotten by the shared fresh_state
