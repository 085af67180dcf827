"""Every file location of the plugin (the one module that knows platformdirs), its atomic writes
and its file locks.

``NAPARI_TELEMETRY_DIR`` moves all of them under one folder (tests, admins, portable installs).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

if sys.platform != "win32":
    import fcntl

_APP = "napari-telemetry"
log = logging.getLogger("napari_telemetry")


def _override() -> Path | None:
    value = os.environ.get("NAPARI_TELEMETRY_DIR", "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Folder of the per-environment consent records."""
    root = _override()
    return root / "config" if root else Path(platformdirs.user_config_dir(_APP, appauthor=False))


def data_dir() -> Path:
    """Per-user data folder, shared by every environment of this user on this computer."""
    root = _override()
    return root / "data" if root else Path(platformdirs.user_data_dir(_APP, appauthor=False))


def cache_dir() -> Path:
    """Per-user cache folder (the public-plugin index lives here)."""
    root = _override()
    return root / "cache" if root else Path(platformdirs.user_cache_dir(_APP, appauthor=False))


def environment_key(prefix: str | None = None) -> str:
    """Short digest naming this Python environment (never the path itself)."""
    raw = (prefix if prefix is not None else sys.prefix).encode()
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:16]


def consent_file(env: str | None = None) -> Path:
    """The consent record of one environment (this one by default)."""
    return config_dir() / "environments" / f"{env or environment_key()}.json"


def counter_choices_file(env: str | None = None) -> Path:
    """The per-plugin counter switches of one environment (this one by default)."""
    return config_dir() / "counters" / f"{env or environment_key()}.json"


def collection_file() -> Path:
    """The cached, signed collection manifest (which plugin counters are approved)."""
    return cache_dir() / "collection.json"


def secret_file() -> Path:
    """The 32-byte identity secret (mode 0600)."""
    return data_dir() / "secret"


def identity_file() -> Path:
    """First-enabled date and the levels that already reported once."""
    return data_dir() / "identity.json"


def pending_dir(level: str | None = None) -> Path:
    """Records waiting to be sent: ``pending/<level>/<YYYY-MM-DD>.jsonl``."""
    root = data_dir() / "pending"
    return root / level if level else root


def sent_dir(level: str | None = None) -> Path:
    """Copies of sent batches: ``sent/<level>/<batch_id>.json``."""
    root = data_dir() / "sent"
    return root / level if level else root


def stats_file() -> Path:
    """Counters of dropped, corrupt and rejected data."""
    return data_dir() / "stats.json"


def uploader_state_file() -> Path:
    """Backoff and last-attempt state of the uploader."""
    return data_dir() / "uploader.json"


def policy_file() -> Path:
    """The site policy file: ``NAPARI_TELEMETRY_POLICY`` or ``<prefix>/etc/napari-telemetry/``."""
    value = os.environ.get("NAPARI_TELEMETRY_POLICY", "").strip()
    if value:
        return Path(value).expanduser()
    return Path(sys.prefix) / "etc" / _APP / "policy.json"


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write *data* to *path* through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any, mode: int = 0o644) -> None:
    """Write *value* as JSON atomically."""
    write_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode(), mode)


def read_json(path: Path) -> Any:
    """Read a JSON file; raise OSError or ValueError (never anything else) when unusable."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_state(path: Path, *, version: int | None = None, what: str = "") -> dict[str, Any]:
    """A JSON object the plugin keeps, read forgivingly: ``{}`` when it is missing, unreadable,
    not an object or (with *version*) of another version. Never raises.

    With *what*, a file that exists but cannot be read is logged as a warning naming it.
    """
    try:
        data = read_json(path)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        if what:
            log.warning("%s unreadable, starting afresh (%s)", what, type(e).__name__)
        return {}
    if not isinstance(data, dict) or (version is not None and data.get("version") != version):
        return {}
    return data


class LockUnavailable(OSError):
    """The file system cannot lock files (a network file system without its lock service,
    Lustre mounted without ``flock``): nothing is written there, as on a read-only folder."""


class LockTimeout(TimeoutError):
    """The lock was not granted in time: another process holds it (or a lock never released,
    a stale NFS lock). An OSError, so callers that degrade on a full disk degrade here too."""


# flock refused as such: no lock service (NFS without lockd), not supported (FUSE, Lustre).
_NO_LOCKS = frozenset({errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL})
_BUSY = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES})
POLL = 0.05  # seconds between two tries while another process holds the lock


@contextlib.contextmanager
def locked(path: Path, timeout: float) -> Iterator[None]:
    """Hold the file lock *path* (shared by every process and host that sees the folder).

    Raises :class:`LockTimeout` when it is not granted within *timeout* seconds (0: one try),
    :class:`LockUnavailable` when the file system cannot lock, OSError when it cannot be made.

    On POSIX this is ``flock`` on the lock file, what filelock does there, written out: the
    ~20 modules of filelock 4 weighed 0.6 MiB in every napari process for this one call
    (docs/performance.md). Two threads of one process exclude each other too (each opens its
    own descriptor). The file stays, so that every waiter locks the same inode.
    """
    if sys.platform == "win32":
        with _locked_windows(path, timeout):
            yield
        return
    fd = _open_lock_file(path)
    try:
        _acquire(fd, timeout)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock_file(path: Path) -> int:
    flags = os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, os.O_RDWR | flags, 0o644)
    except PermissionError:  # another user's lock file in a shared folder: flock needs no write
        return os.open(path, os.O_RDONLY | flags, 0o644)


def _acquire(fd: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _try_lock(fd):
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(errno.ETIMEDOUT, f"the lock was not granted within {timeout:g} s")
        time.sleep(min(POLL, left))


def _try_lock(fd: int) -> bool:
    """One non-blocking try: True when granted, False when another holder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in _BUSY:
            return False
        if e.errno in _NO_LOCKS:
            why = f"the file system cannot lock files ({e.strerror or type(e).__name__})"
            raise LockUnavailable(e.errno, why) from e
        raise
    return True


@contextlib.contextmanager
def _locked_windows(path: Path, timeout: float) -> Iterator[None]:
    import filelock  # Windows only: msvcrt's locks, as the library that is tested there does

    held = filelock.FileLock(path, timeout=timeout)
    try:
        held.acquire()
    except filelock.Timeout as e:
        raise LockTimeout(errno.ETIMEDOUT, f"the lock was not granted within {timeout:g} s") from e
    try:
        yield
    finally:
        held.release()
