"""``napari-telemetry preview --explain``: each field with its description from the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent
from napari_telemetry.core._store import get_recorder
from napari_telemetry.schema import Level, catalogue

TOOL = Path(sys.executable).parent / "napari-telemetry"


def _record_full_day() -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    recorder.count("plugin", ("napari-svg", "0.2.1"))
    recorder.count("command", ("napari.window.file.open_files_dialog", "napari"))
    recorder.count("layer", ("Image", "numpy.ndarray", 2, "uint8", False, 1, 20))
    recorder.count("counter", ("napari-example", "segmentations", "cyto"))
    recorder.flush(timeout=2)


def _first_words(description: str) -> str:
    return " ".join(description.split()[:4])


def test_the_real_cli_explains_every_field_it_shows() -> None:
    _record_full_day()
    done = subprocess.run(
        [TOOL, "preview", "--explain"], env=dict(os.environ), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # descriptions are wrapped to the terminal width
    for level in ("basic", "middle", "full"):
        assert f"({level} stream)" in text
    for row in catalogue():
        if row["field"] != "type":
            assert _first_words(row["description"]) in text, row
    assert "command_id: napari.window.file.open_files_dialog" in done.stdout
    assert "(no description)" not in text


def test_explain_and_json_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["preview", "--explain", "--json"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_nothing_pending_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--explain"]) == 0
    assert capsys.readouterr().out == "Nothing is waiting to be sent.\n"
