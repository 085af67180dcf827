"""Institutions and clusters, in the core: which certificates are trusted, what a failure is
called, data folders whose locks fail, and the way out when sends have failed for a week."""

from __future__ import annotations

import errno
import json
import logging
import os
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _paths, _switches, _trust, _upload_state, telemetry
from napari_telemetry.core._store import _files, _recorder, get_recorder, pending, storage_problem
from napari_telemetry.core._transport import describe
from napari_telemetry.schema import Level

SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


@pytest.fixture
def machine_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA bundle from the machine's environment (this one sets REQUESTS_CA_BUNDLE)."""
    for name in _trust.ENV_BUNDLES:
        monkeypatch.delenv(name, raising=False)


def _policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **values: object) -> Path:
    path = tmp_path / "etc" / "policy.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"version": 1, **values}))
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(path))
    return path


@pytest.mark.usefixtures("machine_clean")
def test_trust_order_env_then_policy_then_system_then_certifi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _trust.choose().source == "system"
    assert isinstance(_trust.system_context(), ssl.SSLContext)
    policy = _policy(tmp_path, monkeypatch, ca_bundle="site-ca.pem")
    assert _trust.choose() == _trust.Trust("site policy", str(policy.parent / "site-ca.pem"))
    monkeypatch.setenv("CURL_CA_BUNDLE", "/opt/ca.pem")
    assert _trust.choose() == _trust.Trust("CURL_CA_BUNDLE", "/opt/ca.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ca.pem")
    assert _trust.choose().verify == "/etc/ca.pem"
    for name in (*_trust.ENV_BUNDLES, "NAPARI_TELEMETRY_POLICY"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(_trust, "_system_store", lambda: False)  # a bare container
    chosen = _trust.choose()
    assert chosen.source == "certifi"
    assert Path(str(chosen.verify)).is_file()
    assert "certifi" in chosen.words()


def test_an_unusable_policy_ca_turns_telemetry_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _policy(tmp_path, monkeypatch, ca_bundle=7)
    policy = _switches.policy()
    assert policy.max_level is Level.NONE
    assert "ca_bundle must be" in str(policy.problem)


def test_a_certificate_failure_is_named_without_the_host() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "Hostname mismatch, certificate is not valid for 'lab.example.org'."
    wrapped = ConnectionError("wrapped")
    wrapped.__cause__ = error
    described = describe(wrapped, "", _trust.Trust("system"))
    assert described.kind == "certificate"
    assert "not trusted by this computer (Hostname mismatch" in str(described)
    assert "lab.example.org" not in str(described)  # kept in the uploader's state: no host
    proxy = describe(
        type("ProxyError", (OSError,), {})(), " through the proxy set by X", _trust.Trust("system")
    )
    assert proxy.kind == "proxy"


def _counted_then_written() -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=5)


def _pending_bytes() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in _paths.pending_dir().glob("*/*.jsonl")}


def test_a_lock_that_raises_degrades_like_a_read_only_folder(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _counted_then_written()
    on_disk = _pending_bytes()
    real = _paths.fcntl.flock

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # flock on NFS without lockd

    monkeypatch.setattr(_paths.fcntl, "flock", no_locks)
    recorder = get_recorder()
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        for _ in range(3):
            recorder.count("session", SESSION)
            recorder.flush(timeout=5)
    assert caplog.text.count("telemetry cannot write its data") == 1  # once, not every round
    assert pending().records == 1  # the one on disk and the three in memory: one key, merged
    assert recorder.problem
    assert "cannot lock files" in recorder.problem
    assert "could not send: the file system cannot lock files" in str(
        telemetry.send_now(force=True)
    )
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "Problem: the file system cannot lock files (No locks available)" in status
    assert "napari keeps counting in memory" in status
    assert "NAPARI_TELEMETRY_DIR" in status
    assert _pending_bytes() == on_disk  # nothing already on disk was touched
    monkeypatch.setattr(_paths.fcntl, "flock", real)  # the folder works again
    recorder.flush(timeout=5)
    assert recorder.problem is None
    (records,) = telemetry.preview(Level.BASIC)[0]["records"]
    assert records["launches"] == 4  # every count, once


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EOPNOTSUPP])
def test_a_file_system_without_flock_is_a_lock_problem(
    monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_flock(fd: int, operation: int) -> None:
        raise OSError(code, os.strerror(code))  # FUSE, Lustre mounted without flock

    _consent.record_consent(Level.BASIC)  # (the secret is made under a lock too)
    monkeypatch.setattr(_paths.fcntl, "flock", no_flock)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=5)
    assert get_recorder().problem == f"the file system cannot lock files ({os.strerror(code)})"
    assert pending().records == 1


def test_a_lock_that_is_never_granted_is_said_to_be_broken(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _counted_then_written()
    monkeypatch.setattr(_files, "LOCK_TIMEOUT", 0.05)
    holder = subprocess.Popen(  # a process that holds the lock and hangs (a stale NFS lock)
        [sys.executable, "-c", "import sys, time; from pathlib import Path\n"
         "from napari_telemetry.core import _paths\n"
         "with _paths.locked(Path(sys.argv[1]), 1): print('held', flush=True); time.sleep(60)",
         str(_paths.pending_dir() / ".lock")], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        recorder = get_recorder()
        for round_ in range(_recorder.BUSY_ROUNDS):
            assert recorder.problem is None, round_  # a busy lock is normal for a while
            recorder.count("session", SESSION)
            recorder.flush(timeout=5)
        assert recorder.problem == "the data folder's lock is never granted"
        assert main(["status"]) == 0
        assert "Problem: the data folder's lock is never granted" in capsys.readouterr().out
        assert "lock was not granted within 0.05 s" in str(storage_problem())  # another process
    finally:
        holder.kill()
        holder.communicate()
    time.sleep(0.1)
    get_recorder().flush(timeout=5)
    assert get_recorder().problem is None
    assert telemetry.preview(Level.BASIC)[0]["records"][0]["launches"] == 1 + _recorder.BUSY_ROUNDS


def test_status_suggests_carrying_the_data_out_after_a_week_of_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _counted_then_written()
    states = _upload_state.load()
    week_ago = datetime.now(UTC) - timedelta(days=8)
    states[Level.BASIC].failed(week_ago, None, "the proxy failed (ProxyError)", "proxy")
    states[Level.BASIC].failed(datetime.now(UTC), None, "the proxy failed (ProxyError)", "proxy")
    _upload_state.save(states)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Last attempt failed: the proxy failed (ProxyError)" in out
    assert f"Sends have failed since {week_ago:%Y-%m-%d}" in out
    assert "`napari-telemetry export FILE`" in out
    assert "send --file FILE" in out
    states[Level.BASIC].succeeded()
    _upload_state.save(states)
    assert main(["status"]) == 0
    assert "Sends have failed" not in capsys.readouterr().out
