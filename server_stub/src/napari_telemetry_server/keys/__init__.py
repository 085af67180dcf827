"""The operators' Ed25519 keys: made, read, identified, and used to sign canonical JSON.

Below both ``public`` (usage certificates) and ``collection`` (the signed manifest of plugin
counters), so that neither reaches into the other.
"""

from __future__ import annotations

from ._ed25519 import (
    canonical,
    fingerprint,
    key_id,
    load_or_create_key,
    load_private_key,
    load_public_key,
    public_pem,
    signature,
)

__all__ = [
    "canonical",
    "fingerprint",
    "key_id",
    "load_or_create_key",
    "load_private_key",
    "load_public_key",
    "public_pem",
    "signature",
]
