"""``publish --out DIR``: the static public site, built from released numbers only.

Writes ``index.html`` (charts, data inlined), ``aggregates.json`` (every release with its
privacy accounting), ``csv/<table>.csv``, ``badges/<plugin>.json`` (shields.io endpoint badges),
``keys/<key id>.pem`` with ``public_key.pem`` and ``assets/``. Files of an earlier publication
are replaced, so a value added to the denylist disappears everywhere.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import _publish_data as data
from . import counters
from ._aggregate_db import PUBLIC_TABLES, open_aggregates, read_keys, read_tables
from ._aggregate_rules import Denylist, bucket_range
from ._certify import key_id, load_public_key
from ._publish_charts import chart_specs
from ._publish_page import SITE, page_html

ASSETS = (
    "app.js",
    "style.css",
    "vendor/vega.min.js",
    "vendor/vega-lite.min.js",
    "vendor/vega-embed.min.js",
    "vendor/LICENSES.txt",
)
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")
MANAGED = ("index.html", "aggregates.json", "public_key.pem", "keys", "csv", "badges", "assets")
COLUMNS = {t.name: [c.name for c in t.columns] for t in PUBLIC_TABLES}


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
        kept = [r for r in rows if not deny.denies(*_texts(r))]
        removed += len(rows) - len(kept)
        clean[name] = kept
    return clean, removed


def _texts(row: dict[str, Any]) -> list[str]:
    return [v for k, v in row.items() if isinstance(v, str) and k != "document"]


def publish(
    aggregates: Path, out: Path, *, deny: Denylist | None = None, public_key: bytes | None = None
) -> PublishReport:
    """Build the site in *out* from the aggregate database file *aggregates*."""
    engine = open_aggregates(aggregates, create=False)
    try:
        tables, removed = scrub(read_tables(engine), deny or Denylist())
        keys = read_keys(engine)
    finally:
        engine.dispose()
    meta = {r["key"]: r["value"] for r in tables.pop("meta")}
    if public_key is not None:  # checked before anything of the old site is removed
        keys = {**keys, _key_id(public_key): public_key}
    out.mkdir(parents=True, exist_ok=True)
    for name in MANAGED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    files = _write_assets(out) + _write_tables(out, tables, meta)
    index = data.plugin_index(tables)
    files += _write_badges(out, index)
    files += _write_keys(out, keys, public_key)
    page = _page_data(tables, index)
    has_key = public_key is not None
    (out / "index.html").write_text(page_html(page, tables, meta, has_key), "utf-8")
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
            writer = csv.DictWriter(fh, fieldnames=COLUMNS[name])  # a header even when empty
            writer.writeheader()
            writer.writerows(rows)
    releases = [
        {**{k: v for k, v in r.items() if k != "document"}, **json.loads(r["document"])}
        for r in tables["releases"]
    ]
    summary = data.year_of(tables)
    document = {
        "format": 2,
        "updated_on": meta.get("updated_on"),
        "first_week": meta.get("first_week"),
        "unit": "one weekly id (an installation) in one ISO week",
        "year": None if summary is None else asdict(summary),
        "releases": releases,
        "tables": {name: rows for name, rows in tables.items() if name != "releases"},
    }
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True)
    (out / "aggregates.json").write_text(text + "\n", "utf-8")
    return len(tables) + 1


def badge(low: float) -> dict[str, Any]:
    """A shields.io endpoint badge: at least *low* weekly installs, shown as its bucket."""
    floor, _high = bucket_range(low)
    return {
        "schemaVersion": 1,
        "label": "napari weekly installs",
        "message": f"{floor:,}+" if floor else "few",
        "color": "blue" if floor else "lightgrey",
        "cacheSeconds": 86400,
    }


def _write_badges(out: Path, index: data.Rows) -> int:
    (out / "badges").mkdir()
    written = 0
    for row in index:
        if not _FILE_NAME.match(row["plugin"]):  # the wire schema allows no other names
            continue
        low = max(row["mean"] - (row["mean_accuracy"] or 0.0), 0.0)
        (out / "badges" / f"{row['plugin']}.json").write_text(json.dumps(badge(low)), "utf-8")
        written += 1
    return written


def _key_id(pem: bytes) -> str:
    return key_id(load_public_key(pem))


def _write_keys(out: Path, keys: dict[str, bytes], current: bytes | None) -> int:
    """Every key that ever signed a certificate, under its id; the current one also at the top."""
    (out / "keys").mkdir()
    for kid, pem in keys.items():
        (out / "keys" / f"{kid}.pem").write_bytes(pem)
    if current is not None:
        (out / "public_key.pem").write_bytes(current)
    return len(keys) + (current is not None)


def _plugins(tables: data.Tables) -> dict[str, dict[str, Any]]:
    """Each plugin's details, its counters included (a plugin may have only counters)."""
    plugins: dict[str, dict[str, Any]] = dict(data.plugin_details(tables))
    for name, entries in counters.counter_pages(tables).items():
        detail = plugins.setdefault(name, {"trend": [], "versions": [], "commands": []})
        detail["counters"] = entries
    return plugins


def _page_data(tables: data.Tables, index: data.Rows) -> dict[str, Any]:
    charts = chart_specs()
    for spec in charts.values():
        spec.pop("$schema", None)
    return {
        "charts": charts,
        "datasets": data.datasets(tables),
        "key_figures": data.key_figures(tables),
        "plugin_index": index,
        "plugins": _plugins(tables),
        "window": data.latest_window(tables),
    }
