"""Packaging: one npe2 manifest, discovered by npe2 from the editable install.

The built wheels and sdists themselves are tested in tests/test_wheels.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGED_MANIFEST = ROOT / "src" / "napari_telemetry" / "_manifest" / "napari.yaml"
DISCOVER = (
    "import json, importlib.util, npe2\n"
    "pm = npe2.PluginManager()\n"
    "pm.discover()\n"
    "mf = pm.get_manifest('napari-telemetry')\n"
    "spec = importlib.util.find_spec('napari_telemetry._manifest')\n"
    "path = [str(p) for p in spec.submodule_search_locations][0] + '/napari.yaml'\n"
    "print(json.dumps({'name': mf.name, 'path': path,"
    " 'widgets': [w.display_name for w in mf.contributions.widgets or []]}))\n"
)


def _discover(python: str | Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(python), "-c", DISCOVER], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_manifest_has_one_source_of_truth() -> None:
    assert PACKAGED_MANIFEST.is_symlink()
    assert PACKAGED_MANIFEST.resolve() == (ROOT / "napari.yaml").resolve()


@pytest.mark.parametrize("target", [str(ROOT / "napari.yaml"), "napari-telemetry"])
def test_npe2_validate_passes(target: str) -> None:
    npe2 = Path(sys.executable).parent / "npe2"
    out = subprocess.run([str(npe2), "validate", target], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid" in out.stdout


def test_editable_install_is_discovered() -> None:
    found = _discover(sys.executable)
    assert found["name"] == "napari-telemetry"
    assert Path(str(found["path"])).resolve() == (ROOT / "napari.yaml").resolve()
    assert "Settings" in found["widgets"]  # type: ignore[operator]
