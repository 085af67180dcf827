"""The shipped deployment files (``server_stub/deploy/``), read by systemd and the collector."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from napari_telemetry_server import Settings
from tests.collector_testing import unavailable

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
SERVER = "/opt/napari-telemetry/bin/napari-telemetry-server"
ENV_FILE = "/etc/napari-telemetry/napari-telemetry.env"
PUBLIC_SIDE_ENV = {"AGGREGATES", "SIGNING_KEY", "DENYLIST"}  # read by aggregate/publish/certify


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_there_is_a_unit_for_serve_purge_aggregate_and_publish() -> None:
    names = {p.name for p in UNITS}
    for job in ("purge", "aggregate"):
        assert {f"napari-telemetry-{job}.service", f"napari-telemetry-{job}.timer"} <= names
    assert {"napari-telemetry-collector.service", "napari-telemetry-publish.service"} <= names
    assert _unit(DEPLOY / "napari-telemetry-aggregate.service")["Unit"]["OnSuccess"] == (
        "napari-telemetry-publish.service"
    )


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=str)
def test_services_run_the_collector_cli_with_the_shared_settings(path: Path) -> None:
    service = _unit(path)["Service"]
    command = service["ExecStart"].split()
    assert command[0] == SERVER
    assert command[1] in {"serve", "purge", "aggregate", "publish"}
    assert (service["EnvironmentFile"], service["User"]) == (ENV_FILE, "napari-telemetry")
    assert service["ProtectSystem"] == "strict"
    if command[1] == "serve":  # where the Caddyfile sends the three level hosts
        assert command[2:] == ["--host", "127.0.0.1", "--port", "8000"]
        assert "reverse_proxy 127.0.0.1:8000" in (DEPLOY / "Caddyfile").read_text()


def test_the_environment_file_holds_valid_settings() -> None:
    given: dict[str, str] = {}
    for line in (DEPLOY / "napari-telemetry.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            name = key.removeprefix("NAPARI_TELEMETRY_SERVER_")
            assert name != key, key
            if name not in PUBLIC_SIDE_ENV:
                given[name.lower()] = value
    settings = Settings(**given)  # type: ignore[arg-type]
    assert settings.trusted_proxies == "127.0.0.1,::1"
    assert settings.db.startswith("/var/lib/napari-telemetry/")


def _systemd_units() -> Path:
    found = [p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
             if (p / "sysinit.target").exists()]  # fmt: skip
    if not found:
        unavailable("no systemd unit folder with sysinit.target (Debian package systemd)")
    return found[0]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is missing: install the Debian package systemd")
    # A file-system root holding what the units name: systemd's own units, the collector's
    # executable (where the operator guide installs it) and the units themselves.
    root = tmp_path / "root"
    shutil.copytree(_systemd_units(), root / "usr/lib/systemd/system", symlinks=True)
    server = root / SERVER.lstrip("/")
    server.parent.mkdir(parents=True)
    server.write_text("#!/bin/sh\n")
    server.chmod(0o755)
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    copies = [shutil.copy(unit, target) for unit in UNITS]
    result = subprocess.run(
        [analyze, "verify", f"--root={root}", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Unknown keys and bad values are only warnings to systemd: any output is a failure here.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
