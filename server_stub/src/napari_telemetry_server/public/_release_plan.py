"""From the operator's settings to the two mechanisms: a week's release and a window's.

The weekly budget ``rho_week`` is split across table groups (``settings.split``) and evenly
across the dimensions of a group; δ is split evenly across the open dimensions (half of it; the
other half converts ρ to ε). The window release splits ``rho_window`` between plugin
install-weeks and plugins' counters (``settings.window_split``). Plugins' counters are one
listed query in each (every approved cell, its list given with the release), last. What each
query costs comes from OpenDP's privacy maps, not from these formulas.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any

from ._release_config import COUNTERS, ReleaseSettings
from ._release_dims import DIMS, WINDOW_DIM, Dim
from ._release_dp import OPENDP_VERSION, Mechanism, Query
from .counters import CELLS, WINDOW_CELLS, values_per_id

CALLS = ".calls"  # suffix of the query releasing a dimension's clipped sums
MECHANISM_TEXT = (
    "OpenDP {version}: discrete Gaussian noise on every value of closed category sets (plugins' "
    "counters: every cell the collection manifest approved) and on clipped sums, Gaussian "
    "partition selection (noisy count above a threshold set by δ) for open sets, adaptive "
    "composition under zero-concentrated DP; negative counts shown as 0"
)


def _rho(settings: ReleaseSettings, group: str, groups: Counter[str]) -> float:
    return settings.rho_week * settings.split[group] / groups[group]


def week_mechanism(settings: ReleaseSettings) -> Mechanism:
    """The mechanism of one week's release under *settings*."""
    return _week(json.dumps(settings.stated(), sort_keys=True))


def window_mechanism(settings: ReleaseSettings) -> Mechanism | None:
    """The mechanism of one long window's release, or None when windows are off."""
    return _window(json.dumps(settings.stated(), sort_keys=True))


# Built once per set of settings (a mechanism finds each noise scale and threshold with
# OpenDP's maps, 0.2 s); a Mechanism holds no data, so releases share it.
@functools.lru_cache(maxsize=32)
def _week(stated: str) -> Mechanism:
    settings = ReleaseSettings.model_validate(json.loads(stated))
    groups = Counter(d.group for d in DIMS)
    open_dims = sum(1 for d in DIMS if d.categories is None)
    delta = settings.delta / 2 / open_dims
    queries = [_query(d, settings, _rho(settings, d.group, groups), delta) for d in DIMS]
    for dim in DIMS:
        if dim.calls:
            rho = settings.rho_week * settings.split["command_calls"]
            queries.append(
                Query(
                    dim.name + CALLS,
                    dim.per_id(settings),
                    rho,
                    linf=settings.max_calls,
                    keys_from=dim.name,
                )
            )
    if settings.counters:
        queries.append(_cells(CELLS, settings, settings.rho_week * settings.split[COUNTERS]))
    return Mechanism(tuple(queries), settings.delta)


@functools.lru_cache(maxsize=32)
def _window(stated: str) -> Mechanism | None:
    settings = ReleaseSettings.model_validate(json.loads(stated))
    if settings.window == "none" or settings.rho_window <= 0:
        return None
    shares = settings.window_split
    rho = settings.rho_window * shares["plugins"]
    queries = [_query(WINDOW_DIM, settings, rho, settings.delta / 2)]
    if settings.counters:
        queries.append(_cells(WINDOW_CELLS, settings, settings.rho_window * shares[COUNTERS]))
    return Mechanism(tuple(queries), settings.delta)


def _cells(name: str, settings: ReleaseSettings, rho: float) -> Query:
    """Plugins' counters: each id once in each of at most ``values_per_id`` cells."""
    return Query(name, values_per_id(settings), rho, listed=True)


def _query(dim: Dim, settings: ReleaseSettings, rho: float, delta: float) -> Query:
    if dim.categories is not None:
        return Query(dim.name, dim.per_id(settings), rho, categories=dim.categories)
    return Query(dim.name, dim.per_id(settings), rho, delta=delta)


def describe(mechanism: Mechanism, settings: ReleaseSettings, kind: str) -> dict[str, Any]:
    """What is published about a release's privacy: mechanism, budget, split, bounds."""
    tables = {}
    for q in mechanism.queries:
        entry: dict[str, Any] = {
            "kind": q.kind,
            "rho": round(q.cost()[0], 6),
            "noise_scale": round(q.scale, 4),
            "accuracy95": q.accuracy,
            "values_per_id": q.per_id,
            "per_value_per_id": q.linf,
        }
        if q.open:
            entry["threshold"] = q.threshold
            entry["delta"] = q.delta
        tables[q.name] = entry
    return {
        "unit": "one weekly id in one week",
        "mechanism": MECHANISM_TEXT.format(version=OPENDP_VERSION),
        "opendp": OPENDP_VERSION,
        "kind": kind,
        **mechanism.privacy(),
        "tables": tables,
        "settings": settings.stated(),
    }
