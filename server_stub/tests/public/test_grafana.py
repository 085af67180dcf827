"""Grafana provisioning: every query of the dashboard runs against a real aggregate database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from napari_telemetry.schema import week_start
from napari_telemetry_server.demo import COUNTER_PLUGIN, DemoShape, seed, sign_demo_collection
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._release_config import ReleaseSettings

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "napari-telemetry.json"


@pytest.fixture(scope="module")
def aggregates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grafana")
    shape = DemoShape(weeks=14, first_week_users=900, last_week_users=1000)
    seed(root / "raw.sqlite", shape, seed=5, last_week="2026-W48")
    today = date(2026, 12, 3)
    collection = sign_demo_collection(root, week_start("2026-W35"), today)
    aggregate(root / "raw.sqlite", root / "aggregates.sqlite", today=today,
              settings=ReleaseSettings(first_week="2026-W35"), assume_complete=True,
              collection=collection)  # fmt: skip
    return root / "aggregates.sqlite"


@pytest.fixture(scope="module")
def read_only(aggregates: Path) -> Iterator[sqlite3.Connection]:
    """Opened as the plugin opens it: read-only, query_only."""
    with closing(sqlite3.connect(f"{aggregates.as_uri()}?mode=ro", uri=True)) as conn:
        conn.execute("PRAGMA query_only = 1")
        yield conn


def targets(dashboard: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in dashboard["panels"] for t in p["targets"]]


def test_datasource_and_provider_files() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/napari-telemetry.yaml").read_text())
    source = ds["datasources"][0]
    assert source["type"] == "frser-sqlite-datasource"
    assert source["jsonData"]["path"].endswith("aggregates.sqlite")
    dash = yaml.safe_load((GRAFANA / "provisioning/dashboards/napari-telemetry.yaml").read_text())
    assert dash["providers"][0]["type"] == "file"
    dashboard = json.loads(DASHBOARD.read_text())
    assert {t["datasource"]["uid"] for _, t in targets(dashboard)} == {source["uid"]}


def test_same_panels_as_the_site() -> None:
    titles = " | ".join(p["title"] for p in json.loads(DASHBOARD.read_text())["panels"])
    for topic in ("Weekly active installs", "napari versions", "Python", "Operating system",
                  "CPU architecture", "Top plugins", "Weekly installs of $plugin",
                  "Versions of $plugin", "Commands of $plugin", "Counters of $plugin",
                  "Layer types", "Data types", "Dimensions", "Data size"):  # fmt: skip
        assert topic in titles


def test_every_query_runs_and_returns_rows(read_only: sqlite3.Connection) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    variable = dashboard["templating"]["list"][0]
    plugins = [r[0] for r in read_only.execute(variable["query"]["queryText"])]
    assert {"napari-svg", COUNTER_PLUGIN} <= set(plugins)
    assert "other" not in plugins
    for title, target in targets(dashboard):
        # Plugin commands rarely clear the weekly threshold; napari's own always do. The
        # demo's manifest approves one plugin's counters.
        plugin = {"Commands of": "napari", "Counters of": COUNTER_PLUGIN}.get(title[:11])
        plugin = plugin or "napari-svg"
        sql = target["queryText"].replace("$plugin", plugin)
        cursor = read_only.execute(sql)
        rows = cursor.fetchall()
        assert rows, title
        columns = [d[0] for d in cursor.description]
        for column in target.get("timeColumns", []):
            assert column in columns, title
            assert all(isinstance(r[columns.index(column)], int) for r in rows), title
