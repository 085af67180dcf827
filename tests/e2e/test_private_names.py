"""A full-level session in real napari with an array class from a private package (issue 11).

A throwaway environment has ``acme_patient_pipeline`` installed in its site-packages (the way an
in-house package is), with an array-like ``PatientVolume``, and ``napari-devplug`` 0.1.0.dev3, a
plugin the public index lists, installed at a development version. napari runs there under Xvfb
at `full`, adds a ``PatientVolume`` and runs the dev plugin's command. The pending batch
(``preview --json``), the rows the real collector stores and what ``aggregate`` computes say
``other.Other``, the dev plugin is named nowhere, and no private name is in any file either side
wrote: pending files, sent copies, the raw database, the aggregates, the logs.

Before the fix the layer was sent as ``acme_patient_pipeline.PatientVolume`` (any package in
site-packages was named) and the dev plugin as a command owner.

``private_install`` runs the session once per module, next to 150 other installs of the same
week whose layers are of private classes too (one install alone is never published: that is
differential privacy), and hands over every path; ``assert_never_named`` greps them. The last
test publishes the released week and reads the dashboard in Chromium: ``other.Other`` is
there, no private name anywhere in the site.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sysconfig
import venv
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_glue.telemetry_helpers import _DEVPLUG_YAML, _package
from napari_telemetry.schema import iso_week, week_start

from .e2e_support import (
    BIN,
    INDEX,
    Collector,
    IndexServer,
    dashboard_text,
    other_installs,
    require,
)

ROOT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("private_session.py")

PRIVATE_NAMES = ("acme_patient_pipeline", "acme-patient-pipeline", "PatientVolume", "patient-0042")
DEV_PLUGIN = "napari-devplug"  # public, so in the cached index, but named in no record
_NOT_A_DESKTOP = {"PYTEST_CURRENT_TEST", "CI", "PYTHONPATH", "VIRTUAL_ENV", "DO_NOT_TRACK"}
_ACME = '''\
"""Acme's in-house pipeline: nothing about it may leave the lab."""

import numpy as np


class PatientVolume:
    """An array-like volume: napari reads it through shape, dtype, ndim and slicing."""

    def __init__(self):
        self._data = np.zeros((4, 32, 32), np.uint16)
        self._data[:, 8:24, 8:24] = 1000

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)

    def __getitem__(self, key):
        return self._data[key]

    def __len__(self):
        return len(self._data)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._data, dtype=dtype)
'''

pytestmark = [pytest.mark.e2e, pytest.mark.napari, pytest.mark.gui, pytest.mark.slow]


@dataclass
class PrivateInstall:
    """What the session left behind, for the checks of this module (and the site's, later)."""

    root: Path
    python: Path  # the throwaway environment's: consent is per environment
    env: dict[str, str]
    collector: Collector
    week: str

    def cli(self, *args: str) -> str:
        """``napari-telemetry ARGS`` in the throwaway environment."""
        done = subprocess.run([str(self.python), "-m", "napari_telemetry", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.collector.db)) as conn:
            return sorted(conn.execute(sql).fetchall())

    def aggregate(self) -> Path:
        """Run ``aggregate`` as on a day after this week's grace period (the week, once)."""
        from napari_telemetry_server.public._aggregate import aggregate
        from napari_telemetry_server.public._release_config import ReleaseSettings

        out = self.root / "aggregates.sqlite"
        if not out.exists():
            today = week_start(self.week) + timedelta(days=10)
            calendar = ReleaseSettings(first_week=self.week)
            report = aggregate(self.collector.db, out, settings=calendar, today=today)
            assert report.released == [self.week]
        return out

    def user_id(self) -> str:
        """This install's weekly id of the session's week."""
        lines = [ln.split() for ln in self.cli("ids").splitlines() if ln.startswith(self.week)]
        return str(lines[0][1])


OTHERS = 150  # other installs of the week, each with a layer of some private class
OTHER_LAYER = {"type": "layer", "layer_type": "Image", "data_type": "other.Other", "ndim": 3,
               "dtype": "uint16", "multiscale": False, "levels": 1, "size_bucket": 20,
               "count": 1}  # fmt: skip


def assert_never_named(*paths: Path, names: tuple[str, ...] = PRIVATE_NAMES) -> None:
    """No private name, test path or host name in any file at or under *paths*."""
    secrets = [*names, str(ROOT), "pytest-of-"]  # the checkout's path, pytest's temporary ones
    if len(socket.gethostname()) >= 6:  # a short name ("vm") is found in any minified script
        secrets.append(socket.gethostname())
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} in {path}"


def _throwaway_python(root: Path) -> Path:
    """A venv that sees this one's packages and has the private ones in its own site-packages."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    site = next((root / "lib").glob("python3*/site-packages"))
    parent = sysconfig.get_paths()["purelib"]
    (site / "_parent_environment.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    (site / "acme_patient_pipeline").mkdir()
    (site / "acme_patient_pipeline" / "__init__.py").write_text(_ACME)
    info = site / "acme_patient_pipeline-2.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-patient-pipeline\n"
                                   "Version: 2.3.1\n")  # fmt: skip
    _package(site, "napari_devplug", "napari-devplug", "0.1.0.dev3", _DEVPLUG_YAML)
    return root / "bin" / "python"


@pytest.fixture(scope="module")
def private_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateInstall]:
    """One full-level napari session in the throwaway environment, sent to a real collector."""
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    root = tmp_path_factory.mktemp("private")
    python = _throwaway_python(root / "venv")
    env = {k: v for k, v in os.environ.items() if k not in _NOT_A_DESKTOP}
    with (
        IndexServer(INDEX) as index_url,
        Collector(root / "collector", INDEX, BIN, "--rate-limit", "100000") as collector,
    ):
        env.update(NAPARI_TELEMETRY_DIR=str(root / "client"), NAPARI_TELEMETRY_URL=collector.url,
                   NAPARI_TELEMETRY_INDEX_URL=index_url, LIBGL_ALWAYS_SOFTWARE="1")  # fmt: skip
        install = PrivateInstall(root, python, env, collector, iso_week(date.today()))
        install.cli("enable", "--level", "full", "--days", "30")
        done = subprocess.run([str(python), str(SESSION)], env=env, capture_output=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")
        other_installs(collector, install.week, OTHERS, {"full": [OTHER_LAYER]})
        yield install


def test_the_pending_batch_names_nothing_private(private_install: PrivateInstall) -> None:
    batches = json.loads(private_install.cli("preview", "--json"))
    records = [r for b in batches if b["level"] == "full" for r in b["records"]]
    kinds = {r["data_type"] for r in records if r["type"] == "layer"}
    assert kinds == {"numpy.ndarray", "other.Other"}
    owners = {r["plugin"] for r in records if r["type"] == "command"}
    assert owners == {"napari"}  # napari-devplug's command ran, at a dev version: not counted
    plugins = {r["name"] for b in batches if b["level"] == "middle" for r in b["records"]}
    assert "napari-svg" in plugins
    client = private_install.root / "client"
    assert_never_named(client)
    assert_never_named(*client.glob("data/pending/*/*.jsonl"), names=(DEV_PLUGIN,))


def test_the_collector_and_the_aggregate_name_nothing_private(
    private_install: PrivateInstall,
) -> None:
    from napari_telemetry_server import make_engine
    from napari_telemetry_server.public._release_config import ReleaseSettings
    from napari_telemetry_server.public._release_dims import DIMS
    from napari_telemetry_server.public._release_read import read_bounded

    private_install.cli("send", "--now")
    mine = f"user_id = '{private_install.user_id()}'"
    assert private_install.rows(f"SELECT data_type, count FROM layer_records WHERE {mine}") == [
        ("numpy.ndarray", 1),
        ("other.Other", 1),
    ]
    assert private_install.rows("SELECT DISTINCT plugin FROM command_records") == [("napari",)]
    out = private_install.aggregate()
    dim = next(d for d in DIMS if d.name == "layers.data_type")
    engine = make_engine(private_install.collector.db)
    try:
        with engine.connect() as conn:  # what the release counts, before its noise
            week = private_install.week
            bounded, _ = read_bounded(conn, dim, [week], dim.per_id(ReleaseSettings()), None)
    finally:
        engine.dispose()
    assert dict(bounded[week].ids) == {"numpy.ndarray": 1, "other.Other": 1 + OTHERS}
    client, collector = private_install.root / "client", private_install.root / "collector"
    assert_never_named(client, collector, out)
    assert_never_named(client / "data" / "sent", collector, out, names=(DEV_PLUGIN,))


def test_the_published_site_says_other_and_names_nothing_private(
    private_install: PrivateInstall,
) -> None:
    from napari_telemetry_server.public._publish import publish

    private_install.cli("send", "--now")  # when run alone; nothing new otherwise
    site = private_install.root / "site"
    publish(private_install.aggregate(), site)
    text = dashboard_text(site / "index.html")
    assert private_install.week in text
    assert "other.Other" in text  # the data-types chart: the session's layer among 151
    assert_never_named(site)
    assert_never_named(site, names=(DEV_PLUGIN,))
