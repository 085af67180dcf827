"""Collector settings: environment variables ``NAPARI_TELEMETRY_SERVER_*`` or CLI options."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
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
    log_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        description="Folder of the daily-rotated log (14 days kept).",
    )
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest body, raw or inflated.")
    rate_limit: int = Field(
        120, ge=1, description="Requests one client address may make per window (in memory only)."
    )
    rate_window: float = Field(60.0, gt=0, description="Length of a rate-limit window, seconds.")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (a FastAPI dependency; tests override it)."""
    return Settings()
