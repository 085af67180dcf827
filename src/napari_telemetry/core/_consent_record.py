"""The per-environment consent record on disk: read forgivingly, written atomically."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from napari_telemetry.schema import Level, Terms, level_fields, level_hash, level_terms

from . import _paths

log = logging.getLogger("napari_telemetry")
RECORD_VERSION = 1


class ConsentFileError(Exception):
    """The consent file exists but cannot be used (unreadable, corrupt, from a newer plugin)."""


@dataclass(frozen=True)
class ConsentRecord:
    """What one user agreed to in one environment, and when."""

    level: Level
    schema_hash: str
    fields: tuple[str, ...]
    granted: date
    expires: date | None
    consent_id: str
    terms: Terms | None = None  # what each field could contain (None: recorded before 0.1.1)
    postponed: bool = False  # "Ask me later": no choice yet, asked again once it expires

    @classmethod
    def new(cls, level: Level, days: int | None, today: date) -> ConsentRecord:
        """A fresh agreement to *level*, for *days* days (None: until changed)."""
        return cls(
            level=level,
            schema_hash=level_hash(level),
            fields=tuple(level_fields(level)),
            granted=today,
            expires=today + timedelta(days=days) if days is not None else None,
            consent_id=secrets.token_hex(8),
            terms=level_terms(level),
        )

    def to_json(self) -> dict[str, object]:
        """The on-disk form."""
        return {
            "version": RECORD_VERSION,
            "level": self.level.value,
            "schema_hash": self.schema_hash,
            "fields": list(self.fields),
            "granted": self.granted.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "consent_id": self.consent_id,
            "terms": self.terms,
            "postponed": self.postponed,
        }

    @classmethod
    def from_json(cls, data: object) -> ConsentRecord:
        """Parse the on-disk form; raise ConsentFileError for anything unexpected."""
        if not isinstance(data, dict):
            raise ConsentFileError("not a JSON object")
        if data.get("version") != RECORD_VERSION:
            raise ConsentFileError(f"record version {data.get('version')!r} is not understood")
        try:
            fields = data["fields"]
            if not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
                raise TypeError("fields must be a list of names")
            expires = data["expires"]
            consent_id = data["consent_id"]
            if not (isinstance(consent_id, str) and consent_id.isalnum()):
                raise ValueError(f"bad consent_id {consent_id!r}")
            return cls(
                level=Level.parse(data["level"]),
                schema_hash=str(data["schema_hash"]),
                fields=tuple(fields),
                granted=date.fromisoformat(data["granted"]),
                expires=date.fromisoformat(expires) if expires is not None else None,
                consent_id=consent_id,
                terms=_terms(data.get("terms")),
                postponed=data.get("postponed") is True,  # absent in records before 0.1.2
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ConsentFileError(f"{type(e).__name__}: {e}") from e

    @property
    def token(self) -> str:
        """What pending lines recorded under this agreement carry."""
        return f"{_paths.environment_key()}.{self.consent_id}"


def _terms(value: Any) -> Terms | None:
    """The kept terms, or None when absent (an older record) or not of the expected shape."""
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return None


def load(env: str | None = None) -> ConsentRecord | None:
    """This environment's record (or *env*'s), None when there is none."""
    path = _paths.consent_file(env)
    try:
        data = _paths.read_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ConsentFileError(f"cannot read the consent file ({type(e).__name__})") from e
    return ConsentRecord.from_json(data)


def save(record: ConsentRecord) -> None:
    """Replace this environment's record atomically."""
    _paths.write_json(_paths.consent_file(), record.to_json())
