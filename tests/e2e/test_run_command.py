"""The README's run command (`scripts/dev.py run` → `scripts/demo.py`), headless, end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from napari_telemetry.schema import iso_week

from .e2e_support import INDEX, Collector, IndexServer, require

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
def test_run_command_serves_a_dashboard_with_the_session_just_run(tmp_path: Path) -> None:
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env["NAPARI_TELEMETRY_DEMO_HEADLESS"] = "1"
    demo = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--dir", str(tmp_path / "demo"),
            "--weeks", "16"]  # fmt: skip
    proc = subprocess.Popen(demo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            seen.append(line)
            if line.startswith("[demo] dashboard: "):
                url = line.split()[2]
                break
        else:
            pytest.fail("the run command ended without a dashboard:\n" + "\n".join(seen))
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200
        assert "napari" in page
        with urllib.request.urlopen(url + "aggregates.json", timeout=10) as response:
            published = response.read().decode()
        # The synthetic history, released: values far above any threshold (a data type of 6 %
        # of the layers, such as zarr.Array, clears the open set's noisy threshold in one week
        # of 14 or none, depending on the noise).
        for shown in ("napari-svg", "numpy.ndarray", '"kind": "window"', '"epsilon"'):
            assert shown in published, shown
        week = iso_week(date.today())
        assert week not in published  # the current week, the user's session in it: not yet
        assert "napari.canvas.toggle_scale_bar" not in published  # one session never shows
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops everything it started
        code = proc.wait(timeout=30)
        proc.stdout.close()
    assert code == 0, "\n".join(seen)
    text = "\n".join(seen)
    assert "3 batch(es) sent" in text
    assert f"your session: 3 batch(es) of {week} stored by the collector" in text


@pytest.mark.e2e
def test_a_missing_plugin_index_file_is_an_error_not_a_quiet_empty_index(tmp_path: Path) -> None:
    missing = tmp_path / "extended_summary.json"  # as after a test data folder is renamed
    with pytest.raises(FileNotFoundError, match="no plugin index file"):
        IndexServer(missing)
    with pytest.raises(FileNotFoundError, match="no plugin index file"):
        Collector(tmp_path / "collector", missing)
    assert INDEX.is_file()  # the copy the demo, the tests and the benchmarks serve
