"""The differentially private mechanisms, all from OpenDP: noise, thresholds and accounting.

One release (a week, or a long window) is one OpenDP measurement: an adaptive composition of
one query per released dimension, whose privacy map at one weekly id gives the release's
(ρ, δ). Each query reads its dimension's exact, already bounded counts (``_release_dims.bound``)
through a transformation whose stability map states the declared bound (at most ``per_id``
values per id, each changed by at most ``linf``). Closed sets get discrete Gaussian noise on
every value; a listed set is closed too, its list given with the release (plugins' counters:
the cells the collection manifest in force approved, public and the same whatever the data);
open sets go through Gaussian partition selection (a value is kept only if its noisy count
clears the threshold that δ sets); clipped sums are released afterwards on the keys already
selected. No noise is drawn here by hand: OpenDP's samplers are exact.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import opendp.prelude as dp

# "contrib": the mechanisms used here; "honest-but-curious": our own transformations, whose
# stability maps state the contribution bounds enforced before any noise (``bound``).
dp.enable_features("contrib", "honest-but-curious")

OPENDP_VERSION = version("opendp")
ALPHA = 0.05  # accuracy is published as the 95 % half-width
_INPUT = dp.user_domain("NapariTelemetryRelease", lambda x: isinstance(x, dict))
_UNITS = dp.symmetric_distance()  # weekly ids added or removed; the privacy unit is one
_COUNTS = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=dp.i64))
_VECTOR = dp.vector_domain(dp.atom_domain(T=dp.i64))
_MEASURE = dp.approximate(dp.zero_concentrated_divergence())

Counts = Mapping[str, int]


def lower_margin(scale: float, confidence: float) -> float:
    """How far below a released count the one-sided *confidence* lower bound lies."""
    # A two-sided interval at 1 - 2(1 - confidence) has the one-sided margin wanted.
    return float(dp.discrete_gaussian_scale_to_accuracy(scale, 2 * (1 - confidence)))


@dataclass(frozen=True)
class Query:
    """One released dimension: its values (closed) or threshold (open), bound and budget."""

    name: str
    per_id: int
    rho: float
    categories: tuple[str, ...] | None = None  # closed set; None: partition selection
    linf: int = 1  # the most one id adds to one value (1 for distinct ids, max_calls for sums)
    delta: float = 0.0  # open sets only: δ of partition selection
    keys_from: str | None = None  # a sum released on the keys another query selected
    listed: bool = False  # closed, its values given with the release (``Mechanism.release``)
    scale: float = field(init=False, default=0.0)
    threshold: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        sensitivity = math.sqrt(self.per_id) * self.linf  # L2: per_id values, each ±linf
        scale = sensitivity / math.sqrt(2 * self.rho)
        while self._measurement([], scale, None).map(1)[0] > self.rho:  # float rounding
            scale = math.nextafter(scale, math.inf)
        object.__setattr__(self, "scale", scale)
        if self.open:
            object.__setattr__(self, "threshold", self._find_threshold())

    @property
    def open(self) -> bool:
        return self.categories is None and self.keys_from is None and not self.listed

    @property
    def kind(self) -> str:
        """How it is released: ``closed``, ``listed``, ``open`` or ``sum``."""
        if self.listed:
            return "listed"
        if self.keys_from is not None:
            return "sum"
        return "open" if self.open else "closed"

    @property
    def accuracy(self) -> float:
        """Half-width of the 95 % interval of one released count (noise only)."""
        return float(dp.discrete_gaussian_scale_to_accuracy(self.scale, ALPHA))

    def measurement(self, keys: Sequence[str] = ()) -> dp.Measurement:
        """The OpenDP measurement of this query (*keys*: those selected upstream, or listed)."""
        if self.keys_from is None and not self.listed:
            return self._fixed
        return self._measurement(list(keys), self.scale, self.threshold)

    @functools.cached_property
    def _fixed(self) -> dp.Measurement:
        return self._measurement([], self.scale, self.threshold)

    def cost(self) -> tuple[float, float]:
        """(ρ, δ) at one weekly id, from OpenDP's own privacy map."""
        rho, delta = self.measurement().map(1)
        return float(rho), float(delta)

    def _measurement(self, keys: list[str], scale: float, threshold: int | None) -> dp.Measurement:
        name, l0, linf = self.name, self.per_id, self.linf
        if self.open:
            select = dp.t.make_user_transformation(
                _INPUT,
                _UNITS,
                _COUNTS,
                dp.l02inf_distance(dp.absolute_distance(T=dp.i64)),
                function=lambda data: {k: int(v) for k, v in data[name].items() if v > 0},
                stability_map=lambda d: (d * l0, d * l0 * linf, d * linf),
            )
            measurement: dp.Measurement = select >> dp.m.then_gaussian_threshold(
                scale, threshold or 1
            )
            return measurement
        values = list(self.categories) if self.categories is not None else keys
        vector = dp.t.make_user_transformation(
            _INPUT,
            _UNITS,
            _VECTOR,
            dp.l2_distance(T=dp.f64),
            function=lambda data: [int(data[name].get(k, 0)) for k in values],
            stability_map=lambda d: math.sqrt(l0) * linf * d,
        )
        return dp.c.make_approximate(vector >> dp.m.then_gaussian(scale))

    def _find_threshold(self) -> int:
        def ok(threshold: int) -> bool:
            return bool(self._measurement([], self.scale, threshold).map(1)[1] <= self.delta)

        # The Gaussian tail bound puts it below linf + σ·√(2 ln(l0/δ)); twice that bounds a
        # short search (8 steps instead of 30), the full range is the fallback.
        guess = self.linf + self.scale * math.sqrt(2 * math.log(self.per_id / self.delta))
        upper = int(2 * guess) + self.linf
        bounds = (self.linf, upper) if ok(upper) else (self.linf, 1 << 30)
        return int(dp.binary_search(ok, bounds=bounds, T=int))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Mechanism:
    """A whole release: its queries in order, composed by OpenDP."""

    queries: tuple[Query, ...]
    delta: float

    @functools.cached_property
    def composition(self) -> dp.Measurement:
        """The whole release as one OpenDP measurement (built once)."""
        costs = [q.cost() for q in self.queries]
        return dp.c.make_adaptive_composition(_INPUT, _UNITS, _MEASURE, d_in=1, d_mids=costs)

    def privacy(self) -> dict[str, float]:
        """ρ and the partition-selection δ of the release, and the (ε, δ) they imply."""
        return _privacy(self.composition, self.delta)

    def costs(self, ids: int) -> list[tuple[float, float]]:
        """(ρ, δ) of each query for someone with *ids* weekly ids in the data (OpenDP's maps).

        One installation has one weekly id in a week, and one in each week of a quarter.
        """
        costs = []
        for query in self.queries:
            rho, delta = query.measurement().map(ids)
            costs.append((float(rho), float(delta)))
        return costs

    def release(
        self, data: Mapping[str, Counts], lists: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, dict[str, int]]:
        """Noisy counts per query: every category of a closed set, every value *lists* gives a
        listed one (none when it gives none), selected keys of open ones.

        Negative noisy counts become 0 (post-processing: it spends nothing).
        """
        session = self.composition(dict(data))
        out: dict[str, dict[str, int]] = {}
        for query in self.queries:
            if query.listed:
                keys = sorted(set((lists or {}).get(query.name, ())))
            else:
                keys = sorted(out[query.keys_from]) if query.keys_from else []
            result: Any = session(query.measurement(keys))
            if query.open:
                out[query.name] = {str(k): max(int(v), 0) for k, v in result.items()}
            else:
                labels = query.categories if query.categories is not None else keys
                out[query.name] = {k: max(int(v), 0) for k, v in zip(labels, result, strict=True)}
        return out


def compose(costs: Sequence[tuple[float, float]], delta: float) -> dict[str, float]:
    """What releases costing *costs* (ρ, δ each) spend together, as ``Mechanism.privacy``.

    OpenDP's composition adds them up; its conversion gives ε at the total δ *delta*, which
    must exceed the partition-selection δ of them all.
    """
    composed = dp.c.make_adaptive_composition(_INPUT, _UNITS, _MEASURE, d_in=1, d_mids=list(costs))
    return _privacy(composed, delta)


def _privacy(composed: dp.Measurement, delta: float) -> dict[str, float]:
    rho, delta_selection = composed.map(1)
    epsilon, total = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(composed), delta).map(1)
    return {
        "rho": float(rho),
        "delta_selection": float(delta_selection),
        "epsilon": float(epsilon),
        "delta": float(total),
    }
