"""Operators' counters, in the Prometheus text format their monitoring reads.

Requests by route, refusals by status, batches by level and outcome, records left out, deleted
ids: counts only, never an address, an id or a path beyond the route names below. They are not
on the app the proxy serves: ``serve --metrics-port N`` exposes them on 127.0.0.1:N alone, a
listener the shipped Caddyfile has no route to (it proxies whole host names to the app's port),
so the public sees no exact count of anything; ``/healthz`` says only whether a batch can be
stored.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, ProcessCollector, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from napari_telemetry.schema import SENDING_LEVELS
from napari_telemetry_server.storage import Outcome

LOOPBACK = "127.0.0.1"
ROUTES = ("batches", "deletion", "schema", "other")


def route_of(path: str) -> str | None:
    """The route name a request is counted under; None for the health check (not counted)."""
    if path == "/healthz":
        return None
    if path.startswith("/v1/") and path.endswith("/batches"):
        return "batches"
    if path == "/v1/deletion":
        return "deletion"
    return "schema" if path.startswith("/v1/schema/") else "other"


class Metrics:
    """The counters of one collector process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "napari_telemetry_requests", "Requests received, health checks excepted, by route",
            ["route"], registry=r,
        )  # fmt: skip
        self.refused = Counter(
            "napari_telemetry_refused", "Requests answered with an error, by HTTP status",
            ["status"], registry=r,
        )  # fmt: skip
        self.batches = Counter(
            "napari_telemetry_batches", "Valid batches by level and outcome: stored, known (a "
            "retry, or a deleted id's), conflict (a batch id reused with other content)",
            ["level", "outcome"], registry=r,
        )  # fmt: skip
        self.dropped = Counter(
            "napari_telemetry_dropped_records", "Records of stored batches left out: names not "
            "in the public plugin index, counters the collection manifest does not approve",
            registry=r,
        )  # fmt: skip
        self.deleted = Counter(
            "napari_telemetry_deleted_ids", "Weekly ids in accepted deletion requests", registry=r
        )
        ProcessCollector(registry=r)  # CPU, memory, open files of the collector itself
        for route in ROUTES:
            self.requests.labels(route)
        for level in SENDING_LEVELS:
            for outcome in Outcome:
                self.batches.labels(level.value, outcome.value)

    def count(self, level: str, outcome: Outcome) -> None:
        """One valid batch of *level* and what became of it."""
        self.batches.labels(level, outcome.value).inc()


class MetricsMiddleware:
    """Count each request by route, and its status when it is an error."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = route_of(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        self.metrics.requests.labels(route).inc()

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.metrics.refused.labels(str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


def serve_metrics(metrics: Metrics, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve *metrics* on 127.0.0.1:*port* (0: any free port) from a daemon thread."""
    return start_http_server(port, addr=LOOPBACK, registry=metrics.registry)
