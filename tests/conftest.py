"""Shared fixtures: each test gets its own telemetry folder and no way to reach the internet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock
import pytest

from napari_telemetry.core import state

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PLUGINS = ROOT / "tests" / "example_plugins"

_SWITCHES = (
    "DO_NOT_TRACK",
    "NAPARI_TELEMETRY",
    "NAPARI_TELEMETRY_DEBUG",
    "NAPARI_TELEMETRY_POLICY",
)

_NEEDS_DISPLAY = {"napari_glue", "faults"}  # folders whose "gui" tests open real windows


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without a display, real-window tests skip (CI sets NAPARI_TELEMETRY_REQUIRE_ALL: fail)."""
    has_display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if has_display or not sys.platform.startswith("linux"):
        return
    if os.environ.get("NAPARI_TELEMETRY_REQUIRE_ALL"):
        return  # let them run and fail: CI must not pass without testing napari
    skip = pytest.mark.skip(reason="needs a display (run under Xvfb: DISPLAY=:99)")
    for item in items:
        if "gui" in item.keywords and item.path.parent.name in _NEEDS_DISPLAY:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def telemetry_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every file the plugin touches at a fresh folder and every upload at a dead port."""
    folder = tmp_path / "telemetry"
    monkeypatch.setenv("NAPARI_TELEMETRY_DIR", str(folder))
    # Port 9 (discard) on loopback: nothing listens, nothing leaves the machine.
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", "http://127.0.0.1:9/{level}")
    monkeypatch.setenv("NAPARI_TELEMETRY_INDEX_URL", "http://127.0.0.1:9/index")
    for name in _SWITCHES:
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture(autouse=True)
def fresh_state(telemetry_dir: Path) -> Iterator[None]:
    """Each test gets a process as at start: no recorder, uploader, transport or plugin index."""
    state.reset()
    yield
    state.reset()  # in the test's folder still: what the recorder holds is written there


@pytest.fixture(scope="session")
def built_dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Wheels and sdists of both distributions, built from this checkout once per test run.

    Built from a copy of the working tree (tracked and new files, as git sees them) with the
    version git gives the checkout: a build writes ``_version.py`` into the tree it builds, and
    this checkout's copy belongs to its editable install. With this environment's hatchling and
    hatch-vcs (the test extra), so no build environment is fetched from the package index.
    """

    def build(dist_dir: Path) -> None:
        source = _working_tree_copy(tmp_path_factory.mktemp("source"))
        hatchling = Path(sys.executable).parent / "hatchling"
        version = subprocess.run(
            [str(hatchling), "version"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        env = {**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION": version}
        for project in (source, source / "server_stub"):
            cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist_dir)]
            subprocess.run([*cmd, project], check=True, capture_output=True, env=env)

    return sorted(once(tmp_path_factory, "dists", build).glob("*-*.*"))


def once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder *name*, filled by *make* once per test run: with pytest-xdist, by the first
    worker that asks while the others wait (pytest-xdist's documented way to share a fixture)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder every worker's own base folder is in
    folder, made = root / name, root / f"{name}.made"
    with filelock.FileLock(root / f"{name}.lock"):
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


def _working_tree_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_symlink() or path.is_file():  # a deleted file is still listed until staged
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name, follow_symlinks=False)
    return target


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugins of tests/example_plugins, built and installed (offline, with the
    environment's hatchling) into a folder of their own: real distributions, on no path yet."""

    def install(site: Path) -> None:
        plugins = [
            str(p) for p in sorted(EXAMPLE_PLUGINS.iterdir()) if (p / "pyproject.toml").is_file()
        ]
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation"]
        subprocess.run([*pip, "--no-deps", "--target", str(site), *plugins], check=True,
                       capture_output=True)  # fmt: skip

    return once(tmp_path_factory, "example-site", install)
