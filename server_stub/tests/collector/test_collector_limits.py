"""Rate limits over real HTTP: which address counts, IPv6 by /64, deletions by ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from napari_telemetry_server import Settings
from tests.collector_testing import LiveServer

MakeBatch = Callable[..., dict[str, Any]]


def _limited(serve: Callable[..., LiveServer], settings: Settings, **update: Any) -> LiveServer:
    return serve(settings.model_copy(update={"rate_limit": 5, **update}))


def _statuses(
    server: LiveServer, batches: list[dict[str, Any]], forwarded: list[str], peer: str
) -> list[int]:
    transport = httpx.HTTPTransport(local_address=peer)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        return [
            client.post(
                "/v1/basic/batches", json=batch, headers={"X-Forwarded-For": address}
            ).status_code
            for batch, address in zip(batches, forwarded, strict=True)
        ]


def test_ipv6_clients_of_one_64_share_a_counter(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    server = _limited(serve, settings)  # the default trusts a proxy on 127.0.0.1 / ::1
    batches = [make_batch("basic") for _ in range(9)]
    one_64 = [f"2001:db8:5:6:{i:x}::{i + 1:x}" for i in range(8)]
    codes = _statuses(server, batches, [*one_64, "2001:db8:5:7::1"], "127.0.0.1")
    assert codes == [201] * 5 + [429] * 3 + [201]  # the next /64 is another subscriber


def test_ipv4_mapped_and_plain_ipv4_are_one_client(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    server = _limited(serve, settings)
    batches = [make_batch("basic") for _ in range(6)]
    forwarded = ["192.0.2.7", "::ffff:192.0.2.7"] * 3
    assert _statuses(server, batches, forwarded, "127.0.0.1")[-1] == 429


@pytest.mark.parametrize(
    ("trusted", "peer"),
    [("", "127.0.0.1"), ("127.0.0.1", "127.0.0.2"), ("10.0.0.0/8, 127.0.0.3", "127.0.0.2")],
)
def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
    serve: Callable[..., LiveServer],
    settings: Settings,
    make_batch: MakeBatch,
    trusted: str,
    peer: str,
) -> None:
    server = _limited(serve, settings, trusted_proxies=trusted)
    batches = [make_batch("basic") for _ in range(8)]
    spoofed = [f"198.51.100.{i}" for i in range(8)]  # a fresh "client" every request
    codes = _statuses(server, batches, spoofed, peer)  # the peer is not a trusted proxy
    assert codes == [201] * 5 + [429] * 3


def test_a_trusted_proxy_in_a_network_forwards_its_clients(
    serve: Callable[..., LiveServer], settings: Settings, make_batch: MakeBatch
) -> None:
    server = _limited(serve, settings, trusted_proxies="127.0.0.0/30")
    batches = [make_batch("basic") for _ in range(8)]
    clients = [f"198.51.100.{i}" for i in range(8)]
    assert _statuses(server, batches, clients, "127.0.0.2") == [201] * 8


@pytest.mark.parametrize("bad", ["*", "localhost", "127.0.0.1, 300.1.1.1"])
def test_trusted_proxies_must_be_addresses_or_networks(bad: str) -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(trusted_proxies=bad)


def test_deleted_ids_per_client_are_bounded(
    serve: Callable[..., LiveServer], settings: Settings
) -> None:
    server = serve(settings.model_copy(update={"deletion_limit": 12}))
    ids = [f"{i:032x}" for i in range(14)]
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/v1/deletion", json={"user_ids": ids[:12]}).status_code == 202
        refused = client.post("/v1/deletion", json={"user_ids": ids[12:13]})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=server.url, transport=other) as client:
        assert client.post("/v1/deletion", json={"user_ids": ids[13:]}).status_code == 202
    assert server.app.state.resources.storage().counts()["tombstones"] == 13


@pytest.mark.parametrize(
    ("client", "key"),
    [
        (("192.0.2.1", 1), "192.0.2.1"),
        (("2001:db8::1", 1), "20010db800000000::/64"),
        (("2001:DB8:0:0:ffff::1", 1), "20010db800000000::/64"),
        (("::ffff:192.0.2.1", 1), "192.0.2.1"),
        (("not-an-address", 1), "not-an-address"),
        (None, "-"),
    ],
)
def test_client_key(client: tuple[str, int] | None, key: str) -> None:
    from napari_telemetry_server.collector._limits import client_key

    assert client_key({"type": "http", "client": client}) == key
