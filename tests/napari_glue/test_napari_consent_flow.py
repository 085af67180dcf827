"""First launch on a desktop: the consent dialog opens once; the choice takes effect at once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from napari_telemetry._napari import _runtime
from napari_telemetry.core import _switches
from napari_telemetry.schema import Level

from .telemetry_helpers import pending

pytestmark = [pytest.mark.napari, pytest.mark.gui]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a CI run, a display: the one situation where napari-telemetry may ask (the shared
    fresh_state closes the dialog a test leaves open)."""
    monkeypatch.setattr(_switches, "ci_reason", lambda: None)


def _dialogs() -> list[Any]:
    from qtpy.QtWidgets import QApplication

    from napari_telemetry._qt._consent_dialog import ConsentDialog

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ConsentDialog)]


def test_asks_once_and_the_choice_applies_to_this_launch(
    make_napari_viewer: Any, desktop: None, qtbot: Any
) -> None:
    viewer = make_napari_viewer()
    _runtime.start(viewer)
    _runtime.start(viewer)  # a widget opened later: never a second prompt
    shown = [d for d in _dialogs() if d.isVisible()]
    assert len(shown) == 1
    viewer.add_image(np.zeros((4, 4)))
    assert pending() == {}  # nothing before consent

    shown[0].choose(Level.FULL)
    viewer.add_image(np.zeros((4, 4, 4)))
    got = pending()
    assert [r["launches"] for r in got["session"]] == [1]
    assert [r["ndim"] for r in got["layer"]] == [3]  # only what came after the choice


def test_closing_the_dialog_asks_later_and_records_nothing(
    make_napari_viewer: Any, desktop: None
) -> None:
    from napari_telemetry.core import _consent

    viewer = make_napari_viewer()
    _runtime.start(viewer)
    [dialog] = [d for d in _dialogs() if d.isVisible()]
    dialog.close()  # closing the window is "Ask me later"
    viewer.add_image(np.zeros((4, 4)))
    assert pending() == {}
    decision = _consent.effective_level(interactive=True)
    assert (decision.source, decision.should_ask) == ("later", False)  # asked again in a week


def test_dont_share_is_a_choice_and_never_asks_again(
    make_napari_viewer: Any, desktop: None
) -> None:
    from napari_telemetry.core import _consent

    viewer = make_napari_viewer()
    _runtime.start(viewer)
    [dialog] = [d for d in _dialogs() if d.isVisible()]
    dialog.buttons()["none"].click()
    viewer.add_image(np.zeros((4, 4)))
    assert pending() == {}
    decision = _consent.effective_level(interactive=True)
    assert (decision.agreed_level, decision.source, decision.should_ask) == (
        Level.NONE, "consent", False)  # fmt: skip
