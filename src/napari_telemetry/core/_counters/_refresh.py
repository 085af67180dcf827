"""The collection manifest's weekly refresh, as a launch at `full` starts it.

Nothing of plugin counters is imported on the caller's thread (napari's, at a launch): the
thread reads the trusted keys first, and imports the manifest's models, its cache and the gate
only when a key could verify a manifest. With no key shipped (none is yet), a launch loads no
more of plugin counters than this module and the keyring.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from napari_telemetry.core import _switches, _weekly
from napari_telemetry.core._weekly import Fetcher

from ._keyring import trusted_keys

if TYPE_CHECKING:
    from ._manifest import Trusted


def refresh_in_background(
    on_done: Callable[[Trusted], None] | None = None, fetcher: Fetcher | None = None
) -> threading.Thread | None:
    """Refresh in a daemon thread when due; *on_done* gets the result (off the GUI thread).

    Whether it is due is judged on that thread too (it reads and verifies the cache).
    """
    if _switches.collection_url() is None:
        return None

    def work() -> Trusted | None:
        if not trusted_keys():
            return None
        from . import _manifest  # its models and cache: only when a key can verify one

        if not _manifest.needs_refresh(date.today()):
            return None
        return _manifest.refresh(fetcher)

    return _weekly.in_background("napari-telemetry-collection", work, on_done)
