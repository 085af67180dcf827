"""Install and uninstall through napari's own plugin dialog, as a new user does (issue 12).

A fresh virtual environment (made once per test run) gets napari[pyqt6] and what it needs (hard
links to this environment's files, the same versions) and napari-plugin-manager, the package
behind **Plugins › Install/Uninstall Plugins…**, from the machine's usual package index.
Then everything is the real path, driven from inside napari by `plugin_dialog_driver.py`: the
dialog lists a local copy of the plugin list (with napari-telemetry, built as a wheel from this
checkout) and its pip installs from a local wheelhouse with no index; a new napari asks for
consent; the settings dock lowers the level; the preview dock shows the pending batch; the same
dialog uninstalls; and the next napari imports nothing of the plugin and sends nothing to a real
collector, although a finished day is waiting on disk.

Only napari-plugin-manager's two URL constants are patched (it has no setting for them); see
the driver's docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from napari_telemetry.core._uploader import FIRST_CHECK

from .e2e_support import INDEX, Collector, IndexServer, require

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("plugin_dialog_driver.py")
SITE = Path(sysconfig.get_path("purelib"))  # this environment's site-packages
PLUGIN_MANAGER = "napari-plugin-manager==0.1.12"  # pinned: a release must not turn CI red
_NOT_A_DESKTOP = {"PYTEST_CURRENT_TEST", "CI", "QT_QPA_PLATFORM", "PYTHONPATH", "VIRTUAL_ENV"}

pytestmark = [pytest.mark.e2e, pytest.mark.napari, pytest.mark.gui, pytest.mark.slow]


def _entry(name: str, version: str, display_name: str, summary: str) -> dict[str, Any]:
    """One plugin as napari's plugin API (npe2api ``extended_summary``) describes it."""
    return {"normalized_name": name, "name": name, "version": version,
            "display_name": display_name, "summary": summary, "author": "someone",
            "license": "BSD-3-Clause", "home_page": "", "project_url": [],
            "pypi_versions": [version], "conda_versions": []}  # fmt: skip


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with napari[pyqt6] and napari-plugin-manager, and nothing else; its bin/.

    napari and what it needs (its closure, from the installed distributions' metadata) are
    hard links to this environment's files, the versions this suite runs: a ``pip install
    napari[pyqt6]`` would take most of a minute here for the same files. napari-telemetry's own
    dependencies that napari does not need are not there: the dialog's pip installs them.
    """
    folder = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=False).create(folder)
    target = Path(sysconfig.get_path("purelib", vars={"base": str(folder)}))
    for dist in _closure(["napari[pyqt6]", "pip"]):
        for file in dist.files or ():
            source = Path(str(dist.locate_file(file))).resolve()
            if not source.is_relative_to(SITE):
                continue  # a console script: the driver runs napari with bin/python
            (target / file).parent.mkdir(parents=True, exist_ok=True)
            _link(source, target / file)
    constraints = folder.parent / "constraints.txt"
    constraints.write_text(_pip(sys.executable, "freeze", "--exclude-editable"))
    _pip(folder / "bin" / "python", "install", "-q", "-c", str(constraints), PLUGIN_MANAGER)
    return folder / "bin"


def _closure(roots: list[str]) -> list[metadata.Distribution]:
    """The installed distributions *roots* need, with the extras they ask for, transitively."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, str]] = set()
    todo = [
        (canonicalize_name(r.name), e) for r in map(Requirement, roots) for e in {"", *r.extras}
    ]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        dist = found.setdefault(name, metadata.distribution(name))
        for child in map(Requirement, dist.requires or ()):
            if child.marker is None and extra:
                continue  # a plain requirement: the base pair of *name* brings it
            if child.marker is None or child.marker.evaluate({"extra": extra}):
                todo += [(canonicalize_name(child.name), e) for e in {"", *child.extras}]
    return list(found.values())


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links: a copy then
        shutil.copy2(source, target)


def _pip(python: str | Path, *args: str) -> str:
    out = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True)
    require(out.returncode == 0, f"pip {args[0]} failed (no package index?): {out.stderr[-2000:]}")
    return out.stdout


@pytest.fixture(scope="module")
def wheelhouse(fresh_env: Path, built_dists: list[Path], tmp_path_factory: pytest.TempPathFactory
               ) -> Path:  # fmt: skip
    """napari-telemetry's wheel from this checkout and its dependencies, for pip with no index."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    (wheel,) = [
        d for d in built_dists if d.name.startswith("napari_telemetry-") and d.suffix == ".whl"
    ]
    shutil.copy(wheel, folder)
    constraints = fresh_env.parent.parent / "constraints.txt"  # written by fresh_env
    _pip(fresh_env / "python", "download", "-q", "-d", str(folder), "-c", str(constraints),
         str(folder / wheel.name))  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def built_version(built_dists: list[Path]) -> str:
    """The version of the wheel built from this checkout (from git: it moves with each commit)."""
    (wheel,) = [
        d for d in built_dists if d.name.startswith("napari_telemetry-") and d.suffix == ".whl"
    ]
    return wheel.name.split("-")[1]


@pytest.fixture(scope="module")
def plugin_list(tmp_path_factory: pytest.TempPathFactory, built_version: str) -> Iterator[str]:
    """The plugin dialog's list (npe2api ``extended_summary`` and ``conda``) on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("api")
    listed = [_entry("napari-telemetry", built_version, "napari-telemetry", "Opt-in telemetry"),
              *(_entry(e["name"], e["version"], e["display_name"], "")
                for e in json.loads(INDEX.read_text())[:2])]  # fmt: skip
    (folder / "extended_summary").write_text(json.dumps(listed))
    (folder / "conda").write_text("{}")
    with IndexServer(folder / "extended_summary") as url:
        yield url.rsplit("/", 1)[0]


def _desktop_env(tmp: Path, bindir: Path, collector: Collector, base: str, wheels: Path
                 ) -> dict[str, str]:  # fmt: skip
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    env = {k: v for k, v in os.environ.items() if k not in _NOT_A_DESKTOP}
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        LIBGL_ALWAYS_SOFTWARE="1",
        NAPARI_CONFIG=str(tmp / "napari" / "settings.yaml"),  # not the user's napari settings
        NAPARI_TELEMETRY_DIR=str(tmp / "telemetry"),
        NAPARI_TELEMETRY_URL=collector.url,
        NAPARI_TELEMETRY_INDEX_URL=f"{base}/extended_summary",
        E2E_PLUGIN_LIST=base,
        # The dialog's pip (or uv, where that is on PATH): the wheelhouse only, no index.
        PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), PIP_CONFIG_FILE=os.devnull,
        UV_NO_INDEX="1", UV_FIND_LINKS=str(wheels),
        # Anything else that would reach out meets a dead proxy instead of the internet.
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
    )  # fmt: skip
    for name in ("DO_NOT_TRACK", "NAPARI_TELEMETRY", "NAPARI_TELEMETRY_DEBUG"):
        env.pop(name, None)
    return env


def _napari(bindir: Path, env: dict[str, str], phase: str, seconds: float = 0) -> dict[str, Any]:
    """Run one phase of the driver in a new napari process; its RESULT."""
    proc = subprocess.run([str(bindir / "python"), str(DRIVER), phase, str(seconds)], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"{phase}: no result (exit {proc.returncode})\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    assert result.get("ok"), f"{phase}: {result.get('error')}\n{result.get('installer_output')}"
    return result


def _finish_today(pending: Path) -> Path:
    """Make today's pending file yesterday's, as the next day finds it (a day ready to send)."""
    yesterday = pending / f"{date.today() - timedelta(days=1)}.jsonl"
    (pending / f"{date.today()}.jsonl").rename(yesterday)
    return yesterday


def _installed(bindir: Path) -> bool:
    code = "import importlib.util as u; print(u.find_spec('napari_telemetry') is not None)"
    out = subprocess.run([str(bindir / "python"), "-c", code], capture_output=True, text=True)
    return out.stdout.strip() == "True"


def test_install_use_and_uninstall_through_napari_plugin_dialog(
    tmp_path: Path, fresh_env: Path, wheelhouse: Path, plugin_list: str, built_version: str
) -> None:
    with Collector(tmp_path / "collector", INDEX) as collector:
        env = _desktop_env(tmp_path, fresh_env, collector, plugin_list, wheelhouse)
        assert not _installed(fresh_env)

        got = _napari(fresh_env, env, "install")
        assert (got["listed_version"], got["button"], got["exit_code"]) == (
            built_version, "Install", 0)  # fmt: skip
        assert got["shown_installed"]
        assert got["restart_notices"] == 1  # "Please restart napari", answered Okay
        assert _installed(fresh_env)
        assert not (tmp_path / "telemetry").exists()  # nothing started before the restart

        got = _napari(fresh_env, env, "first-launch")  # consent `full`, then `basic` in the dock
        assert got["pending"] == [{"level": "basic", "types": ["session"]}]
        assert got["indicator"].startswith("Telemetry: basic")

        pending = tmp_path / "telemetry" / "data" / "pending" / "basic"
        _finish_today(pending)
        before = collector.requests()
        got = _napari(fresh_env, env, "uninstall")
        assert got["sent_by_itself"] == 1  # the control: installed, it sends a finished day
        assert collector.requests() == before + 1
        assert (got["button"], got["exit_code"], got["shown_installed"]) == ("Uninstall", 0, False)
        assert not _installed(fresh_env)
        assert not (fresh_env / "napari-telemetry").exists()

        left = _finish_today(pending)  # a day of pending data stays on disk
        before = collector.requests()
        got = _napari(fresh_env, env, "after-uninstall", FIRST_CHECK + 5)
        assert got["modules"] == []
        assert got["dialogs"] == []
        assert got["status_bar"] == []
        assert not any("telemetry" in title for title in got["plugins_menu"])
        assert "napari-telemetry" not in got["manifests"]
        assert collector.requests() == before
        assert left.stat().st_size > 0
