"""What telemetry keeps in a napari process: no thread without work, no HTTP stack before a
request, no module a launch does not use, and only the installed plugins of the public index."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from napari_telemetry.core import _consent, _public_index, state
from napari_telemetry.core._store import get_recorder, pending
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import Level

SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _telemetry_threads() -> list[str]:
    """The core's threads (the views' launcher, tests/qt's, may outlive a Qt test by a moment
    when a test file of the views ran before in this process)."""
    names = (t.name for t in threading.enumerate())
    return sorted(n for n in names if n.startswith("napari-telemetry") and "-ui" not in n)


def _wait_for_no_thread(seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while _telemetry_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _telemetry_threads()


def test_the_writer_exists_only_while_records_come_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from napari_telemetry.core._store import _recorder

    _consent.record_consent(Level.BASIC)
    recorder = get_recorder()
    assert _telemetry_threads() == []  # a recorder at basic, nothing counted: no thread
    monkeypatch.setattr(_recorder, "FLUSH_INTERVAL", 0.05)
    recorder.count("session", SESSION)
    assert _telemetry_threads() == ["napari-telemetry-recorder"]
    assert _wait_for_no_thread(5) == []  # written, then gone
    assert pending().records == 1
    recorder.count("session", SESSION)  # the next count calls a writer again
    assert _wait_for_no_thread(5) == []
    assert pending().records == 1  # (one key, two launches)


def test_the_uploader_keeps_no_standing_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from napari_telemetry.core import _uploader

    monkeypatch.setattr(_uploader, "FIRST_CHECK", 0.05)
    uploader = Uploader()
    uploader.start()
    assert "napari-telemetry-uploader" in _telemetry_threads()
    assert _wait_for_no_thread(5) == []  # the launch's check is done: nothing waits
    uploader.stop()


def test_only_the_installed_plugins_of_the_index_stay_in_memory() -> None:
    versions = {f"plugin-{i}": frozenset({"1.0"}) for i in range(1000)}
    state.index[:] = [_public_index.PublicIndex(versions, date.today())]
    _public_index.keep_only(["Plugin_7", "napari-svg"])
    index = _public_index.current()
    assert index is not None
    assert set(index.versions) == {"plugin-7"}


_PROBE = """
import sys, threading
import napari_telemetry.core, napari_telemetry._qt
from napari_telemetry.core import telemetry
# What a launch at full asks: the decision, the indicator's figures, a count, the refreshes.
telemetry.decision(); telemetry.next_send(); telemetry.pending_count()
telemetry.recorder().count("session", {session!r}); telemetry.recorder().flush(timeout=5)
telemetry.refresh_index(); telemetry.refresh_collection()
for thread in threading.enumerate():
    if thread.name in ("napari-telemetry-index", "napari-telemetry-collection"):
        thread.join(10)
later = ("_transport", "_deadline", "_trust", "_carry", "_check", "_forget", "_ids",
         "_counters._gate", "_counters._manifest", "_counters._installed", "_counters._offer")
loaded = [m for m in later if "napari_telemetry.core." + m in sys.modules]
loaded += [m for m in ("_consent_dialog", "_settings_dock", "_preview_dock")
           if "napari_telemetry._qt." + m in sys.modules]
loaded += [m for m in ("_collection", "_counter_lint", "_publication")
           if "napari_telemetry.schema." + m in sys.modules]
loaded += [m for m in ("requests", "urllib3", "truststore", "certifi", "tomllib", "cryptography")
           if m in sys.modules]
from napari_telemetry.schema import BATCH_MODELS
loaded += [m.__name__ for m in BATCH_MODELS.values() if m.__pydantic_complete__]
print(loaded)
telemetry.status()  # the CLI's and the settings dock's question: no HTTP stack either
print([m for m in ("requests", "urllib3", "truststore", "certifi") if m in sys.modules])
"""


def test_what_a_launch_does_not_use_is_not_imported() -> None:
    # A launch at full with a cached index (fresh: no fetch) and no collection key shipped:
    # no HTTP stack, no plugin counters beyond the keyring, no batch model built.
    _consent.record_consent(Level.FULL)  # before the launch (it builds what a launch does not)
    _public_index.write_cache({"napari-svg": ["0.2.1"]}, date.today())
    code = _PROBE.format(session=SESSION)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.split("\n")[:2] == ["[]", "[]"], done.stdout
