"""Plugin counters on this computer: declared, approved, switched on, then counted.

A plugin declares its counters in a file it ships (``_installed``); the operators approve them
in a signed collection manifest, fetched and verified here (``_manifest``, ``_keyring``); each
plugin's switch is the user's (``_choices``); what the installed version declares AND the
manifest approves (``_offer``) and the user switched on is what the gate (``_gate``) lets
through to the recorder. Everything else is dropped here, and counted for ``status``.

What a count or a settings dock needs is imported on first use (``__getattr__`` below), and
the weekly refresh (``_refresh``) imports the rest on its own thread: a launch loads no more of
plugin counters than the refresh's first check, and none below `full`.
"""

from typing import TYPE_CHECKING

from napari_telemetry import _lazy

from ._refresh import refresh_in_background

if TYPE_CHECKING:
    from ._choices import Choice
    from ._gate import Gate, Overview, get_gate
    from ._installed import Installed, installed
    from ._keyring import Refused, trusted_keys
    from ._manifest import Trusted, refresh
    from ._offer import CounterOffer, PluginOffer

__all__ = [
    "Choice",
    "CounterOffer",
    "Gate",
    "Installed",
    "Overview",
    "PluginOffer",
    "Refused",
    "Trusted",
    "get_gate",
    "installed",
    "refresh",
    "refresh_in_background",
    "trusted_keys",
]
_LAZY = {
    "Choice": "._choices",
    "CounterOffer": "._offer",
    "Gate": "._gate",
    "Installed": "._installed",
    "Overview": "._gate",
    "PluginOffer": "._offer",
    "Refused": "._keyring",
    "Trusted": "._manifest",
    "get_gate": "._gate",
    "installed": "._installed",
    "refresh": "._manifest",
    "trusted_keys": "._keyring",
}


def __getattr__(name: str) -> object:
    """Plugin counters' parts, imported on first use."""
    return _lazy.load(__name__, _LAZY, globals(), name)
