"""The status-bar indicator, the preview dock and `napari-telemetry status` always agree on what
is pending: one walk through every action a user (or another napari) takes, against the real
core, the real collector over HTTP and the real CLI in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytestqt.exceptions import TimeoutError

from e2e.e2e_support import INDEX, Collector
from napari_telemetry._qt import PreviewDock, StatusIndicator, _workers
from napari_telemetry.core import _consent, _store
from napari_telemetry.schema import Level

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).parent / "napari-telemetry")


def _session(os_version: str) -> tuple[str, ...]:
    return ("0.9.2", "3.11.7", "Linux", os_version, "x86_64")


LAYER = ("Image", "numpy.ndarray", 2, "uint8", False, 1, 20)


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    with Collector(tmp_path / "collector", INDEX) as running:
        yield running


class Three:
    """The indicator, the preview dock and a terminal's `status`, read side by side."""

    def __init__(self, qtbot: QtBot, controller: TelemetryController) -> None:
        self.qtbot = qtbot
        self.indicator = StatusIndicator(controller)
        self.preview = PreviewDock(controller)
        qtbot.addWidget(self.indicator)
        qtbot.addWidget(self.preview)

    def settled(self) -> bool:
        """No view is about to read (its debounce timer) or reading (a worker's job)."""
        timers = (self.indicator._timer, self.preview._timer)
        return not any(t.isActive() for t in timers) and _workers.wait_idle(0)

    def listed(self) -> int:
        return sum(len(b["records"]) for b in self.preview.pendingPane().batches())

    def status(self) -> int:
        """`napari-telemetry status` in its own process, as in a terminal beside napari."""
        done = subprocess.run([CLI, "status"], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ))  # fmt: skip
        assert done.returncode == 0, done.stderr
        (line,) = [x for x in done.stdout.splitlines() if x.startswith("Pending records: ")]
        return int(line.removeprefix("Pending records: "))

    def agree(self, expected: int, step: str, *, on_disk: bool = True) -> None:
        """All three say *expected* (a terminal sees the disk: *on_disk* flushes first)."""
        if on_disk:
            _store.get_recorder().flush(timeout=2)
        try:
            self.qtbot.waitUntil(
                lambda: self.indicator.pending() == self.listed() == expected, timeout=15_000
            )
        except TimeoutError as e:  # pytest-qt's: say what each showed
            shown = (self.indicator.pending(), self.listed(), _store.pending().records)
            raise AssertionError(f"{step}: indicator, preview, core = {shown}") from e
        shown = f" · {expected:,} pending" if expected else ""
        assert self.indicator.text().endswith(shown or self.indicator.text()), step
        if expected == 0:
            assert "pending" not in self.indicator.text(), step
        assert _store.pending().records == expected, step
        if on_disk:
            assert self.status() == expected, step


def _count(*keys: tuple[str, tuple[object, ...]]) -> None:
    for rtype, key in keys:
        _store.get_recorder().count(rtype, key)


def test_every_action_leaves_the_three_in_agreement(
    qtbot: QtBot,
    real_controller: TelemetryController,
    collector: Collector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    three = Three(qtbot, real_controller)

    # consent change: full
    real_controller.set_level(Level.FULL)
    three.agree(0, "agreed")

    # record: still in memory (a terminal cannot see it yet)
    _count(("session", _session("debian-12")), ("session", _session("debian-11")),
           ("layer", LAYER))  # fmt: skip
    three.agree(3, "recorded", on_disk=False)

    # flush
    three.agree(3, "flushed")

    # failed send: the collector is a dead port
    real_controller.send_now()
    qtbot.waitUntil(lambda: "could not reach 127.0.0.1:9" in three.preview.banner.text())
    assert three.preview.banner.isError()
    three.agree(3, "failed send")
    qtbot.waitUntil(lambda: "retried after a failed attempt" in three.indicator.toolTip())

    # send
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", collector.url)
    real_controller.send_now()
    qtbot.waitUntil(lambda: three.preview.banner.text().startswith("2 batch(es) sent"))
    three.agree(0, "sent")
    qtbot.waitUntil(lambda: len(three.preview.sentPane().batches()) == 2)

    # another process sends what this one recorded
    _count(("layer", LAYER))
    three.agree(1, "recorded again")
    done = subprocess.run([CLI, "send", "--now"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    three.agree(0, "sent by another process")

    # consent change: lower
    _count(("session", _session("debian-12")), ("layer", LAYER))
    three.agree(2, "two streams")
    real_controller.set_level(Level.BASIC)  # a new consent: the old one's data is never sent
    three.agree(0, "recorded under the old consent")
    _count(("session", _session("debian-12")), ("layer", LAYER))  # above basic: dropped
    three.agree(1, "the new consent's")

    # disable
    real_controller.disable()
    qtbot.waitUntil(lambda: "Telemetry is off" in three.preview.banner.text())
    three.agree(0, "disabled")
    assert three.indicator.text() == "Telemetry off"

    # forget
    real_controller.set_level(Level.MIDDLE)
    _count(("session", _session("debian-12")), ("plugin", ("napari-svg", "0.2.1")))
    three.agree(2, "before forget")
    real_controller.forget()
    qtbot.waitUntil(lambda: "deleted the data sent with these ids" in three.preview.banner.text())
    three.agree(0, "forgotten")

    # forget local
    _count(("session", _session("debian-12")))
    three.agree(1, "before forget local")
    real_controller.forget_local()
    qtbot.waitUntil(lambda: "Removed" in three.preview.banner.text())
    three.agree(0, "nothing is left")
    assert three.indicator.text() == "Telemetry off"
    assert _consent.effective_level().level is Level.NONE


def _idle() -> bool:
    """No telemetry thread runs: nothing in this process would notice a change by itself."""
    import threading

    return not any(t.name.startswith("napari-telemetry-recorder") for t in threading.enumerate())


@pytest.mark.parametrize("follows", [True, False], ids=["following", "control"])
def test_an_idle_napari_shows_what_a_terminal_did(
    qtbot: QtBot,
    real_controller: TelemetryController,
    collector: Collector,
    monkeypatch: pytest.MonkeyPatch,
    follows: bool,
) -> None:
    """A terminal's `send` and `disable` reach the views of a napari whose recorder is idle
    (no thread of telemetry's runs): Qt's folder watcher tells them. The control, without the
    watcher, shows that nothing else would."""
    real_controller.set_level(Level.FULL)
    three = Three(qtbot, real_controller)
    if follows:
        real_controller.follow_files()
    _count(("layer", LAYER))
    three.agree(1, "recorded")
    qtbot.waitUntil(_idle, timeout=10_000)
    # a read the views were asked for before the recorder went idle (a debounce timer still
    # running, or its job) must land before the terminal acts, or it would show the terminal's
    # work and pass for the watcher (or fail the control)
    for _ in range(2):  # a result delivered on the GUI thread may start one more timer
        qtbot.waitUntil(three.settled, timeout=10_000)
        qtbot.wait(100)  # a finished read's result reaches the views through the GUI queue
    assert three.settled()
    assert three.indicator.pending() == 1
    monkeypatch.setenv("NAPARI_TELEMETRY_URL", collector.url)
    for verb in (["send", "--now"], ["disable"]):
        done = subprocess.run([CLI, *verb], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ))  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    if not follows:
        qtbot.wait(2_000)  # longer than the watcher's settling time
        assert three.settled()  # and nothing was asked to read meanwhile
        assert three.indicator.pending() == 1  # stale: nothing told the views
        return
    qtbot.waitUntil(lambda: three.indicator.text() == "Telemetry off", timeout=10_000)
    assert three.indicator.pending() == 0
    qtbot.waitUntil(lambda: three.listed() == 0, timeout=10_000)  # the dock reads on its own
