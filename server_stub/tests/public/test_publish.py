"""The static site: built from released numbers only, with their privacy accounting."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from napari_telemetry_server._cli import main
from napari_telemetry_server.demo import (
    COUNTER_PLUGIN,
    DemoShape,
    make_batch,
    seed,
    sign_demo_collection,
)
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._certify import load_or_create_key, public_pem
from napari_telemetry_server.public._publish import badge, publish
from napari_telemetry_server.public._publish_data import size_label
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import Storage, batches, make_engine

LAST, NOW = "2026-W48", "2026-W49"
TODAY = date(2026, 12, 3)
SECRET = "napari-secret-lab"
SESSION = {
    "type": "session", "napari_version": "0.6.4", "python_version": "3.12.4",
    "os_name": "Linux", "os_version": "ubuntu-24", "arch": "x86_64", "launches": 1,
}  # fmt: skip


def build_raw(raw: Path) -> list[str]:
    """14 synthetic weeks up to LAST, one user with a unique plugin, the current week NOW."""
    seed(raw, DemoShape(weeks=14, first_week_users=300, last_week_users=400), seed=3,
         last_week=LAST)  # fmt: skip
    engine = make_engine(raw)
    storage = Storage(engine)
    lonely = uuid.uuid4().hex
    storage.insert_batch(make_batch("basic", lonely, LAST, [SESSION]))
    mine = [{"type": "plugin", "name": SECRET, "version": "2.0.0"}]
    storage.insert_batch(make_batch("middle", lonely, LAST, mine))
    used = [{"type": "command", "command_id": f"{SECRET}.run", "plugin": SECRET, "count": 9}]
    storage.insert_batch(make_batch("full", lonely, LAST, used))
    for _ in range(80):  # the current week: never released
        now = [{"type": "plugin", "name": "napari-only-this-week", "version": "1.0.0"}]
        user = uuid.uuid4().hex
        storage.insert_batch(make_batch("basic", user, NOW, [SESSION]))
        storage.insert_batch(make_batch("middle", user, NOW, now))
    with engine.connect() as conn:
        ids = list(conn.execute(select(batches.c.user_id)).scalars())
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("publish")
    ids = build_raw(root / "raw.sqlite")
    release_weekly(root / "raw.sqlite", root / "aggregates.sqlite", "2026-W35", LAST, root)
    key, _ = load_or_create_key(root / "signing_key.pem")
    report = publish(root / "aggregates.sqlite", root / "site", public_key=public_pem(key))
    return {"root": root, "ids": ids, "site": root / "site", "report": report, "key": key}


def release_weekly(raw: Path, out: Path, first: str, last: str, operators: Path) -> None:
    """Run `aggregate` as a collector's daily job would: on each week's release day, with the
    demo's collection manifest signed in *operators*."""
    from datetime import timedelta

    from napari_telemetry.schema import shift_week as shift
    from napari_telemetry.schema import week_start
    from napari_telemetry_server.public._aggregate_weeks import week_end

    settings = ReleaseSettings(first_week=first)  # the calendar starts with the data here
    collection = sign_demo_collection(operators, week_start(first), week_start(last))
    week = first
    while week_start(week) <= week_start(last):
        today = week_end(week) + timedelta(days=3)
        aggregate(raw, out, settings=settings, today=today, collection=collection)
        week = shift(week, 1)


def site_text(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text("utf-8") for p in site.rglob("*") if p.is_file()}


def test_every_file_of_the_site_is_written(built: dict[str, Any]) -> None:
    site = built["site"]
    for name in ("index.html", "aggregates.json", "public_key.pem", "assets/vega.min.js",
                 "assets/vega-lite.min.js", "assets/vega-embed.min.js",
                 "assets/app.js"):  # fmt: skip
        assert (site / name).is_file(), name
    tables = {p.stem for p in (site / "csv").glob("*.csv")}
    assert tables == {"releases", "weeks", "environment", "plugins", "plugin_versions",
                      "commands", "layers", "counters", "plugin_windows", "counter_windows",
                      "rolling_installs", "rolling_plugins"}  # fmt: skip
    doc = json.loads((site / "aggregates.json").read_text())
    assert doc["format"] == 2
    assert set(doc["tables"]) == tables - {"releases"}
    with (site / "csv" / "plugins.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == len(doc["tables"]["plugins"]) > 10
    with (site / "csv" / "counters.csv").open() as fh:
        counted = list(csv.DictReader(fh))
    assert counted == [{k: str(v) for k, v in r.items()} for r in doc["tables"]["counters"]]
    # Every week, each of the four approved cells of the demo's manifest: 14 weeks.
    assert sorted({(r["counter"], r["label"]) for r in counted}) == [
        ("models", "cyto"),
        ("models", "nuclei"),
        ("models", "tissue"),
        ("segmentations", ""),
    ]
    assert len(counted) == 4 * 14
    assert {r["plugin"] for r in counted} == {COUNTER_PLUGIN}
    quarter = doc["tables"]["counter_windows"]
    assert {(r["period"], r["weeks"]) for r in quarter} == {("2026-Q3", 5)}
    assert len(quarter) == 4


def test_aggregates_json_carries_each_release_with_its_budget(built: dict[str, Any]) -> None:
    doc = json.loads((built["site"] / "aggregates.json").read_text())
    kinds = {r["period"]: r["kind"] for r in doc["releases"]}
    assert kinds[LAST] == "week"
    assert kinds["2026-Q3"] == "window"
    assert "2026-Q4" not in kinds  # its last week has not ended
    for release in doc["releases"]:
        assert release["unit"] == "one weekly id in one week"
        assert {"mechanism", "rho", "epsilon", "delta", "tables", "settings", "opendp"} <= set(
            release
        )
        for table in release["tables"].values():
            assert table["accuracy95"] > 0
            assert table["values_per_id"] >= 1
    window = next(r for r in doc["releases"] if r["kind"] == "window")
    assert window["settings"]["window"] == "quarter"
    assert (window["first_week"], window["last_week"]) == ("2026-W35", "2026-W39")
    assert doc["first_week"] == "2026-W35"  # the calendar, stated
    year = doc["year"]
    assert (year["first_week"], year["last_week"], year["weeks"]) == ("2025-W49", LAST, 14)
    assert year["quarters"] == [["2026-Q3", 5]]  # Q4 is not released yet
    assert year["rho"] > 14 * 0.35  # the quarter counts an installation once per week


def test_the_current_week_appears_in_no_published_file(built: dict[str, Any]) -> None:
    for name, text in site_text(built["site"]).items():
        assert NOW not in text, name
        assert "napari-only-this-week" not in text, name


def test_a_csv_of_an_empty_table_still_has_its_header(tmp_path: Path) -> None:
    raw = tmp_path / "raw.sqlite"
    Storage(make_engine(raw)).engine.dispose()
    aggregate(raw, tmp_path / "agg.sqlite", today=TODAY)
    publish(tmp_path / "agg.sqlite", tmp_path / "site")
    with (tmp_path / "site" / "csv" / "plugins.csv").open() as fh:
        assert fh.read().strip() == "week,plugin,installs"
    html = (tmp_path / "site" / "index.html").read_text()
    assert "public_key.pem" not in html  # no key: no link to a missing file
    assert not (tmp_path / "site" / "public_key.pem").exists()


def test_badges_are_shields_endpoint_json(built: dict[str, Any]) -> None:
    svg = json.loads((built["site"] / "badges" / "napari-svg.json").read_text())
    assert svg["schemaVersion"] == 1
    assert svg["label"] == "napari weekly installs"
    assert re.fullmatch(r"[0-9,]+\+", svg["message"])
    assert badge(3.0)["message"] == "few"
    assert badge(120.0)["message"] == "100+"


def test_a_unique_plugin_of_one_user_appears_nowhere(built: dict[str, Any]) -> None:
    for name, text in site_text(built["site"]).items():
        assert SECRET not in text, name
    assert not (built["site"] / "badges" / f"{SECRET}.json").exists()


def test_raw_ids_appear_in_no_published_file(built: dict[str, Any]) -> None:
    ids = set(built["ids"])
    hexes = re.compile(r"[0-9a-f]{32}")
    for name, text in site_text(built["site"]).items():
        assert not ids.intersection(hexes.findall(text)), name


def test_page_loads_nothing_from_the_internet_and_explains_itself(built: dict[str, Any]) -> None:
    html = (built["site"] / "index.html").read_text()
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html.replace(
        'href="https://github.com/napari/napari-telemetry/blob/main/docs/', ""))  # fmt: skip
    for words in ("differential privacy", "weekly id", "data catalogue", "privacy notes",
                  "95 %", "ε =", "napari-telemetry disable", "plugins.plugin",
                  "calendar from 2026-W35 on", "Over a year", "week releases"):  # fmt: skip
        assert words in html, words


def test_republishing_with_a_denylist_removes_a_value_everywhere(
    built: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    agg = built["root"] / "aggregates.sqlite"
    assert main(["publish", "--out", str(site), "--aggregates", str(agg)]) == 0
    assert "napari-svg" in (site / "index.html").read_text()
    assert (site / "badges" / "napari-svg.json").exists()
    deny = tmp_path / "denylist.txt"
    assert COUNTER_PLUGIN in (site / "csv" / "counters.csv").read_text()
    deny.write_text(f"# reported on 2026-11-20\nNAPARI-SVG\n{COUNTER_PLUGIN}\n")
    args = ["publish", "--out", str(site), "--aggregates", str(agg), "--denylist", str(deny)]
    assert main(args) == 0  # the most used plugin: far above any threshold
    assert "left out" in capsys.readouterr().out
    for name, text in site_text(site).items():
        assert "napari-svg" not in text, name
        assert COUNTER_PLUGIN not in text, name  # its counters with it
    with closing(sqlite3.connect(agg)) as conn:  # the aggregate database itself is untouched
        sql = "SELECT count(*) FROM plugins WHERE plugin='napari-svg'"
        assert conn.execute(sql).fetchone()[0] > 0


def test_a_republication_after_late_batches_is_byte_identical(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """Publish, let one more install upload for a released week, aggregate, publish again."""
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(built["root"], root)
    engine = make_engine(root / "raw.sqlite")
    storage = Storage(engine)
    user = uuid.uuid4().hex
    storage.insert_batch(make_batch("basic", user, LAST, [SESSION]))
    storage.insert_batch(make_batch("middle", user, LAST, [
        {"type": "plugin", "name": "napari-svg", "version": "0.2.1"}]))  # fmt: skip
    storage.insert_batch(make_batch("full", user, LAST, [
        {"type": "counter", "plugin": COUNTER_PLUGIN, "counter": "models", "label": "tissue",
         "count": 3}]))  # fmt: skip
    engine.dispose()
    later = date(2026, 12, 5)
    done = aggregate(root / "raw.sqlite", root / "aggregates.sqlite", today=later,
                     collection=root / "collection")  # fmt: skip
    assert done.released == []
    publish(root / "aggregates.sqlite", root / "site",
            public_key=public_pem(built["key"]))  # fmt: skip
    before, after = site_text(built["site"]), site_text(root / "site")
    assert before == after  # every byte: the date of a run is not published, its releases are


def test_publish_refuses_a_public_key_that_is_not_one(
    built: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    agg, site = built["root"] / "aggregates.sqlite", tmp_path / "site"
    args = ["publish", "--out", str(site), "--aggregates", str(agg), "--public-key", str(bad)]
    assert main(args) == 2
    assert capsys.readouterr().err
    assert not site.exists()


def test_publish_without_an_aggregate_database_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["publish", "--out", str(tmp_path / "s"), "--aggregates", str(tmp_path / "none.sqlite")]
    assert main(args) == 2
    assert "does not exist" in capsys.readouterr().err


def test_size_labels() -> None:
    assert [size_label(v) for v in ("-1", "9", "20", "31", "other")] == [
        "unknown", "≤ 512 B", "≤ 1 MiB", "≤ 2 GiB", "larger"]  # fmt: skip


def test_dashboard_refuses_a_folder_without_a_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dashboard", "--dir", str(tmp_path), "--port", "0"]) == 2
    assert "holds no published site" in capsys.readouterr().err


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Any]:
    """``dashboard`` on a small site with one 16 MB file; closing it joins every request."""
    import threading

    from napari_telemetry_server.public._publish_serve import make_server

    (tmp_path / "index.html").write_text("<p>site</p>")
    (tmp_path / "big.bin").write_bytes(bytes(16_000_000))
    server = make_server(tmp_path, "127.0.0.1", 0)
    server.daemon_threads = False  # so that server_close() waits for the request threads
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("path", ["/%00", "/csv/%00.csv", "/../../etc/passwd"])
def test_dashboard_answers_odd_paths_with_404(
    dashboard: Any, capfd: pytest.CaptureFixture[str], path: str
) -> None:
    import http.client

    for method in ("GET", "HEAD"):
        conn = http.client.HTTPConnection("127.0.0.1", dashboard.server_address[1], timeout=10)
        conn.request(method, path)
        answer = conn.getresponse()
        answer.read()
        conn.close()
        assert answer.status == 404
    assert "Traceback" not in capfd.readouterr().err


def test_dashboard_never_writes_the_address_of_a_client_that_hangs_up(
    dashboard: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    import socket
    import struct

    client = socket.create_connection(("127.0.0.1", dashboard.server_address[1]))
    client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    assert client.recv(100).startswith(b"HTTP/1.0 200")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset in the middle of the file
    dashboard.shutdown()
    dashboard.server_close()  # waits for the request's thread
    captured = capfd.readouterr()
    assert "127.0.0.1" not in captured.out + captured.err


def test_a_hostile_plugin_name_never_becomes_a_path(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from napari_telemetry_server.public import _aggregate_db as db

    engine = db.open_aggregates(tmp_path / "agg.sqlite")
    with engine.begin() as conn:
        conn.execute(insert(db.weeks), [{"week": LAST, "week_start": "2026-11-23",
                     "week_start_unix": 0, "active_installs": 9, "new_installs": 0}])  # fmt: skip
        conn.execute(insert(db.plugins), [{"week": LAST, "plugin": "../../escape", "installs": 9}])
    engine.dispose()
    publish(tmp_path / "agg.sqlite", tmp_path / "site" / "inner")
    assert list((tmp_path / "site" / "inner" / "badges").iterdir()) == []
    assert not list(tmp_path.rglob("escape*"))


def test_publish_reads_one_state_of_the_aggregates(tmp_path: Path) -> None:
    """While the aggregates are read, an `aggregate` run cannot commit a new state in between."""
    from sqlalchemy import create_engine, insert
    from sqlalchemy.exc import OperationalError

    from napari_telemetry_server.public import _aggregate_db as db

    path = tmp_path / "agg.sqlite"
    reader = db.open_aggregates(path)
    writer = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    row = {"key": "generated", "value": "later"}
    try:
        with reader.connect() as conn:
            conn.execute(select(db.weeks)).all()  # the first table of a publish is read
            with pytest.raises(OperationalError, match="locked"), writer.begin() as other:
                other.execute(insert(db.meta), [row])
            assert conn.execute(select(db.meta)).all() == []
        with writer.begin() as other:  # once the read is over, the writer goes ahead
            other.execute(insert(db.meta), [row])
    finally:
        reader.dispose()
        writer.dispose()
