"""Nothing private is named in storage, whatever a client sends: the collector's own filter.

A full-level batch from an older (or dishonest) client may name an in-house package as a data
type, or a private or unlisted plugin as a command owner. The collector keeps only what a
well-behaved client sends: data types of public array libraries and public plugins (others become
``other.Other``), commands of napari and of public plugins whose ids they own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from napari_telemetry_server import Settings
from tests.collector_testing import LiveServer

MakeBatch = Callable[..., dict[str, Any]]
PRIVATE = "acme_patient_pipeline"


def _command(command_id: str, plugin: str) -> dict[str, Any]:
    return {"type": "command", "command_id": command_id, "plugin": plugin, "count": 2}


def _layer(data_type: str) -> dict[str, Any]:
    return {"type": "layer", "layer_type": "Image", "data_type": data_type, "ndim": 3,
            "dtype": "uint16", "multiscale": False, "levels": 1, "size_bucket": 24,
            "count": 1}  # fmt: skip


RECORDS = [
    _command("napari.window.file.open", "napari"),
    _command("napari-plugin-1.run", "napari-plugin-1"),  # listed in the test index
    _command("napari_plugin_1.widget", "napari-plugin-1"),  # ids are matched normalized
    _command("acme-private.run", "acme-private"),  # not listed: never named
    _command("acme-private.run", "napari"),  # napari does not own a plugin's command
    _command("napari.window.file.open", "napari-plugin-1"),  # nor a plugin napari's
    _command("napari-plugin-1.run", "napari-plugin-2"),  # nor one plugin another's
    _layer("numpy.ndarray"),
    _layer("dask.Array"),
    _layer("napari_plugin_1.Volume"),
    _layer(f"{PRIVATE}.PatientVolume"),
    _layer("packaging.Version"),  # installed everywhere, but not an array library
]


def _stored(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return sorted(conn.execute(sql).fetchall())


def _send_full(server: LiveServer, make_batch: MakeBatch) -> None:
    batch = {**make_batch("full"), "records": RECORDS}
    assert httpx.post(f"{server.url}/v1/full/batches", json=batch).status_code == 201


def test_full_records_name_only_public_libraries_and_plugins(
    collector: LiveServer, settings: Settings, make_batch: MakeBatch
) -> None:
    _send_full(collector, make_batch)
    db = Path(settings.db)
    assert _stored(db, "SELECT command_id, plugin FROM command_records") == [
        ("napari-plugin-1.run", "napari-plugin-1"),
        ("napari.window.file.open", "napari"),
        ("napari_plugin_1.widget", "napari-plugin-1"),
    ]
    assert _stored(db, "SELECT data_type, count FROM layer_records") == [
        ("dask.Array", 1),
        ("napari_plugin_1.Volume", 1),
        ("numpy.ndarray", 1),
        ("other.Other", 1),
        ("other.Other", 1),
    ]
    collector.app.state.resources.close()
    for path in db.parent.glob("raw.sqlite*"):
        assert PRIVATE.encode() not in path.read_bytes(), path.name
        assert b"acme" not in path.read_bytes(), path.name


def test_without_an_index_no_plugin_is_named(
    serve: Callable[..., LiveServer], settings: Settings, tmp_path: Path, make_batch: MakeBatch
) -> None:
    server = serve(settings.model_copy(update={"plugin_index": tmp_path / "missing.json"}))
    _send_full(server, make_batch)
    db = Path(settings.db)
    assert _stored(db, "SELECT plugin FROM command_records") == [("napari",)]
    kinds = [kind for (kind,) in _stored(db, "SELECT data_type FROM layer_records")]
    assert kinds == ["dask.Array", "numpy.ndarray", *["other.Other"] * 3]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("os_version", "Lab PC 4"),
        ("os_version", "10.0.22631"),  # a Windows build
        ("os_version", "opensuse-tumbleweed-20240101"),  # a snapshot day
        ("os_version", "/home/jsmith"),
        ("os_version", ""),
    ],
)
def test_free_strings_outside_their_character_set_are_422(
    collector: LiveServer, make_batch: MakeBatch, field: str, value: str
) -> None:
    batch = make_batch("basic")
    batch["records"][0][field] = value
    response = httpx.post(f"{collector.url}/v1/basic/batches", json=batch)
    assert response.status_code == 422
    assert ["records", 0, field] in [issue["loc"] for issue in response.json()["detail"]]
    assert collector.app.state.resources.storage().counts()["batches"] == 0


@pytest.mark.parametrize(
    "value", ["ubuntu-24", "14", "11", "debian-12", "fedora-40", "server-2022", "arch", "other"]
)
def test_real_os_versions_are_accepted(
    collector: LiveServer, make_batch: MakeBatch, value: str
) -> None:
    batch = make_batch("basic")
    batch["records"][0]["os_version"] = value
    assert httpx.post(f"{collector.url}/v1/basic/batches", json=batch).status_code == 201


@pytest.mark.parametrize(("level", "field"), [("middle", "version"), ("basic", "napari_version")])
def test_a_local_version_is_422(
    collector: LiveServer, make_batch: MakeBatch, level: str, field: str
) -> None:
    """A local label (``+acme``, ``+g1a2b3c``) can name a private build: refused, not stored."""
    batch = make_batch(level)
    batch["records"][0][field] = "1.0.0+acme.patient"
    response = httpx.post(f"{collector.url}/v1/{level}/batches", json=batch)
    assert response.status_code == 422
    assert collector.app.state.resources.storage().counts()["batches"] == 0
