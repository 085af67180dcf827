"""Fixtures of the napari-integration tests (napari's hooks go with the shared fresh_state)."""

from __future__ import annotations

import pytest

from napari_telemetry.core import _public_index
from napari_telemetry.schema import PublicIndex

from .telemetry_helpers import FakeFetcher


@pytest.fixture
def small_index() -> PublicIndex:
    """The test index (data/extended_summary.json here), cached as a real fetch would."""
    index = _public_index.refresh(FakeFetcher())
    assert index is not None
    return index
