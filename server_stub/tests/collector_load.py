"""Sustained load from several processes, and the checks after a crash (test and benchmark).

Run as a script, one load process: ``python collector_load.py URL OUT STOP [RECORDS]`` sends
gzip ``full`` batches of RECORDS command records over one keep-alive connection until the file
STOP exists. Like the real client, a batch is sent again until the collector acknowledges it
(201, or 200 for a retry whose first answer was lost); each acknowledged batch is appended to
OUT as ``batch_id records`` and flushed at once.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WEEK = "2026-W48"


def _batch(records: int) -> tuple[str, bytes]:
    batch_id = str(uuid.uuid4())
    rows = [{"type": "command", "command_id": f"napari:load:cmd_{i}", "plugin": "napari",
             "count": 1 + i} for i in range(records)]  # fmt: skip
    batch = {"schema_version": 1, "batch_id": batch_id, "level": "full",
             "user_id": uuid.uuid4().hex, "week": WEEK, "first_report": False,
             "install_age": "month", "client_version": "0.1.0", "records": rows}  # fmt: skip
    return batch_id, gzip.compress(json.dumps(batch).encode())


def _post(conn: http.client.HTTPConnection, body: bytes) -> int:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    conn.request("POST", "/v1/full/batches", body, headers)
    response = conn.getresponse()
    response.read()
    return response.status


def run_loader(url: str, out: Path, stop: Path, records: int) -> None:
    """The load process: send until *stop* exists, log every acknowledged batch to *out*."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    conn = http.client.HTTPConnection(host, port, timeout=30)
    batch_id, body = _batch(records)
    with out.open("a", encoding="ascii") as log:
        while not stop.exists():
            try:
                status = _post(conn, body)
            except (OSError, http.client.HTTPException):
                conn.close()  # the collector is down or was killed: retry the same batch
                time.sleep(0.05)
                continue
            if status in (200, 201):
                log.write(f"{batch_id} {records}\n")
                log.flush()
                batch_id, body = _batch(records)
            elif status in (429, 503):
                time.sleep(0.05)
            else:
                raise SystemExit(f"unexpected answer {status}")


class Load:
    """*processes* load processes against *url*, logging into *folder*."""

    def __init__(self, url: str, folder: Path, processes: int, records: int = 20) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.stop_file = folder / "stop"
        self.logs = [folder / f"acked-{i}.txt" for i in range(processes)]
        script = str(Path(__file__).resolve())
        self.procs = [
            subprocess.Popen(
                [sys.executable, script, url, str(log), str(self.stop_file), str(records)]
            )
            for log in self.logs
        ]

    def acked(self) -> dict[str, int]:
        """Every batch acknowledged so far, with its record count."""
        out: dict[str, int] = {}
        for log in self.logs:
            if log.exists():
                for line in log.read_text().splitlines():
                    batch_id, _, n = line.partition(" ")
                    if n:  # a line being written has no count yet
                        out[batch_id] = int(n)
        return out

    def wait_for(self, acks: int, *, give_up: float = 300.0, each: Any = None) -> None:
        """Return once *acks* batches are acknowledged in all (calling *each* on every poll)."""
        end = time.monotonic() + give_up
        while len(self.acked()) < acks:
            if time.monotonic() > end or any(p.poll() not in (None, 0) for p in self.procs):
                raise RuntimeError(f"load stalled at {len(self.acked())} of {acks} batches")
            if each is not None:
                each()
            time.sleep(0.05)

    def stop(self) -> None:
        self.stop_file.touch()
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __iter__(self) -> Iterator[subprocess.Popen[bytes]]:
        return iter(self.procs)


def wal_bytes(db: Path) -> int:
    try:
        return os.stat(f"{db}-wal").st_size
    except FileNotFoundError:
        return 0


def stored(db_url: str) -> dict[str, int]:
    """batch_id → its stored command records, read straight from the database."""
    query = (
        "SELECT b.batch_id, COUNT(c.id) FROM batches b "
        "LEFT JOIN command_records c ON c.batch_id = b.batch_id GROUP BY b.batch_id"
    )
    if "://" not in db_url:
        conn = sqlite3.connect(db_url)
        try:
            return dict(conn.execute(query).fetchall())
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(db_url) as pg:
        return dict(pg.execute(query).fetchall())  # type: ignore[arg-type]


def integrity(db: Path) -> list[tuple[str]]:
    """``PRAGMA integrity_check`` of a SQLite file (``[("ok",)]`` when intact)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


if __name__ == "__main__":
    run_loader(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
