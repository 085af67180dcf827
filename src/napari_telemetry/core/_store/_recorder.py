"""The in-memory recorder: a counter increment on the caller's thread, disk writes on a daemon."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date

from psygnal import Signal, SignalInstance

from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._state import state
from napari_telemetry.schema import RECORD_LEVEL, SENDING_LEVELS, Level

from . import _pending
from ._batches import valid_key
from ._files import Key
from ._stats import bump
from ._view import withdraw_pending

log = logging.getLogger("napari_telemetry")
_RANK = {rtype: level.rank for rtype, level in RECORD_LEVEL.items()}
_FULL = "counter"  # a record type only `full` has a counter for: the level check of drop()
_Buffer = dict[str, dict[tuple[object, ...], int]]
FLUSH_INTERVAL = 5.0
BUSY_ROUNDS = 6  # writes in a row that find the lock taken before it counts as broken


class Recorder:
    """Counts records in memory; a background thread merges them into the pending files."""

    # Pending data changed: this process wrote, deleted or sent some, another process changed
    # the files, or the consent changed elsewhere (emitted on any thread).
    changed = Signal()
    writing = Signal()  # the writer is about to write (its thread): last chance to discard

    def __init__(self, level: Level = Level.NONE, token: str | None = None) -> None:
        self._rank = level.rank if token else 0
        self._token = token or ""
        # One counter per record type allowed at the level: the level check is the lookup,
        # and counting allocates no new container (so it never triggers the cyclic GC).
        self._buf: _Buffer = self._empty()
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # a write, from taking the buffer to the file written
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._asked = self._finished = 0
        self._running = False  # a writer thread exists or is starting (set under _lock)
        self._files_seen: tuple[int | None, ...] | None = None  # the pending folders as last seen
        self._valid: set[tuple[str, tuple[object, ...]]] = set()
        self._consent_seen: tuple[int, ...] | None = None  # the consent file this level follows
        self._blocked: str | None = None  # why the last write failed (a full or read-only disk)
        self._busy = 0  # writes in a row that found the lock taken
        self._drops: dict[str, int] = {}  # counts refused before the buffer, by reason (stats)

    def count(self, rtype: str, key: tuple[object, ...], n: int = 1) -> None:
        """Count *n* records of *rtype* with *key*; dropped above the level. Never raises."""
        try:
            with self._lock:
                bucket = self._buf.get(rtype)
                if bucket is None:
                    return
                bucket[key] = bucket.get(key, 0) + n
                if self._running:
                    return
                self._running = True  # the writer is idle and gone: the first count calls it
            self._spawn()
        except Exception:  # an unhashable key or a strange n: drop it, never hurt the caller
            log.debug("telemetry record dropped", exc_info=True)

    def drop(self, reason: str) -> None:
        """Note one count refused for *reason* (a ``_stats`` name), at `full` only; never raises.

        The counters of what is refused go to ``napari-telemetry status`` with the next write.
        """
        try:
            with self._lock:
                if _FULL in self._buf:
                    self._drops[reason] = self._drops.get(reason, 0) + 1
        except Exception:
            log.debug("telemetry drop not noted", exc_info=True)

    def discard(self, rtype: str, gone: Callable[[tuple[object, ...]], bool]) -> None:
        """Forget the buffered records of *rtype* whose key *gone* accepts."""
        with self._lock:
            bucket = self._buf.get(rtype)
            if bucket:
                self._buf[rtype] = {k: n for k, n in bucket.items() if not gone(k)}

    def set_level(
        self, level: Level, token: str | None = None, *, drop_pending: bool = True
    ) -> None:
        """Change the level live; a new consent *token* drops what was buffered under the old.

        Lowering it also deletes pending data above *level*, unless *drop_pending* is False.
        """
        if token is None and not self._token:
            token = _consent.current_token()
        seen = _consent_signature()
        with self._lock:
            self._consent_seen = seen
            if token is not None and token != self._token:
                self._buf.clear()
                self._token = token
            lowered = level.rank < self._rank
            self._rank = level.rank if self._token else 0
            self._buf = self._empty(self._buf)
        if lowered and drop_pending:
            drop_pending_above(level)

    def discard_buffer(self, level: Level | None = None) -> None:
        """Forget buffered records of *level*'s stream (all streams if None)."""
        with self._lock:
            kept = {t: b for t, b in self._buf.items() if level not in (None, RECORD_LEVEL[t])}
            self._buf = self._empty(kept)

    def _empty(self, keep: dict[str, dict[tuple[object, ...], int]] | None = None) -> _Buffer:
        """Fresh counters for the record types allowed now, keeping *keep*'s allowed ones."""
        keep = keep or {}
        return {t: keep.get(t, {}) for t, rank in _RANK.items() if rank <= self._rank}

    @property
    def level(self) -> Level:
        """The level records are accepted at now."""
        return next(lv for lv in Level if lv.rank == self._rank)

    def flush(self, timeout: float = 0.5) -> None:
        """Ask the writer for a round now (the consent read again, what is buffered written),
        waiting at most *timeout* seconds."""
        with self._done:
            self._asked += 1
            target = self._asked
        with self._lock:  # under the lock the writer decides to end: it sees this wake
            self._wake.set()
            spawn, self._running = not self._running, True
        if spawn:
            self._spawn()
        with self._done:
            self._done.wait_for(lambda: self._finished >= target, timeout=timeout)

    def buffered(self) -> int:
        """Records counted in memory, not written yet."""
        return sum(len(b) for b in self._buf.values())

    @contextlib.contextmanager
    def held(self) -> Iterator[dict[Key, int]]:
        """Hold off the writer and give what is in memory, ``{(token, rtype, key): n}``: while
        held, a record is either here or in its file, never both and never neither."""
        with self._writing:
            with self._lock:
                token = self._token
                memory = {(token, t, k): n for t, b in self._buf.items() for k, n in b.items()}
            yield memory if token else {}

    def notify(self) -> None:
        """Tell the views that pending data changed (never raises)."""
        self._files_seen = _folders_signature()
        self._emit(self.changed)

    def _spawn(self) -> None:
        """Start the writer (``_running`` was set by the caller, under the lock)."""
        try:
            threading.Thread(
                target=self._run, name="napari-telemetry-recorder", daemon=True
            ).start()
        except BaseException:  # no thread to be had (interpreter exit): the next count tries
            self._running = False
            raise

    def _run(self) -> None:
        """Write every few seconds while records come in; end once a round finds none.

        A thread exists only while it has work: an idle napari runs no telemetry thread.
        """
        while True:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            with self._done:
                target = self._asked
            self._follow_consent()
            self._emit(self.writing)
            with self._writing:
                self._write()
            self._follow_files()
            with self._done:
                self._finished = max(self._finished, target)
                self._done.notify_all()
            with self._lock:
                if not (self._wake.is_set() or any(self._buf.values())):
                    self._running = False
                    return

    def _follow_consent(self) -> None:
        """Follow a consent changed outside this process (the CLI, another napari)."""
        if state.recorder is not self:  # a recorder replaced (tests reset it) speaks for nobody
            return
        try:
            seen = _consent_signature()
            if seen == self._consent_seen:
                return
            level, token = _consent.effective_level().level, _consent.current_token()
            if level is self.level and (token or "") == self._token:
                self._consent_seen = seen
                return
            # Stop recording what is no longer agreed, but leave the files alone: the process
            # that changed the consent already deleted what it withdrew, and a consent file
            # that is merely unreadable (so "off" here) must not cost the data waiting on disk.
            self.set_level(level, token, drop_pending=False)
        except Exception:  # the next round looks again; recording goes on as it was
            log.debug("telemetry could not re-read the consent", exc_info=True)
            return
        self.notify()

    def _follow_files(self) -> None:
        """Tell the views when another process (an upload, a terminal) changed the files."""
        seen = _folders_signature()
        if self._files_seen is not None and seen != self._files_seen:
            self.notify()
        self._files_seen = seen

    def _write(self) -> None:
        with self._lock:
            buf, self._buf = self._buf, self._empty()
            token = self._token
            drops, self._drops = self._drops, {}
        if drops:
            self._note_drops(drops)
        if not any(buf.values()) or not token:  # an idle recorder touches no file
            return
        entries: dict[Key, int] = {}
        for rtype, key, n in ((t, k, n) for t, b in buf.items() for k, n in b.items()):
            if (rtype, key) in self._valid or self._check(rtype, key, n):
                entries[(token, rtype, key)] = n
        try:
            _pending.merge(date.today(), entries)
        except OSError as e:  # a busy lock, a full or read-only disk: keep it, try next time
            self._restore(buf)
            self._busy = self._busy + 1 if isinstance(e, _paths.LockTimeout) else 0
            if self._busy == 0 or self._busy >= BUSY_ROUNDS:  # a lock that is never granted
                self._unwritable(e)
            return
        self._blocked, self._busy = None, 0
        self.notify()

    @property
    def problem(self) -> str | None:
        """Why this process keeps its records in memory (the data folder cannot be written)."""
        return self._blocked

    def _unwritable(self, e: OSError) -> None:
        if isinstance(e, _paths.LockTimeout):
            why = "the data folder's lock is never granted"
        else:
            why = e.strerror or type(e).__name__  # never the path: no paths in logs
        if self._blocked is None:  # once per streak of failures, not every few seconds
            log.warning("telemetry cannot write its data (%s): it keeps counting and retries", why)
        self._blocked = why

    def _note_drops(self, drops: dict[str, int]) -> None:
        try:
            with _pending.locked():
                bump(**drops)
        except OSError:  # only counters of what was refused: never worth a retry
            log.debug("telemetry could not note refused counts", exc_info=True)

    def _emit(self, signal: SignalInstance) -> None:
        try:
            signal.emit()
        except Exception:
            log.debug("telemetry %s-callback failed", signal.name, exc_info=True)

    def _check(self, rtype: str, key: tuple[object, ...], n: object) -> bool:
        ok = isinstance(n, int) and not isinstance(n, bool) and n >= 1 and valid_key(rtype, key)
        if ok:
            self._valid.add((rtype, key))
        else:
            log.debug("telemetry record of type %r does not match the schema", rtype)
        return ok

    def _restore(self, buf: _Buffer) -> None:
        with self._lock:
            for rtype, counts in buf.items():
                bucket = self._buf.get(rtype)
                if bucket is None:
                    continue  # the level was lowered meanwhile
                for key, n in counts.items():
                    bucket[key] = bucket.get(key, 0) + n


def get_recorder() -> Recorder:
    """The process-wide recorder, at the effective level (created on first use)."""
    recorder = state.recorder
    if recorder is None:
        with state.lock:
            if state.recorder is None:
                state.recorder = _create()
            recorder = state.recorder
    return recorder


def _create() -> Recorder:
    recorder = Recorder()
    recorder.set_level(_consent.effective_level().level, _consent.current_token())
    atexit.unregister(_at_exit)  # once, however often tests reset the singleton
    atexit.register(_at_exit)
    return recorder


def _at_exit() -> None:
    if state.recorder is not None and state.recorder.buffered():
        state.recorder.flush(timeout=0.5)


def _consent_signature() -> tuple[int, ...] | None:
    """What identifies this environment's consent file as written (None: there is none)."""
    try:
        st = _paths.consent_file().stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def level_changed(level: Level) -> None:
    """Follow a consent change: live recorder level, and no pending data above *level*."""
    if state.recorder is not None:
        state.recorder.set_level(level, _consent.current_token())
    drop_pending_above(level)


def drop_pending_above(level: Level) -> None:
    """Delete this environment's pending data of every stream *level* does not include."""
    for stream in SENDING_LEVELS:
        if not level.includes(stream):
            withdraw_pending(stream)


def _folders_signature() -> tuple[int | None, ...]:
    """When each stream's pending folder last changed (a file made, replaced, renamed, gone)."""
    stamps: list[int | None] = []
    for level in SENDING_LEVELS:
        try:
            stamps.append(_paths.pending_dir(level.value).stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)
