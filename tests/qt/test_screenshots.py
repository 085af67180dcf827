"""The screenshots in docs/images exist, show real content, and the script renders them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PIL = pytest.importorskip("PIL.Image")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
MIN_SIZE = {
    "consent.png": (400, 400),
    "settings.png": (400, 400),
    "preview.png": (400, 400),
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


@pytest.mark.napari
@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (Xvfb)")
def test_script_renders_every_view_from_the_real_code(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for name in MIN_SIZE:
        assert_not_blank(tmp_path / name)
