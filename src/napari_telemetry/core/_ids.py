"""The weekly ids in use: what ``napari-telemetry ids`` lists and "Forget me" asks to delete.

A week's id is in use when the current secret made it and either data of that week left this
computer (a copy of a sent batch carries that very id) or waits to leave (a pending file of that
week), or it is this week and telemetry is on here. Weeks before the user agreed, weeks
telemetry was off, and the ids of a secret that "Forget me" replaced leave no such trace, so
they are not listed. Only the weeks the collector may still hold are looked at (the last 9).
"""

from __future__ import annotations

from datetime import date

from napari_telemetry.schema import Level, iso_week

from . import _consent, _identity, _store

WEEKS = 9  # every week whose data the collector may still keep (raw data: 60 days)


def ids_in_use(today: date | None = None) -> list[tuple[str, str]]:
    """``[(week, id)]`` in use, newest first; reads only (no secret yet: none).

    Raises ``SecretError`` when the secret is unusable.
    """
    day = today or date.today()
    window = _identity.recent_ids(WEEKS, today=day, create=False)
    if not window:
        return []
    used = _weeks_sent(dict(window)) | _weeks_pending()
    if _consent.effective_level().level is not Level.NONE:
        used.add(iso_week(day))
    return [(week, uid) for week, uid in window if week in used]


def _weeks_sent(current: dict[str, str]) -> set[str]:
    """Weeks of sent batches whose id this secret made (an older secret's are not ours now)."""
    return {
        str(copy.get("week"))
        for copy in _store.sent_copies()
        if current.get(str(copy.get("week"))) == copy.get("user_id")
    }


def _weeks_pending() -> set[str]:
    """Weeks of pending files: sent under the current secret when they leave."""
    try:
        return {iso_week(date.fromisoformat(p.name[:10])) for p in _store.pending_files()}
    except OSError:
        return set()
