"""Collector settings: environment variables ``NAPARI_TELEMETRY_SERVER_*`` or CLI options."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "napari-telemetry-server"


def data_dir() -> Path:
    """The operator's data folder for the raw database and the plugin index."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """How the collector runs; every field can be set as ``NAPARI_TELEMETRY_SERVER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="NAPARI_TELEMETRY_SERVER_", frozen=True)

    db: str = Field(
        default_factory=lambda: str(data_dir() / "raw.sqlite"),
        description="Raw database: a SQLite file path or a postgresql:// URL.",
    )
    plugin_index: Path = Field(
        default_factory=lambda: data_dir() / "public_plugins.json",
        description="The public plugin index (npe2api extended_summary.json) the operator "
        "refreshes; middle-level plugin records not listed there are dropped.",
    )
    collection_dir: Path = Field(
        default_factory=lambda: data_dir() / "collection",
        description="Folder of the signed collection manifests (`collection sign` writes "
        "them): `GET /v1/collection` serves the newest, and full-level counter records that "
        "no manifest in force in their week approves are dropped.",
    )
    log_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        description="Folder of the daily-rotated log (14 days kept).",
    )
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest body, raw or inflated.")
    rate_limit: int = Field(
        120, ge=1, description="Requests one client address may make per window (in memory only)."
    )
    rate_window: float = Field(60.0, gt=0, description="Length of a rate-limit window, seconds.")
    deletion_limit: int = Field(
        30,
        ge=12,  # one whole deletion request (12 ids) always fits
        description="Weekly ids one client address may ask to delete per window (each one "
        "becomes a tombstone for 9 weeks).",
    )
    trusted_proxies: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For names the client (for the rate limit only); empty trusts none. The "
        "default fits a proxy on the same host.",
    )
    wal_limit: int = Field(
        64 << 20,
        ge=1 << 20,
        description="Bytes SQLite's write-ahead log may reach before ingest waits for a "
        "truncating checkpoint; also its size after a checkpoint (journal_size_limit).",
    )
    request_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a request may take to arrive in full, headers and body; the "
        "connection of a slower one is dropped.",
    )

    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the operators' counters (Prometheus text format) on 127.0.0.1 "
        "only; off when unset. Never proxied: the shipped Caddyfile has no route to it.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        for part in proxy_list(value):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as e:
                raise ValueError(f"not an IP address or network: {part!r}") from e
        return value


def proxy_list(value: str) -> list[str]:
    """The entries of a comma-separated ``trusted_proxies`` value."""
    return [part.strip() for part in value.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (a FastAPI dependency; tests override it)."""
    return Settings()
