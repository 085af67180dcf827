"""``demo``: synthetic raw data through the real storage, aggregated and published in one go."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from napari_telemetry.schema import iso_week
from napari_telemetry_server._cli import main
from napari_telemetry_server.demo import DemoShape, Synth
from napari_telemetry_server.storage import Storage, make_engine


def test_demo_builds_a_full_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    args = ["demo", "--dir", str(folder), "--weeks", "4", "--users", "500", "--no-serve"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert re.search(r"weeks released: [23] ", out)  # never the current week
    assert f"site: {folder / 'site' / 'index.html'}" in out
    engine = make_engine(folder / "raw.sqlite")
    counts = Storage(engine).counts()
    engine.dispose()
    assert f"stored {counts['batches']} batches" in out
    assert counts["session_records"] > 4 * 20
    assert counts["plugin_records"] > counts["session_records"]
    assert counts["command_records"] > 0
    assert counts["layer_records"] > 0
    site = folder / "site"
    assert (site / "public_key.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert (site / "badges" / "napari-svg.json").exists()
    assert iso_week(date.today()) not in (site / "aggregates.json").read_text()
    assert main(args) == 2  # never seeds over an existing database
    assert "already exists" in capsys.readouterr().err


def test_default_shape_is_a_year_with_thousands_of_ids_and_a_long_tail() -> None:
    shape = DemoShape()
    assert shape.weeks == 52
    assert shape.last_week_users >= 1000
    synth = Synth(8, shape)
    installs: Counter[str] = Counter()
    ids = set()
    for batch in synth.user_weeks("2026-W48", share=1.0, users=shape.last_week_users):
        ids.add(batch.user_id)
        if batch.level == "middle":
            installs.update(r.name for r in batch.records)
    assert len(ids) == shape.last_week_users
    assert installs.most_common(1)[0][1] > 300  # a few plugins everywhere ...
    rare = [name for name, n in installs.items() if n < 5]
    assert len(rare) > 50  # ... and a long tail, visible only over a quarter
