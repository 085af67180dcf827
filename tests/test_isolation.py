"""The test run itself: isolated from the user's files and from the internet."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest


def test_the_suite_cannot_reach_beyond_loopback() -> None:
    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="beyond loopback"):
        s.connect(("192.0.2.1", 443))  # TEST-NET-1: documentation range, never routed


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())


def test_every_test_has_its_own_telemetry_folder(telemetry_dir: Path) -> None:
    assert os.environ["NAPARI_TELEMETRY_DIR"] == str(telemetry_dir)
    assert os.environ["NAPARI_TELEMETRY_URL"].startswith("http://127.0.0.1:")
    assert os.environ["NAPARI_TELEMETRY_INDEX_URL"].startswith("http://127.0.0.1:")
