"""``aggregate --dry-run``: the accuracy each table would have now, releasing nothing.

For the operator only (a terminal on the collector host): it reads how many weekly ids the
latest finished week has, which is never published.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from napari_telemetry.schema import iso_week
from napari_telemetry_server.storage import make_engine, require_database

from ._release_config import ReleaseSettings
from ._release_plan import describe, week_mechanism, window_mechanism
from ._release_read import ids_in


def dry_run(raw: str | Path, settings: ReleaseSettings, today: date) -> list[str]:
    """Lines describing the budget and each table's 95 % accuracy at today's number of ids."""
    require_database(raw)
    week = iso_week(today - timedelta(weeks=1))
    engine = make_engine(raw)
    try:
        with engine.connect() as conn:
            ids = ids_in(conn, week)
    finally:
        engine.dispose()
    lines = [f"dry run: nothing is released; {ids} weekly ids in {week} (the last whole week)"]
    for kind, mechanism in (
        ("week", week_mechanism(settings)),
        ("window", window_mechanism(settings)),
    ):
        if mechanism is None:
            lines.append("window release: off")
            continue
        doc = describe(mechanism, settings, kind)
        lines.append(
            f"{kind} release: rho={doc['rho']:.4g}, epsilon={doc['epsilon']:.3g} "
            f"at delta={doc['delta']:.0e}"
        )
        for name, t in doc["tables"].items():
            rel = f" ({100 * t['accuracy95'] / ids:.1f} % of {ids})" if ids else ""
            extra = f", shown above {t['threshold']}" if "threshold" in t else ""
            lines.append(
                f"  {name:30s} rho={t['rho']:.4f}  ±{t['accuracy95']:g} (95 %)"
                f"{rel if name == 'installs.active' else ''}{extra}"
            )
    return lines
