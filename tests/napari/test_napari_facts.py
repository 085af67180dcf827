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
        ({"ID": "arch"}, "arch"),
        ({"ID": "we ird/ id", "VERSION_ID": "1"}, "weirdid-1"),
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
