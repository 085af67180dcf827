"""``publish --out DIR``: the static public site, built from the aggregate database only.

Writes ``index.html`` (charts, data inlined), ``aggregates.json``, ``csv/<table>.csv``,
``badges/<plugin>.json`` (shields.io endpoint badges), ``public_key.pem`` and ``assets/``. Files
of an earlier publication are replaced, so a value added to the denylist disappears everywhere.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from . import _publish_data as data
from ._aggregate_db import open_aggregates, read_tables
from ._aggregate_rules import Denylist, bucket_range
from ._publish_charts import chart_specs

SITE = resources.files("napari_telemetry_server") / "_site"
ASSETS = (
    "app.js",
    "style.css",
    "vendor/vega.min.js",
    "vendor/vega-lite.min.js",
    "vendor/vega-embed.min.js",
    "vendor/LICENSES.txt",
)
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")
MANAGED = ("index.html", "aggregates.json", "public_key.pem", "csv", "badges", "assets")


@dataclass(frozen=True)
class PublishReport:
    """What was written where."""

    out: Path
    files: int
    plugins: int
    removed_rows: int


def scrub(tables: data.Tables, deny: Denylist) -> tuple[data.Tables, int]:
    """Drop every row that mentions a denied value in any text column."""
    clean: data.Tables = {}
    removed = 0
    for name, rows in tables.items():
        kept = [r for r in rows if not deny.denies(*(v for v in r.values() if isinstance(v, str)))]
        removed += len(rows) - len(kept)
        clean[name] = kept
    return clean, removed


def publish(
    aggregates: Path, out: Path, *, deny: Denylist | None = None, public_key: bytes | None = None
) -> PublishReport:
    """Build the site in *out* from the aggregate database file *aggregates*."""
    engine = open_aggregates(aggregates, create=False)
    try:
        tables, removed = scrub(read_tables(engine), deny or Denylist())
    finally:
        engine.dispose()
    meta = {r["key"]: r["value"] for r in tables.pop("meta")}
    k = int(meta.get("k", "5"))
    out.mkdir(parents=True, exist_ok=True)
    for name in MANAGED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    files = _write_assets(out) + _write_tables(out, tables, meta)
    index = data.plugin_index(tables)
    files += _write_badges(out, index, k)
    if public_key is not None:
        (out / "public_key.pem").write_bytes(public_key)
        files += 1
    (out / "index.html").write_text(_page(tables, meta, index, k), "utf-8")
    return PublishReport(out, files + 1, len(index), removed)


def _write_assets(out: Path) -> int:
    (out / "assets").mkdir()
    for name in ASSETS:
        (out / "assets" / Path(name).name).write_bytes((SITE / name).read_bytes())
    return len(ASSETS)


def _write_tables(out: Path, tables: data.Tables, meta: dict[str, str]) -> int:
    (out / "csv").mkdir()
    for name, rows in tables.items():
        with (out / "csv" / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            columns = list(rows[0]) if rows else []
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    document = {
        "format": 1,
        "k": int(meta.get("k", "5")),
        "updated_on": meta.get("updated_on"),
        "unit": "distinct weekly ids (installations per ISO week); lower bounds",
        "tables": tables,
    }
    (out / "aggregates.json").write_text(json.dumps(document, indent=1), "utf-8")
    return len(tables) + 1


def badge(mean: float, k: int) -> dict[str, Any]:
    """A shields.io endpoint badge for a plugin's 13-week mean of weekly installs."""
    low, _high = bucket_range(mean)
    message = f"{low:,}+" if low >= k else f"< {k}"
    return {
        "schemaVersion": 1,
        "label": "napari weekly installs",
        "message": message,
        "color": "blue" if low >= k else "lightgrey",
        "cacheSeconds": 86400,
    }


def _write_badges(out: Path, index: data.Rows, k: int) -> int:
    (out / "badges").mkdir()
    for row in index:
        if not _FILE_NAME.match(row["plugin"]):  # the wire schema allows no other names
            continue
        path = out / "badges" / f"{row['plugin']}.json"
        path.write_text(json.dumps(badge(row["mean_13"], k)), "utf-8")
    return len(index)


def _page(tables: data.Tables, meta: dict[str, str], index: data.Rows, k: int) -> str:
    below = sorted(r["week"] for r in tables["weeks"] if r["status"] != "published")
    charts = chart_specs()
    for spec in charts.values():
        spec.pop("$schema", None)
    page = {
        "k": k,
        "charts": charts,
        "datasets": data.datasets(tables),
        "key_figures": data.key_figures(tables),
        "plugin_index": index,
        "plugins": data.plugin_details(tables),
        "below_threshold": below,
    }
    payload = json.dumps(page, separators=(",", ":")).replace("</", "<\\/")
    links = ", ".join(f'<a href="csv/{name}.csv">{name}</a>' for name in tables)
    template = Template((SITE / "index.html").read_text("utf-8"))
    return template.substitute(
        page_data=payload, k=k, csv_links=links, updated_on=meta.get("updated_on", "never")
    )
