"""Collector ingest throughput against a no-op FastAPI endpoint measured in the same run.

    python benchmarks/bench_ingest.py [--seconds 10] [--connections 32] [--records 50]

Starts the real collector (``napari-telemetry-server serve``, SQLite in a temp folder, one
worker) and a no-op FastAPI app under the same uvicorn settings, each in its own process, then
drives each from a load generator in a third process: keep-alive HTTP/1.1 connections on
loopback, every request a new gzip batch of 50 ``full`` records. Prints batches/s, p50/p99
latency and the collector/no-op ratio (the issue's target: >= 0.8, p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PATH = "/v1/full/batches"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _body(records: int) -> bytes:
    rows: list[dict[str, Any]] = []
    for i in range(records):
        if i % 2:
            rows.append({"type": "layer", "layer_type": "Image", "data_type": "numpy.ndarray",
                         "ndim": 2 + i % 3, "dtype": "uint8", "multiscale": False, "levels": 1,
                         "size_bucket": i % 40, "count": 1})  # fmt: skip
        else:
            rows.append({"type": "command", "command_id": f"napari:window:cmd_{i}",
                         "plugin": "napari", "count": 1 + i})  # fmt: skip
    batch = {"schema_version": 1, "batch_id": str(uuid.uuid4()), "level": "full",
             "user_id": uuid.uuid4().hex, "week": "2026-W48", "first_report": False,
             "install_age": "month", "client_version": "0.1.0", "records": rows}  # fmt: skip
    return gzip.compress(json.dumps(batch).encode())


# ------------------------------------------------------------------ the no-op baseline


def noop_server(port: int) -> None:
    app = FastAPI()

    @app.post(PATH, status_code=201)
    async def ingest(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"batch_id": "-", "stored": True}, status_code=201)

    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


# ------------------------------------------------------------------ load generator


async def _connection(
    port: int, bodies: list[bytes], deadline: float, out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Encoding: gzip\r\n").encode()  # fmt: skip
    while time.perf_counter() < deadline and bodies:
        body = bodies.pop()
        start = time.perf_counter()
        writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        reply = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in reply.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))  # fmt: skip
        await reader.readexactly(length)
        out["latencies"].append(time.perf_counter() - start)
        status = reply[9:12].decode()
        out["status"][status] = out["status"].get(status, 0) + 1
    writer.close()


async def _load(port: int, seconds: float, connections: int, records: int) -> dict[str, Any]:
    bodies = [_body(records) for _ in range(int(seconds * 4000))]
    out: dict[str, Any] = {"latencies": [], "status": {}}
    start, cpu = time.perf_counter(), time.process_time()
    deadline = start + seconds
    await asyncio.gather(*(_connection(port, bodies, deadline, out) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    load_cpu = (time.process_time() - cpu) / elapsed
    lat = sorted(out["latencies"])
    return {"rate": len(lat) / elapsed, "p50_ms": lat[len(lat) // 2] * 1000,
            "p99_ms": lat[int(len(lat) * 0.99)] * 1000, "status": out["status"],
            "load_cpu": load_cpu}  # fmt: skip


def load(port: int, seconds: float, connections: int, records: int) -> None:
    print(json.dumps(asyncio.run(_load(port, seconds, connections, records))))


# ------------------------------------------------------------------ orchestration


def _start(cmd: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


def _measure(port: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--load", str(port), "--seconds", str(args.seconds),
           "--connections", str(args.connections), "--records", str(args.records)]  # fmt: skip
    result: dict[str, Any] = json.loads(
        subprocess.run(cmd, capture_output=True, check=True).stdout
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--noop", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        return load(args.load, args.seconds, args.connections, args.records)
    if args.noop:
        return noop_server(args.noop)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        noop_port, collector_port = _free_port(), _free_port()
        servers = [
            _start([sys.executable, __file__, "--noop", str(noop_port)], noop_port),
            _start([sys.executable, "-m", "napari_telemetry_server", "serve", "--port",
                    str(collector_port), "--db", str(Path(tmp) / "raw.sqlite"), "--log-dir",
                    str(Path(tmp) / "logs"), "--rate-limit", "1000000000"], collector_port),
        ]  # fmt: skip
        try:
            for name, port in (
                ("no-op FastAPI", noop_port),
                ("collector (SQLite)", collector_port),
            ):
                results[name] = _measure(port, args)
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(10)
    _report(results, args)


def _report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"{args.records}-record gzip batches, {args.connections} connections, loopback, "
          f"{args.seconds:.0f} s each, {os.cpu_count()} CPUs")  # fmt: skip
    print("| server | batches/s | p50 ms | p99 ms | answers |")
    print("|---|---:|---:|---:|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rate']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['status']} |"
        )
    noop, real = results.values()
    print(f"\nratio collector / no-op: {real['rate'] / noop['rate']:.2f}")


if __name__ == "__main__":
    main()
