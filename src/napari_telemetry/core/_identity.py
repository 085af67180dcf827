"""Weekly anonymous ids: an HMAC of the ISO week with a random secret kept on this computer."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING

from napari_telemetry.schema import SENDING_LEVELS, InstallAge, Level
from napari_telemetry.schema import (
    iso_week as iso_week,  # the one ISO-week rule, shared with the collector
)

from . import _paths, _send_report, _switches

if TYPE_CHECKING:
    from ._transport import Transport

log = logging.getLogger("napari_telemetry")
_SECRET_BYTES = 32
_LOCK_TIMEOUT = 2.0
_DOMAIN = b"napari-telemetry/v1|"
PRIVACY_EMAIL = "privacy@napari.org"


class SecretError(Exception):
    """The secret file exists but cannot be used; nothing is sent until it is replaced."""


def _load_secret() -> bytes | None:
    """The secret, or None when there is none yet; reads only. SecretError when it is unusable."""
    try:
        data = _paths.secret_file().read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SecretError(f"the secret file cannot be read ({type(e).__name__})") from e
    if len(data) != _SECRET_BYTES:
        raise SecretError(f"the secret file holds {len(data)} bytes, expected {_SECRET_BYTES}")
    return data


def _read_secret() -> bytes:
    """The secret, made on first use; OSError when it has to be made and cannot be written."""
    return _load_secret() or _create_secret()


def secret_problem() -> str | None:
    """Why the secret cannot be used, or None (also when there is none yet). Reads only."""
    try:
        _load_secret()
    except SecretError as e:
        return str(e)
    return None


def _create_secret() -> bytes:
    """Create the secret once; a process that loses the race reads the winner's.

    Written whole under a lock, never created empty and filled afterwards: another process
    would read the empty file as a broken secret, and a full disk would leave it broken.
    """
    path = _paths.secret_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _paths.locked(path.with_name("secret.lock"), _LOCK_TIMEOUT):
        existing = _load_secret()
        if existing is not None:
            return existing
        data = secrets.token_bytes(_SECRET_BYTES)
        _paths.write_atomic(path, data, 0o600)
    return data


def user_id(week: str) -> str:
    """This computer's id for *week* (32 hex digits).

    Raises SecretError if the secret is bad, OSError if there is none yet and it cannot be made.
    """
    mac = hmac.new(_read_secret(), _DOMAIN + week.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def recent_ids(
    weeks: int = 9, today: date | None = None, *, create: bool = True
) -> list[tuple[str, str]]:
    """``[(week, id)]`` for the last *weeks* ISO weeks, newest first.

    With ``create=False`` nothing is written: no secret yet means no ids (the settings dock
    only looks; after "Forget me and delete local data" it must not make a new identity).
    """
    if not create and _load_secret() is None:
        return []
    day = today or date.today()
    found = [iso_week(day - timedelta(weeks=i)) for i in range(weeks)]
    return [(week, user_id(week)) for week in found]


def _state() -> dict[str, object]:
    return _paths.read_state(_paths.identity_file(), version=1, what="identity state")


def _save_state(state: dict[str, object]) -> None:
    _paths.write_json(_paths.identity_file(), {**state, "version": 1})


def note_enabled(today: date | None = None) -> None:
    """Remember the first day telemetry was enabled (install age); make the identity now.

    Agreeing is when a user gets weekly ids (the settings dock lists them from then on, and
    only looks); a broken secret is left for ``status`` to report.
    """
    state = _state()
    if "first_enabled" not in state:
        _save_state({**state, "first_enabled": (today or date.today()).isoformat()})
    try:
        _read_secret()
    except SecretError:
        log.debug("the secret is unusable; nothing is sent until forget", exc_info=True)


def install_age(today: date) -> InstallAge:
    """How long ago telemetry was first enabled here, as a coarse bucket."""
    try:
        first = date.fromisoformat(str(_state()["first_enabled"]))
    except (KeyError, ValueError):
        return "week"
    days = (today - first).days  # negative when the clock went back: still "week"
    if days < 7:
        return "week"
    if days < 31:
        return "month"
    return "half_year" if days < 183 else "older"


def first_report(level: Level) -> bool:
    """Whether no batch of *level* was ever accepted from this computer."""
    reported = _state().get("reported", [])
    return not (isinstance(reported, list) and level.value in reported)


def mark_reported(level: Level) -> None:
    """Remember that the collector accepted a batch of *level*."""
    state = _state()
    reported = state.get("reported")
    names = {n for n in reported if isinstance(n, str)} if isinstance(reported, list) else set()
    if level.value not in names:
        _save_state({**state, "reported": sorted(names | {level.value})})


def deletion_urls() -> list[str]:
    """Where deletion requests go: ``{base}/v1/deletion`` for each distinct collector base."""
    bases = {_switches.base_url(level) for level in SENDING_LEVELS}
    return sorted(f"{b}/v1/deletion" for b in bases if b)


def request_deletion(ids: list[str], transport: Transport | None) -> tuple[bool, str]:
    """Ask each collector to delete *ids*: (whether one did, what happened in a user's words)."""
    from ._transport import TransportError, get_transport  # HTTP: only for a request

    client = transport or get_transport()
    body = json.dumps({"user_ids": ids}).encode()
    headers = {"Content-Type": "application/json"}
    problems: list[str] = []
    for url in deletion_urls():
        try:
            response = client.post(url, body, headers, timeout=10.0)
        except TransportError as e:
            problems.append(_send_report.unreachable(url, str(e)))
            continue
        where = f"the collector at {_send_report.host(url)}"
        if 200 <= response.status < 300:
            return True, f"{where} deleted the data sent with these ids"
        if 400 <= response.status < 500 and response.status not in (408, 429):
            problems.append(f"{where} refused the request (code {response.status})")
        else:
            problems.append(_send_report.kept_answer(url, response.status))
    detail = "; ".join(dict.fromkeys(problems)) or "there is no usable collector address"
    return False, f"{detail}: nothing was deleted there"


def replace_secret() -> bool:
    """A new secret (and so new ids) and a new first-enabled day; False when not written."""
    try:
        _paths.write_atomic(_paths.secret_file(), secrets.token_bytes(_SECRET_BYTES), 0o600)
        _save_state({"first_enabled": date.today().isoformat()})  # a new person from today
    except OSError as e:
        log.warning("could not replace the secret: %s", type(e).__name__)
        return False
    return True
