"""Weekly ids, the secret, install age, first report, and forgetting."""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _forget, _identity, _paths
from napari_telemetry.core._identity import SecretError
from napari_telemetry.core._transport import MockTransport, Response, TransportError
from napari_telemetry.schema import Level


def test_iso_week_edges() -> None:
    assert _identity.iso_week(date(2026, 11, 28)) == "2026-W48"
    assert _identity.iso_week(date(2027, 1, 1)) == "2026-W53"
    assert _identity.iso_week(date(2025, 12, 29)) == "2026-W01"


def test_user_id_is_hmac_of_week_with_private_secret() -> None:
    uid = _identity.user_id("2026-W48")
    secret = _paths.secret_file().read_bytes()
    expected = hmac.new(secret, b"napari-telemetry/v1|2026-W48", hashlib.sha256).hexdigest()
    assert uid == expected[:32]
    assert stat.S_IMODE(_paths.secret_file().stat().st_mode) == 0o600
    assert _identity.user_id("2026-W47") != uid


def test_secret_shared_by_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    uid = _identity.user_id("2026-W48")
    monkeypatch.setattr("sys.prefix", "/another/env")
    assert _identity.user_id("2026-W48") == uid


_RACER = """
import sys, time
from pathlib import Path
from napari_telemetry.core import _identity
go = Path(sys.argv[1])
Path(sys.argv[2]).touch()
while not go.exists():
    time.sleep(0.001)
try:
    print(_identity.user_id("2026-W48"))
except Exception as e:
    print(f"{type(e).__name__}: {e}")
"""


def test_processes_creating_the_secret_at_once_share_it(telemetry_dir: Path) -> None:
    # Each process makes the first id of a fresh folder at the same moment: before the secret
    # was written whole, a loser could read the winner's still-empty file ("holds 0 bytes").
    go, ready = telemetry_dir.parent / "go", telemetry_dir.parent / "ready"
    ready.mkdir()
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(go), str(ready / str(i))],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(12)
    ]
    while len(list(ready.iterdir())) < len(racers) and all(p.poll() is None for p in racers):
        time.sleep(0.01)
    go.touch()
    answers = {p.communicate(timeout=60)[0].strip() for p in racers}
    assert answers == {_identity.user_id("2026-W48")}


def test_a_full_disk_while_creating_the_secret_leaves_no_broken_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = os.fdopen

    def full(fd: int, *args: object, **kwargs: object) -> object:
        os.close(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", full)
    with pytest.raises(OSError):
        _identity.user_id("2026-W48")
    monkeypatch.setattr(os, "fdopen", real)
    uid = _identity.user_id("2026-W48")  # once there is space again: a secret, not an error
    assert len(_paths.secret_file().read_bytes()) == 32
    assert _identity.user_id("2026-W48") == uid


def test_recent_ids_newest_first() -> None:
    ids = _identity.recent_ids(today=date(2026, 11, 28))
    assert [w for w, _ in ids][:3] == ["2026-W48", "2026-W47", "2026-W46"]
    assert len(ids) == 9
    assert len({i for _, i in ids}) == 9


@pytest.mark.parametrize("content", [b"", b"short", b"x" * 33])
def test_corrupt_secret_is_an_error_not_a_new_identity(content: bytes) -> None:
    _paths.secret_file().parent.mkdir(parents=True)
    _paths.secret_file().write_bytes(content)
    with pytest.raises(SecretError, match="expected 32"):
        _identity.user_id("2026-W48")
    assert _paths.secret_file().read_bytes() == content


def test_unreadable_secret_is_an_error(telemetry_dir: Path) -> None:
    _paths.secret_file().mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(SecretError, match="cannot be read"):
        _identity.user_id("2026-W48")


@pytest.mark.parametrize(
    ("first", "age"),
    [
        ("2026-11-25", "week"),
        ("2026-11-01", "month"),
        ("2026-07-01", "half_year"),
        ("2025-01-01", "older"),
        ("2027-06-01", "week"),
    ],
)
def test_install_age_buckets(first: str, age: str) -> None:
    _paths.write_json(_paths.identity_file(), {"version": 1, "first_enabled": first})
    assert _identity.install_age(date(2026, 11, 28)) == age


def test_install_age_survives_corrupt_state() -> None:
    _paths.identity_file().parent.mkdir(parents=True)
    _paths.identity_file().write_text("{{{")
    assert _identity.install_age(date(2026, 11, 28)) == "week"
    assert _identity.first_report(Level.BASIC)


def test_first_report_per_level() -> None:
    assert _identity.first_report(Level.BASIC)
    _identity.mark_reported(Level.BASIC)
    assert not _identity.first_report(Level.BASIC)
    assert _identity.first_report(Level.FULL)


@pytest.mark.parametrize("reported", [[1, "basic"], [{"level": "basic"}, "basic"], "basic"])
def test_mark_reported_survives_a_damaged_list(reported: object) -> None:
    _paths.write_json(_paths.identity_file(), {"version": 1, "reported": reported})
    _identity.mark_reported(Level.MIDDLE)
    assert not _identity.first_report(Level.MIDDLE)
    kept = json.loads(_paths.identity_file().read_text())["reported"]
    assert kept == (["basic", "middle"] if isinstance(reported, list) else ["middle"])


def test_note_enabled_keeps_first_day() -> None:
    _identity.note_enabled(date(2026, 1, 1))
    _identity.note_enabled(date(2026, 5, 1))
    assert _identity.install_age(date(2026, 11, 28)) == "older"


def test_forget_asks_collector_then_replaces_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", "http://127.0.0.1:9")
    _consent.record_consent(Level.BASIC)
    old = _identity.recent_ids()[:1]  # this week: the one in use
    transport = MockTransport(lambda url, body, headers: Response(202))
    result = _forget.forget(transport)
    assert result.reached
    assert result.replaced
    assert result.ids == old
    ((url, body, headers),) = transport.requests
    assert url == "http://127.0.0.1:9/v1/deletion"
    assert json.loads(body) == {"user_ids": [i for _, i in old]}
    assert headers["Content-Type"] == "application/json"
    assert _identity.recent_ids()[:1] != old
    assert result.message == "the collector at 127.0.0.1:9 deleted the data sent with these ids"


def test_forget_replaces_secret_when_unreachable() -> None:
    _consent.record_consent(Level.BASIC)
    old = _identity.recent_ids()[:1]

    def refuse(url: str, body: bytes, headers: object) -> Response:
        raise TransportError("nothing answers at that address (connection refused)")

    result = _forget.forget(MockTransport(refuse))
    assert not result.reached
    assert result.replaced
    assert not result.ok
    assert result.message == (
        "could not reach 127.0.0.1:9: nothing answers at that address (connection refused): "
        "nothing was deleted there"
    )
    assert _identity.recent_ids()[:1] != old


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (503, "the collector at 127.0.0.1:9 could not take it right now (server error 503)"),
        (429, "the collector at 127.0.0.1:9 asked to wait (too many requests)"),
        (422, "the collector at 127.0.0.1:9 refused the request (code 422)"),
    ],
)
def test_a_deletion_the_collector_did_not_do_says_so_plainly(status: int, said: str) -> None:
    _consent.record_consent(Level.BASIC)
    result = _forget.forget(MockTransport(lambda url, body, headers: Response(status)))
    assert result.message == f"{said}: nothing was deleted there"
    assert "e-mail the ids above to privacy@napari.org." in result.lines()[-1]


def test_forget_with_corrupt_secret_still_replaces_it() -> None:
    _paths.secret_file().parent.mkdir(parents=True)
    _paths.secret_file().write_bytes(b"bad")
    result = _forget.forget(MockTransport(lambda *a: Response(202)))
    assert result.replaced
    assert result.ids == []
    assert len(_identity.user_id("2026-W48")) == 32


def test_forget_deletes_pending() -> None:
    folder = _paths.pending_dir("basic")
    folder.mkdir(parents=True)
    (folder / "2026-11-27.jsonl").write_text("{}\n")
    _forget.forget(MockTransport(lambda *a: Response(500)))
    assert not list(folder.glob("*.jsonl"))
