"""The built distributions themselves, installed as a user installs them (issue 23).

Both sdists and wheels are built from this checkout (``built_dists``), checked as PyPI and a
packager see them, and the wheels installed (not editable) into a new virtual environment beside
napari. That environment's third-party packages are hard links to this one's (same versions, no
download: a fresh ``pip install napari[pyqt6]`` takes minutes here), never the checkout's own
packages: napari-telemetry and napari-telemetry-server come from the wheels alone, so a file
missing from a wheel (the dashboard's vendored scripts, the manifest) fails here, not after a
release.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import urllib.request
import uuid
import venv
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from e2e.e2e_support import INDEX, Collector, dashboard_text
from napari_telemetry.schema import iso_week
from test_packaging import _discover

ROOT = Path(__file__).resolve().parent.parent
SITE = "napari_telemetry_server/public/_site/"
# This environment's own packages and hooks: never linked into the wheels' environment.
_OURS = ("napari_telemetry", "_editable_impl_", "__editable__", "a1_coverage.pth")

pytestmark = [pytest.mark.slow]


def _wheel(dists: list[Path], name: str) -> Path:
    (found,) = [d for d in dists if d.name.startswith(f"{name}-") and d.suffix == ".whl"]
    return found


def _sdist(dists: list[Path], name: str) -> Path:
    (found,) = [d for d in dists if d.name.startswith(f"{name}-") and d.name.endswith(".tar.gz")]
    return found


def _version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{cmd}: {done.stdout}{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def _tracked(folder: str) -> set[str]:
    out = _run("git", "-C", ROOT, "ls-files", folder)
    return set(out.split())


# ------------------------------------------------------------------ what PyPI and packagers get


def test_twine_accepts_all_four(built_dists: list[Path]) -> None:
    assert len(built_dists) == 4, built_dists
    _run(sys.executable, "-m", "twine", "check", "--strict", *built_dists)


def test_the_wheels_carry_what_the_packages_need(built_dists: list[Path]) -> None:
    plugin, server = (
        _wheel(built_dists, "napari_telemetry"),
        _wheel(built_dists, "napari_telemetry_server"),
    )
    assert _version(plugin) == _version(server)  # one tag versions both
    with zipfile.ZipFile(plugin) as zf:
        metadata = zf.read(f"napari_telemetry-{_version(plugin)}.dist-info/METADATA").decode()
        version_py = zf.read("napari_telemetry/_version.py").decode()
        # the keys a collection manifest must be signed with travel with the plugin
        assert "napari_telemetry/core/_counters/collection_keys.pem" in zf.namelist()
    assert f'__version__ = "{_version(plugin)}"' in version_py
    hub = ("Homepage", "Documentation", "Bug Tracker", "Source Code", "User Support", "Changelog")
    for url in hub:
        assert f"Project-URL: {url}, https://" in metadata, url
    with zipfile.ZipFile(server) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"napari_telemetry_server-{_version(server)}.dist-info/METADATA")
        licence = zf.read(f"napari_telemetry_server-{_version(server)}.dist-info/licenses/LICENSE")
    site = {n.removeprefix("server_stub/src/") for n in _tracked(f"server_stub/src/{SITE}")}
    assert {n for n in names if n.startswith(SITE)} == site
    assert any(n.endswith("vega.min.js") for n in site)
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert "Requires-Dist: napari-telemetry<0.2,>=0.1.0.dev0" in metadata.decode()


def test_the_sdists_carry_the_tests_and_docs_a_packager_needs(built_dists: list[Path]) -> None:
    with tarfile.open(_sdist(built_dists, "napari_telemetry")) as tf:
        plugin = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    needed = {"conftest.py", "napari.yaml", "LICENSE", "README.md", "CHANGELOG.md",
              "CITATION.cff", "CONTRIBUTING.md", "SECURITY.md", "PKG-INFO",
              "src/napari_telemetry/_version.py", "scripts/demo.py"}  # fmt: skip
    assert needed <= plugin, needed - plugin
    assert _tracked("tests") <= plugin
    assert {n for n in _tracked("docs") if n.endswith(".md")} <= plugin
    assert not [n for n in plugin if n.startswith("server_stub")]  # that is the other sdist
    with tarfile.open(_sdist(built_dists, "napari_telemetry_server")) as tf:
        server = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
        top = tf.getnames()[0].split("/")[0]
        licence = tf.extractfile(f"{top}/LICENSE")
        assert licence is not None
        assert licence.read() == (ROOT / "LICENSE").read_bytes()  # the file, not a link
    tracked = {n.removeprefix("server_stub/") for n in _tracked("server_stub")}
    wanted = {n for n in tracked if n.startswith(("src/", "tests/", "deploy/", "grafana/"))}
    assert wanted <= server, wanted - server


def test_a_wheel_built_from_each_sdist_is_the_same(
    built_dists: list[Path], tmp_path: Path
) -> None:
    """What a conda-forge recipe does: unpack the sdist (no git there) and build."""
    for name in ("napari_telemetry", "napari_telemetry_server"):
        with tarfile.open(_sdist(built_dists, name)) as tf:
            tf.extractall(tmp_path / name, filter="data")
        (source,) = (tmp_path / name).iterdir()
        out = tmp_path / f"{name}-wheel"
        _run(sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", out, source)
        (rebuilt,) = out.iterdir()
        original = _wheel(built_dists, name)
        assert rebuilt.name == original.name
        with zipfile.ZipFile(rebuilt) as new, zipfile.ZipFile(original) as old:
            assert sorted(new.namelist()) == sorted(old.namelist())


# ------------------------------------------------------------------ installed from the wheels


def _site_packages(prefix: Path | str) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links: a copy then
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def wheel_env(built_dists: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv: this one's third-party packages linked in, ours installed from the wheels."""
    folder = tmp_path_factory.mktemp("wheels") / "venv"
    venv.EnvBuilder(with_pip=False).create(folder)
    source, target = _site_packages(sys.prefix), _site_packages(folder)
    for entry in source.iterdir():
        if entry.name.startswith(_OURS) or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, symlinks=True, copy_function=_link)
        else:
            _link(str(entry), str(target / entry.name))
    bindir = folder / ("Scripts" if os.name == "nt" else "bin")
    wheels = [d for d in built_dists if d.suffix == ".whl"]
    # --no-index: every dependency must already be there; nothing is fetched.
    _run(bindir / "python", "-m", "pip", "install", "-q", "--no-index", *wheels)
    return bindir


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No PYTHONPATH, no coverage hooks, own telemetry and server folders."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and "COV" not in k}
    env["NAPARI_TELEMETRY_DIR"] = str(tmp_path / "client")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the collector's default folders
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def test_both_packages_are_the_wheels_and_npe2_finds_a_valid_manifest(
    wheel_env: Path, tmp_path: Path
) -> None:
    where = (
        "import napari_telemetry as a, napari_telemetry_server as b; print(a.__file__, b.__file__)"
    )
    files = _run(wheel_env / "python", "-c", where, env=_clean_env(tmp_path)).split()
    venv_dir = wheel_env.parent
    assert all(Path(f).is_relative_to(venv_dir) for f in files), files
    found = _discover(wheel_env / "python")
    assert found["name"] == "napari-telemetry"
    assert Path(str(found["path"])).is_relative_to(venv_dir)
    assert "Settings" in found["widgets"]  # type: ignore[operator]
    out = _run(wheel_env / "python", "-m", "npe2", "validate", "napari-telemetry")
    assert "valid" in out
    _run(wheel_env / "python", "-c", "import napari; print(napari.__version__)")


def test_the_command_lines_from_the_wheels(
    wheel_env: Path, built_dists: list[Path], tmp_path: Path
) -> None:
    env = _clean_env(tmp_path)
    plugin = _run(wheel_env / "napari-telemetry", "--help", env=env)
    for verb in ("status", "enable", "preview", "forget", "catalogue"):
        assert verb in plugin
    version = _version(_wheel(built_dists, "napari_telemetry"))
    assert _run(wheel_env / "napari-telemetry", "--version", env=env).split() == [
        "napari-telemetry",
        version,
    ]
    assert "none" in _run(wheel_env / "napari-telemetry", "status", env=env).lower()
    server = _run(wheel_env / "napari-telemetry-server", "--help", env=env)
    for verb in ("serve", "aggregate", "publish", "dashboard"):
        assert verb in server
    with Collector(tmp_path / "collector", INDEX, wheel_env) as collector:
        env["NAPARI_TELEMETRY_URL"] = collector.url
        _cli_flow(wheel_env / "napari-telemetry", env)


def _cli_flow(tool: Path, env: dict[str, str]) -> None:
    """Issue 2's check, as a new user types it after `pip install` (nothing napari involved)."""

    def run(*args: str) -> str:
        return _run(tool, *args, env=env)

    assert "full" in run("enable", "--level", "full", "--days", "30")
    assert "until" in run("status")
    assert json.loads(run("preview", "--json")) == []
    run("send", "--now")
    ids = run("ids")
    assert len([w for w in ids.split() if len(w) == 32]) >= 1  # this week: telemetry is on
    assert "secret" in run("forget").lower()
    run("disable")
    assert "none" in run("status").lower()
    dnt = subprocess.run([str(tool), "status"], capture_output=True, text=True,
                         env={**env, "DO_NOT_TRACK": "1"})  # fmt: skip
    assert "DO_NOT_TRACK" in dnt.stdout


@pytest.fixture
def collector(wheel_env: Path, tmp_path: Path) -> Iterator[Collector]:
    with Collector(tmp_path / "collector", INDEX, wheel_env) as running:
        yield running


@pytest.mark.browser
def test_the_collector_from_the_wheel_stores_a_batch_and_publishes_a_site_that_renders(
    wheel_env: Path, built_dists: list[Path], collector: Collector, tmp_path: Path
) -> None:
    (plugin,) = json.loads(INDEX.read_text())[:1]
    record = {"type": "plugin", "name": plugin["name"], "version": plugin["version"]}
    batch = {"schema_version": 1, "batch_id": str(uuid.uuid4()), "level": "middle",
             "user_id": uuid.uuid4().hex, "week": iso_week(date.today()),
             "first_report": True, "install_age": "week", "client_version": "0.1.0",
             "records": [record]}  # fmt: skip
    request = urllib.request.Request(f"{collector.url}/v1/middle/batches",
                                      data=json.dumps(batch).encode(), method="POST",
                                      headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert (answer.status, json.loads(answer.read())["stored"]) == (201, True)
    assert collector.requests() == 1

    env, server = _clean_env(tmp_path), wheel_env / "napari-telemetry-server"
    demo, site = tmp_path / "demo", tmp_path / "site"
    _run(server, "demo", "--dir", demo, "--no-serve", "--weeks", "3", env=env)  # data to show
    _run(server, "publish", "--out", site, "--aggregates", demo / "aggregates.sqlite",
         "--key", demo / "signing_key.pem", env=env)  # fmt: skip
    with zipfile.ZipFile(_wheel(built_dists, "napari_telemetry_server")) as zf:
        shipped = {Path(n).name: zf.read(n) for n in zf.namelist()
                   if n.startswith(SITE) and n.endswith((".js", ".css"))}  # fmt: skip
    assert {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "app.js", "style.css"} <= set(
        shipped
    )
    for name, content in shipped.items():
        assert (site / "assets" / name).read_bytes() == content, name
    shown = dashboard_text(site / "index.html")  # Chromium; waits for the charts to render
    assert "napari" in shown
