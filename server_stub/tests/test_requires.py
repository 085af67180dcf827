"""The plugin the collector runs with: in the range server_stub/pyproject.toml requires, or a
clear error naming both versions (exit code 2, no traceback) before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from napari_telemetry_server import Settings, __version__, _requires, create_app

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _declared_range() -> str:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (plugin,) = [Requirement(d) for d in dependencies if d.startswith("napari-telemetry")]
    return str(plugin.specifier)


def test_the_range_installed_is_the_one_declared() -> None:
    # An editable install keeps the metadata of its last `pip install`: a stale one shows here.
    assert str(_requires.required_plugin()) == _declared_range()
    _requires.check_plugin()


def test_development_versions_of_the_series_are_in_range() -> None:
    wanted = _requires.required_plugin()
    assert wanted is not None
    assert wanted.contains("0.1.0.dev250+g3dbda38da.d20261206", prereleases=True)
    assert not wanted.contains("0.0.9", prereleases=True)


@pytest.mark.parametrize(
    ("found", "says"), [("0.0.1", "napari-telemetry 0.0.1 is installed"), (None, "none is")]
)
def test_create_app_refuses_a_plugin_outside_the_range(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, found: str | None, says: str
) -> None:
    def version(name: str) -> str:
        if found is None:
            raise PackageNotFoundError(name)
        return found

    monkeypatch.setattr(_requires, "version", version)
    with pytest.raises(_requires.IncompatiblePlugin) as refused:
        create_app(Settings(db=str(tmp_path / "raw.sqlite"), log_dir=tmp_path / "logs"))
    message = str(refused.value)
    assert f"napari-telemetry-server {__version__} needs napari-telemetry" in message
    assert _declared_range() in message
    assert says in message
    assert not (tmp_path / "raw.sqlite").exists()


def test_serve_with_another_plugin_version_says_so_and_exits(tmp_path: Path) -> None:
    """A real process whose Python finds napari-telemetry 0.0.1's metadata first on its path."""
    fake = tmp_path / "site" / "napari_telemetry-0.0.1.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: napari-telemetry\nVersion: 0.0.1")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    db = tmp_path / "raw.sqlite"
    cmd = [sys.executable, "-m", "napari_telemetry_server", "serve", "--port=9", f"--db={db}"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"napari-telemetry-server: error: napari-telemetry-server {__version__} needs "
        f"napari-telemetry{_declared_range()}"
    )
    assert "but napari-telemetry 0.0.1 is installed" in done.stderr
    assert not db.exists()
