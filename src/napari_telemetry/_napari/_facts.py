"""The ``session`` record of a launch: software and platform versions, coarse on purpose."""

from __future__ import annotations

import platform
import re
import sys

SessionKey = tuple[str, str, str, str, str]
_SAFE = re.compile(r"[^0-9A-Za-z._+-]+")
_ARCH = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
}


def session_key(napari_version: str) -> SessionKey:
    """Key of ``SessionRecord``: napari, Python, OS family, coarse OS version, architecture."""
    python = ".".join(str(n) for n in sys.version_info[:3])
    return (_clean(napari_version, 40), python, os_name(), os_version(), arch())


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
    """Major OS release (``14``, ``11``) or, on Linux, ``<distribution id>-<major version>``."""
    try:
        if sys.platform == "darwin":
            return _clean(platform.mac_ver()[0].split(".")[0], 64)
        if sys.platform == "win32":
            return _clean(platform.release(), 64)
        if sys.platform.startswith("linux"):
            info = platform.freedesktop_os_release()
            major = info.get("VERSION_ID", "").split(".")[0]
            return _clean(
                f"{info.get('ID', 'linux')}-{major}" if major else info.get("ID", ""), 64
            )
    except (OSError, ValueError):
        pass
    return "unknown"


def arch() -> str:
    """``x86_64``, ``arm64`` or ``other``."""
    return _ARCH.get(platform.machine().lower(), "other")


def _clean(value: str, limit: int) -> str:
    text = _SAFE.sub("", value)[:limit]
    return text or "unknown"
