"""Repository-wide test guard: no test process may open a connection beyond this machine.

The test suites use real servers, but only on loopback. A connection to any other address is
refused with an error naming it, so a forgotten default URL fails a test instead of reaching
the internet. (Child processes such as napari sessions get loopback URLs from the fixtures.)
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

# The files that take longest (`pytest --durations`; docs/performance.md, "The test suite"), run
# first: with pytest-xdist each file stays on one worker, and a two-minute file started last
# would keep one worker busy long after the others finished.
# The tests that time napari's GUI thread run alone, after the others, from this folder only
# (scripts/dev.py collects nothing else for them).
SERIAL_FOLDER = "tests/faults"
LONGEST_FIRST = (
    "tests/e2e/test_plugin_dialog.py",
    "tests/qt/test_screenshots.py",
    "tests/e2e/test_whole_system.py",
    "server_stub/tests/public/test_privacy_attacks.py",
    "server_stub/tests/public/test_aggregate.py",
    "server_stub/tests/public/test_neighbours.py",
    "server_stub/tests/collector/test_collector_wal.py",
    "tests/e2e/test_run_command.py",
    "server_stub/tests/public/test_dashboard.py",
    "server_stub/tests/collector/test_collector_crash.py",
    "tests/e2e/test_plugin_counters.py",
    "server_stub/tests/collector/test_collector_fuzz.py",
    "tests/qt/test_pending_agrees.py",
)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets (PostgreSQL, X11) stay on this machine by nature
    host = str(address[0])
    try:
        loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConnectionRefusedError(f"tests may not connect beyond loopback: {host!r}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, the rest in their usual order (the sort is stable)."""
    root = config.rootpath
    rank = {root / name: i for i, name in enumerate(LONGEST_FIRST)}

    def order(item: pytest.Item) -> int:
        return rank.get(item.path, len(rank))

    items.sort(key=order)
    astray = [i.nodeid for i in items if "serial" in i.keywords and not i.path.is_relative_to(
        root / SERIAL_FOLDER)]  # fmt: skip
    if astray:
        raise pytest.UsageError(f"serial tests live in {SERIAL_FOLDER}/ only: {astray}")


def pytest_configure() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]


def pytest_unconfigure() -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
