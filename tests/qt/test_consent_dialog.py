"""The consent dialog: true to the schema and the publication policy, equal choices, decidable
from its first screen; closing it is "Ask me later"."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

import pytest
from pytestqt.exceptions import TimeoutError
from qtpy.QtCore import QRect, Qt
from qtpy.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QWidget

from napari_telemetry._qt import ConsentChoice, ConsentDialog, Palette, show_consent_dialog
from napari_telemetry._qt import _consent_text as words
from napari_telemetry._qt._palette import READABLE, contrast
from napari_telemetry.schema import (
    PUBLICATION,
    RAW_RETENTION_DAYS,
    SENDING_LEVELS,
    Level,
    Publication,
    catalogue,
)

from ._layout import problems

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore

LABELS = ["Don't share", "Ask me later", "Share basic", "Share middle", "Share full"]
_SUPER = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def _dialog(qtbot: QtBot, **kwargs: object) -> ConsentDialog:
    dialog = ConsentDialog(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def _button(dialog: ConsentDialog, text: str) -> QPushButton:
    return next(b for b in dialog.findChildren(QPushButton) if b.text() == text)


def test_every_field_of_the_schema_is_in_the_dialog(qtbot: QtBot) -> None:
    text = _dialog(qtbot).plainText()
    for row in catalogue():
        if row["field"] != "type":
            assert f"{row['record']}.{row['field']}" in text
    assert "napari-telemetry catalogue" in text


def test_a_new_schema_field_appears_without_editing_the_dialog(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [*catalogue(), {"level": "basic", "record": "session", "field": "gpu_vendor",
                           "type": "str", "description": "Graphics card `vendor`."}]  # fmt: skip
    monkeypatch.setattr(words, "catalogue", lambda: rows)
    assert "session.gpu_vendor: Graphics card vendor." in _dialog(qtbot).plainText()


def published(text: str) -> dict[str, object]:
    """What the dialog says about publication, read back from its words."""
    text = " ".join(text.split())  # one space for any run of spaces, non-breaking ones too

    def one(pattern: str) -> str:
        found = re.findall(pattern, text)
        assert len(set(found)) == 1, (pattern, found)  # said once, or the same way each time
        return str(found[0])

    mantissa, exponent = one(r"δ = ([\d.]+·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)").split("·10")
    return {
        "rho_unit": float(one(r"ρ = ([\d.]+) per installation and week")),
        "epsilon_unit": float(one(r"\(ε ≈ ([\d.]+), δ")),
        "delta_unit": float(mantissa) * 10 ** int(exponent.translate(_SUPER)),
        "grace_days": int(one(r"once a week \((\d+) days after it ends\)")),
        "raw_retention_days": int(one(r"raw batches (\d+) days")),
        "log_retention_days": int(one(r"the collector's logs (\d+) days")),
        "dashboard_url": "https://" + one(r"everyone sees them at ([\w.-]+?)\.(?:\s|$)"),
        "rho_week": float(one(r"spends ρ = ([\d.]+) on its own tables")),
        "rho_window": float(one(r"and ρ = ([\d.]+) on its quarter's")),
        "rho_year": float(one(r"accounting ρ = ([\d,]+),").replace(",", "")),
        "epsilon_year": float(one(r"ε ≈ ([\d,]+): no real protection").replace(",", "")),
    }


def _agrees(said: dict[str, object], p: Publication) -> None:
    assert said["rho_unit"] == pytest.approx(p.rho_unit)
    assert said["rho_week"] == pytest.approx(p.rho_week)
    assert said["rho_window"] == pytest.approx(p.rho_window)
    assert said["epsilon_unit"] == pytest.approx(p.epsilon_unit, abs=0.05)  # one decimal
    assert said["delta_unit"] == pytest.approx(p.delta_unit)
    assert said["rho_year"] == pytest.approx(p.rho_year, abs=0.5)  # a whole number
    assert said["epsilon_year"] == pytest.approx(p.epsilon_year, abs=0.5)
    for name in ("grace_days", "raw_retention_days", "log_retention_days", "dashboard_url"):
        assert said[name] == getattr(p, name), name


def test_what_it_says_about_publication_is_the_collectors_policy(qtbot: QtBot) -> None:
    """Every figure is PUBLICATION's (the collector's release defaults, ε checked by OpenDP in
    the server's tests); the old "at least 5 weekly ids" rule is gone."""
    text = _dialog(qtbot).plainText()
    _agrees(published(text), PUBLICATION)
    assert PUBLICATION.raw_retention_days == RAW_RETENTION_DAYS  # what the collector enforces
    assert "differential privacy" in text
    assert "OpenDP" in text
    for old in ("at least 5", "5 different", "k = 5", "“other”"):
        assert old not in text


def test_the_dialog_follows_the_policy_it_is_given(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a copy of today's numbers: another policy is told as it is (the check can fail)."""
    other = Publication(rho_week=0.2, rho_window=0.05, delta=5e-8, epsilon_unit=3.14,
                        rho_year=412.0, delta_year=0.01, epsilon_year=530.0, grace_days=5,
                        raw_retention_days=30, log_retention_days=7,
                        dashboard_url="https://numbers.example.org")  # fmt: skip
    monkeypatch.setattr(words, "PUBLICATION", other)
    said = published(_dialog(qtbot).plainText())
    _agrees(said, other)
    with pytest.raises(AssertionError):
        _agrees(said, PUBLICATION)


def _inside(widget: QWidget, dialog: QDialog) -> bool:
    top_left = widget.mapTo(dialog, widget.rect().topLeft())
    return QRect(0, 0, dialog.width(), dialog.height()).contains(
        QRect(top_left, widget.size()), proper=False
    )


def test_the_first_screen_says_it_all_at_640_by_480_without_scrolling(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.show()
    dialog.resize(640, 480)
    qtbot.waitExposed(dialog)
    QApplication.processEvents()
    assert (dialog.width(), dialog.height()) == (640, 480)
    assert dialog._scroll.verticalScrollBar().maximum() == 0  # no scrolling
    shown = [w for w in dialog.findChildren(QLabel) if w.isVisible()]
    said = " ".join(" ".join(w.text().split()) for w in shown)
    for phrase in (
        *(line for _, line in words.level_lines()),  # what each level sends, one line each
        "Who sees it:",
        "What is published:",
        "How long it is kept:",
        "How to stop:",
        PUBLICATION.dashboard_url,  # where the public numbers are
    ):
        assert phrase in said, phrase
    for widget in [*shown, *dialog.findChildren(QPushButton)]:
        if widget.isVisible():
            assert _inside(widget, dialog), widget
    assert not dialog._fields.isExpanded()  # the field lists are folded away
    found = problems(dialog)
    assert not found, "\n".join(found)


def test_unfolded_the_field_lists_are_whole(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.show()
    dialog.resize(640, 480)
    qtbot.waitExposed(dialog)
    dialog._fields.expand(animate=False)
    dialog._protection.expand(animate=False)
    with contextlib.suppress(TimeoutError):  # the layout settles over a few events
        qtbot.waitUntil(lambda: not problems(dialog), timeout=2000)
    found = problems(dialog)
    assert not found, "\n".join(found)
    assert dialog._scroll.verticalScrollBar().maximum() > 0  # now it scrolls


def test_choices_have_equal_weight(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    buttons = [b for b in dialog.findChildren(QPushButton) if b.text() in LABELS]
    assert [b.text() for b in buttons] == LABELS
    assert not any(b.isDefault() or b.autoDefault() or b.isChecked() for b in buttons)
    assert len({b.styleSheet() for b in buttons}) == 1
    assert len({b.minimumWidth() for b in buttons}) == 1


@pytest.mark.parametrize(
    ("button", "temporary", "expected"),
    [
        ("Don't share", False, ConsentChoice(Level.NONE)),
        ("Don't share", True, ConsentChoice(Level.NONE)),
        ("Ask me later", True, ConsentChoice(Level.NONE, later=True)),
        *[(f"Share {lv.value}", False, ConsentChoice(lv)) for lv in SENDING_LEVELS],
        ("Share middle", True, ConsentChoice(Level.MIDDLE, words.TEMPORARY_DAYS)),
    ],
)
def test_each_button_returns_its_choice(
    qtbot: QtBot, button: str, temporary: bool, expected: ConsentChoice
) -> None:
    dialog = _dialog(qtbot)
    dialog.open()
    dialog._temporary.setChecked(temporary)
    with qtbot.waitSignal(dialog.choiceMade) as blocker:
        qtbot.mouseClick(_button(dialog, button), Qt.MouseButton.LeftButton)
    assert blocker.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_closing_the_window_is_ask_me_later(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.open()
    dialog._temporary.setChecked(True)
    with qtbot.waitSignal(dialog.choiceMade) as blocker:
        dialog.close()
    assert blocker.args == [ConsentChoice(Level.NONE, later=True)]


def test_escape_is_ask_me_later_and_reported_once(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.open()
    seen: list[object] = []
    dialog.choiceMade.connect(seen.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    assert seen == [ConsentChoice(Level.NONE, later=True)]


def test_changed_fields_are_shown_with_their_markup(qtbot: QtBot) -> None:
    changes = ["`layer.dtype`: now also reports `bool`", "`session.os_version`: no longer sent"]
    text = _dialog(qtbot, changes=changes).plainText()
    assert "What changed since you agreed" in text
    assert "layer.dtype: now also reports bool" in text
    assert "`" not in text
    assert "What changed" not in _dialog(qtbot).plainText()


def test_the_choice_is_recorded_through_the_controller(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    _button(dialog, "Share full").click()
    assert fake_core.agreed is Level.FULL
    assert fake_controller.decision().level is Level.FULL  # type: ignore[union-attr]


def test_dont_share_records_none_and_ask_me_later_records_no_choice(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    dialog.close()  # the window's close button: "Ask me later"
    assert (fake_core.postponed, fake_core.calls.count("record_consent")) == (1, 0)
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    _button(dialog, "Don't share").click()
    assert fake_core.calls.count("record_consent") == 1
    assert (fake_core.agreed, fake_core.asked) == (Level.NONE, True)


def test_reopened_it_shows_the_current_choice(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    first = show_consent_dialog(fake_controller)
    qtbot.addWidget(first)
    assert first._current is None  # nothing chosen yet: nothing to show
    first.choose(Level.MIDDLE)
    dialog = show_consent_dialog(fake_controller)
    qtbot.addWidget(dialog)
    assert dialog._current is not None
    assert "Now: you agreed." in dialog.plainText()
    checked = [b.text() for b in dialog.buttons().values() if b.isChecked()]
    assert checked == ["Share middle"]
    keep = dialog.buttons()["later"]
    assert keep.text() == "Keep my choice"  # "later" keeps a choice that holds
    keep.click()
    assert fake_core.agreed is Level.MIDDLE


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_links_and_errors_read_well_in_napari_theme(qtbot: QtBot, theme: str) -> None:
    napari_theme = pytest.importorskip("napari.utils.theme")
    t = napari_theme.get_theme(theme)
    palette = Palette.from_theme(text=t.text.as_hex(), background=t.background.as_hex(),
                                 error=t.error.as_hex(), current=t.current.as_hex(),
                                 dark=t.type == "dark")  # fmt: skip
    assert contrast(palette.link, palette.background) >= READABLE
    assert contrast(palette.error_text, palette.background) >= READABLE
    dialog = _dialog(qtbot, palette=palette)
    links = [w.text() for w in dialog.findChildren(QLabel) if "<a " in w.text()]
    assert links
    assert all(f"color:{palette.link}" in html for html in links)
