"""Render the public dashboard to PNG (docs/images/dashboard.png unless --out is given).

    python scripts/screenshot_dashboard.py [--out DIR]

Builds the synthetic demo site (``napari-telemetry-server demo``: a year of made-up installs,
released with differential privacy) in a temporary folder and photographs it in Debian's
headless Chromium, as the browser tests open it. Run by ``scripts/dev.py screenshots``; the test
suite only runs it into a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def render(site: Path, png: Path) -> None:
    """Open *site*'s index.html in Chromium, wait for every chart, write a full-page PNG."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((site / "index.html").as_uri())
            page.wait_for_selector("body[data-rendered=true]", timeout=60_000)
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    print(f"wrote {png}")


def main(argv: list[str] | None = None) -> int:
    from napari_telemetry_server.demo import DemoShape, run_demo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--weeks", type=int, default=DemoShape.weeks, help="synthetic weeks")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="napari-telemetry-dashboard-") as tmp:
        result = run_demo(Path(tmp) / "demo", DemoShape(weeks=args.weeks))
        render(result.site, args.out / "dashboard.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
