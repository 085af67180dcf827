"""The files a research-software project carries: valid, consistent, and pointing at real files.

CITATION.cff, the GitHub workflows and Dependabot's file are checked against the schemas that
check-jsonschema ships (nothing is downloaded); CHANGELOG.md keeps Keep a Changelog's shape; every
project URL into this repository names a file that exists; the napari hub's files hold only
what the hub reads.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECK = Path(sys.executable).parent / "check-jsonschema"
REPO = "https://github.com/napari/napari-telemetry"


def _check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(CHECK), "--builtin-schema", schema, *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.citation-file-format", ["CITATION.cff"]),
        (
            "vendor.github-workflows",
            sorted(str(p) for p in (ROOT / ".github/workflows").glob("*.yml")),
        ),
        ("vendor.dependabot", [".github/dependabot.yml"]),
    ],
)
def test_files_match_their_schema(schema: str, files: list[str]) -> None:
    assert files
    done = _check(schema, *(ROOT / f for f in files))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_citation_without_authors_is_refused(tmp_path: Path) -> None:
    """The control: the same check fails on a broken copy."""
    broken = tmp_path / "CITATION.cff"
    text = (ROOT / "CITATION.cff").read_text()
    broken.write_text(re.sub(r"authors:\n(  - .*\n)+", "", text))
    assert "\nauthors:" not in broken.read_text()
    done = _check("vendor.citation-file-format", broken)
    assert done.returncode == 1
    assert "authors" in done.stdout + done.stderr


def test_the_changelog_keeps_its_shape() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## (.*)$", text, flags=re.MULTILINE)
    assert versions[0] == "[Unreleased]"
    for heading in versions[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - (\d{4}-\d{2}-\d{2}|not yet released)", heading)
    kinds = set(re.findall(r"^### (.*)$", text, flags=re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _urls() -> dict[str, str]:
    found = {}
    for pyproject in (ROOT / "pyproject.toml", ROOT / "server_stub" / "pyproject.toml"):
        urls = tomllib.loads(pyproject.read_text())["project"]["urls"]
        found.update({f"{pyproject.parent.name}: {k}": v for k, v in urls.items()})
    return found


def test_project_urls_into_this_repository_name_files_that_exist() -> None:
    urls = _urls()
    inside = {k: v for k, v in urls.items() if v.startswith(f"{REPO}/")}
    assert len(inside) >= 6
    for name, url in inside.items():
        where = re.fullmatch(rf"{REPO}/(?:blob|tree)/main/(.+)|{REPO}/issues", url)
        assert where, (name, url)
        if where.group(1):
            assert (ROOT / where.group(1)).exists(), (name, url)
    plugin = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    # The names the napari hub shows: Report Issues, Source Code (where it finds this repository)
    assert {"Documentation", "Bug Tracker", "Source Code", "User Support"} <= set(plugin)


def test_the_napari_hub_files_hold_what_the_hub_reads() -> None:
    description = (ROOT / ".napari-hub" / "DESCRIPTION.md").read_text()
    # The hub ignores a description that still has its template's text.
    assert "has not yet provided a napari-hub specific description" not in description
    assert description.startswith("## ")  # its sections become the hub page's side bar
    config = yaml.safe_load((ROOT / ".napari-hub" / "config.yml").read_text()) or {}
    assert set(config) <= {"labels"}
