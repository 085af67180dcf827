"""The name ``_napari`` imports to ask at start-up: ``consent.ask_consent(parent)``."""

from ._consent_dialog import ask_consent

__all__ = ["ask_consent"]
