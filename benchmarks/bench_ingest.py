"""Collector ingest throughput against a no-op FastAPI endpoint measured in the same run.

    python benchmarks/bench_ingest.py [--seconds 10] [--connections 32] [--records 50]

Starts the real collector (``napari-telemetry-server serve``, SQLite in a temp folder, one
worker) and a no-op FastAPI app under the same uvicorn settings, each in its own process, then
drives each from a load generator in a third process: keep-alive HTTP/1.1 connections on
loopback, every request a new gzip batch of 50 ``full`` records. Prints batches/s, p50/p99
latency and the collector/no-op ratio (the issue's target: >= 0.8, p99 < 100 ms).

With ``--processes N --db postgresql://...`` every server runs as N processes on N ports and the
load generator spreads its connections over them (several ``serve`` processes on one PostgreSQL,
as the operator guide describes for outgrowing one process; SQLite has one writer).

Two more servers bound what any collector that validates at request time can reach: both read,
inflate and validate the batch with the shared wire model and store nothing, one as a FastAPI
endpoint, one as a bare ASGI app with no framework at all.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from napari_telemetry.schema import iso_week  # a week inside the collector's window

PATH = "/v1/full/batches"
NOOP, COLLECTOR = "no-op FastAPI", "collector"


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
             "user_id": uuid.uuid4().hex, "week": iso_week(date.today()), "first_report": False,
             "install_age": "month", "client_version": "0.1.0", "records": rows}  # fmt: skip
    return gzip.compress(json.dumps(batch).encode())


# ------------------------------------------------------------------ the no-op baseline


def _validate(body: bytes) -> str:
    from napari_telemetry.schema import FullBatch

    return str(FullBatch.model_validate_json(gzip.decompress(body)).batch_id)


def _fastapi_app(validate: bool) -> FastAPI:
    app = FastAPI()

    @app.post(PATH, status_code=201)
    async def ingest(request: Request) -> JSONResponse:
        body = await request.body()
        batch_id = _validate(body) if validate else "-"
        return JSONResponse({"batch_id": batch_id, "stored": True}, status_code=201)

    return app


async def _bare_validate_app(scope: Any, receive: Any, send: Any) -> None:
    """Validation and nothing else: no framework, no routing, no storage."""
    if scope["type"] != "http":
        return
    parts, more = [], True
    while more:
        message = await receive()
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    answer = json.dumps({"batch_id": _validate(b"".join(parts)), "stored": True}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


BASELINES: dict[str, Callable[[], Any]] = {
    "no-op FastAPI": lambda: _fastapi_app(validate=False),
    "validate only, FastAPI": lambda: _fastapi_app(validate=True),
    "validate only, bare ASGI": lambda: _bare_validate_app,
}


def baseline_server(name: str, port: int) -> None:
    app = BASELINES[name]()
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


async def _load(
    ports: list[int], seconds: float, connections: int, records: int
) -> dict[str, Any]:
    bodies = [_body(records) for _ in range(int(seconds * 8000))]
    out: dict[str, Any] = {"latencies": [], "status": {}}
    start, cpu = time.perf_counter(), time.process_time()
    deadline = start + seconds
    await asyncio.gather(
        *(_connection(ports[i % len(ports)], bodies, deadline, out) for i in range(connections))
    )
    elapsed = time.perf_counter() - start
    load_cpu = (time.process_time() - cpu) / elapsed
    lat = sorted(out["latencies"])
    return {"rate": len(lat) / elapsed, "p50_ms": lat[len(lat) // 2] * 1000,
            "p99_ms": lat[int(len(lat) * 0.99)] * 1000, "status": out["status"],
            "load_cpu": load_cpu}  # fmt: skip


def load(ports: list[int], seconds: float, connections: int, records: int) -> None:
    print(json.dumps(asyncio.run(_load(ports, seconds, connections, records))))


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


def _measure(ports: list[int], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--load", ",".join(map(str, ports)),
           "--seconds", str(args.seconds),
           "--connections", str(args.connections), "--records", str(args.records)]  # fmt: skip
    result: dict[str, Any] = json.loads(
        subprocess.run(cmd, capture_output=True, check=True).stdout
    )
    return result


def _servers(
    tmp: Path, args: argparse.Namespace
) -> tuple[dict[str, list[int]], list[subprocess.Popen[bytes]]]:
    n = args.processes
    ports = {name: [_free_port() for _ in range(n)] for name in [*BASELINES, COLLECTOR]}
    started = []
    for name in BASELINES:
        for port in ports[name]:
            cmd = [sys.executable, __file__, "--baseline", name, "--port", str(port)]
            started.append(_start(cmd, port))
    for i, port in enumerate(ports[COLLECTOR]):
        collector = [sys.executable, "-m", "napari_telemetry_server", "serve",
                     "--port", str(port), "--db", args.db or str(tmp / "raw.sqlite"),
                     "--log-dir", str(tmp / f"logs-{i}"),
                     "--rate-limit", "1000000000"]  # fmt: skip
        started.append(_start(collector, port))
    return ports, started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1, help="processes per server")
    parser.add_argument("--db", help="the collector's database (default: SQLite in a temp dir)")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", choices=BASELINES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.processes > 1 and not (args.db or "").startswith("postgres"):
        parser.error("several processes need --db postgresql://... (SQLite has one writer)")
    if args.load:
        load([int(p) for p in args.load.split(",")], args.seconds, args.connections, args.records)
    elif args.baseline:
        baseline_server(args.baseline, args.port)
    else:
        _report(_run(args), args)
        _breakdown(args.records)


def _run(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ports, started = _servers(Path(tmp), args)
        try:
            for _ in range(args.rounds):  # alternate, so both see the same machine load
                for name, port in ports.items():
                    results.setdefault(name, []).append(_measure(port, args))
        finally:
            for proc in started:
                proc.terminate()
                proc.wait(10)
    return results


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    backend = "PostgreSQL" if (args.db or "").startswith("postgres") else "SQLite"
    print(f"collector on {backend}, {args.processes} process(es) per server")
    print(f"{args.records}-record gzip batches, {args.connections} connections, loopback, "
          f"{args.rounds} x {args.seconds:.0f} s per server (medians), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| server | batches/s | / no-op | p50 ms | p99 ms | runs (batches/s) |")
    print("|---|---:|---:|---:|---:|---|")
    noop = _median(results[NOOP], "rate")
    for name, runs in results.items():
        rates = ", ".join(f"{r['rate']:.0f}" for r in runs)
        rate = _median(runs, "rate")
        print(f"| {name} | {rate:.0f} | {rate / noop:.2f} | {_median(runs, 'p50_ms'):.1f} | "
              f"{_median(runs, 'p99_ms'):.1f} | {rates} |")  # fmt: skip
    print(f"\nratio collector / no-op: {_median(results[COLLECTOR], 'rate') / noop:.2f}")
    load_cpu = {name: round(_median(runs, "load_cpu"), 2) for name, runs in results.items()}
    print(f"load generator CPU (cores): {load_cpu}")
    answers = {name: [r["status"] for r in runs] for name, runs in results.items()}
    print(f"answers: {answers}")


def _breakdown(records: int, n: int = 2_000, group: int = 16) -> None:
    """Per-batch costs in this process, without HTTP: inflate, validate, digest, store."""
    from napari_telemetry.schema import FullBatch
    from napari_telemetry_server import Storage, make_engine
    from napari_telemetry_server.storage import batch_digest

    bodies = [_body(records) for _ in range(n)]
    start = time.perf_counter()
    raw = [gzip.decompress(b) for b in bodies]
    inflate = time.perf_counter() - start
    start = time.perf_counter()
    batches = [FullBatch.model_validate_json(r) for r in raw]
    validate = time.perf_counter() - start
    start = time.perf_counter()
    received = [(b, batch_digest(b)) for b in batches]
    digest = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Path(tmp) / "raw.sqlite", background_checkpoints=True)  # as served
        storage = Storage(engine)
        start = time.perf_counter()
        for i in range(0, n, group):
            storage.store(received[i : i + group])
        store = time.perf_counter() - start
        engine.dispose()
    timed = {"inflate": inflate, "validate": validate, "digest": digest, "store": store}
    ms = {k: v / n * 1e3 for k, v in timed.items()}
    costs = ", ".join(f"{k} {v:.3f} ms" for k, v in ms.items())
    print(f"per batch, in process: {costs} (store in groups of {group})")


if __name__ == "__main__":
    main()
