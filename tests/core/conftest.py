"""Fixtures of the client-core tests: a fresh recorder per test, and a GUI-like environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from napari_telemetry import _switches
from napari_telemetry._store import _recorder


@pytest.fixture(autouse=True)
def fresh_recorder() -> Iterator[None]:
    """Each test gets its own process-wide recorder."""
    _recorder._recorder = None
    _switches._warn_once.cache_clear()
    yield
    if _recorder._recorder is not None:
        _recorder._recorder.flush(timeout=2)
    _recorder._recorder = None


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend to be a desktop session (no CI, no test run, a display)."""
    monkeypatch.setattr(_switches, "ci_reason", lambda: None)
