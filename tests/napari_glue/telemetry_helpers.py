"""Helpers of the napari-integration tests: a fake index server, consent, pending records, and a
local plugin "installed" at a development version in a temporary site folder."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry.core import _consent, _store
from napari_telemetry.schema import Level

DATA = Path(__file__).parent / "data"
SHARED_INDEX = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "napari-plugin-index"
)


@dataclass
class Answer:
    status: int
    body: bytes
    retry_after: float | None = None


class FakeFetcher:
    """Serves the index (or fails) and remembers every URL it was asked for."""

    def __init__(self, body: bytes | None = None, status: int = 200) -> None:
        self.body = body if body is not None else (DATA / "extended_summary.json").read_bytes()
        self.status = status
        self.urls: list[str] = []

    def get(self, url: str, headers: Any, timeout: float) -> Answer:
        assert timeout > 0
        self.urls.append(url)
        return Answer(self.status, self.body)


def consent(level: Level) -> None:
    """Record consent at *level* (what the dialog's choice does)."""
    _consent.record_consent(level)


def pending(flush: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Pending records by type, as the preview (what would be sent) shows them."""
    if flush:
        _store.get_recorder().flush(timeout=5)
    out: dict[str, list[dict[str, Any]]] = {}
    for batch in _store.preview():
        for record in batch["records"]:
            out.setdefault(record["type"], []).append(record)
    return out


_DEVPLUG_YAML = """\
name: napari-devplug
display_name: dev plugin
contributions:
  commands:
    - id: napari-devplug.hello
      title: Hello
      python_name: napari_devplug:hello
"""


def make_site(root: Path) -> Path:
    """A site folder with napari-devplug 0.1.0.dev3 and a plugin whose manifest is broken."""
    site = root / "site"
    _package(site, "napari_devplug", "napari-devplug", "0.1.0.dev3", _DEVPLUG_YAML)
    broken = "name: some-other-name\ncontributions: {commands: [{id: 1}]}\n"
    _package(site, "napari_broken", "napari-broken", "1.0.0", broken)
    return site


def _package(site: Path, module: str, dist: str, version: str, manifest: str) -> None:
    pkg = site / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("def hello():\n    return 'hello'\n")
    (pkg / "napari.yaml").write_text(manifest)
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    meta = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
    (info / "METADATA").write_text(meta)
    entry = f"[napari.manifest]\n{dist} = {module}:napari.yaml\n"
    (info / "entry_points.txt").write_text(textwrap.dedent(entry))


def shared_summary() -> list[Any]:
    """The real 660-plugin snapshot (skips when this checkout does not have it)."""
    path = SHARED_INDEX / "extended_summary.json"
    if not path.is_file():
        pytest.skip(f"the shared plugin-index snapshot is not here ({SHARED_INDEX.name})")
    return json.loads(path.read_text())  # type: ignore[no-any-return]
