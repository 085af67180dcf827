"""Layer descriptions come from metadata only: dask is never computed, zarr never read."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

from napari_telemetry._napari._layers import data_type, describe_layer, size_bucket


class FakeLayer:
    """A stand-in with a layer's public attributes (for data napari itself would refuse)."""

    def __init__(self, data: Any, multiscale: bool = False, ndim: int = 2) -> None:
        self.data, self.multiscale, self.ndim = data, multiscale, ndim


Image = type("Image", (FakeLayer,), {"__module__": "napari.layers.image.image"})


def test_numpy_image() -> None:
    key = describe_layer(Image(np.zeros((64, 64), "uint8")))
    assert key == ("Image", "numpy.ndarray", 2, "uint8", False, 1, 12)


def test_size_bucket_is_the_power_of_two_just_above() -> None:
    assert [size_bucket((n,), 1) for n in (0, 1, 2, 3, 1024, 1025)] == [0, 0, 1, 2, 10, 11]
    assert size_bucket(None, 1) == size_bucket((3,), None) == -1
    assert size_bucket((2**40, 2**40), 8) == 80  # capped


def test_dask_array_is_never_computed() -> None:
    da = pytest.importorskip("dask.array")
    from dask.callbacks import Callback

    started: list[object] = []
    big = da.ones((100, 2048, 2048), dtype="uint16", chunks=(1, 2048, 2048))
    with Callback(start=started.append):
        key = describe_layer(Image(big))
        pyramid = describe_layer(Image([big, big[:, ::2, ::2]], multiscale=True))
    assert started == []
    assert key == ("Image", "dask.Array", 3, "uint16", False, 1, 30)
    assert pyramid == ("Image", "dask.Array", 3, "uint16", True, 2, 30)


def test_zarr_array_is_never_read() -> None:
    zarr = pytest.importorskip("zarr", minversion="3")  # the counting store is zarr 3's API
    from zarr.storage import MemoryStore

    reads: list[str] = []

    class CountingStore(MemoryStore):
        async def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
            if not key.endswith("zarr.json"):
                reads.append(key)
            return await super().get(key, *args, **kwargs)

    z = zarr.create_array(store=CountingStore(), shape=(64, 64), chunks=(8, 8), dtype="float32")
    z[:] = 1.0
    reads.clear()
    assert describe_layer(Image(z)) == ("Image", "zarr.Array", 2, "float32", False, 1, 14)
    assert reads == []


class OddShape:
    @property
    def shape(self) -> Any:
        raise RuntimeError("no shape for you")

    dtype = "not a dtype object"


class WeirdShape:
    shape = ("a", -1)
    dtype = np.dtype("float64")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (np.array(3.0, "float32"), ("numpy.ndarray", 0, "float32", 2)),
        ((x for x in range(3)), ("builtins.generator", 2, "unknown", -1)),
        (OddShape(), ("other.Other", 2, "unknown", -1)),
        (WeirdShape(), ("other.Other", 2, "float64", -1)),
        ([np.zeros((3, 2))], ("builtins.list", 2, "unknown", -1)),
        (None, ("builtins.NoneType", 2, "unknown", -1)),
    ],
)
def test_odd_data_is_described_without_raising(data: Any, expected: tuple[Any, ...]) -> None:
    key = describe_layer(Image(data))
    assert key is not None
    assert (key[1], key[2], key[3], key[6]) == expected


def test_a_generator_is_not_consumed() -> None:
    gen = (x for x in range(3))
    describe_layer(Image(gen))
    assert list(gen) == [0, 1, 2]


def test_a_broken_pyramid_counts_as_one_unknown_level() -> None:
    key = describe_layer(Image(object(), multiscale=True))
    assert key is not None
    assert key[4:] == (True, 1, -1)


def test_user_defined_types_are_not_named() -> None:
    assert data_type(OddShape()) == "other.Other"  # defined in a test module, not a library
    assert data_type(np.zeros(1)) == "numpy.ndarray"


def test_only_public_libraries_and_public_stable_plugins_are_named() -> None:
    """An installed package that is neither (here `packaging`, the stdlib's `fractions`) could
    as well be an in-house one: it was named before, it is `other.Other` now."""
    from fractions import Fraction

    from packaging.version import Version

    assert data_type(Version("1.0")) == "other.Other"
    assert data_type(Fraction(1, 2)) == "other.Other"
    assert data_type([1, 2]) == "builtins.list"
    importlib.import_module("napari_svg")  # installed in site-packages, listed in the index

    class Drawing:
        pass

    Drawing.__module__ = "napari_svg._drawing"
    assert data_type(Drawing()) == "other.Other"  # not among the public, stable plugins
    assert data_type(Drawing(), frozenset({"napari-svg"})) == "napari_svg.Drawing"
    Drawing.__module__ = "acme_patient_pipeline"  # a plugin's name, but not its module
    assert data_type(Drawing(), frozenset({"napari-svg"})) == "other.Other"


def test_layer_types_are_napari_classes_never_a_users_subclass() -> None:
    from napari.layers import Image as NapariImage

    class MyLabLayer(NapariImage):
        pass

    layer = MyLabLayer(np.zeros((4, 4)))
    assert describe_layer(layer)[0] == "Image"
    assert describe_layer(FakeLayer(np.zeros(2)))[0] == "Other"


def test_a_layer_whose_data_and_ndim_raise_is_described_as_unknown() -> None:
    class Broken(Image):  # type: ignore[misc, valid-type]
        @property
        def data(self) -> Any:
            raise OSError("the file went away")

        @property
        def ndim(self) -> int:
            raise ValueError("no dims")

    layer = Broken.__new__(Broken)
    assert describe_layer(layer) == ("Image", "other.Other", 0, "unknown", False, 1, -1)
