"""The pieces of the fault matrix: a world (collector, fault gate, plugin index, a data folder on
its own tmpfs) and napari sessions driven over a pipe (``napari_driver.py``)."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from e2e.e2e_support import INDEX, Collector, IndexServer

from .fault_servers import DripServer, FaultGate, http_answer

DRIVER = Path(__file__).with_name("napari_driver.py")
BIN = Path(sys.executable).parent
COMMAND = "napari.canvas.toggle_scale_bar"
BLOCK_LIMIT_MS = 50.0


@dataclass
class World:
    """Where the napari sessions of one test live, and how to look at the collector."""

    env: dict[str, str]
    db: Path
    data: Path  # the client's data folder (pending, sent copies)
    worst: dict[str, float] = field(default_factory=dict)  # worst telemetry span per step

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real ``napari-telemetry`` command, as this world's user runs it."""
        return subprocess.run(
            [str(BIN / "napari-telemetry"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def one(self, sql: str, *params: object) -> Any:
        with closing(sqlite3.connect(self.db)) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def layers(self, bucket: int) -> int:
        """Layers of this size class counted at the collector (each cell has its own class)."""
        sql = "SELECT COALESCE(SUM(count), 0) FROM layer_records WHERE size_bucket = ?"
        return int(self.one(sql, bucket))

    def commands(self) -> int:
        sql = "SELECT COALESCE(SUM(count), 0) FROM command_records WHERE command_id = ?"
        return int(self.one(sql, COMMAND))

    def stored_batches(self) -> list[str]:
        with closing(sqlite3.connect(self.db)) as conn:
            return sorted(r[0] for r in conn.execute("SELECT batch_id FROM batches"))

    def sent_copies(self) -> list[str]:
        """The batch ids the client believes the collector accepted (its sent/ copies)."""
        return sorted(p.stem for p in (self.data / "sent").glob("*/*.json"))

    def table(self) -> str:
        rows = "\n".join(f"  {name:40} {ms:6.2f} ms" for name, ms in self.worst.items())
        return f"\nworst telemetry span on napari's GUI thread, by step:\n{rows}"


@dataclass
class Site:
    """A running world: the collector behind its gate, and the host a redirect points to."""

    world: World
    gate: FaultGate
    elsewhere: DripServer


@contextmanager
def site(root: Path, folder: Path, *, index: bool = True) -> Iterator[Site]:
    """The collector, the plugin index (or none: a dead port), the gate; consent at full."""
    with (
        Collector(root / "collector", INDEX) as collector,
        IndexServer(INDEX) as index_url,
        DripServer(http_answer(202), every=0) as elsewhere,
    ):
        gate = FaultGate(collector.url, elsewhere.url)
        try:
            url = index_url if index else "http://127.0.0.1:9/index"
            world = World(client_env(folder, gate.url, url), collector.db, folder / "data")
            assert world.cli("enable", "--level", "full").returncode == 0
            yield Site(world, gate, elsewhere)
        finally:
            gate.close()
            print(world.table())


class NapariSession:
    """``napari_driver.py`` in its own process: ``ask(op, **args)`` returns its answer."""

    def __init__(self, world: World, log: Path, *, wait: bool = True) -> None:
        self.world, self._seq = world, 0
        self._log = log.open("w")
        self._proc = subprocess.Popen(
            [sys.executable, str(DRIVER)],
            env=world.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.answers: list[dict[str, Any]] = []
        if wait:
            try:
                self.ask("ready", step="start at launch")
            except BaseException:  # no `with` holds it yet: a failed start must not outlive it
                self.kill()
                raise

    def __enter__(self) -> NapariSession:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc.poll() is None:
            if t is None:
                self.quit()
            else:
                self.kill()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith("@@ "):
                self._answers.put(json.loads(line[3:]))
        self._answers.put({"exited": self._proc.wait()})  # no answer will come

    def ask(self, op: str, step: str = "", timeout: float = 180, **args: Any) -> dict[str, Any]:
        """Send one command; its answer (checked: nothing raised into napari, no long block)."""
        self._seq += 1
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"op": op, "seq": self._seq, **args}) + "\n")
        self._proc.stdin.flush()
        try:
            answer = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"napari did not answer {op!r}: {self._tail()}") from None
        if "exited" in answer:
            self._answers.put(answer)
            raise AssertionError(f"napari exited ({answer['exited']}) before answering {op!r}")
        assert answer["seq"] == self._seq, answer
        self.answers.append(answer)
        name = step or op
        self.world.worst[name] = max(self.world.worst.get(name, 0.0), answer["worst_ms"])
        assert answer["exceptions"] == [], answer["exceptions"]
        assert answer["worst_ms"] < BLOCK_LIMIT_MS, f"telemetry held the GUI thread: {answer}"
        assert answer["ok"], self._tail()
        return answer

    def quit(self) -> dict[str, Any]:
        answer = self.ask("quit")
        assert self._proc.wait(timeout=60) == 0, self._tail()
        self._close()
        return answer

    def kill(self) -> None:
        self._proc.kill()
        self._proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=10)
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
        self._log.close()

    def _tail(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text()[-3000:]


def client_env(data: Path, url: str, index_url: str) -> dict[str, str]:
    """A user's environment: no test markers (the plugin behaves as for real), a display."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env.update(
        NAPARI_TELEMETRY_DIR=str(data),
        NAPARI_TELEMETRY_URL=url,
        NAPARI_TELEMETRY_INDEX_URL=index_url,
        LIBGL_ALWAYS_SOFTWARE="1",
    )
    env.pop("DO_NOT_TRACK", None)
    return env
