"""The published dashboard in a real headless Chromium: from file:// and from `dashboard`."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest

from napari_telemetry_server._aggregate import aggregate
from napari_telemetry_server._demo import seed
from napari_telemetry_server._demo_data import DemoShape
from napari_telemetry_server._publish import publish
from napari_telemetry_server._publish_charts import chart_specs
from napari_telemetry_server._publish_serve import make_server
from napari_telemetry_server._storage import Storage, make_engine

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "dashboard.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dashboard")
    shape = DemoShape(weeks=12, first_week_users=100, last_week_users=260)
    seed(root / "raw.sqlite", shape, seed=11, last_week="2026-W48")
    aggregate(root / "raw.sqlite", root / "aggregates.sqlite")
    publish(root / "aggregates.sqlite", root / "site")
    return {"site": root / "site", "db": root / "aggregates.sqlite"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page that records console errors and every URL it requests."""

    def __init__(self, browser: Any, url: str) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-rendered=true]", timeout=30_000)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)

    def text(self, selector: str) -> str:
        return str(self.page.inner_text(selector)).strip()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def opened(browser: Any, site: dict[str, Path]) -> Iterator[Page]:
    page = Page(browser, (site["site"] / "index.html").as_uri())
    yield page
    page.page.close()


def test_no_console_errors_and_nothing_leaves_the_machine(opened: Page) -> None:
    assert opened.errors == []
    assert opened.requests
    assert {urlparse(u).scheme for u in opened.requests} <= {"file", "data"}


def test_every_chart_renders_svg_marks(opened: Page) -> None:
    for chart_id in chart_specs():
        marks = opened.page.locator(f"#{chart_id} svg .role-mark > *").count()
        assert marks > 0, chart_id


def test_numbers_shown_match_the_aggregate_database(opened: Page, site: dict[str, Path]) -> None:
    latest_week = (
        "SELECT week, active_installs, new_installs FROM weeks "
        "WHERE status='published' ORDER BY week DESC LIMIT 1"
    )
    week, active, new = query(site["db"], latest_week)[0]
    assert opened.text("#kpi-week") == week
    assert opened.text("#kpi-active") == str(active)
    assert opened.text("#kpi-new") == str(new)
    mean = query(site["db"], f"SELECT mean_installs FROM rolling_installs WHERE week='{week}' "
                 "AND window=13")[0][0]  # fmt: skip
    assert float(opened.text("#kpi-mean-13")) == pytest.approx(mean)
    latest = dict(query(site["db"], f"SELECT plugin, installs FROM plugins WHERE week='{week}'"))
    rows = opened.page.locator("#plugin-table tbody tr")
    assert rows.count() == len({p for (p,) in query(site["db"], "SELECT plugin FROM plugins")} -
                               {"other"})  # fmt: skip
    for i in range(5):
        name, installs, _mean = (c.strip() for c in rows.nth(i).inner_text().split("\t"))
        assert int(installs) == latest[name]
    shown = opened.page.evaluate("window.napariTelemetry.views['chart-wai'].data('wai')")
    weekly = {r["week"]: r["value"] for r in shown if r["series"] == "weekly active installs"}
    assert weekly[week] == active


def test_search_box_and_plugin_page(opened: Page, site: dict[str, Path]) -> None:
    page = opened.page
    page.fill("#plugin-search", "ome-zarr")
    visible = page.locator("#plugin-table tbody tr:visible")
    assert visible.count() == 1
    visible.locator("button").click()
    page.wait_for_function("document.getElementById('plugin-name').textContent === "
                           "'napari-ome-zarr'")  # fmt: skip
    page.wait_for_selector("#chart-plugin-trend svg .role-mark > *")
    trend = page.evaluate(
        "window.napariTelemetry.views['chart-plugin-trend'].data('plugin_trend')"
    )
    db = dict(
        query(site["db"], "SELECT week, installs FROM plugins WHERE plugin='napari-ome-zarr'")
    )
    assert {r["week"]: r["value"] for r in trend if r["series"] == "weekly installs"} == db
    page.fill("#plugin-search", "")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#show-napari")
    page.wait_for_function("document.getElementById('plugin-name').textContent === 'napari'")
    page.wait_for_selector("#chart-commands svg .role-mark > *")
    shown = page.evaluate("window.napariTelemetry.views['chart-commands'].data('commands')")
    week = query(site["db"], "SELECT max(week) FROM weeks WHERE status='published'")[0][0]
    sql = f"SELECT command_id, users FROM commands WHERE plugin='napari' AND week='{week}'"
    assert {r["label"]: r["users"] for r in shown} == dict(query(site["db"], sql))
    assert opened.errors == []


def test_a_plugin_page_has_its_own_link(browser: Any, site: dict[str, Path]) -> None:
    page = Page(browser, (site["site"] / "index.html").as_uri() + "#plugin=napari-console")
    assert page.text("#plugin-name") == "napari-console"
    assert page.page.locator("#chart-plugin-versions svg .role-mark > *").count() > 0
    assert page.errors == []
    page.page.close()


def test_served_by_the_dashboard_command(
    browser: Any, site: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "public"
    shutil.copytree(site["site"], folder)
    server = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        with urlopen(base + "aggregates.json") as answer:
            assert answer.headers["Content-Type"] == "application/json"
        page = Page(browser, base)
        assert page.errors == []
        assert {urlparse(u).hostname for u in page.requests} == {"127.0.0.1"}
        assert page.page.locator("#chart-wai svg .role-mark > *").count() > 0
        page.page.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_empty_aggregate_database_gives_a_page_without_errors(
    browser: Any, tmp_path: Path
) -> None:
    Storage(make_engine(tmp_path / "raw.sqlite")).engine.dispose()
    aggregate(tmp_path / "raw.sqlite", tmp_path / "agg.sqlite")
    publish(tmp_path / "agg.sqlite", tmp_path / "site")
    page = Page(browser, (tmp_path / "site" / "index.html").as_uri())
    assert page.errors == []
    assert page.text("#kpi-week") == "–"
    assert "No published data" in page.text("#chart-wai")
    page.page.close()
