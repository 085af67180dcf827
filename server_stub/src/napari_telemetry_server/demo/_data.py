"""Synthetic but realistic raw batches: a year of weekly ids, many plugins, a long tail.

Deterministic for a seed. Used by ``demo``, the tests and the benchmark; every batch is a real
wire model, so it goes through the same validation and storage as an upload. One plugin,
``napari-cellseg`` (the maintainers' guide's example), has counters approved by the demo's
collection manifest (``REVIEWED``), and most of its users at `full` switched them on.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from napari_telemetry.schema import (
    BATCH_MODELS,
    BasicBatch,
    Batch,
    FullBatch,
    Level,
    MiddleBatch,
    shift_week,
)

NAPARI_VERSIONS = ("0.5.6", "0.6.0", "0.6.2", "0.6.4", "0.7.0", "0.7.1", "0.8.0", "0.9.0")
PYTHONS = ("3.10.14", "3.11.9", "3.11.7", "3.12.4", "3.12.8", "3.13.1")
OSES = (
    ("Linux", "ubuntu-24", 0.30),
    ("Linux", "ubuntu-22", 0.12),
    ("Linux", "rhel-9", 0.06),
    ("macOS", "15", 0.20),
    ("macOS", "14", 0.07),
    ("Windows", "11", 0.18),
    ("Windows", "10", 0.07),
)
_WORDS = (
    "cell",
    "seg",
    "track",
    "label",
    "zarr",
    "ome",
    "stardist",
    "flim",
    "em",
    "reg",
    "deconv",
    "spots",
    "bio",
    "mesh",
    "blob",
    "skel",
    "clij",
    "cellpose",
    "nd2",
    "czi",
)
LAYERS = (
    ("Image", "numpy.ndarray", 0.45),
    ("Image", "dask.Array", 0.12),
    ("Image", "zarr.Array", 0.06),
    ("Labels", "numpy.ndarray", 0.17),
    ("Points", "numpy.ndarray", 0.1),
    ("Shapes", "builtins.list", 0.05),
    ("Surface", "builtins.tuple", 0.02),
    ("Tracks", "numpy.ndarray", 0.03),
)
NAPARI_COMMANDS = (
    "napari:window:file:open_files_dialog",
    "napari:window:file:save_screenshot",
    "napari:window:view:toggle_ndisplay",
    "napari:layer:duplicate",
    "napari:window:layers:convert_to_labels",
    "napari:window:help:about",
)


COUNTER_PLUGIN = "napari-cellseg"
MODELS = (("cyto", 0.55), ("nuclei", 0.35), ("tissue", 0.10))
# The operators' reviewed file of the demo (docs/plugin-counters.md's example), signed by ``demo``.
REVIEWED = """\
[plugins.napari-cellseg]
review = "https://github.com/napari/napari-telemetry-collection/pull/12"

[plugins.napari-cellseg.counters.segmentations]
description = "How often a segmentation ran, whatever the data."
owner = "maintainers@cellseg.example.org"
expires = {expires}
data_category = "interaction"

[plugins.napari-cellseg.counters.models]
description = "Which pretrained model a segmentation used, by the model's name."
labels = ["cyto", "nuclei", "tissue"]
owner = "https://github.com/example/napari-cellseg/issues"
expires = {expires}
data_category = "technical"
"""


def plugin_names(n: int) -> list[str]:
    """*n* distinct plausible plugin names, most popular first (deterministic)."""
    names = ["napari-svg", "napari-console", COUNTER_PLUGIN, "napari-animation", "napari-ome-zarr"]
    pairs = [(a, b) for a in _WORDS for b in _WORDS if a != b]
    random.Random(0).shuffle(pairs)
    for i, (a, b) in enumerate(pairs * (1 + n // len(pairs))):
        names.append(f"napari-{a}-{b}" if i < len(pairs) else f"napari-{a}-{b}-{i // len(pairs)}")
    return names[:n]


@dataclass(frozen=True)
class DemoShape:
    """How big the synthetic year is."""

    weeks: int = 52
    first_week_users: int = 300
    last_week_users: int = 1200
    plugins: int = 300
    middle_share: float = 0.6
    full_share: float = 0.3


class Synth:
    """Generates batches for one seed."""

    def __init__(self, seed: int = 8, shape: DemoShape | None = None) -> None:
        self.rng = random.Random(seed)
        self.shape = shape or DemoShape()
        self.plugins = plugin_names(self.shape.plugins)
        # Zipf-like popularity: a few plugins everywhere, a long tail almost nowhere.
        self.weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(self.plugins))]

    def batches(self, last_week: str) -> Iterator[Batch]:
        """Every batch of the year ending at *last_week*, week by week."""
        weeks = self.shape.weeks
        for i in range(weeks):
            week = shift_week(last_week, i - weeks + 1)
            share = i / max(weeks - 1, 1)
            users = round(
                self.shape.first_week_users
                + (self.shape.last_week_users - self.shape.first_week_users) * share
            )
            yield from self.user_weeks(week, share, users)

    def user_weeks(self, week: str, share: float, users: int) -> Iterator[Batch]:
        """The batches of *users* installations in one week, *share* of the way through."""
        for _ in range(users):
            yield from self.user_week(week, share)

    def user_week(self, week: str, share: float) -> Iterator[Batch]:
        """One installation's batches of one week (one per level it agreed to)."""
        rng = self.rng
        env = {
            "user_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "week": week,
            "first_report": rng.random() < 0.04,
            "client_version": "0.1.0",
            "install_age": rng.choices(("week", "month", "half_year", "older"), (1, 2, 3, 4))[0],
        }
        yield BasicBatch(level="basic", batch_id=_bid(rng), records=[self.session(share)], **env)
        if rng.random() < self.shape.middle_share:
            mine = self.pick_plugins()
            recs = [{"name": p, "version": self.version(p, share)} for p in mine]
            yield MiddleBatch.model_validate(
                {"level": "middle", "batch_id": _bid(rng), "records": recs, **env}
            )
            if rng.random() < self.shape.full_share / self.shape.middle_share:
                yield FullBatch.model_validate(
                    {"level": "full", "batch_id": _bid(rng), "records": self.full(mine), **env}
                )

    def session(self, share: float) -> dict[str, Any]:
        rng = self.rng
        newest = 2 + round(share * (len(NAPARI_VERSIONS) - 3))
        os_name, os_version, _ = rng.choices(OSES, [o[2] for o in OSES])[0]
        arch = "arm64" if os_name == "macOS" and rng.random() < 0.8 else "x86_64"
        return {
            "type": "session",
            "napari_version": NAPARI_VERSIONS[_recent(rng, newest)],
            "python_version": rng.choice(PYTHONS),
            "os_name": os_name,
            "os_version": os_version,
            "arch": arch,
            "launches": rng.randint(1, 12),
        }

    def pick_plugins(self) -> list[str]:
        count = min(1 + int(self.rng.expovariate(1 / 3)), 20)
        return sorted(set(self.rng.choices(self.plugins, self.weights, k=count)))

    def version(self, plugin: str, share: float) -> str:
        releases = 1 + sum(map(ord, plugin)) % 5
        newest = round(share * (releases - 1))
        return f"0.{1 + sum(map(ord, plugin)) % 7}.{_recent(self.rng, newest)}"

    def full(self, plugins: Sequence[str]) -> list[dict[str, Any]]:
        rng = self.rng
        cmds = rng.sample(NAPARI_COMMANDS, rng.randint(1, 4))
        recs: list[dict[str, Any]] = [
            {"type": "command", "command_id": c, "plugin": "napari", "count": rng.randint(1, 40)}
            for c in cmds
        ]
        for p in plugins[:4]:
            action = rng.choice(("run", "widget", "reader", "segment"))
            recs.append(
                {
                    "type": "command",
                    "command_id": f"{p}.{action}",
                    "plugin": p,
                    "count": rng.randint(1, 25),
                }
            )
        if COUNTER_PLUGIN in plugins and rng.random() < 0.8:  # its switch is on
            recs += self.counters()
        for layer_type, data_type, _ in rng.sample(LAYERS, rng.randint(1, 3)):
            ndim = rng.choice((2, 2, 3, 3, 4, 5))
            multiscale = data_type == "zarr.Array" and rng.random() < 0.5
            recs.append(
                {
                    "type": "layer",
                    "layer_type": layer_type,
                    "data_type": data_type,
                    "ndim": ndim,
                    "dtype": rng.choice(("uint8", "uint16", "float32")),
                    "multiscale": multiscale,
                    "levels": 4 if multiscale else 1,
                    "size_bucket": rng.randint(16, 34),
                    "count": rng.randint(1, 10),
                }
            )
        return recs

    def counters(self) -> list[dict[str, Any]]:
        """napari-cellseg's counter records of one week: segmentations, and the models used."""
        rng = self.rng
        counter = {"type": "counter", "plugin": COUNTER_PLUGIN}
        runs = rng.randint(1, 30)
        recs = [{**counter, "counter": "segmentations", "label": "", "count": runs}]
        labels = {rng.choices([m for m, _ in MODELS], [w for _, w in MODELS])[0]}
        if rng.random() < 0.2:  # a second model tried that week
            labels.add(rng.choice([m for m, _ in MODELS]))
        recs += [
            {**counter, "counter": "models", "label": m, "count": rng.randint(1, runs)}
            for m in sorted(labels)
        ]
        return recs


def _recent(rng: random.Random, newest: int) -> int:
    """Mostly the newest index, sometimes one or two older."""
    return max(0, newest - min(int(rng.expovariate(1.2)), newest))


def _bid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def make_batch(
    level: str,
    user_id: str,
    week: str,
    records: list[dict[str, Any]],
    *,
    first_report: bool = False,
    install_age: str = "month",
) -> Batch:
    """One validated wire batch (for hand-made scenarios in tests and docs)."""
    model = BATCH_MODELS[Level(level)]
    return model.model_validate(
        {
            "level": level,
            "batch_id": uuid.uuid4(),
            "user_id": user_id,
            "week": week,
            "first_report": first_report,
            "install_age": install_age,
            "client_version": "0.1.0",
            "records": records,
        }
    )
