"""Both distributions' versions come from one git tag, with a fallback where no tag is in reach.

The check runs hatchling's own version command (with hatch-vcs) on copies of the two
pyproject.toml files in a throwaway git repository, as a fresh clone, a shallow clone (CI's
default checkout, .ci/run on a clone without tags) and a git worktree see them. The sdist
carries its version in PKG-INFO (tests/test_packaging.py builds a wheel from it).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
HATCHLING = Path(sys.executable).parent / "hatchling"
GIT = [
    "git",
    "-c",
    "user.name=test",
    "-c",
    "user.email=test@example.org",
    "-c",
    "tag.gpgSign=false",
]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _versions(repo: Path) -> tuple[str, str]:
    """(plugin, collector) as a build in *repo* would name them."""
    out = []
    for project in (repo, repo / "server_stub"):
        done = subprocess.run([str(HATCHLING), "version"], cwd=project, capture_output=True,
                              text=True, check=True)  # fmt: skip
        out.append(done.stdout.strip())
    return out[0], out[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with this checkout's two pyproject.toml files and two commits."""
    repo = tmp_path / "repo"
    (repo / "server_stub").mkdir(parents=True)
    for name in ("pyproject.toml", "server_stub/pyproject.toml"):
        (repo / name).write_text((ROOT / name).read_text())
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    return repo


def test_without_a_tag_both_count_commits_from_the_fallback(repo: Path) -> None:
    head = _git(repo, "rev-parse", "--short=9", "HEAD")
    assert _versions(repo) == (f"0.1.0.dev2+g{head}",) * 2


def test_a_tag_is_the_version_of_both_and_the_next_commit_a_dev_of_the_next(repo: Path) -> None:
    _git(repo, "tag", "v0.1.3")
    assert _versions(repo) == ("0.1.3", "0.1.3")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "third")
    plugin, collector = _versions(repo)
    assert plugin == collector
    assert plugin.startswith("0.1.4.dev1+g")


def test_a_shallow_clone_without_the_tag_falls_back(repo: Path, tmp_path: Path) -> None:
    _git(repo, "tag", "v0.1.3", "HEAD~1")
    clone = tmp_path / "shallow"
    _git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{repo}", str(clone))
    plugin, collector = _versions(clone)
    assert plugin == collector
    assert plugin.startswith("0.1.0.dev1+g")


def test_a_worktree_has_the_version_of_its_commit(repo: Path, tmp_path: Path) -> None:
    _git(repo, "tag", "v0.1.3")
    _git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "HEAD")
    assert _versions(tmp_path / "wt") == ("0.1.3", "0.1.3")


def test_the_fallback_lies_in_the_range_the_collector_requires() -> None:
    """A clone without tags must install: raise the fallbacks with the range, in one commit."""
    plugin = tomllib.loads((ROOT / "pyproject.toml").read_text())
    server = tomllib.loads((ROOT / "server_stub" / "pyproject.toml").read_text())
    fallback = plugin["tool"]["hatch"]["version"]["fallback-version"]
    assert server["tool"]["hatch"]["version"]["fallback-version"] == fallback
    (wanted,) = [
        Requirement(d).specifier
        for d in server["project"]["dependencies"]
        if Requirement(d).name == "napari-telemetry"
    ]
    assert wanted.contains(Version(fallback), prereleases=True)
    assert wanted.contains(f"{fallback.removesuffix('.dev0')}.dev250+g3dbda38da", prereleases=True)
