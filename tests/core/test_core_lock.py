"""The one file lock (`_paths.locked`): flock on POSIX, shared by threads, processes, hosts."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from napari_telemetry.core import _paths

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX only")


def test_two_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock, inside, overlaps = tmp_path / ".lock", [0], []

    def work() -> None:
        for _ in range(20):
            with _paths.locked(lock, timeout=10):
                inside[0] += 1
                overlaps.append(inside[0])
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 80
    assert max(overlaps) == 1  # never two holders at once
    assert lock.is_file()  # it stays: every waiter locks the same file


def test_a_lock_held_elsewhere_times_out_without_naming_the_path(tmp_path: Path) -> None:
    lock = tmp_path / "private-name" / ".lock"
    lock.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path\n"
         "from napari_telemetry.core import _paths\n"
         "with _paths.locked(Path(sys.argv[1]), 1): print('held', flush=True); time.sleep(60)",
         str(lock)], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(_paths.LockTimeout) as caught, _paths.locked(lock, timeout=0):
            pass
        assert time.monotonic() - started < 1  # timeout 0: one try, no wait
        with pytest.raises(OSError, match=r"not granted within 0\.2 s"), _paths.locked(lock, 0.2):
            pass
    finally:
        holder.kill()
        holder.communicate()
    assert "private-name" not in str(caught.value)  # messages may reach logs: no paths
    with _paths.locked(lock, timeout=5):  # the holder died: its lock went with it
        pass


def test_another_users_lock_file_is_locked_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / ".lock"
    lock.touch()
    real_open, modes = os.open, []

    def shared_folder_open(path: str, flags: int, mode: int = 0o777) -> int:
        modes.append(flags & os.O_ACCMODE)
        if flags & os.O_ACCMODE == os.O_RDWR:  # (root may write anything: simulate the owner)
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, mode)

    monkeypatch.setattr(_paths.os, "open", shared_folder_open)
    with _paths.locked(lock, timeout=1):
        assert modes == [os.O_RDWR, os.O_RDONLY]


def test_a_lock_refused_for_another_reason_is_no_lock_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int, operation: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(_paths.fcntl, "flock", broken)
    with pytest.raises(OSError) as caught, _paths.locked(tmp_path / ".lock", timeout=1):
        pass
    assert caught.value.errno == errno.EIO
    assert not isinstance(caught.value, _paths.LockUnavailable | _paths.LockTimeout)
