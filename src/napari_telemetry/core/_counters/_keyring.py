"""The public keys a collection manifest must be signed with, and the check of its signatures.

The plugin ships the keys (``collection_keys.pem``, PEM blocks one after another);
``NAPARI_TELEMETRY_COLLECTION_KEYS`` names another file to trust instead (an institution's own
collector, or a test). A manifest is trusted when one of its signatures, made by a key listed
here, verifies over the canonical JSON of its ``signed`` part: so operators rotate a key by
signing with the old and the new one while both are shipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from napari_telemetry.core import _switches

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from napari_telemetry.schema import SignedCollection

log = logging.getLogger("napari_telemetry")
SHIPPED = Path(__file__).with_name("collection_keys.pem")
_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


class Refused(ValueError):
    """A collection manifest that is not trusted; the message says why, for a user."""


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key (as the collector's)."""
    from cryptography.hazmat.primitives import serialization  # 25 ms: only when keys are read

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """The keys this plugin trusts, by key id; empty when none is shipped or readable."""
    path = _switches.collection_keys_file() or SHIPPED
    try:
        blocks = _BLOCK.findall(path.read_bytes())
    except OSError as e:
        log.warning("no collection keys can be read (%s): no plugin counter is counted", e)
        return {}
    if not blocks:
        return {}  # none shipped yet: nothing to verify with, and cryptography stays unloaded
    from cryptography.hazmat.primitives import serialization  # 25 ms: only when keys are read
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # as above

    keys = {}
    for block in blocks:
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError:
            log.debug("an unreadable collection key is skipped", exc_info=True)
            continue
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    return keys


def verify(document: Any, keys: dict[str, Ed25519PublicKey]) -> SignedCollection:
    """The envelope of *document* when a trusted key signed it; :class:`Refused` otherwise."""
    from napari_telemetry.schema import SignedCollection, canonical_json  # with a key to check

    try:
        envelope = SignedCollection.model_validate(document)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise Refused(f"not a collection manifest ({where}: {err['msg']})") from e
    signed = canonical_json(document["signed"])  # as received: what the operators signed
    known = [s for s in envelope.signatures if s.key_id in keys]
    if not known:
        raise Refused("signed by no key this plugin trusts")
    for signature in known:
        if _valid(keys[signature.key_id], signature.signature, signed):
            return envelope
    raise Refused("its signature does not match: tampered with, or not the operators' key")


def _valid(key: Ed25519PublicKey, signature: str, signed: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature  # imported with the keys already

    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, signed)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
