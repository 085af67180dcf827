"""A napari session with an in-house array class and a plugin under development (issue 11).

Run by ``test_private_names.py`` with the Python of a throwaway environment in which
``acme_patient_pipeline`` (a private package with an array-like ``PatientVolume``) and
``napari-devplug`` 0.1.0.dev3 (a plugin the public index lists, at a development version) are
installed in site-packages. Adds a ``PatientVolume`` and a numpy image, runs a napari command
through app-model and the dev plugin's command through npe2, and closes napari.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from demo_session import pump  # the demo's own session helper


def main() -> int:
    import napari
    import npe2
    from acme_patient_pipeline import PatientVolume
    from app_model import Application

    viewer = napari.Viewer(title="napari-telemetry private names")
    pump(1.0)
    viewer.add_image(PatientVolume(), name="patient-0042-volume")
    viewer.add_image(np.zeros((16, 16), np.uint8), name="patient-0042-mask")
    app = Application.get_app("napari")
    assert app is not None
    app.commands.execute_command("napari.canvas.toggle_scale_bar").result()
    assert npe2.PluginManager.instance().commands.execute("napari-devplug.hello") == "hello"
    pump(2.0)
    viewer.close()
    pump(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
