"""The screenshots in docs/images exist, show real content, and show what the code draws today
(the scripts' ``--check``: the texts each picture shows against docs/images/screenshots.json)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PIL = pytest.importorskip("PIL.Image")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
DASHBOARD = ROOT / "scripts" / "screenshot_dashboard.py"
MIN_SIZE = {
    "consent.png": (640, 480),  # the dialog's first screen
    "settings.png": (300, 400),  # napari's dock width
    "preview.png": (300, 400),
    "statusbar.png": (400, 15),
}


def assert_not_blank(path: Path) -> None:
    """A real rendering: big enough, many colours, no single colour covering nearly all of it."""
    with PIL.open(path) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    min_w, min_h = MIN_SIZE[path.name]
    assert width >= min_w, f"{path.name} is {width} px wide"
    assert height >= min_h, f"{path.name} is {height} px high"
    colours = rgb.getcolors(maxcolors=width * height)
    assert colours is not None
    assert len(colours) >= 16, f"{path.name} has only {len(colours)} colours"
    top = max(count for count, _ in colours)
    assert top / (width * height) < 0.97, f"{path.name} is almost one colour"
    low, high = rgb.convert("L").getextrema()
    assert high - low > 100, f"{path.name} has no contrast (text would have it)"


@pytest.mark.parametrize("name", sorted(MIN_SIZE))
def test_committed_screenshot_shows_content(name: str) -> None:
    assert_not_blank(ROOT / "docs" / "images" / name)


@pytest.mark.parametrize("blank", ["white", "black"])
def test_a_blank_image_is_caught(tmp_path: Path, blank: str) -> None:
    path = tmp_path / "preview.png"
    PIL.new("RGB", (640, 480), blank).save(path)
    with pytest.raises(AssertionError):
        assert_not_blank(path)


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def _tracked() -> dict[str, bytes]:
    folder = ROOT / "docs" / "images"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (Xvfb)")
def test_script_renders_every_view_from_the_real_code(tmp_path: Path) -> None:
    done = _script(str(SCRIPT), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    for name in MIN_SIZE:
        assert_not_blank(tmp_path / name)


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (Xvfb)")
def test_the_pictures_of_the_views_show_what_the_code_draws() -> None:
    before = _tracked()
    done = _script(str(SCRIPT), "--check")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert _tracked() == before  # the check writes no tracked file


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_picture_shows_what_the_release_code_draws() -> None:
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("napari_telemetry_server")
    if not Path("/usr/bin/chromium").exists() and not os.environ.get(
        "NAPARI_TELEMETRY_REQUIRE_ALL"
    ):
        pytest.skip("no Chromium at /usr/bin/chromium")
    before = _tracked()
    done = _script(str(DASHBOARD), "--check")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert _tracked() == before


def test_a_picture_that_no_longer_shows_the_code_fails_and_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import picture_manifest

    committed = picture_manifest.load()
    assert set(committed) == {*MIN_SIZE, "dashboard.png"}  # every picture has its words
    drawn = {**committed, "consent.png": [*committed["consent.png"], "Only aggregates of 5"]}
    assert picture_manifest.check(committed) == 0
    assert picture_manifest.check(drawn) == 1
    said = capsys.readouterr().out
    assert "docs/images/consent.png no longer shows what the code draws" in said
    assert "+Only aggregates of 5" in said
    assert "python3 scripts/dev.py screenshots" in said
