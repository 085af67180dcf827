"""Plugin counters on this computer: declared, approved, switched on, then counted.

A plugin declares its counters in a file it ships (``_installed``); the operators approve them
in a signed collection manifest, fetched and verified here (``_manifest``, ``_keyring``); each
plugin's switch is the user's (``_choices``); what the installed version declares AND the
manifest approves (``_offer``) and the user switched on is what the gate (``_gate``) lets
through to the recorder. Everything else is dropped here, and counted for ``status``.
"""

from ._choices import Choice
from ._gate import Gate, Overview, get_gate
from ._installed import Installed, installed
from ._keyring import Refused, trusted_keys
from ._manifest import Trusted, refresh, refresh_in_background
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
