"""Helpers of the plugin-counter tests: operators' keys, signed manifests, the example plugins.

Manifests are signed with the collector's own signing function (``napari_telemetry_server.keys``),
so the client is tested against what the collector really writes.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from napari_telemetry.core import telemetry
from napari_telemetry.counters import _door
from napari_telemetry_server.keys import public_pem, signature

EXAMPLE = "napari-counter-example"
REVIEW = "https://github.com/napari/napari-telemetry-collection/pull/1"


def approved_example(**changes: Any) -> dict[str, Any]:
    """The operators' approval of the example plugin: what its tests expect to be counted.

    `models` is approved without `tissue`; `old_viewer` is approved until next year, but the
    installed declaration says it ended on 2026-01-01.
    """
    later = str(date.today() + timedelta(days=300))
    counters: dict[str, Any] = {
        "segmentations": {"description": "How often a segmentation ran, whatever the data.",
                          "labels": [], "expires": later},
        "models": {"description": "Which pretrained model a segmentation used, by name.",
                   "labels": ["cyto", "nuclei"], "expires": later},
        "old_viewer": {"description": "How often the old viewer mode was used, before.",
                       "labels": [], "expires": later},
    }  # fmt: skip
    counters.update(changes)
    return {EXAMPLE: {"review": REVIEW, "counters": counters}}


def signed(
    plugins: dict[str, Any],
    *keys: Ed25519PrivateKey,
    version: int = 1,
    issued: date | None = None,
    expires: date | None = None,
) -> dict[str, Any]:
    """A collection manifest signed by *keys*, as ``collection sign`` writes it."""
    issued = issued or date.today()
    body = {
        "type": "napari-telemetry-collection", "spec_version": 1, "version": version,
        "issued": str(issued), "expires": str(expires or issued + timedelta(days=60)),
        "plugins": plugins,
    }  # fmt: skip
    return {"signed": body, "signatures": [signature(body, key) for key in keys]}


def trust(monkeypatch: pytest.MonkeyPatch, folder: Path, *keys: Ed25519PrivateKey) -> Path:
    """Make the client trust *keys* (NAPARI_TELEMETRY_COLLECTION_KEYS) instead of the shipped."""
    path = folder / "trusted.pem"
    path.write_bytes(b"".join(public_pem(k) for k in keys))
    monkeypatch.setenv("NAPARI_TELEMETRY_COLLECTION_KEYS", str(path))
    return path


@dataclass
class Answer:
    status: int
    body: bytes
    retry_after: float | None = None


@dataclass
class ManifestServer:
    """Serves a manifest (or fails) and remembers every URL it was asked for."""

    document: Any = None
    status: int = 200
    raw: bytes | None = None
    urls: list[str] = field(default_factory=list)

    def get(self, url: str, headers: Any, timeout: float) -> Answer:
        assert timeout > 0
        self.urls.append(url)
        body = self.raw if self.raw is not None else json.dumps(self.document).encode()
        return Answer(self.status, body)


def use_site(monkeypatch: pytest.MonkeyPatch, site: Path) -> None:
    """Put the installed example plugins on this process's path."""
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()


def example() -> Any:
    """The example plugin's package (imported from the example site)."""
    return importlib.import_module("napari_counter_example")


def wait_for_door(timeout: float = 10.0) -> None:
    """Wait until the plugins' counting door reached the core's gate (its first count)."""
    deadline = time.monotonic() + timeout
    while _door.gate is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _door.gate is not None, "the counting door never reached the gate"


def counted() -> dict[tuple[str, str, str], int]:
    """The counter records that would be sent now, by (plugin, counter, label)."""
    telemetry.recorder().flush(timeout=5)
    return {
        (r["plugin"], r["counter"], r["label"]): r["count"]
        for batch in telemetry.preview()
        for r in batch["records"]
        if r["type"] == "counter"
    }


def forget_example_modules() -> None:
    """Drop the example plugins' modules: the next test imports them with its own door."""
    for name in [m for m in sys.modules if m.startswith("napari_counter_")]:
        del sys.modules[name]
