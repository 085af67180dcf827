"""``napari-telemetry forget --local``: the deletion request, then every local file goes."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from e2e.e2e_support import INDEX, Collector
from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _forget, _paths, _uploader, state
from napari_telemetry.core._store import get_recorder
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.schema import Level

SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _a_user_with_data() -> list[Path]:
    """Consent, a secret, a pending record and a cached index: the folders a user has."""
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    _paths.cache_dir().mkdir(parents=True)
    (_paths.cache_dir() / "public_plugins.json").write_text("{}")
    folders = [f.path for f in _forget.local_folders()]
    assert folders == [_paths.data_dir(), _paths.config_dir(), _paths.cache_dir()]
    return folders


def test_the_folders_are_listed_with_what_they_hold() -> None:
    _a_user_with_data()
    holds = {f.path.name: f.holds for f in _forget.local_folders()}
    assert "secret" in holds["data"]
    assert "1 file(s) of pending records" in holds["data"]
    assert "consent choices (1 environment(s))" in holds["config"]
    assert "plugin index" in holds["cache"]


def test_forget_local_removes_everything_and_says_what_to_e_mail(
    capsys: pytest.CaptureFixture[str], interactive: None
) -> None:
    folders = _a_user_with_data()
    code = main(["forget", "--local", "--yes"])
    out = capsys.readouterr().out
    assert code == 1  # the data on the collector could not be deleted
    assert not any(folder.exists() for folder in folders)
    assert all(str(folder) in out for folder in folders)  # listed first, then "Removed"
    assert "Could not reach 127.0.0.1:9" in out  # the test's collector URL is a dead port
    assert "e-mail the ids above to privacy@napari.org" in out
    assert get_recorder().level is Level.NONE  # this process records nothing more
    assert _consent.effective_level(interactive=True).should_ask  # the next launch asks again


def test_without_a_terminal_it_asks_for_yes_and_deletes_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = _a_user_with_data()
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # a pipe, not a terminal
    assert main(["forget", "--local"]) == 1
    assert "add --yes" in capsys.readouterr().err
    assert all(folder.exists() for folder in folders)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "deleted"), [("n\n", False), ("\n", False), ("y\n", True)])
def test_at_a_terminal_it_deletes_only_after_yes(
    answer: str, deleted: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = _a_user_with_data()
    state.transport = MockTransport(lambda url, body, headers: Response(202))  # reached
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    assert main(["forget", "--local"]) == (0 if deleted else 1)
    out = capsys.readouterr().out
    assert "[y/N]" in out
    assert all(folder.exists() is not deleted for folder in folders)


def test_a_folder_that_cannot_be_removed_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_user_with_data()
    real_rmtree = _forget.shutil.rmtree

    def refuse_cache(path: Path) -> None:
        if path == _paths.cache_dir():
            raise PermissionError(13, "Permission denied")
        real_rmtree(path)

    monkeypatch.setattr(_forget.shutil, "rmtree", refuse_cache)
    assert main(["forget", "--local", "--yes"]) == 1
    captured = capsys.readouterr()
    assert f"Could not remove {_paths.cache_dir()} (Permission denied)" in captured.out
    assert "some files could not be removed" in captured.err
    assert not _paths.data_dir().exists()


def test_an_uploader_left_running_makes_no_folder_while_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = threading.Event()
    real = _consent.effective_level

    def spy(**kwargs: object) -> _consent.Decision:
        decision = real(**kwargs)  # type: ignore[arg-type]
        checked.set()
        return decision

    monkeypatch.setattr(_uploader, "FIRST_CHECK", 0.01)
    monkeypatch.setattr(_consent, "effective_level", spy)
    uploader = _uploader.Uploader()
    uploader.start()  # as a napari whose widget restarts it after forget --local
    assert checked.wait(10)
    uploader.stop(timeout=5)
    assert not _paths.data_dir().exists()


@pytest.mark.slow
def test_the_real_cli_deletes_at_the_real_collector_then_here(tmp_path: Path) -> None:
    env = {**os.environ, "NAPARI_TELEMETRY_DIR": str(tmp_path / "client")}
    tool = str(Path(sys.executable).parent / "napari-telemetry")

    def cli(*args: str) -> str:
        done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    with Collector(tmp_path / "collector", INDEX) as collector:
        env["NAPARI_TELEMETRY_URL"] = collector.url
        cli("enable", "--level", "basic")
        code = "from napari_telemetry.core._store import get_recorder as g; r = g(); "
        code += f"r.count('session', {SESSION!r}); r.flush(timeout=5)"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
        assert "1 batch(es) sent" in cli("send", "--now")
        assert _rows(collector.db) == 1
        out = cli("forget", "--local", "--yes")
    assert "deleted the data sent with these ids" in out
    assert _rows(collector.db) == 0
    assert sorted(p.name for p in (tmp_path / "client").iterdir()) == []


def _rows(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM batches").fetchone()[0])
