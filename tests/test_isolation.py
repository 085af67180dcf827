"""The test run itself: isolated from the user's files and from the internet."""

from __future__ import annotations

import os
import socket
import sys
from importlib.machinery import PathFinder
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


def test_each_test_folder_is_a_package_named_apart_from_what_it_tests() -> None:
    """One ``__init__.py`` per test package; none may share a name with an installed module."""
    root = Path(__file__).resolve().parents[1]
    tests = root / "tests"
    folders = {
        p.parent
        for base in (tests, root / "server_stub" / "tests")
        for p in base.rglob("test_*.py")
    }
    bare = sorted(
        str(f.relative_to(root)) for f in folders - {tests} if not (f / "__init__.py").exists()
    )
    assert bare == [], "test folders without __init__.py"
    # tests/ is on sys.path (pytest's prepend mode), so its packages are top-level names: one
    # named like an installed package (tests/napari) would hide that package from every test.
    elsewhere = [p for p in sys.path if Path(p or ".").resolve() != tests]
    packages = sorted(f.name for f in tests.iterdir() if (f / "__init__.py").exists())
    assert packages == ["core", "e2e", "faults", "napari_glue", "qt"]
    clashes = [name for name in packages if PathFinder.find_spec(name, elsewhere) is not None]
    assert clashes == []
