"""Photograph the public dashboard (docs/images/dashboard.png unless --out is given).

    python scripts/screenshot_dashboard.py [--out DIR]    # the picture and its manifest
    python scripts/screenshot_dashboard.py --check        # does dashboard.png show the code?

Builds the synthetic demo site (``napari-telemetry-server demo``: a year of made-up installs,
released with differential privacy by the current release code) in a temporary folder and
photographs it in Debian's headless Chromium, as the browser tests open it, with the demo's
plugin that has counters on its plugin page (what a maintainer gets). Its words (headings
and paragraphs, the noisy numbers masked) go to docs/images/screenshots.json; ``--check``
compares them (picture_manifest). Run by ``scripts/dev.py screenshots``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import picture_manifest  # the scripts' folder is on the path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
WORDS = "h1, h2, h3, p"  # what the page says; its tables and charts are numbers with noise


NUMBER = r"\d+(?:[.,]\d+)*"  # 3, 20.65, 1,234 and 0.9.2 alike


def render(site: Path, png: Path, plugin: str) -> list[str]:
    """Open *site*'s index.html at *plugin*'s page in Chromium, wait for every chart, write a
    full-page PNG; return the page's headings and paragraphs, numbers masked (they carry the
    noise)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((site / "index.html").as_uri() + f"#plugin={plugin}")
            page.wait_for_selector("body[data-rendered=true]", timeout=60_000)
            page.screenshot(path=str(png), full_page=True)
            said = page.eval_on_selector_all(WORDS, "els => els.map(e => e.innerText)")
        finally:
            browser.close()
    print(f"wrote {png}")
    # Every number is "#": the demo's figures move with the day it is drawn on (a year's ρ may be
    # 21 one day and 20.65 the next), its words do not.
    return [re.sub(NUMBER, "#", picture_manifest.mask(str(t))) for t in said if str(t).strip()]


def draw(out: Path, weeks: int) -> dict[str, list[str]]:
    """The demo site, photographed into *out*; what it says."""
    from napari_telemetry_server.demo import COUNTER_PLUGIN, DemoShape, run_demo

    with tempfile.TemporaryDirectory(prefix="napari-telemetry-dashboard-") as tmp:
        result = run_demo(Path(tmp) / "demo", DemoShape(weeks=weeks))
        return {"dashboard.png": render(result.site, out / "dashboard.png", COUNTER_PLUGIN)}


def main(argv: list[str] | None = None) -> int:
    from napari_telemetry_server.demo import DemoShape

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--weeks", type=int, default=DemoShape.weeks, help="synthetic weeks")
    parser.add_argument(
        "--check", action="store_true", help="compare with docs/images, write nothing there"
    )
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="napari-telemetry-check-") as tmp:
            return picture_manifest.check(draw(Path(tmp), args.weeks))
    args.out.mkdir(parents=True, exist_ok=True)
    drawn = draw(args.out, args.weeks)
    if args.out.resolve() == picture_manifest.MANIFEST.parent.resolve():
        picture_manifest.save(drawn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
