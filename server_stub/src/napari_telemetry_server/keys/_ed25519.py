"""Ed25519 keys of the operators: made once, kept secret, identified by their fingerprint.

Usage certificates (``public``) and the collection manifest of plugin counters
(``collection``) are signed with keys read here. Each key is a PEM file (mode 0600) on the
collector host; its public half is published, and its fingerprint announced out of band.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def load_or_create_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The signing key in *path*, created (mode 0600) if missing; True when it was created."""
    if path.exists():
        return load_private_key(path), False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key, True


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in *path*; ValueError if it is not an Ed25519 private key."""
    try:
        pem = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read the key {str(path)!r}: {e.strerror}") from e
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{str(path)!r} is not an Ed25519 private key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The PEM text of the public half of *key* (what the site publishes)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Read a public key from PEM text; ValueError if it is not an Ed25519 key."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in hex (the key id is its first 16 digits)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key."""
    return fingerprint(key)[:16]


def canonical(value: Any) -> bytes:
    """What a signature covers: JSON with sorted keys and no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def signature(value: Any, key: Ed25519PrivateKey) -> dict[str, str]:
    """``{"key_id", "signature"}``: *key*'s base64 signature over the canonical JSON of *value*."""
    sig = base64.b64encode(key.sign(canonical(value))).decode()
    return {"key_id": key_id(key.public_key()), "signature": sig}
