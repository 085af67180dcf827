"""Fixtures of the napari-integration tests: a fresh runtime, recorder and plugin index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from napari_telemetry._napari import _runtime
from napari_telemetry.core import _public_index
from napari_telemetry.schema import PublicIndex

from .telemetry_helpers import FakeFetcher


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    """Each test starts with no hooks (and, by the shared fixture, no recorder or index)."""
    _runtime.stop()
    yield
    _runtime.stop()


@pytest.fixture
def small_index() -> PublicIndex:
    """The test index (data/extended_summary.json here), cached as a real fetch would."""
    index = _public_index.refresh(FakeFetcher())
    assert index is not None
    return index
