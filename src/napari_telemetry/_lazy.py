"""Names a package exports but imports only on first use (a launch loads less of the plugin).

A package lists them as ``{name: ".module"}`` and defines ``__getattr__`` with :func:`load`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def load(package: str, table: Mapping[str, str], namespace: dict[str, Any], name: str) -> object:
    """*name* from its module in *table* (relative to *package*), kept in *namespace* after."""
    if name not in table:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(table[name], package), name)
    namespace[name] = value
    return value
