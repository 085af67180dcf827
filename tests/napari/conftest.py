"""Fixtures of the napari-integration tests: a fresh runtime, recorder and plugin index."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from telemetry_helpers import FakeFetcher

from napari_telemetry import _public_index
from napari_telemetry._napari import _runtime
from napari_telemetry._store import _recorder


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    """Each test starts with no hooks, no recorder and no cached index in memory."""
    _runtime.stop()
    _recorder._recorder = None
    _public_index._memo.clear()
    yield
    _runtime.stop()
    uploader = sys.modules.get("napari_telemetry._uploader")
    if uploader is not None and uploader._uploader is not None:
        uploader._uploader.stop(timeout=0.5)
    if _recorder._recorder is not None:
        _recorder._recorder.flush(timeout=2)
    _recorder._recorder = None
    _public_index._memo.clear()


@pytest.fixture
def small_index() -> _public_index.PublicIndex:
    """The test index (tests/napari/data/extended_summary.json), cached as a real fetch would."""
    index = _public_index.refresh(FakeFetcher())
    assert index is not None
    return index
