"""Fixtures of the client-core tests: a GUI-like environment (the fresh state is shared)."""

from __future__ import annotations

import pytest

from napari_telemetry.core import _switches


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend to be a desktop session (no CI, no test run, a display)."""
    monkeypatch.setattr(_switches, "ci_reason", lambda: None)
