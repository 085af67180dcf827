"""The cached public plugin index: a line per plugin, read only for napari's installed plugins."""

from __future__ import annotations

from datetime import date, timedelta

from napari_telemetry.core import _paths, _public_index, state


def test_a_launch_reads_only_the_installed_plugins_lines() -> None:
    _public_index.write_cache({"plugin-7": ["1.0", "0.9"], "plugin-8": ["2.0"]}, date.today())
    state.index_scope = frozenset({"plugin-7"})  # what keep_only says before the first read
    index = _public_index.current()
    assert index is not None
    assert index.versions == {"plugin-7": frozenset({"0.9", "1.0"})}
    assert index.fetched == date.today()
    assert not _public_index.needs_refresh(date.today())
    assert _public_index.needs_refresh(date.today() + timedelta(days=7))


def test_names_and_versions_with_spaces_are_dropped_not_split() -> None:
    """A hostile index's "1.0 2.0" must not make 2.0 public."""
    _public_index.write_cache({"a": ["1.0 2.0", "3.0"], "b c": ["1.0"]}, date.today())
    index = _public_index.current()
    assert index is not None
    assert index.versions == {"a": frozenset({"3.0"})}


def test_a_cache_of_the_old_format_is_fetched_again() -> None:
    """Version 1 kept the versions inside the JSON file: unused, and due for a fetch."""
    old = {"version": 1, "fetched": date.today().isoformat(), "plugins": {"a": ["1.0"]}}
    _paths.write_json(_public_index._cache_file(), old)
    assert _public_index.current() is None
    assert _public_index.needs_refresh(date.today())


def test_lines_without_their_date_are_not_used() -> None:
    """The date is written after the lines: lines alone (a write cut short) are not an index."""
    _public_index.write_cache({"a": ["1.0"]}, date.today())
    _public_index._cache_file().unlink()
    assert _public_index.current() is None
