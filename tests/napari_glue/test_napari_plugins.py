"""middle: installed plugins that are public and stable, from npe2's real plugin manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import npe2

from napari_telemetry._napari._plugins import CommandOwners, installed_public_plugins
from napari_telemetry.schema import PublicIndex, normalized_name, parse_summary

from .telemetry_helpers import make_site, shared_summary


def _discovered(tmp_path: Path) -> list[Any]:
    pm = npe2.PluginManager()
    pm.discover(paths=[str(make_site(tmp_path))])
    return list(pm.iter_manifests())


def test_public_stable_plugins_only(tmp_path: Path, small_index: PublicIndex) -> None:
    manifests = _discovered(tmp_path)
    names = {m.name for m in manifests}
    assert {
        "napari",
        "napari-svg",
        "napari-console",
        "napari-devplug",
        "napari-telemetry",
    } <= names
    assert "napari-broken" not in names  # its manifest failed to load: npe2 skipped it
    assert installed_public_plugins(manifests, small_index) == [
        ("napari-console", "0.1.5"),
        ("napari-svg", "0.2.1"),
    ]


class Exploding:
    """A manifest whose metadata raises when read."""

    name = "napari-svg"
    visibility = "public"

    @property
    def package_metadata(self) -> Any:
        raise RuntimeError("broken metadata")


class Hidden:
    name = "napari-svg"
    visibility = "hidden"
    package_metadata = type("Meta", (), {"version": "0.2.1"})()


class NoMetadata:
    name = "napari-console"
    package_metadata = None


def test_broken_hidden_or_unversioned_manifests_are_skipped(small_index: PublicIndex) -> None:
    assert installed_public_plugins([Exploding(), Hidden(), NoMetadata()], small_index) == []


def test_with_the_real_index_snapshot(tmp_path: Path) -> None:
    index = PublicIndex(parse_summary(shared_summary()), __import__("datetime").date.today())
    got = dict(installed_public_plugins(_discovered(tmp_path), index))
    assert "napari-devplug" not in got
    assert "napari" not in got
    for name, version in got.items():
        assert name == normalized_name(name)
        assert index.is_public_stable(name, version)


def test_command_owners_are_the_plugins_middle_names(
    tmp_path: Path, small_index: PublicIndex
) -> None:
    """A command's owner is named exactly when ``middle`` names its plugin: napari-devplug is in
    the index but installed at 0.1.0.dev3, so its command is not counted (it was)."""
    manifests = _discovered(tmp_path)
    public = frozenset(name for name, _ in installed_public_plugins(manifests, small_index))
    owner = CommandOwners(public)
    assert owner("napari-devplug.hello") is None
    assert owner("napari-svg.svg_writer") == "napari-svg"
    for manifest in manifests:
        expected = "napari" if manifest.name == "napari" else manifest.name
        for command in manifest.contributions.commands or ():
            named = owner(command.id)
            assert named == (expected if expected in public | {"napari"} else None), command.id
