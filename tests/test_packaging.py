"""Packaging: one npe2 manifest, discovered by npe2 from editable and wheel installs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from e2e.e2e_support import INDEX, Collector

ROOT = Path(__file__).resolve().parent.parent
PACKAGED_MANIFEST = ROOT / "src" / "napari_telemetry" / "_manifest" / "napari.yaml"
DISCOVER = (
    "import json, importlib.util, npe2\n"
    "pm = npe2.PluginManager()\n"
    "pm.discover()\n"
    "mf = pm.get_manifest('napari-telemetry')\n"
    "spec = importlib.util.find_spec('napari_telemetry._manifest')\n"
    "path = [str(p) for p in spec.submodule_search_locations][0] + '/napari.yaml'\n"
    "print(json.dumps({'name': mf.name, 'path': path,"
    " 'widgets': [w.display_name for w in mf.contributions.widgets or []]}))\n"
)


def _discover(python: str | Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(python), "-c", DISCOVER], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_manifest_has_one_source_of_truth() -> None:
    assert PACKAGED_MANIFEST.is_symlink()
    assert PACKAGED_MANIFEST.resolve() == (ROOT / "napari.yaml").resolve()


@pytest.mark.parametrize("target", [str(ROOT / "napari.yaml"), "napari-telemetry"])
def test_npe2_validate_passes(target: str) -> None:
    npe2 = Path(sys.executable).parent / "npe2"
    out = subprocess.run([str(npe2), "validate", target], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid" in out.stdout


def test_editable_install_is_discovered() -> None:
    found = _discover(sys.executable)
    assert found["name"] == "napari-telemetry"
    assert Path(str(found["path"])).resolve() == (ROOT / "napari.yaml").resolve()
    assert "Settings" in found["widgets"]  # type: ignore[operator]


@pytest.mark.slow
def test_wheels_install_into_a_fresh_venv_and_work(
    tmp_path: Path, built_dists: list[Path]
) -> None:
    dists = built_dists
    names = [d.name for d in dists]
    assert sum(n.endswith(".whl") for n in names) == 2, names
    assert sum(n.endswith(".tar.gz") for n in names) == 2, names
    wheel = next(d for d in dists if d.name.startswith("napari_telemetry-"))
    with zipfile.ZipFile(wheel) as zf:
        manifest = zf.read("napari_telemetry/_manifest/napari.yaml").decode()
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith("METADATA"))).decode()
        entry_points = zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt")))
    assert manifest == (ROOT / "napari.yaml").read_text()
    assert "Classifier: Framework :: napari" in metadata
    assert "Project-URL:" in metadata
    assert "License-Expression: BSD-3-Clause" in metadata
    assert b"napari_telemetry._manifest:napari.yaml" in entry_points
    for dep in ("PyQt", "PySide", "Requires-Dist: napari "):
        assert dep not in metadata.split("Provides-Extra")[0], dep

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    wheels = [str(d) for d in dists if d.suffix == ".whl"]
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", *wheels], check=True)
    env = {**os.environ, "NAPARI_TELEMETRY_DIR": str(tmp_path / "client")}
    status = subprocess.run(
        [str(bindir / "napari-telemetry"), "status"], capture_output=True, text=True, env=env
    )
    assert status.returncode == 0, status.stderr
    assert "none" in status.stdout.lower()
    server = subprocess.run(
        [str(bindir / "napari-telemetry-server"), "--help"], capture_output=True, text=True
    )
    assert server.returncode == 0, server.stderr
    assert "serve" in server.stdout
    found = _discover(bindir / "python")
    assert found["name"] == "napari-telemetry"
    assert str(env_dir) in str(found["path"])
    with Collector(tmp_path / "collector", INDEX, bindir) as collector:
        env["NAPARI_TELEMETRY_URL"] = collector.url
        _cli_flow(bindir / "napari-telemetry", env)


def _cli_flow(tool: Path, env: dict[str, str]) -> None:
    """Issue 2's check, as a new user types it after `pip install` (nothing napari involved)."""

    def run(*args: str) -> str:
        out = subprocess.run([str(tool), *args], capture_output=True, text=True, env=env)
        assert out.returncode == 0, f"{args}: {out.stdout}{out.stderr}"
        assert "Traceback" not in out.stderr
        return out.stdout

    assert "full" in run("enable", "--level", "full", "--days", "30")
    assert "until" in run("status")
    assert json.loads(run("preview", "--json")) == []
    run("send", "--now")
    ids = run("ids")
    assert len([w for w in ids.split() if len(w) == 32]) >= 9
    assert "secret" in run("forget").lower()
    run("disable")
    assert "none" in run("status").lower()
    env_dnt = {**env, "DO_NOT_TRACK": "1"}
    dnt = subprocess.run([str(tool), "status"], capture_output=True, text=True, env=env_dnt)
    assert "DO_NOT_TRACK" in dnt.stdout
