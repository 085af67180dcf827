"""Usage certificates: an Ed25519-signed statement of a plugin's weekly active installs.

The statement is computed from the aggregate database (so from published numbers only) and
signed over its canonical JSON (sorted keys, no spaces). The secret key stays on the collector
host (``signing_key.pem``, mode 0600); its public half is published with the site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from . import _aggregate_db as db
from ._aggregate_weeks import quarter_weeks, week_start

MIN_IDS = 10
KIND = "napari-telemetry-usage-certificate"
METHOD = (
    "Mean over the ISO weeks of the period of the weekly active installs of the plugin: distinct "
    "anonymous weekly ids (one per installation and week) that reported it at the middle level. "
    "Weeks where the plugin had fewer than k ids count as 0 for the low end and k-1 for the high "
    "end of the range. Telemetry is opt-in, so this is a lower bound of real use."
)


class InvalidCertificate(ValueError):
    """The file is not a certificate, or its signature does not match the key."""


def load_or_create_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The signing key in *path*, created (mode 0600) if missing; True when it was created."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{str(path)!r} is not an Ed25519 private key")
        return key, False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key, True


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


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _canonical(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


def statement(aggregates: Path, plugin: str, period: str, *, today: date) -> dict[str, Any]:
    """What the certificate says; ValueError when it cannot be stated (too few ids, no data)."""
    weeks = quarter_weeks(period)
    engine = db.open_aggregates(aggregates, create=False)
    try:
        with engine.connect() as conn:
            known = {w for (w,) in conn.execute(select(db.weeks.c.week).where(
                db.weeks.c.week.in_(weeks)))}  # fmt: skip
            rows = conn.execute(select(db.plugins.c.week, db.plugins.c.installs).where(
                db.plugins.c.plugin == plugin, db.plugins.c.week.in_(weeks)))  # fmt: skip
            installs = dict(rows.tuples().all())
            k = int(conn.scalar(select(db.meta.c.value).where(db.meta.c.key == "k")) or 5)
    finally:
        engine.dispose()
    if not known:
        raise ValueError(f"no aggregated week falls in {period!r}; run `aggregate` first")
    low = sum(installs.get(w, 0) for w in known) / len(known)
    high = sum(installs.get(w, k - 1) for w in known) / len(known)
    if low < MIN_IDS:
        raise ValueError(
            f"refused: {plugin!r} averaged fewer than {MIN_IDS} distinct weekly ids in {period}"
        )
    first, last = min(known, key=week_start), max(known, key=week_start)
    return {
        "type": KIND, "version": 1, "plugin": plugin,
        "period": {"name": period, "first_week": first, "last_week": last,
                   "weeks": len(weeks), "weeks_with_data": len(known)},
        "metric": "weekly_active_installs_mean",
        "range": {"low": math.floor(low), "high": math.ceil(high)},
        "method": METHOD, "k": k, "minimum_ids": MIN_IDS, "issued_on": today.isoformat(),
    }  # fmt: skip


def sign(stmt: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The certificate document: statement, key id and base64 signature."""
    signature = base64.b64encode(key.sign(_canonical(stmt))).decode()
    return {"statement": stmt, "key_id": key_id(key.public_key()), "signature": signature}


def verify(document: Any, key: Ed25519PublicKey) -> dict[str, Any]:
    """The statement of a valid certificate; InvalidCertificate otherwise."""
    try:
        stmt, signature = document["statement"], base64.b64decode(document["signature"])
        if stmt.get("type") != KIND:
            raise InvalidCertificate(f"not a usage certificate: type {stmt.get('type')!r}")
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise InvalidCertificate(f"malformed certificate: {e}") from e
    try:
        key.verify(signature, _canonical(stmt))
    except InvalidSignature as e:
        raise InvalidCertificate("the signature does not match: tampered or another key") from e
    return dict(stmt)
