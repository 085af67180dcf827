"""Real disks that fail: a small tmpfs (fills up), remounted read-only. Needs root (CI has it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from e2e.e2e_support import require

__all__ = ["fill", "read_only", "tmpfs"]


@contextmanager
def tmpfs(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of *size* mounted at *path* for the duration (skipped unless root)."""
    require(os.geteuid() == 0, "mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


@contextmanager
def read_only(mount: Path) -> Iterator[None]:
    """Remount the tmpfs at *mount* read-only for the duration (even root cannot write then).

    The kernel refuses ("mount point is busy") while a file there is open for writing: napari
    may be in the middle of writing a pending file or a state file, so it is tried again until
    that write ends (a few seconds at most)."""
    deadline = time.monotonic() + 20
    while (done := _mount("remount,ro", mount)).returncode != 0:
        if "busy" not in done.stderr or time.monotonic() > deadline:
            raise AssertionError(f"could not remount {mount} read-only: {done.stderr}")
        time.sleep(0.05)
    try:
        yield
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)


def _mount(options: str, mount: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", "-o", options, str(mount)], capture_output=True, text=True)


def fill(mount: Path) -> None:
    """Fill the tmpfs at *mount* to the last byte (``ballast`` holds it; delete it to free)."""
    fd = os.open(mount / "ballast", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 16, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
