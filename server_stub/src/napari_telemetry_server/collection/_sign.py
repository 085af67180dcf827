"""``collection sign``: the operators' reviewed file → the next signed collection manifest.

The reviewed file (TOML, kept in a repository where a pull request is the review) lists each
approved plugin's declared counters. Signing checks it as ``napari-telemetry counters lint``
does, leaves out counters that have expired, gives the manifest the next version and an expiry,
signs it with every key given (two during a key rotation) and writes it as the served
``collection.json`` and as ``history/<version>.json``, which the collector keeps to judge each
week's records by the manifest in force that week.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from napari_telemetry.schema import (
    ApprovedCounter,
    ApprovedPlugin,
    CollectionManifest,
    Problem,
    ReviewedCollection,
    ReviewedPlugin,
    SignedCollection,
    lint_reviewed,
)

from ._history import CURRENT, HISTORY, latest_version

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_DAYS = 60


@dataclass(frozen=True)
class Signed:
    """What one signing wrote."""

    version: int
    expires: date
    path: Path
    counters: int
    left_out: list[str] = field(default_factory=list)  # expired counters, in words
    warnings: list[str] = field(default_factory=list)


def check(text: str, today: date) -> tuple[list[str], list[str]]:
    """The reviewed file's (errors that stop signing, warnings), each ``where: what``."""
    return _judged(*lint_reviewed(text, today=today))


def _judged(
    reviewed: ReviewedCollection | None, problems: list[Problem]
) -> tuple[list[str], list[str]]:
    errors = [str(p) for p in problems if p.severity == "error" and p.code != "expired"]
    warnings = [str(p) for p in problems if p.severity == "warning"]
    if reviewed is None and not errors:
        errors = ["file: not a reviewed collection file"]
    return errors, warnings


def sign_collection(
    text: str,
    keys: Sequence[Ed25519PrivateKey],
    folder: Path,
    *,
    today: date,
    days: int = DEFAULT_DAYS,
) -> Signed:
    """Sign the reviewed *text* as the next version in *folder*; ValueError if it has errors."""
    reviewed, problems = lint_reviewed(text, today=today)
    errors, warnings = _judged(reviewed, problems)
    if errors or reviewed is None or not keys:
        raise ValueError("nothing signed: " + "; ".join(errors or ["no signing key given"]))
    left_out = [p.where.removesuffix(".expires") for p in problems if p.code == "expired"]
    plugins = {
        name: approved
        for name, entry in reviewed.plugins.items()
        if (approved := _approved(entry, today)) is not None
    }
    from napari_telemetry_server.keys import signature  # cryptography: never for `serve`

    version = latest_version(folder) + 1
    expires = today + timedelta(days=days)
    manifest = CollectionManifest(version=version, issued=today, expires=expires, plugins=plugins)
    signed = manifest.model_dump(mode="json")
    document: dict[str, object] = {
        "signed": signed,
        "signatures": [signature(signed, key) for key in keys],
    }
    SignedCollection.model_validate(document)  # what a client will read, checked before writing
    path = _write(folder, version, document)
    counters = sum(len(p.counters) for p in plugins.values())
    return Signed(version, expires, path, counters, left_out, warnings)


def _approved(entry: ReviewedPlugin, today: date) -> ApprovedPlugin | None:
    counters = {
        name: ApprovedCounter(
            description=counter.description, labels=counter.labels, expires=counter.expires
        )
        for name, counter in entry.counters.items()
        if counter.expires > today
    }
    return ApprovedPlugin(review=entry.review, counters=counters) if counters else None


def _write(folder: Path, version: int, document: dict[str, object]) -> Path:
    """``history/<version>.json`` (never overwritten: two signings cannot share a version),
    then ``collection.json`` replaced atomically."""
    data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()
    history = folder / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    fd = os.open(history / f"{version:06d}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp = folder / f".{CURRENT}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, folder / CURRENT)
    return folder / CURRENT
