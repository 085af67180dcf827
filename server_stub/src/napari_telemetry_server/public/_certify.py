"""Usage certificates: an Ed25519-signed lower bound of a plugin's weekly installs in a quarter,
or of the weekly installs that counted one of its counters (with a label).

The statement comes from a frozen, released number only (the quarter's install-weeks of the
plugin or of the counter's cell, released with differential privacy) and states its one-sided
95 % lower bound, never a raw count. It is signed over its canonical JSON (sorted keys, no
spaces). The secret key stays on the collector host (``signing_key.pem``, mode 0600); the public
half of every key that ever signed is kept in the ledger (and so in the aggregate file) and
published under its key id.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import Row, Table, select

from napari_telemetry_server import keys

# The keys themselves are the keys room's (the collection manifest is signed with them too);
# named here as well, for the certificates' callers.
from napari_telemetry_server.keys import fingerprint as fingerprint
from napari_telemetry_server.keys import key_id as key_id
from napari_telemetry_server.keys import load_or_create_key as load_or_create_key
from napari_telemetry_server.keys import load_public_key as load_public_key
from napari_telemetry_server.keys import public_pem as public_pem
from napari_telemetry_server.storage import Ledger, PublicKey, make_engine, require_database

from . import _aggregate_db as db
from ._certificate import Certificate, CounterStatement, Statement
from ._release_dp import lower_margin
from .ledger import book_of, check, write

MIN_LOWER = 1  # no certificate for a plugin whose lower bound is below one weekly install
CONFIDENCE = 0.95
METHOD = (
    "One-sided 95 % lower bound of the mean weekly installs of the plugin over the ISO weeks of "
    "the quarter: the plugin's install-weeks (distinct anonymous weekly ids that reported it at "
    "the middle level, added up over the weeks), as released with differential privacy, minus "
    "the 95 % one-sided noise margin, divided by the weeks covered. Each weekly id counts at "
    "most a bounded number of plugins, and telemetry is opt-in, so this is a lower bound of use."
)

COUNTER_METHOD = (
    "One-sided 95 % lower bound of the mean weekly installs that counted the plugin's counter "
    "(with its label) over the ISO weeks of the quarter: the counter's install-weeks (distinct "
    "anonymous weekly ids that counted it at the full level, with the plugin switched on, added "
    "up over the weeks), as released with differential privacy, minus the 95 % one-sided noise "
    "margin, divided by the weeks covered. Each weekly id counts a bounded number of counters "
    "and labels, and telemetry is opt-in, so this is a lower bound of use."
)


class InvalidCertificate(ValueError):
    """The file is not a certificate, or its signature does not match the key."""


def statement(
    aggregates: Path,
    plugin: str,
    period: str,
    *,
    today: date,
    counter: str | None = None,
    label: str = "",
) -> dict[str, Any]:
    """What the certificate says; ValueError when it cannot be stated (not released, too few).

    With *counter* (and *label*, "" for a counter without labels), of that plugin counter's
    quarterly install-weeks instead of the plugin's.
    """
    if counter is not None:
        return _counter_statement(aggregates, plugin, counter, label, period, today)
    t = db.plugin_windows
    release, row = _released(aggregates, period, t, t.c.plugin == plugin)
    if row is None:
        raise ValueError(
            f"refused: {plugin!r} was not released for {period} (too few installs "
            "to clear the privacy threshold)"
        )
    released = _released_fields(release, row, "plugin_windows.plugin", repr(plugin), period, today)
    return Statement(
        type="napari-telemetry-usage-certificate",
        version=2,
        plugin=plugin,
        method=METHOD,
        **released,
    ).model_dump()


def _counter_statement(
    aggregates: Path, plugin: str, counter: str, label: str, period: str, today: date
) -> dict[str, Any]:
    t = db.counter_windows
    where = (t.c.plugin == plugin) & (t.c.counter == counter) & (t.c.label == label)
    release, row = _released(aggregates, period, t, where)
    name = f"{plugin}.{counter}" + (f" ({label})" if label else "")
    if row is None:
        raise ValueError(
            f"refused: {name} was not released for {period} (no collection manifest in force "
            "during its weeks approved it)"
        )
    released = _released_fields(release, row, "counter_windows.cell", name, period, today)
    return CounterStatement(
        type="napari-telemetry-counter-certificate",
        version=1,
        plugin=plugin,
        counter=counter,
        label=label,
        method=COUNTER_METHOD,
        **released,
    ).model_dump()


def _released(aggregates: Path, period: str, table: Table, where: Any) -> tuple[Row[Any], Any]:
    """The quarter's release (ValueError if there is none) and *table*'s row *where* in it."""
    engine = db.open_aggregates(aggregates, create=False)
    try:
        with engine.connect() as conn:
            windows = select(db.releases).where(db.releases.c.kind == "window")
            release = conn.execute(windows.where(db.releases.c.period == period)).first()
            row = conn.execute(select(table).where(table.c.period == period, where)).first()
    finally:
        engine.dispose()
    if release is None:
        raise ValueError(
            f"{period!r} has not been released (a quarter is released once, after "
            "its last week); run `aggregate` then"
        )
    return release, row


def _released_fields(
    release: Row[Any], row: Any, query: str, name: str, period: str, today: date
) -> dict[str, Any]:
    """What both kinds of certificate state of a released quarter: the mean's one-sided lower
    bound (ValueError below 1) and how it was released."""
    doc = json.loads(release.document)
    scale = float(doc["tables"][query]["noise_scale"])
    low = math.floor(max(row.install_weeks - lower_margin(scale, CONFIDENCE), 0) / row.weeks)
    if low < MIN_LOWER:
        raise ValueError(
            f"refused: the 95 % lower bound of {name} in {release.period} is below "
            f"{MIN_LOWER} weekly install"
        )
    return {
        "period": period,
        "first_week": release.first_week,
        "last_week": release.last_week,
        "weeks": row.weeks,
        "at_least": low,
        "confidence": CONFIDENCE,
        "released_install_weeks": row.install_weeks,
        "noise_scale": scale,
        "epsilon": doc["epsilon"],
        "delta": doc["delta"],
        "rho": doc["rho"],
        "issued_on": today.isoformat(),
    }


def record_key(raw: str | Path, aggregates: Path, key: Ed25519PublicKey, today: date) -> None:
    """Keep *key*'s public half in the ledger, and so in the aggregate file every site is from."""
    require_database(raw)
    engine = make_engine(raw)
    try:
        ledger = Ledger(engine)
        check(ledger, aggregates)
        ledger.add_key(PublicKey(key_id(key), public_pem(key).decode(), today.isoformat()))
        write(aggregates, book_of(ledger))
    finally:
        engine.dispose()


def sign(stmt: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The certificate document: statement, key id and base64 signature."""
    return {"statement": stmt, **keys.signature(stmt, key)}


def parse(raw: bytes) -> Any:
    """JSON of a certificate file; a duplicated key anywhere is refused (it could hide one)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            raise InvalidCertificate(f"duplicate JSON key {_first_duplicate(names)!r}")
        return dict(pairs)

    return json.loads(raw, object_pairs_hook=no_duplicates)


def _first_duplicate(names: list[str]) -> str:
    seen: set[str] = set()
    return next(n for n in names if n in seen or seen.add(n))  # type: ignore[func-returns-value]


def verify(document: Any, key: Ed25519PublicKey) -> dict[str, Any]:
    """The statement of a valid certificate; InvalidCertificate otherwise."""
    try:
        cert = Certificate.model_validate(document)
    except ValidationError as e:
        raise InvalidCertificate(f"malformed certificate: {_first_error(e)}") from e
    if cert.key_id != key_id(key):
        raise InvalidCertificate(
            f"signed with key {cert.key_id}, not with this key ({key_id(key)}); "
            "the site keeps every key as keys/<id>.pem"
        )
    try:
        signature = base64.b64decode(cert.signature, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidCertificate("the signature is not base64") from e
    if base64.b64encode(signature).decode() != cert.signature or len(signature) != 64:
        raise InvalidCertificate("the signature is not canonical base64 of 64 bytes")
    try:
        key.verify(signature, keys.canonical(document["statement"]))
    except InvalidSignature as e:
        raise InvalidCertificate("the signature does not match: tampered or another key") from e
    return cert.statement.model_dump()


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "document"
    return f"{where}: {err['msg']}"
