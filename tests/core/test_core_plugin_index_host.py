"""The public plugin-index host: listed by `endpoints`, pointed at a mirror or switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from e2e.e2e_support import INDEX, IndexServer
from napari_telemetry._cli import main
from napari_telemetry.core import _paths, _public_index, _switches


class Fetcher:
    """Remembers every URL it is asked for (a request would have left the computer)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def get(self, url: str, headers: Any, timeout: float) -> Any:
        self.urls.append(url)
        raise AssertionError(f"fetched {url!r} although the index is switched off")


def _policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **content: object) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"version": 1, **content}))
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(path))


def _index_line(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["endpoints"]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("index")]
    return line


def test_the_real_cli_lists_the_public_index_host() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NAPARI_TELEMETRY_INDEX_URL"}
    tool = Path(sys.executable).parent / "napari-telemetry"
    done = subprocess.run([tool, "endpoints"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("index"))
    assert line.startswith("index   https://api.napari.org  GET /api/extended_summary  ")
    assert "weekly at middle and full" in line


@pytest.mark.parametrize(
    ("env", "policy", "shown"),
    [
        ("https://mirror.example.org/npe2/summary", {}, "https://mirror.example.org  GET /npe2"),
        ("", {"plugin_index": "https://plugins.example.org/x"}, "https://plugins.example.org"),
        ("https://mine.example.org/x", {"plugin_index": "off"}, "https://mine.example.org"),
        ("off", {}, "switched off"),
        ("0", {"plugin_index": "https://plugins.example.org/x"}, "switched off"),
        ("", {"plugin_index": "OFF"}, "switched off"),
        ("ftp://nope", {}, "switched off"),  # not an http(s) URL: nothing is fetched
    ],
)
def test_a_mirror_or_off_from_the_environment_or_the_site_policy(
    env: str,
    policy: dict[str, object],
    shown: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NAPARI_TELEMETRY_INDEX_URL", env)
    _policy(tmp_path, monkeypatch, **policy)
    assert shown in _index_line(capsys)


def test_switched_off_nothing_is_fetched_and_no_cache_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _paths.write_json(
        _paths.cache_dir() / "public_plugins.json",
        {"version": 1, "fetched": str(date.today()), "plugins": {"napari-svg": ["0.2.1"]}},
    )
    monkeypatch.setenv("NAPARI_TELEMETRY_INDEX_URL", "off")
    fetcher = Fetcher()
    assert _public_index.refresh(fetcher) is None
    assert _public_index.refresh_in_background(fetcher=fetcher) is None
    assert _public_index.current() is None  # so no plugin is named
    assert fetcher.urls == []


def test_a_mirror_in_the_site_policy_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NAPARI_TELEMETRY_INDEX_URL")
    with IndexServer(INDEX) as url:
        _policy(tmp_path, monkeypatch, plugin_index=url)
        index = _public_index.refresh()  # the real transport, over HTTP on 127.0.0.1
    assert index is not None
    assert index.is_public_stable("napari-svg", "0.2.1")


def test_a_nonsense_policy_value_turns_telemetry_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _policy(tmp_path, monkeypatch, plugin_index=["https://a.example.org"])
    policy = _switches.policy()
    assert policy.max_level is not None
    assert policy.max_level.value == "none"
    assert "plugin_index must be an http(s) URL or" in str(policy.problem)
