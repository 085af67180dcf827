"""The public plugin index: the stable+public rule, the weekly cache, failure = nothing public."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from napari_telemetry.core import _paths, _public_index
from napari_telemetry.schema import PublicIndex, is_stable, parse_summary

from .telemetry_helpers import FakeFetcher, shared_summary

TODAY = date(2026, 11, 28)


def test_stable_means_no_pre_dev_or_local_part() -> None:
    assert is_stable("0.2.1")
    assert not any(map(is_stable, ["0.3.0rc1", "1.1.0a1", "0.1.0.dev3", "1.0+local", "x.y"]))


def test_public_and_stable_rule(small_index: PublicIndex) -> None:
    assert small_index.is_public_stable("napari-svg", "0.2.1")
    assert small_index.is_public_stable("napari_SVG", "0.2.1")  # normalized before lookup
    assert not small_index.is_public_stable("napari-svg", "0.3.0rc1")  # listed, but a pre-release
    assert not small_index.is_public_stable("napari-svg", "0.9.0")  # not a listed version
    assert not small_index.is_public_stable("napari-devplug", "0.1.0.dev3")
    assert small_index.is_public_stable("AlveolEye", "1.0.0")
    assert not small_index.is_public_stable("not-listed", "1.0.0")
    assert not small_index.is_public_stable("napari-svg", None)


def test_malformed_entries_are_skipped_and_a_wrong_shape_raises() -> None:
    got = parse_summary([{"name": "Ok_Name", "pypi_versions": ["1", 2]}, "junk", {"name": "x"}])
    assert got == {"ok-name": frozenset({"1"})}
    with pytest.raises(ValueError, match="not a list"):
        parse_summary({"plugins": []})


def test_refresh_caches_compactly_and_is_weekly(small_index: PublicIndex) -> None:
    cached = _public_index.load_cached()
    assert cached is not None
    assert cached.versions == small_index.versions
    assert not _public_index.needs_refresh(small_index.fetched + timedelta(days=6))
    assert _public_index.needs_refresh(small_index.fetched + timedelta(days=7))


@pytest.mark.parametrize(
    "fetcher", [FakeFetcher(status=503), FakeFetcher(body=b"<html>"), FakeFetcher(body=b"{}")]
)
def test_failure_keeps_the_old_cache_and_waits_a_day(fetcher: FakeFetcher) -> None:
    assert _public_index.refresh(fetcher, today=TODAY) is None
    assert fetcher.urls == ["http://127.0.0.1:9/index"]  # the tests' dead port, never the internet
    assert _public_index.load_cached() is None  # nothing public
    assert not _public_index.needs_refresh(TODAY)
    assert _public_index.needs_refresh(TODAY + timedelta(days=1))


def test_unavailable_index_means_nothing_is_public() -> None:
    assert _public_index.current() is None


def test_corrupt_cache_is_ignored() -> None:
    path = _paths.cache_dir() / "public_plugins.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert _public_index.load_cached() is None
    path.write_text(json.dumps({"version": 1, "fetched": "yesterday", "plugins": {}}))
    assert _public_index.load_cached() is None


def test_background_refresh_delivers_the_index_off_the_calling_thread() -> None:
    got: list[PublicIndex] = []
    thread = _public_index.refresh_in_background(on_done=got.append, fetcher=FakeFetcher())
    assert thread is not None
    thread.join(10)
    assert got
    assert got[0].is_public("napari-console")
    assert _public_index.refresh_in_background(fetcher=FakeFetcher()) is None  # fresh: not due


def test_the_real_snapshot_traps() -> None:
    data = shared_summary()
    index = PublicIndex(parse_summary(data), TODAY)
    assert len(index.versions) == len(data)
    renamed = next(e for e in data if e["name"] != e["normalized_name"])
    stable = next(v for v in renamed["pypi_versions"] if is_stable(v))
    assert index.is_public_stable(renamed["name"], stable)
    pre = next(
        (e["normalized_name"], v) for e in data for v in e["pypi_versions"] if not is_stable(v)
    )
    assert not index.is_public_stable(*pre)
