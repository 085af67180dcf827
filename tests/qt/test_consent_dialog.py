"""The consent dialog: generated text, equal choices, closing means "not now"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QDialog, QPushButton

from napari_telemetry._qt import ConsentChoice, ConsentDialog, show_consent_dialog
from napari_telemetry._qt._consent_text import CATALOGUE_URL, TEMPORARY_DAYS, consent_html
from napari_telemetry.schema import SENDING_LEVELS, Level, catalogue

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


def _button(dialog: ConsentDialog, text: str) -> QPushButton:
    return next(b for b in dialog.findChildren(QPushButton) if b.text() == text)


def test_text_is_generated_from_the_schema() -> None:
    html = consent_html()
    for row in catalogue():
        if row["field"] != "type":
            assert f"{row['record']}.{row['field']}" in html
    for phrase in ("60 days", "aggregates", "NAPARI_TELEMETRY=0", CATALOGUE_URL):
        assert phrase in html


def test_a_new_schema_field_appears_without_editing_the_dialog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from napari_telemetry._qt import _consent_text

    rows = [
        *catalogue(),
        {
            "level": "basic",
            "record": "session",
            "field": "gpu_vendor",
            "type": "str",
            "description": "Graphics card vendor.",
        },
    ]
    monkeypatch.setattr(_consent_text, "catalogue", lambda: rows)
    assert "session.gpu_vendor</code>: Graphics card vendor." in _consent_text.consent_html()


def test_choices_have_equal_weight(qtbot: QtBot) -> None:
    dialog = ConsentDialog()
    qtbot.addWidget(dialog)
    buttons = dialog.findChildren(QPushButton)
    assert [b.text() for b in buttons] == ["Not now"] + [
        f"Share {lv.value}" for lv in SENDING_LEVELS
    ]
    assert not any(b.isDefault() or b.autoDefault() for b in buttons)
    assert len({b.styleSheet() for b in buttons}) == 1
    assert len({b.minimumWidth() for b in buttons}) == 1


def _open_dialog(qtbot: QtBot) -> ConsentDialog:
    dialog = ConsentDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


@pytest.mark.parametrize(
    ("button", "temporary", "expected"),
    [
        ("Not now", False, ConsentChoice(Level.NONE, None)),
        ("Not now", True, ConsentChoice(Level.NONE, None)),
        *[(f"Share {lv.value}", False, ConsentChoice(lv, None)) for lv in SENDING_LEVELS],
        ("Share middle", True, ConsentChoice(Level.MIDDLE, TEMPORARY_DAYS)),
    ],
)
def test_each_button_returns_its_choice(
    qtbot: QtBot, button: str, temporary: bool, expected: ConsentChoice
) -> None:
    dialog = _open_dialog(qtbot)
    dialog._temporary.setChecked(temporary)
    with qtbot.waitSignal(dialog.choiceMade) as blocker:
        qtbot.mouseClick(_button(dialog, button), Qt.MouseButton.LeftButton)
    assert blocker.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_closing_the_window_is_not_now(qtbot: QtBot) -> None:
    dialog = _open_dialog(qtbot)
    dialog._temporary.setChecked(True)
    with qtbot.waitSignal(dialog.choiceMade) as blocker:
        dialog.close()
    assert blocker.args == [ConsentChoice(Level.NONE, None)]
    assert dialog.choice() == ConsentChoice(Level.NONE, None)


def test_escape_is_not_now_and_reported_once(qtbot: QtBot) -> None:
    dialog = _open_dialog(qtbot)
    seen: list[object] = []
    dialog.choiceMade.connect(seen.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    assert seen == [ConsentChoice(Level.NONE, None)]


def test_changed_fields_are_shown(qtbot: QtBot) -> None:
    changes = ["`layer.dtype`: now also reports `bool`", "`session.os_version`: no longer sent"]
    dialog = ConsentDialog(changes)
    qtbot.addWidget(dialog)
    text = dialog._text.toPlainText()
    assert "What changed since you agreed" in text
    assert "layer.dtype: now also reports bool" in text
    assert "session.os_version: no longer sent" in text
    assert "What changed" not in ConsentDialog()._text.toPlainText()


def test_show_consent_dialog_records_through_the_controller(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    _button(dialog, "Share full").click()
    assert fake_core.agreed is Level.FULL
    assert fake_controller.decision().level is Level.FULL


def test_dialog_closed_by_window_close_records_none(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.agreed = Level.BASIC
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    dialog.close()
    assert fake_core.calls.count("record_consent") == 1
    assert fake_core.agreed is Level.NONE


def test_a_changed_level_shows_what_changed_from_the_real_record(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    import json

    from napari_telemetry.core import _consent, _paths

    _consent.record_consent(Level.BASIC)
    path = _paths.consent_file()
    record = json.loads(path.read_text())
    record["fields"] = [f for f in record["fields"] if f != "session.arch"] + ["session.gpu"]
    record["schema_hash"] = "0" * 16  # agreed to an older schema
    record["terms"]["session.os_name"]["enum"].remove("other")
    record["terms"]["session.gpu"] = record["terms"].pop("session.arch")
    path.write_text(json.dumps(record))
    dialog = show_consent_dialog(real_controller)
    qtbot.addWidget(dialog)
    text = dialog._text.toPlainText()
    assert "session.arch: new: CPU architecture" in text
    assert "session.gpu: no longer sent" in text
    assert "session.os_name: now also reports other" in text
