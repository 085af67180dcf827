"""The shipped Caddyfile, run by a real Caddy in front of a real collector process.

Caddy adapts ``server_stub/deploy/Caddyfile`` itself; the test changes only what differs from
a real host: it listens on a free port of 127.0.0.1 over plain HTTP (no certificates), the
collector runs on a free port, the public folder is a temp folder, and the admin API is off.
Clients connect from 127.0.0.2 and 127.0.0.3 so that their addresses can be looked for.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.collector_testing import Process, dropped, free_port, received, unavailable

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HOST = "telemetry.example.org"
MakeBatch = Callable[..., dict[str, Any]]


class Caddy:
    """``caddy run`` on the shipped Caddyfile, proxying to the collector on *upstream*."""

    def __init__(self, folder: Path, upstream: int) -> None:
        binary = shutil.which("caddy")
        if binary is None:
            unavailable("caddy is missing: install the Debian package caddy")
        self.port = free_port()
        self.log = folder / "caddy.log"
        self.public = folder / "public"
        self.public.mkdir(parents=True)
        (self.public / "index.html").write_text("<h1>napari usage</h1>")
        adapted = subprocess.run(
            [binary, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
            capture_output=True, text=True, check=True, cwd=folder,
        ).stdout  # fmt: skip
        config = folder / "caddy.json"
        config.write_text(json.dumps(self._local(json.loads(adapted), upstream)))
        env = {"HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", str(config)], stdout=self._out, stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", **env},
        )  # fmt: skip
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(self.log.read_text())

    def _local(self, config: dict[str, Any], upstream: int) -> dict[str, Any]:
        config["admin"] = {"disabled": True}
        for server in config["apps"]["http"]["servers"].values():
            server["listen"] = [f"127.0.0.1:{self.port}"]
            server["automatic_https"] = {"disable": True}
            server.pop("tls_connection_policies", None)
        text = json.dumps(config)
        assert text.count('"dial": "127.0.0.1:8000"') == 3  # the three level hosts
        text = text.replace('"dial": "127.0.0.1:8000"', f'"dial": "127.0.0.1:{upstream}"')
        text = text.replace('"/var/lib/napari-telemetry-public"', json.dumps(str(self.public)))
        local: dict[str, Any] = json.loads(text)
        return local

    def client(self, peer: str = "127.0.0.2") -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=peer)
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", transport=transport)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self._out.close()


@pytest.fixture
def collector(run_server: Callable[..., Process], tmp_path: Path, plugin_index: Path) -> Process:
    folder = tmp_path / "server"
    return run_server("--db", str(folder / "raw.sqlite"), "--log-dir", str(folder / "logs"),
                      "--plugin-index", str(plugin_index), "--rate-limit", "10",
                      "--metrics-port", str(free_port()))  # fmt: skip


@pytest.fixture
def caddy(collector: Process, tmp_path: Path) -> Iterator[Caddy]:
    front = Caddy(tmp_path / "caddy", collector.port)
    yield front
    front.stop()


def _post(client: httpx.Client, host: str, level: str, batch: dict[str, Any]) -> int:
    headers = {"Host": f"{host}.{HOST}"}
    return client.post(f"/v1/{level}/batches", json=batch, headers=headers).status_code


def _received(collector: Process) -> int:
    assert collector.metrics_url is not None
    return received(collector.metrics_url)


def test_each_level_has_its_host_and_each_host_only_its_level(
    caddy: Caddy, collector: Process, make_batch: MakeBatch
) -> None:
    with caddy.client() as client:
        for level in ("basic", "middle", "full"):
            assert _post(client, level, level, make_batch(level)) == 201
            others = {"basic", "middle", "full"} - {level}
            before = _received(collector)
            assert {_post(client, level, other, make_batch(other)) for other in others} == {404}
            assert _received(collector) == before  # refused by Caddy, never forwarded
            headers = {"Host": f"{level}.{HOST}"}
            assert client.get(f"/v1/schema/{level}", headers=headers).status_code == 200
            assert client.get("/healthz", headers=headers).json()["status"] == "ok"
        gone = {"user_ids": ["a" * 32]}
        deletion = client.post("/v1/deletion", json=gone, headers={"Host": f"basic.{HOST}"})
        assert deletion.status_code == 202
        assert client.get("/", headers={"Host": HOST}).text == "<h1>napari usage</h1>"
        big = b"{" + b" " * (1 << 20)  # one byte over the limit: Caddy streams, collector says
        headers = {"Host": f"full.{HOST}", "Content-Type": "application/json"}
        refused = client.post("/v1/full/batches", content=big, headers=headers)
        assert (refused.status_code, refused.json()) == (
            413,
            {"detail": "body is larger than 1048576 bytes"},
        )


def test_the_rate_limit_counts_the_client_caddy_saw(
    caddy: Caddy, collector: Process, make_batch: MakeBatch
) -> None:
    spoof = {"X-Forwarded-For": "198.51.100.7"}
    with caddy.client("127.0.0.2") as client:
        codes = [
            client.post("/v1/basic/batches", json=make_batch("basic"),
                        headers={"Host": f"basic.{HOST}", **spoof}).status_code
            for _ in range(12)
        ]  # fmt: skip
    assert codes == [201] * 10 + [429] * 2  # a header sent to Caddy names no other client
    with caddy.client("127.0.0.3") as other:
        assert _post(other, "basic", "basic", make_batch("basic")) == 201


def test_slow_clients_are_dropped_by_caddy_and_never_reach_the_collector(
    caddy: Caddy, collector: Process, make_batch: MakeBatch
) -> None:
    before = _received(collector)
    with ExitStack() as stack:
        held = []
        for i in range(600):  # more than the collector's 512 slots
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", caddy.port)))
            head = f"POST /v1/basic/batches HTTP/1.1\r\nHost: basic.{HOST}\r\n"
            if i % 10 == 0:  # a body that stops half-way instead of headers
                head += "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
            sock.sendall(head.encode())
            held.append(sock)
        with caddy.client() as client:  # while they are held, everyone else is served
            assert _post(client, "basic", "basic", make_batch("basic")) == 201
        assert all(dropped(sock) for sock in held)
    assert _received(collector) == before + 1


def test_caddy_logs_no_request_and_no_client_address(
    caddy: Caddy, collector: Process, make_batch: MakeBatch
) -> None:
    with caddy.client("127.0.0.2") as client:
        assert _post(client, "middle", "middle", make_batch("middle")) == 201
        assert _post(client, "middle", "full", make_batch("full")) == 404
        collector.stop()  # an error Caddy reports: the upstream is gone
        assert _post(client, "basic", "basic", make_batch("basic")) == 502
    caddy.stop()
    text = caddy.log.read_text()
    assert "dial tcp" in text  # the error was logged, without the request it came with
    for needle in ("127.0.0.2", "/v1/", "batches", "remote_ip", "python-httpx"):
        assert needle not in text, needle


def test_no_exact_count_reaches_a_public_host(caddy: Caddy, collector: Process) -> None:
    """The operators' counters listen on 127.0.0.1 alone, where no host name of Caddy's leads."""
    assert collector.metrics_url is not None
    assert received(collector.metrics_url) >= 0  # they are there, for the operator
    port = int(collector.metrics_url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError):  # bound to 127.0.0.1 only, not to every address
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
    with caddy.client() as client:
        for host in ("basic", "middle", "full"):
            headers = {"Host": f"{host}.{HOST}"}
            health = client.get("/healthz", headers=headers)
            assert (health.status_code, health.json()) == (200, {"status": "ok"})
            for path in ("/metrics", f"/metrics:{port}", "/debug/metrics"):
                answer = client.get(path, headers=headers)
                assert answer.status_code == 404
                assert "napari_telemetry_" not in answer.text
        for path in ("/metrics", "/healthz"):
            assert client.get(path, headers={"Host": HOST}).status_code == 404
