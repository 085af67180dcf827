"""The server's house: each part's front door pinned, no import loop, serve's start-up light.

The layers, the one plugin module the server may import, the front doors and the loops between
siblings are import-linter contracts (pyproject.toml, ``lint-imports``). A loop through a
package's own ``__init__`` (a module importing the package it belongs to) is none of those,
so the whole module graph is checked here.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import grimp
import pytest

from napari_telemetry_server import collection, collector, demo, keys, public, storage
from napari_telemetry_server.public import counters, ledger

PINNED: dict[ModuleType, list[str]] = {
    collector: [
        "DeadlineProtocol",
        "DeletionRequest",
        "Metrics",
        "Settings",
        "create_app",
        "data_dir",
        "get_settings",
        "serve",
        "serve_metrics",
        "server_config",
    ],
    storage: [
        "BUSY_TIMEOUT_MS",
        "LEDGER_TABLES",
        "RAW_RETENTION_DAYS",
        "TOMBSTONE_DAYS",
        "AlreadyReleased",
        "Ledger",
        "Outcome",
        "Partials",
        "Period",
        "PublicKey",
        "Storage",
        "StorageUnavailable",
        "batch_digest",
        "batches",
        "database_url",
        "make_engine",
        "metadata",
        "record_tables",
        "require_database",
        "sqlite_engine",
        "tombstones",
    ],
    public: [
        "AggregateReport",
        "Denylist",
        "InvalidCertificate",
        "PublishReport",
        "ReleaseSettings",
        "aggregate",
        "dry_run",
        "fingerprint",
        "key_id",
        "ledger_report",
        "load_or_create_key",
        "load_public_key",
        "make_server",
        "parse",
        "public_pem",
        "publish",
        "record_key",
        "sign",
        "statement",
        "verify",
    ],
    ledger: [
        "RELEASED",
        "Book",
        "Due",
        "Year",
        "book_of",
        "check",
        "complete",
        "costs",
        "due_quarters",
        "due_weeks",
        "ledger_lines",
        "ledger_report",
        "open_books",
        "pinned",
        "read",
        "releasable",
        "settings_note",
        "write",
        "year",
    ],
    counters: [
        "CELLS",
        "WINDOW_CELLS",
        "Cell",
        "CellCounting",
        "counter_pages",
        "key",
        "listed",
        "parts",
        "values_per_id",
        "week_rows",
        "window_rows",
    ],
    demo: [
        "COUNTER_PLUGIN",
        "DemoResult",
        "DemoShape",
        "Synth",
        "make_batch",
        "run_demo",
        "seed",
        "sign_demo_collection",
    ],
    collection: [
        "CURRENT",
        "DEFAULT_DAYS",
        "HISTORY",
        "Approvals",
        "Filtered",
        "Signed",
        "check",
        "latest_version",
        "sign_collection",
    ],
    keys: [
        "canonical",
        "fingerprint",
        "key_id",
        "load_or_create_key",
        "load_private_key",
        "load_public_key",
        "public_pem",
        "signature",
    ],
}


def _ruff_order(name: str) -> tuple[int, str]:
    """ruff's (RUF022) order of ``__all__``: CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("package", list(PINNED), ids=lambda p: p.__name__)
def test_exported_members_are_pinned(package: ModuleType) -> None:
    assert package.__all__ == PINNED[package]
    assert package.__all__ == sorted(package.__all__, key=_ruff_order)
    assert all(hasattr(package, name) for name in package.__all__)


def test_no_module_of_the_server_is_in_an_import_loop() -> None:
    graph = grimp.build_graph("napari_telemetry_server")
    loops = [
        " -> ".join([module, *(graph.find_shortest_chain(imported, module) or ())])
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(imported, module)
    ]
    assert loops == []


_PROBE = """
import sys
from napari_telemetry_server import _cli
from napari_telemetry_server.collector import create_app, serve
_cli.build_parser()
heavy = {"opendp", "altair", "cryptography"}
print(sorted(heavy & {m.split(".")[0] for m in sys.modules}))
"""


def test_serve_starts_without_the_public_sides_heavy_libraries() -> None:
    """OpenDP and Altair (0.45 s) are imported by the public verbs only, never by ``serve``."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
