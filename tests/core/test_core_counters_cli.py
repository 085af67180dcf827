"""``napari-telemetry counters``: lint, list, enable, disable; what status and endpoints say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from napari_telemetry._cli import main
from napari_telemetry.core import telemetry
from napari_telemetry.core._counters import _manifest
from napari_telemetry.schema import Level

from .counter_helpers import (
    EXAMPLE,
    ManifestServer,
    approved_example,
    forget_example_modules,
    signed,
    trust,
    use_site,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "example_plugins"
DECLARED = EXAMPLES / "napari-counter-example/src/napari_counter_example/napari-telemetry.toml"


def lint(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "napari-telemetry.toml"
    path.write_text(text)
    code = main(["counters", "lint", str(path)])
    return code, capsys.readouterr().out


GOOD = f"""\
plugin = "napari-example"

[counters.segmentations]
description = "How often a segmentation ran, by the model it used."
labels = ["cyto", "nuclei"]
owner = "maintainers@example.org"
expires = {date.today() + timedelta(days=200)}
data_category = "interaction"
"""


def test_lint_says_valid_and_names_each_counter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = lint(tmp_path, GOOD, capsys)
    assert code == 0
    assert out == (
        "✔ Counters of 'napari-example' valid! napari-example.segmentations (2 labels)\n"
    )


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (("labels = [\"cyto\", \"nuclei\"]", 'labels = ["cyto", "my model"]'),
         "counters.segmentations.labels.1", "never free text"),
        (("labels = [\"cyto\", \"nuclei\"]", 'labels = ["cyto", "Cyto"]'),
         "counters.segmentations.labels", "differ only by case or punctuation"),
        (("labels = [\"cyto\", \"nuclei\"]", 'labels = ["cyto", "42"]'),
         "counters.segmentations.labels.1", "a bare number is not a label"),
        (('"interaction"', '"highly_sensitive"'),
         "counters.segmentations.data_category", "'technical' or 'interaction'"),
        (('"maintainers@example.org"', '"someone"'),
         "counters.segmentations.owner", "an e-mail address or an https:// address"),
        (('plugin = "napari-example"', 'plugin = "Napari_Example"'),
         "plugin", "write the plugin's normalized distribution name, 'napari-example'"),
        (("[counters.segmentations]", "[counters.Segmentations]"),
         "counters.Segmentations", "lower-case letters"),
        (("description = \"How often a segmentation ran, by the model it used.\"",
          "description = \"todo\""),
         "counters.segmentations.description", "a sentence a user can follow"),
        ((f"expires = {date.today() + timedelta(days=200)}", "expires = 2020-01-01"),
         "counters.segmentations.expires", "expired on 2020-01-01"),
        ((f"expires = {date.today() + timedelta(days=200)}", "expires = 2099-01-01"),
         "counters.segmentations.expires", "more than two years away"),
        (('data_category = "interaction"', 'data_category = "interaction"\nurl = "x"'),
         "counters.segmentations.url", "is not a key this file may have"),
        (("[counters.segmentations]", "[counters.segmentations]\n[counters.segmentations]"),
         "file", "not valid TOML"),
    ],
    ids=["free text", "near duplicate", "number", "category", "owner", "plugin name",
         "counter name", "placeholder", "expired", "too far", "unknown key", "duplicate"],
)  # fmt: skip
def test_lint_says_where_and_what_is_wrong(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    where: str,
    says: str,
) -> None:
    code, out = lint(tmp_path, GOOD.replace(*change), capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("🅇 Invalid! 1 problem(s) in napari-telemetry.toml:")
    assert lines[1] == where
    assert says in lines[2]


def test_lint_warns_about_names_that_sound_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = lint(tmp_path, GOOD.replace("[counters.segmentations]", "[counters.file_path]"),
                     capsys)  # fmt: skip
    assert code == 0
    assert "warning: counters.file_path: mentions file, path: a count must never name" in out


def test_lint_of_a_missing_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["counters", "lint", str(tmp_path / "nope.toml")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_the_example_plugin_declaration_lints_with_its_one_expired_counter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["counters", "lint", str(DECLARED)]) == 1
    out = capsys.readouterr().out
    assert "counters.old_viewer.expires\n  expired on 2026-01-01" in out


@pytest.fixture
def installed(
    monkeypatch: pytest.MonkeyPatch, example_site: Path, tmp_path: Path
) -> Iterator[Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    use_site(monkeypatch, example_site)
    trust(monkeypatch, tmp_path, key)
    telemetry.record_consent(Level.FULL)
    _manifest.refresh(ManifestServer(signed(approved_example(), key)))
    yield key
    forget_example_modules()


@pytest.mark.usefixtures("installed")
def test_list_enable_disable_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["counters", "list"]) == 0
    out = capsys.readouterr().out
    assert f"Manifest: collection manifest version 1 of {date.today()}." in out
    assert f"{EXAMPLE}: off (reviewed at https://github.com/" in out
    assert "  models (labels cyto, nuclei; until " in out
    assert "old_viewer" not in out  # its declared end has passed: not offered
    assert "Declared, none approved (never counted): napari-counter-rogue" not in out
    assert "Problem: napari-counter-rogue: napari-telemetry.toml is ignored" in out

    assert main(["counters", "enable", "Napari_Counter_Example"]) == 0
    assert "may now count" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert f"Plugin counters: {EXAMPLE} on" in capsys.readouterr().out

    assert main(["counters", "disable", EXAMPLE]) == 0
    assert "counts nothing more" in capsys.readouterr().out
    assert main(["counters", "enable", "napari-svg"]) == 1
    assert "'napari-svg' has no approved counters installed here" in capsys.readouterr().err


@pytest.mark.usefixtures("installed")
def test_list_says_when_the_level_is_not_full(capsys: pytest.CaptureFixture[str]) -> None:
    telemetry.record_consent(Level.MIDDLE)
    assert main(["counters", "list"]) == 0
    assert "Plugins count only at the full level; telemetry is at middle here." in (
        capsys.readouterr().out
    )


def test_endpoints_list_the_collection_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["endpoints"]) == 0
    assert "counter http://127.0.0.1:9  GET /full/v1/collection" in capsys.readouterr().out


def test_list_without_any_manifest_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["counters", "list"]) == 0
    out = capsys.readouterr().out
    assert "Manifest: no collection manifest in use: none was fetched yet." in out
    assert "No installed plugin has approved counters." in out
