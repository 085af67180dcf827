"""The client fault matrix, end to end: a real napari under Xvfb (telemetry at ``full``), the real
CLI, the real collector behind a gate that misbehaves on demand, the data folder on its own
tmpfs. One napari session walks through the cells in order (each cell's layers have their own
size class, so the collector's rows tell the cells apart). In every cell: nothing raised into
napari, no telemetry call held napari's GUI thread 50 ms or more, and at the collector every
record the client stored counted exactly once (its batch ids match the client's copies of what
was sent; a 413 refuses, and counts, what it refused)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from e2e.e2e_support import require

from .fault_disks import fill, read_only, tmpfs
from .fault_servers import DripServer, FaultGate, http_answer
from .napari_sessions import NapariSession, World, site

LAYERS = 3  # images added (and removed) per cell
DEAD = "127.0.0.1:9"  # nothing listens: a proxy that refuses every connection
# serial: it measures time on napari's GUI thread, so it runs alone, after the parallel part.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.napari,
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.serial,
]


@dataclass
class Matrix:
    world: World
    gate: FaultGate
    elsewhere: DripServer
    napari: NapariSession
    mount: Path
    proxies: dict[str, str]  # misbehaving forward proxies: silent, garbage
    commands: int = 0  # command records napari made that the collector should have
    faults: ExitStack = field(default_factory=ExitStack)  # a disk fault in force


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    root = tmp_path_factory.mktemp("matrix")
    with (
        tmpfs(root / "disk", "16m") as mount,
        site(root, mount / "telemetry") as running,
        NapariSession(running.world, root / "napari.log") as napari,
        DripServer(http_answer(200), every=30) as silent,  # accepts, then (almost) nothing
        DripServer(b"\x00\xffnot a proxy\r\n\r\n", at_once=64) as garbage,
    ):
        proxies = {"silent": silent.url, "garbage": garbage.url, "refusing": f"http://{DEAD}"}
        yield Matrix(running.world, running.gate, running.elsewhere, napari, mount, proxies)


def _send(m: Matrix, step: str) -> str:
    return str(m.napari.ask("send", step=step)["report"])


def _arrived(m: Matrix, bucket: int, expected: int) -> None:
    assert m.world.layers(bucket) == expected
    assert m.world.commands() == m.commands
    assert m.world.sent_copies() == m.world.stored_batches()  # batch by batch, each once


# ---- the cells: each returns what the first send under the fault must say -------------------


def _gate(mode: str, says: str) -> Callable[[Matrix], str]:
    def fault(m: Matrix) -> str:
        m.gate.set(mode)
        return says

    return fault


def _read_only(m: Matrix) -> str:
    m.faults.enter_context(read_only(m.mount))
    return "could not send: Read-only file system"


def _full(m: Matrix) -> str:
    fill(m.mount)
    return "could not send: No space left on device"


def _damaged(m: Matrix) -> str:
    data = m.world.data
    for name in ("uploader.json", "stats.json", "identity.json"):
        (data / name).write_bytes(b'{"levels": \x00 not json')
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    (data / "pending" / "full" / f"{yesterday}.jsonl").mkdir(parents=True)
    (data / "pending" / "basic" / f"{yesterday}.jsonl").write_text('{"batch_id": 7}\n{"c"\n')
    return " batch(es) sent ("  # nothing of it stops a send


def _drip(m: Matrix) -> str:
    m.napari.ask("deadline", request=1.0, round=2.5)  # a dripped answer now costs seconds
    m.gate.set("drip")
    return "no complete answer within the 1 s deadline"


def _proxy(which: str, says: str) -> Callable[[Matrix], str]:
    """The collector is fine; the proxy the user's shell set (HTTP_PROXY) is not."""

    def fault(m: Matrix) -> str:
        if which == "silent":
            m.napari.ask("deadline", request=1.0, round=2.5)
        m.napari.ask("env", set={"HTTP_PROXY": m.proxies[which]})
        return says

    return fault


CELLS: dict[str, Callable[[Matrix], str]] = {
    "collector down": _gate("down", "nothing answers at that address (connection refused)"),
    "HTTP 500": _gate("500", "could not take it right now (server error 500)"),
    "HTTP 429 with Retry-After": _gate("429", "asked to wait (too many requests)"),
    "HTTP 413": _gate("413", "refused a batch: it was too large; it was dropped"),
    "slow drip": _drip,
    "garbage answer": _gate("garbage", "not an answer a collector gives (not HTTP)"),
    "redirect to another host": _gate("redirect", "a redirect (code 307), which is never"),
    "connection closed after storing": _gate("close-after-store", "the connection was cut off"),
    "data folder read-only": _read_only,
    "data folder on a full tmpfs": _full,
    "damaged files": _damaged,
    "proxy refuses": _proxy("refusing", "through the proxy set by HTTP_PROXY: the proxy failed"),
    "proxy never answers": _proxy(
        "silent", "no complete answer through the proxy set by HTTP_PROXY within the 1 s"
    ),
    "proxy answers garbage": _proxy("garbage", "through the proxy set by HTTP_PROXY"),
}


def _heal(m: Matrix, cell: str) -> None:
    """End the fault, and look at what the cell leaves for a user."""
    m.gate.set("pass")
    if cell.startswith("proxy"):
        assert "Last attempt failed:" in m.world.cli("status").stdout
        m.napari.ask("env", unset=["HTTP_PROXY"])
    if cell in ("slow drip", "proxy never answers"):
        m.napari.ask("deadline", request=10.0, round=30.0)
    if cell == "HTTP 429 with Retry-After":
        assert "next attempt after" in m.world.cli("status").stdout
    if cell == "data folder read-only":
        status = m.world.cli("status")  # reading works on a read-only folder
        assert "Pending records" in status.stdout, status.stderr
        m.faults.close()
    if cell == "data folder on a full tmpfs":
        (m.mount / "ballast").unlink()
    if cell in ("data folder read-only", "data folder on a full tmpfs"):
        m.napari.ask("flush", step=cell)  # what napari kept in memory is written now


@pytest.mark.parametrize("cell", list(CELLS))
def test_cell(matrix: Matrix, cell: str) -> None:
    m, bucket = matrix, 8 + list(CELLS).index(cell)
    says = CELLS[cell](m)
    m.napari.ask("work", step=cell, n=LAYERS, bucket=bucket)
    first = _send(m, cell)
    assert says in first, first
    if cell == "redirect to another host":
        assert m.elsewhere.requests == 0  # never followed: the batch went nowhere else
    _heal(m, cell)
    refused = cell == "HTTP 413"
    if not refused:
        m.commands += 2
    if cell == "collector down":  # the real CLI sends what napari kept
        done = m.world.cli("send", "--now")
        assert done.returncode == 0, done.stdout + done.stderr  # everything left
    else:
        healed = _send(m, f"{cell} (healed)")
        assert " batch(es) sent (" in healed or "Nothing was due" in healed, healed
        assert "kept" not in healed, healed
    _arrived(m, bucket, 0 if refused else LAYERS)
    if refused:
        assert "batches the collector refused (not retried): " in m.world.cli("status").stdout
    if cell == "damaged files":
        assert "corrupt or truncated pending lines skipped" in m.world.cli("status").stdout


def test_the_launch_and_its_plugins_are_counted_once(matrix: Matrix) -> None:
    world = matrix.world
    assert world.one("SELECT SUM(launches) FROM session_records") == 1
    sql = (
        "SELECT COUNT(*) FROM (SELECT name FROM plugin_records GROUP BY name HAVING COUNT(*) > 1)"
    )
    assert world.one(sql) == 0
    assert world.one("SELECT COUNT(*) FROM plugin_records") >= 1
