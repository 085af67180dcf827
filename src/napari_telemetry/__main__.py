"""``python -m napari_telemetry`` is the ``napari-telemetry`` command."""

from napari_telemetry._cli import main

raise SystemExit(main())
