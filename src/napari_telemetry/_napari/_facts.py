"""The ``session`` record of a launch: software and platform versions, coarse on purpose."""

from __future__ import annotations

import platform
import re
import sys

from napari_telemetry.schema import OS_VERSION_PATTERN, SessionKey

_SAFE = re.compile(r"[^0-9A-Za-z._!-]+")
_OS_VERSION = re.compile(OS_VERSION_PATTERN)
_ARCH = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
}
# os-release ``ID``s of public distributions: an in-house image may carry its organisation's
# name there, so any other id is sent as ``other``.
LINUX_DISTRIBUTIONS = frozenset({
    "almalinux", "alpine", "amzn", "arch", "artix", "cachyos", "centos", "clear-linux-os",
    "debian", "deepin", "elementary", "endeavouros", "fedora", "garuda", "gentoo", "kali",
    "linuxmint", "mageia", "manjaro", "neon", "nixos", "nobara", "ol", "opensuse",
    "opensuse-leap", "opensuse-tumbleweed", "pop", "raspbian", "rhel", "rocky", "scientific",
    "sled", "sles", "slackware", "solus", "steamos", "ubuntu", "void", "zorin",
})  # fmt: skip
_WINDOWS_SERVER = re.compile(r"^(?:post)?([0-9]{4})server(?:r2)?$")


def session_key(napari_version: str) -> SessionKey:
    """Key of ``SessionRecord``: napari, Python, OS family, coarse OS version, architecture."""
    python = ".".join(str(n) for n in sys.version_info[:3])
    return SessionKey(
        napari_version=_clean(public_version(napari_version), 40),
        python_version=python,
        os_name=os_name(),
        os_version=os_version(),
        arch=arch(),
    )


def public_version(version: str) -> str:
    """*version* without its local part (``0.6.2.dev3+g1a2b3c`` → ``0.6.2.dev3``)."""
    return version.split("+", 1)[0]


def os_name() -> str:
    """``Linux``, ``macOS``, ``Windows`` or ``other``."""
    if sys.platform.startswith("linux"):
        return "Linux"
    if sys.platform == "darwin":
        return "macOS"
    if sys.platform == "win32":
        return "Windows"
    return "other"


def os_version() -> str:
    """Major OS release (``14``, ``11``, ``server-2022``) or ``<distribution>-<major>``.

    Anything that does not look like that (an unknown distribution, a build string) is
    ``other``: the schema's pattern would refuse it, and it could name something private.
    """
    try:
        value = _os_version()
    except (OSError, ValueError):
        return "unknown"
    return value if _OS_VERSION.match(value) else "other"


def _os_version() -> str:
    if sys.platform == "darwin":
        return platform.mac_ver()[0].split(".")[0]
    if sys.platform == "win32":
        release = platform.release().lower()
        server = _WINDOWS_SERVER.match(release)
        return f"server-{server[1]}" if server else release.split(".")[0]
    if sys.platform.startswith("linux"):
        info = platform.freedesktop_os_release()
        distribution = info.get("ID", "").lower()
        if distribution not in LINUX_DISTRIBUTIONS:
            return "other"
        major = info.get("VERSION_ID", "").split(".")[0]  # a snapshot date is not a major
        return f"{distribution}-{major}" if major.isdigit() and len(major) <= 4 else distribution
    return "other"


def arch() -> str:
    """``x86_64``, ``arm64`` or ``other``."""
    return _ARCH.get(platform.machine().lower(), "other")


def _clean(value: str, limit: int) -> str:
    text = _SAFE.sub("", value)[:limit]
    return text or "unknown"
