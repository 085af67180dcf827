"""An institution's network, for real: the collector behind Caddy with a certificate from a local
CA that only the computer's trust store knows (a temporary folder made the system store through
``SSL_CERT_FILE``/``SSL_CERT_DIR`` in the child's environment), and a real forward proxy. The
plugin runs as a user runs it: the ``napari-telemetry`` command in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.e2e_support import BIN, INDEX, Collector, free_port, require

from .network_support import LocalCA, Proxy, TlsFront, system_store

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")
# The machine's own CA settings would decide instead of the store these tests make.
_MACHINE = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
            "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy",
            "all_proxy", "no_proxy", "PYTEST_CURRENT_TEST", "CI")  # fmt: skip


@dataclass
class Site:
    collector: Collector
    front: TlsFront
    ca: LocalCA
    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A user's environment: the collector's https address, no CA setting of the machine."""
        env = {k: v for k, v in os.environ.items() if k not in _MACHINE}
        env.update(
            NAPARI_TELEMETRY_DIR=str(self.root / "client"),
            NAPARI_TELEMETRY_URL=self.front.url,
            NAPARI_TELEMETRY_INDEX_URL="off",
        )
        env.update(extra)
        return env

    def trusting(self, **extra: str) -> dict[str, str]:
        """The environment of a computer whose system store holds the local CA (and only it)."""
        return self.env(**system_store(self.root / "trusting", self.ca.ca), **extra)

    def distrusting(self, **extra: str) -> dict[str, str]:
        """A computer whose system store holds another CA only: the collector's is unknown."""
        other = LocalCA(self.root / "other-ca", "A public CA")
        return self.env(**system_store(self.root / "distrusting", other.ca), **extra)

    def stored(self) -> int:
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(self.collector.db)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("institution")
    ca = LocalCA(root / "ca")
    with (
        Collector(root / "collector", INDEX) as collector,
        TlsFront(root / "caddy", collector.url, ca) as front,
    ):
        yield Site(collector, front, ca, root)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "napari-telemetry"), *args], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def record(env: dict[str, str], napari: str = "0.9.2") -> None:
    """One session record, as napari would count it, in the user's data folder."""
    assert cli(env, "enable", "--level", "basic").returncode == 0
    code = (
        "from napari_telemetry.core import telemetry\n"
        f"telemetry.recorder().count('session', {(napari, *SESSION[1:])!r})\n"
        "telemetry.recorder().flush(timeout=5)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_the_system_store_alone_lets_the_plugin_send(site: Site) -> None:
    env = site.trusting()
    record(env)
    before = site.stored()
    done = cli(env, "send", "--now")
    assert "1 batch(es) sent (basic)." in done.stdout, done.stdout
    assert site.stored() == before + 1
    check = cli(env, "check")
    assert check.returncode == 0, check.stdout
    assert "the operating system's trust store (truststore)" in check.stdout
    assert f"ok   collector (basic, middle, full): {site.front.url}: reached" in check.stdout


def test_without_the_ca_the_batch_waits_and_the_user_is_told_why(site: Site) -> None:
    env = site.distrusting()
    record(env, "0.9.3")
    before = site.stored()
    done = cli(env, "send", "--now")
    assert "1 kept for later" in done.stdout, done.stdout
    told = "the collector's certificate is not trusted by this computer"
    assert told in done.stdout
    assert "unable to get local issuer certificate" in done.stdout
    assert site.stored() == before
    status = cli(env, "status").stdout
    assert f"Last attempt failed: {told}" in status, status
    assert f"retried after a failed attempt: {told}" in status  # the status bar's next send
    assert "Pending records: 1" in status
    check = cli(env, "check")
    assert check.returncode == 1
    assert f"FAIL collector (basic, middle, full): {site.front.url}: {told}" in check.stdout
    healed = cli(site.trusting(), "send", "--now")  # the CA installed: the same batch goes
    assert "1 batch(es) sent" in healed.stdout, healed.stdout
    assert site.stored() == before + 1
    assert "Last attempt failed" not in cli(env, "status").stdout


def test_the_preview_dock_says_why_the_batch_waits(
    site: Site, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same words inside napari: the preview dock's *Send now* over the real core, on a
    computer whose system store lacks the collector's CA. The batch stays listed."""
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    from napari_telemetry._qt import PreviewDock, TelemetryController, _workers, set_controller

    env = site.distrusting(NAPARI_TELEMETRY_DIR=str(tmp_path / "client"))
    record(env, "0.9.4")
    for name in _MACHINE:
        monkeypatch.delenv(name, raising=False)
    for name in ("NAPARI_TELEMETRY_DIR", "NAPARI_TELEMETRY_URL", "NAPARI_TELEMETRY_INDEX_URL",
                 "SSL_CERT_FILE", "SSL_CERT_DIR"):  # fmt: skip
        monkeypatch.setenv(name, env[name])
    controller = TelemetryController()
    set_controller(controller)  # forgotten by the shared fresh_state
    dock = PreviewDock(controller)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: len(dock.pendingPane().batches()) == 1, timeout=15_000)
    before = site.stored()
    dock._send_btn.click()
    told = "the collector's certificate is not trusted by this computer"
    qtbot.waitUntil(lambda: told in dock.banner.text(), timeout=30_000)
    assert dock.banner.isError()
    assert "1 kept for later" in dock.banner.text()
    assert site.stored() == before
    assert _workers.wait_idle(10)
    qtbot.waitUntil(lambda: len(dock.pendingPane().batches()) == 1, timeout=15_000)


@pytest.mark.parametrize("how", ["REQUESTS_CA_BUNDLE", "site policy"])
def test_an_explicit_bundle_wins_over_the_system_store(
    site: Site, tmp_path: Path, how: str
) -> None:
    policy = tmp_path / "etc" / "policy.json"
    policy.parent.mkdir()
    policy.write_text('{"version": 1, "ca_bundle": "ca.pem"}')  # relative to the policy file
    (policy.parent / "ca.pem").write_bytes(site.ca.ca.read_bytes())
    explicit = (
        {"REQUESTS_CA_BUNDLE": str(site.ca.ca)}
        if how == "REQUESTS_CA_BUNDLE"
        else {"NAPARI_TELEMETRY_POLICY": str(policy)}
    )
    env = site.distrusting(NAPARI_TELEMETRY_DIR=str(tmp_path / "client"), **explicit)
    record(env, "0.9.4")
    assert "1 batch(es) sent" in cli(env, "send", "--now").stdout
    assert f"the CA bundle named by {how}" in cli(env, "check").stdout
    # ...and it wins against a system store that would have trusted the collector:
    wrong = {"REQUESTS_CA_BUNDLE": str(site.root / "other-ca" / "ca.pem")}
    env = site.trusting(NAPARI_TELEMETRY_DIR=str(tmp_path / "client"), **wrong)
    record(env, "0.9.5")
    assert "certificate is not trusted" in cli(env, "send", "--now").stdout


def test_through_a_real_forward_proxy_and_around_it(site: Site, tmp_path: Path) -> None:
    with Proxy(tmp_path / "proxy") as proxy:
        env = site.trusting(HTTPS_PROXY=proxy.url, NAPARI_TELEMETRY_DIR=str(tmp_path / "c"))
        record(env, "0.9.6")
        before = site.stored()
        assert "1 batch(es) sent" in cli(env, "send", "--now").stdout
        assert site.stored() == before + 1
        assert proxy.requests() == 1  # the CONNECT tunnel went through tinyproxy
        assert "HTTPS_PROXY=" in cli(env, "check").stdout
        around = {**env, "NO_PROXY": "localhost,127.0.0.1"}
        record(around, "0.9.7")
        seen = proxy.requests()
        assert "1 batch(es) sent" in cli(around, "send", "--now").stdout
        assert proxy.requests() == seen  # NO_PROXY: straight to the collector
    gone = site.trusting(HTTPS_PROXY=f"http://127.0.0.1:{free_port()}",
                         NAPARI_TELEMETRY_DIR=str(tmp_path / "c"))  # fmt: skip
    record(gone, "0.9.8")
    done = cli(gone, "send", "--now")
    assert "no answer through the proxy set by HTTPS_PROXY: the proxy failed" in done.stdout
    assert "1 kept for later" in done.stdout
    status = cli(gone, "status").stdout
    assert "retried after a failed attempt: the proxy failed" in status
