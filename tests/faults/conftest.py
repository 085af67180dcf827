"""Fixtures of the fault tests: the end-to-end helpers on the path."""

from __future__ import annotations

import sys
from pathlib import Path

# A fresh recorder and uploader per test: the shared fixture (tests/conftest.py, fresh_state).

# The real collector process and the plugin-index server of the end-to-end tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
