"""The collection manifest of plugin counters: signed from the operators' reviewed file,
served, and the judge of which counter records each week may carry.

``sign_collection`` (``napari-telemetry-server collection sign``) writes the next version;
``Approvals`` reads what was signed, for ``GET /v1/collection`` and for ingest, which drops
every counter record no manifest in force that week approves.
"""

from __future__ import annotations

from ._history import CURRENT, HISTORY, Approvals, Filtered, latest_version
from ._sign import DEFAULT_DAYS, Signed, check, sign_collection

__all__ = [
    "CURRENT",
    "DEFAULT_DAYS",
    "HISTORY",
    "Approvals",
    "Filtered",
    "Signed",
    "check",
    "latest_version",
    "sign_collection",
]
