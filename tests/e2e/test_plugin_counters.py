"""Plugin counters end to end: the example plugin in a real napari at `full` with its switch on,
its counts reaching a real collector over HTTP; what is undeclared, unapproved or expired, and a
second plugin counting under its name, never leaving the computer; a bad signature ignored.
Then the collector's own jobs, ten days later (``faketime``: a week is released once it is over
and its grace has passed): `aggregate` with the same collection folder, `publish`, and the
plugin's page in headless Chromium showing its counters with their 95 % intervals.

The operators sign the reviewed file with the collector's own CLI; the client trusts that key
(NAPARI_TELEMETRY_COLLECTION_KEYS: the shipped keyring holds no key before napari's collector
is deployed). The example plugins are real distributions (tests/example_plugins).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry.schema import iso_week

from .e2e_support import (
    BIN,
    INDEX,
    Collector,
    IndexServer,
    dashboard_text,
    other_installs,
    require,
)

HERE = Path(__file__).resolve().parent
EXAMPLE = "napari-counter-example"
LATER = date.today() + timedelta(days=300)
REVIEWED = f"""\
[plugins.napari-counter-example]
review = "https://github.com/napari/napari-telemetry-collection/pull/1"

[plugins.napari-counter-example.counters.segmentations]
description = "How often a segmentation ran, whatever the data."
owner = "maintainers@example.org"
expires = {LATER}
data_category = "interaction"

[plugins.napari-counter-example.counters.models]
description = "Which pretrained model a segmentation used, by the model's name."
labels = ["cyto", "nuclei"]
owner = "maintainers@example.org"
expires = {LATER}
data_category = "technical"

[plugins.napari-counter-example.counters.old_viewer]
description = "How often the old viewer mode was used, before it went away."
owner = "maintainers@example.org"
expires = {LATER}
data_category = "interaction"
"""
NEVER_SENT = ("tissue", "clicks", "old_viewer", "napari-counter-rogue")


def tool(
    env: dict[str, str], name: str, *args: str, ok: bool = True, later: int | None = None
) -> str:
    """Run *name*; *later*: with the clock that many days ahead (libfaketime)."""
    prefix: list[str] = []
    if later is not None:
        require(shutil.which("faketime") is not None, "no faketime (Debian package faketime)")
        prefix = ["faketime", "-f", f"+{later}d"]
        env = {**env, "FAKETIME_FORCE_MONOTONIC_FIX": "1"}  # Python's sleep under a shifted clock
    done = subprocess.run([*prefix, str(BIN / name), *args], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    if ok:
        assert done.returncode == 0, f"{name} {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture
def operators(tmp_path: Path) -> tuple[Path, Path]:
    """The signed collection folder and the public key clients trust (the operators' CLI)."""
    folder, key = tmp_path / "collection", tmp_path / "collection_key.pem"
    reviewed = tmp_path / "collection.toml"
    reviewed.write_text(REVIEWED)
    env = dict(os.environ)
    tool(env, "napari-telemetry-server", "collection", "check", str(reviewed))
    tool(env, "napari-telemetry-server", "collection", "sign", str(reviewed), "--dir",
         str(folder), "--key", str(key))  # fmt: skip
    pem = tool(env, "napari-telemetry-server", "key", "--key", str(key), "--pem")
    public = tmp_path / "trusted.pem"
    public.write_text(pem[pem.index("-----BEGIN") :])
    return folder, public


@pytest.fixture
def collector(tmp_path: Path, operators: tuple[Path, Path]) -> Iterator[Collector]:
    folder, _ = operators
    # Other installs of the week are posted from this one address: no rate limit in the way.
    options = ("--collection-dir", str(folder), "--rate-limit", "100000")
    with Collector(tmp_path / "collector", INDEX, BIN, *options) as running:
        yield running


@pytest.fixture
def client_env(
    tmp_path: Path, collector: Collector, operators: tuple[Path, Path], example_site: Path
) -> Iterator[dict[str, str]]:
    """A user's environment: the example plugins installed, the operators' key trusted."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env.pop("DO_NOT_TRACK", None)
    with IndexServer(INDEX) as index_url:
        env.update(
            NAPARI_TELEMETRY_DIR=str(tmp_path / "client"),
            NAPARI_TELEMETRY_URL=collector.url,
            NAPARI_TELEMETRY_INDEX_URL=index_url,
            NAPARI_TELEMETRY_COLLECTION_KEYS=str(operators[1]),
            PYTHONPATH=str(example_site),
            LIBGL_ALWAYS_SOFTWARE="1",
        )
        yield env


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def pending_counters(env: dict[str, str]) -> dict[tuple[str, str, str], int]:
    batches = json.loads(tool(env, "napari-telemetry", "preview", "--json"))
    return {
        (r["plugin"], r["counter"], r["label"]): r["count"]
        for b in batches
        for r in b["records"]
        if r["type"] == "counter"
    }


@pytest.mark.e2e
@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_a_plugin_counts_in_napari_only_what_is_approved_reaches_its_page(
    tmp_path: Path,
    collector: Collector,
    client_env: dict[str, str],
    operators: tuple[Path, Path],
) -> None:
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    env = client_env
    tool(env, "napari-telemetry", "enable", "--level", "full")
    session = subprocess.run([sys.executable, str(HERE / "counters_session.py")], env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert session.returncode == 0, session.stdout + session.stderr
    assert f"listed: {EXAMPLE} on=False" in session.stdout  # off until the user switched it
    assert pending_counters(env) == {
        (EXAMPLE, "segmentations", ""): 1,
        (EXAMPLE, "models", "nuclei"): 1,
        (EXAMPLE, "models", "cyto"): 1,
    }
    status = tool(env, "napari-telemetry", "status")
    assert "does not declare that counter: 2" in status  # its own and the rogue's handle
    assert "that label is not both declared and approved: 1" in status
    assert "that counter expired: 1" in status
    assert "made by code that is not the counting plugin's: 3" in status
    assert f"Plugin counters: {EXAMPLE} on" in status

    tool(env, "napari-telemetry", "send", "--now")
    assert sorted(
        rows(collector.db, "SELECT plugin, counter, label, count FROM counter_records")
    ) == [
        (EXAMPLE, "models", "cyto", 1),
        (EXAMPLE, "models", "nuclei", 1),
        (EXAMPLE, "segmentations", "", 1),
    ]
    sent = (tmp_path / "client" / "data" / "sent").rglob("*.json")
    for path in [collector.db, *sent, *(tmp_path / "client").rglob("*.jsonl")]:
        text = path.read_bytes()
        for word in NEVER_SENT:
            assert word.encode() not in text, f"{word} in {path.name}"

    page = released_and_published(tmp_path, collector, operators[0])
    assert f"Counter {EXAMPLE}.models" in page
    assert f"Counter {EXAMPLE}.segmentations" in page
    assert "nuclei" in page  # every approved label, whatever was counted
    assert f"Counter {EXAMPLE}.old_viewer" in page  # approved, counted by nobody: released too
    assert "(no label)" in page
    assert re.search(r"\b[0-9]+ ± [0-9]+\b", page)  # a weekly count with its 95 % interval
    assert "Weekly installs that counted napari-counter-example.models" in page
    for word in ("tissue", "clicks", "napari-counter-rogue"):  # never approved
        assert word not in page, word


def released_and_published(tmp_path: Path, collector: Collector, folder: Path) -> str:
    """The collector's jobs ten days later; what the example plugin's page shows.

    One install alone is hidden by the noise (that is the point), so 60 other installs of the
    week count its segmentations and the cyto model over HTTP, through the same ingest.
    """
    week = iso_week(date.today())
    counted = [
        {"type": "counter", "plugin": EXAMPLE, "counter": name, "label": label, "count": 2}
        for name, label in (("segmentations", ""), ("models", "cyto"))
    ]
    other_installs(collector, week, 60, {"full": counted})
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAPARI_TELEMETRY_SERVER")}
    env["NAPARI_TELEMETRY_SERVER_RELEASE_FIRST_WEEK"] = week  # the calendar starts with it
    aggregates, site = tmp_path / "aggregates.sqlite", tmp_path / "site"
    released = tool(env, "napari-telemetry-server", "aggregate", "--db", str(collector.db),
                    "--out", str(aggregates), "--collection-dir", str(folder),
                    later=10)  # fmt: skip
    assert f"weeks released: 1 ({week} to {week})" in released
    tool(env, "napari-telemetry-server", "publish", "--aggregates", str(aggregates), "--out",
         str(site))  # fmt: skip
    assert rows(aggregates, "SELECT label FROM counters WHERE counter = 'models' ORDER BY 1") == [
        ("cyto",), ("nuclei",)]  # fmt: skip
    return dashboard_text(site / "index.html", f"#plugin={EXAMPLE}")


@pytest.mark.e2e
def test_a_manifest_with_a_bad_signature_is_ignored(
    operators: tuple[Path, Path], collector: Collector, client_env: dict[str, str]
) -> None:
    env = client_env
    tool(env, "napari-telemetry", "enable", "--level", "full")
    served = operators[0] / "collection.json"
    document = json.loads(served.read_bytes())
    document["signed"]["plugins"][EXAMPLE]["counters"]["models"]["labels"].append("tissue")
    served.write_text(json.dumps(document))  # one label added after signing
    listed = tool(env, "napari-telemetry", "counters", "list", "--refresh")
    assert "Manifest: no collection manifest in use: its signature does not match" in listed
    assert "No installed plugin has approved counters." in listed
    refused = tool(env, "napari-telemetry", "counters", "enable", EXAMPLE, ok=False)
    assert "has no approved counters installed here" in refused
