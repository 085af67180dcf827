"""Fixtures of the fault tests: a fresh recorder and uploader per test, nothing left running."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from napari_telemetry import _switches
from napari_telemetry._store import _recorder


@pytest.fixture(autouse=True)
def fresh_core() -> Iterator[None]:
    """Each test gets its own process-wide recorder; a started uploader is stopped after it."""
    _recorder._recorder = None
    _switches._warn_once.cache_clear()
    yield
    uploader = sys.modules.get("napari_telemetry._uploader")
    if uploader is not None and uploader._uploader is not None:
        uploader._uploader.stop(timeout=0.5)
        uploader._uploader = None
    if _recorder._recorder is not None:
        _recorder._recorder.flush(timeout=2)
    _recorder._recorder = None


# The real collector process and the plugin-index server of the end-to-end tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
