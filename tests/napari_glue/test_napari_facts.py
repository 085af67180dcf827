"""The session record's platform fields are coarse and never carry a host name or a build."""

from __future__ import annotations

import platform
import sys

import pytest

from napari_telemetry._napari import _facts
from napari_telemetry.schema import SessionRecord


def test_session_key_is_a_valid_record() -> None:
    key = _facts.session_key("0.9.2")
    record = SessionRecord(**dict(zip(SessionRecord.KEY_FIELDS, key, strict=True)))
    assert record.python_version == ".".join(map(str, sys.version_info[:3]))
    assert platform.node() not in key


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ({"ID": "ubuntu", "VERSION_ID": "24.04"}, "ubuntu-24"),
        ({"ID": "debian", "VERSION_ID": "12"}, "debian-12"),
        ({"ID": "fedora", "VERSION_ID": "40"}, "fedora-40"),
        ({"ID": "opensuse-leap", "VERSION_ID": "15.6"}, "opensuse-leap-15"),
        ({"ID": "opensuse-tumbleweed", "VERSION_ID": "20240101"}, "opensuse-tumbleweed"),
        ({"ID": "arch"}, "arch"),
        ({"ID": "debian"}, "debian"),  # testing and sid have no VERSION_ID
        ({"ID": "we ird/ id", "VERSION_ID": "1"}, "other"),
        ({"ID": "acme-patient-lab", "ID_LIKE": "ubuntu", "VERSION_ID": "3"}, "other"),
    ],
)
def test_linux_version_is_distribution_and_major(
    monkeypatch: pytest.MonkeyPatch, release: dict[str, str], expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(platform, "freedesktop_os_release", lambda: release)
    assert _facts.os_version() == expected


def test_unreadable_os_release_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> dict[str, str]:
        raise OSError("no /etc/os-release")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(platform, "freedesktop_os_release", missing)
    assert _facts.os_version() == "unknown"


@pytest.mark.parametrize(
    ("machine", "arch"), [("AMD64", "x86_64"), ("aarch64", "arm64"), ("ppc64le", "other")]
)
def test_architecture_is_folded(monkeypatch: pytest.MonkeyPatch, machine: str, arch: str) -> None:
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert _facts.arch() == arch


@pytest.mark.parametrize(
    ("platform_name", "release", "expected"),
    [
        ("darwin", "14.6.1", "14"),
        ("darwin", "", "other"),
        ("win32", "11", "11"),
        ("win32", "8.1", "8"),
        ("win32", "2022Server", "server-2022"),
        ("win32", "post2012ServerR2", "server-2012"),
        ("win32", "10.0.22631", "10"),
        ("win32", "Lab PC #4", "other"),
    ],
)
def test_os_versions_are_coarse_and_match_the_schema(
    monkeypatch: pytest.MonkeyPatch, platform_name: str, release: str, expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform_name)
    monkeypatch.setattr(platform, "mac_ver", lambda: (release, ("", "", ""), ""))
    monkeypatch.setattr(platform, "release", lambda: release)
    assert _facts.os_version() == expected
    SessionRecord(napari_version="0.6.0", python_version="3.12.4", os_name="other",
                  os_version=expected, arch="other")  # fmt: skip


def test_napari_versions_lose_their_local_part() -> None:
    key = _facts.session_key("0.6.2.dev15+g8b3c2a1.d20261128")
    assert key[0] == "0.6.2.dev15"
    SessionRecord(**dict(zip(SessionRecord.KEY_FIELDS, key, strict=True)))
