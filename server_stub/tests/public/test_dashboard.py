"""The published dashboard in a real headless Chromium: from file:// and from `dashboard`."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest

from napari_telemetry.schema import shift_week, week_start
from napari_telemetry_server.demo import (
    COUNTER_PLUGIN,
    DemoShape,
    make_batch,
    seed,
    sign_demo_collection,
)
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._publish import publish
from napari_telemetry_server.public._publish_charts import chart_specs
from napari_telemetry_server.public._publish_serve import make_server
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import Storage, make_engine

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


HOSTILE = {
    "os_version": "</script><!--<script>alert(1)//",
    "napari_version": "<!--<script>",
    "plugin": "napari-x</script>&amp;",
    "data_type": "numpy.nd\u2028</script>\u2029",
}
LAST, TODAY = "2026-W48", date(2026, 12, 3)


def hostile_batches(week: str, n: int) -> list[Any]:
    """Batches no client may send (the wire schema refuses them), stored behind its back."""
    from napari_telemetry.schema import LayerRecord, SessionRecord

    out: list[Any] = []
    for _ in range(n):
        user = uuid.uuid4().hex
        rec = SessionRecord.model_construct(
            type="session", napari_version=HOSTILE["napari_version"], python_version="3.12.4",
            os_name="Linux", os_version=HOSTILE["os_version"], arch="x86_64", launches=1,
        )  # fmt: skip
        out.append(make_batch("basic", user, week, [session()]).model_copy(
            update={"records": [rec]}))  # fmt: skip
        plugin = make_batch("middle", user, week, [{"type": "plugin", "name": "napari-svg",
                                                    "version": "0.2.1"}])  # fmt: skip
        plugin.records[0] = plugin.records[0].model_copy(update={"name": HOSTILE["plugin"]})
        out.append(plugin)
        layer = LayerRecord.model_construct(type="layer", layer_type="Image",
            data_type=HOSTILE["data_type"], ndim=2, dtype="uint8", multiscale=False,
            levels=1, size_bucket=20, count=1)  # fmt: skip
        used = [{"type": "command", "command_id": "napari:x", "plugin": "napari", "count": 1}]
        full = make_batch("full", user, week, used)
        out.append(full.model_copy(update={"records": [layer]}))
    return out


def session() -> dict[str, Any]:
    return {
        "type": "session", "napari_version": "0.6.4", "python_version": "3.12.4",
        "os_name": "Linux", "os_version": "ubuntu-24", "arch": "x86_64", "launches": 1,
    }  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dashboard")
    shape = DemoShape(weeks=16, first_week_users=500, last_week_users=800)
    seed(root / "raw.sqlite", shape, seed=11, last_week=LAST)
    engine = make_engine(root / "raw.sqlite")
    Storage(engine).insert_batches(hostile_batches(LAST, 160))
    engine.dispose()
    first = shift_week(LAST, 1 - shape.weeks)
    calendar = ReleaseSettings(first_week=first)  # the data's first week
    collection = sign_demo_collection(root, week_start(first), TODAY)
    aggregate(root / "raw.sqlite", root / "aggregates.sqlite", settings=calendar, today=TODAY,
              assume_complete=True, collection=collection)  # fmt: skip
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


def svg_texts(page: Page, selector: str) -> list[str]:
    return list(page.page.locator(selector).evaluate_all("(els) => els.map(e => e.textContent)"))


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
    # A plugin's own commands are rarely common enough to clear the weekly threshold: its chart
    # then says so (napari's own commands are drawn in test_search_box_and_plugin_page).
    for chart_id in chart_specs():
        if chart_id == "chart-plugin-counter":  # drawn once per counter of a plugin (below)
            continue
        marks = opened.page.locator(f"#{chart_id} svg .role-mark > *").count()
        if chart_id == "chart-commands" and marks == 0:
            assert "Nothing released here yet" in opened.text(f"#{chart_id}")
            continue
        assert marks > 0, chart_id


def test_numbers_shown_match_the_aggregate_database(opened: Page, site: dict[str, Path]) -> None:
    week, active, new = query(site["db"], "SELECT week, active_installs, new_installs FROM weeks "
                                          "ORDER BY week DESC LIMIT 1")[0]  # fmt: skip
    assert week == LAST
    assert opened.text("#kpi-week") == week
    assert re.fullmatch(rf"{active} ± [0-9]+", opened.text("#kpi-active"))
    assert re.fullmatch(rf"{new} ± [0-9]+", opened.text("#kpi-new"))
    mean = query(site["db"], f"SELECT mean_installs FROM rolling_installs WHERE week='{week}' "
                 "AND window=13")[0][0]  # fmt: skip
    assert float(opened.text("#kpi-mean-13")) == pytest.approx(mean)
    latest = dict(query(site["db"], f"SELECT plugin, installs FROM plugins WHERE week='{week}'"))
    last = "(SELECT max(period) FROM plugin_windows)"
    window = dict(query(site["db"], f"SELECT plugin, mean_installs FROM plugin_windows "
                                    f"WHERE period = {last}"))  # fmt: skip
    rows = opened.page.locator("#plugin-table tbody tr")
    assert rows.count() == len((set(latest) | set(window)) - {"other"})
    assert "2026-Q3" in opened.text("#plugin-mean-head")
    for i in range(5):
        name, installs, mean_text = (c.strip() for c in rows.nth(i).inner_text().split("\t"))
        if name in latest:
            assert re.fullmatch(rf"{latest[name]} ± [0-9.]+", installs)
        else:  # common over the quarter, not in the latest week
            assert installs == "below the threshold"
        value, accuracy = mean_text.split(" ± ")
        assert float(value) == pytest.approx(window[name])
        assert float(accuracy) > 0
    shown = opened.page.evaluate("window.napariTelemetry.views['chart-wai'].data('wai')")
    weekly = {r["week"]: r["value"] for r in shown if r["series"] == "weekly active installs"}
    assert weekly[week] == active


def test_week_axes_are_labelled_with_the_iso_week_of_the_data(opened: Page) -> None:
    for chart in ("chart-wai", "chart-napari"):
        labels = svg_texts(opened, f"#{chart} svg .role-axis-label text")
        assert LAST in labels, chart  # "2026-W48", never a Sunday-based "2026 W48"
        assert all(not re.fullmatch(r"[0-9]{4} W[0-9]+", t) for t in labels), chart


def test_hostile_values_are_shown_as_text_and_break_nothing(
    opened: Page, site: dict[str, Path]
) -> None:
    html = (site["site"] / "index.html").read_text()
    for value in HOSTILE.values():
        assert value not in html  # only escaped forms in the page source
    assert "</script>" not in html.split('id="page-data"')[1].split("</script>")[0]
    os_rows = opened.page.evaluate("window.napariTelemetry.views['chart-os'].data('os_release')")
    assert "Linux " + HOSTILE["os_version"] in {r["label"] for r in os_rows}
    labels = svg_texts(opened, "#chart-napari svg .role-legend-label text")
    assert HOSTILE["napari_version"] in labels
    assert opened.page.locator("#plugin-table tbody tr", has_text="napari-x</script>").count() == 1
    types = opened.page.evaluate(
        "window.napariTelemetry.views['chart-data-types'].data('data_type')"
    )
    assert HOSTILE["data_type"] in {r["label"] for r in types}
    assert opened.page.evaluate("document.querySelectorAll('script').length") == 5
    assert opened.errors == []


def test_the_front_section_says_what_this_is(opened: Page) -> None:
    about = opened.text("#about")
    for words in ("opt in", "napari-telemetry disable", "DO_NOT_TRACK", "data catalogue",
                  "privacy notes"):  # fmt: skip
        assert words in about, words
    links = opened.page.locator("#about a").evaluate_all("(els) => els.map(e => e.href)")
    assert any(h.endswith("docs/privacy.md") for h in links)
    assert any(h.endswith("docs/data-catalogue.md") for h in links)
    assert "± " in opened.text("#methodology")
    assert "ε =" in opened.text("#methodology")


def test_search_box_and_plugin_page(opened: Page, site: dict[str, Path]) -> None:
    page = opened.page
    page.fill("#plugin-search", "ome-zarr")
    visible = page.locator("#plugin-table tbody tr:visible")
    assert visible.count() == 1
    visible.locator("button").click()
    page.wait_for_function("document.getElementById('plugin-name').textContent === "
                           "'napari-ome-zarr'")  # fmt: skip
    db = query(site["db"], "SELECT week, installs FROM plugins WHERE plugin='napari-ome-zarr' "
               "ORDER BY week")  # fmt: skip
    # The chart drawn anew with the plugin's weekly installs (a wait for marks alone could
    # see the previous plugin's, or a first mark too small to be visible).
    page.wait_for_function(TREND_IS, arg=[list(r) for r in db])
    page.fill("#plugin-search", "")
    page.click("#show-napari")
    page.wait_for_function("document.getElementById('plugin-name').textContent === 'napari'")
    page.wait_for_selector("#chart-commands svg .role-mark > *")
    shown = page.evaluate("window.napariTelemetry.views['chart-commands'].data('commands')")
    week = query(site["db"], "SELECT max(week) FROM weeks")[0][0]
    sql = f"SELECT command_id, users FROM commands WHERE plugin='napari' AND week='{week}'"
    assert {r["label"]: r["users"] for r in shown} == dict(query(site["db"], sql))
    assert opened.errors == []


# A seam in the page: the next trend chart's vegaEmbed call (the page's one drawing call) waits.
SLOW_NEXT_TREND = """() => {
  const real = window.vegaEmbed;
  let slow = true;
  window.vegaEmbed = (el, spec, options) => {
    if (slow && spec.datasets.plugin_trend) {
      slow = false;
      return new Promise((done) => setTimeout(done, 1500)).then(() => real(el, spec, options));
    }
    return real(el, spec, options);
  };
}"""


def test_a_slow_chart_never_draws_over_the_plugin_chosen_after_it(
    browser: Any, site: dict[str, Path]
) -> None:
    """Charts are drawn asynchronously: the chart of a plugin chosen first, finishing after
    another plugin was chosen, is dropped instead of replacing the one on screen."""
    opened = Page(browser, (site["site"] / "index.html").as_uri())
    page = opened.page
    page.evaluate(SLOW_NEXT_TREND)
    first, second = "napari-console", "napari-ome-zarr"
    for name in (first, second):
        page.click(f'#plugin-table tbody tr[data-plugin="{name}"] button')
    db = query(site["db"], f"SELECT week, installs FROM plugins WHERE plugin='{second}' "
               "ORDER BY week")  # fmt: skip
    page.wait_for_function(TREND_IS, arg=[list(r) for r in db])
    page.wait_for_timeout(2_500)  # the first plugin's chart has finished meanwhile
    assert page.evaluate(TREND_IS, [list(r) for r in db])
    assert page.locator("#chart-plugin-trend svg.marks").count() == 1
    assert opened.text("#plugin-name") == second
    assert opened.errors == []
    page.close()


TREND_IS = """(expected) => {
  const view = window.napariTelemetry.views['chart-plugin-trend'];
  // no week of the plugin cleared the noisy threshold: no chart is drawn (nothing to compare)
  if (!view) { return expected.length === 0; }
  const got = view.data('plugin_trend').filter((r) => r.series === 'weekly installs')
    .map((r) => [r.week, r.value]).sort();
  return JSON.stringify(got) === JSON.stringify(expected);
}"""


def test_a_plugin_page_has_its_own_link(browser: Any, site: dict[str, Path]) -> None:
    page = Page(browser, (site["site"] / "index.html").as_uri() + "#plugin=napari-console")
    assert page.text("#plugin-name") == "napari-console"
    assert page.page.locator("#chart-plugin-versions svg .role-mark > *").count() > 0
    assert page.errors == []
    page.page.close()


def test_a_plugin_page_shows_its_counters_with_their_intervals(
    browser: Any, site: dict[str, Path]
) -> None:
    page = Page(browser, (site["site"] / "index.html").as_uri() + "#plugin=" + COUNTER_PLUGIN)
    assert page.page.locator("#chart-counter-1 svg .role-mark > *").count() > 0  # rendered
    assert [page.text(f"#plugin-counters h3:nth-of-type({i})") for i in (1, 2)] == [
        f"Counter {COUNTER_PLUGIN}.models", f"Counter {COUNTER_PLUGIN}.segmentations"]  # fmt: skip
    db, plugin = site["db"], f"plugin = '{COUNTER_PLUGIN}'"
    latest = {(c, label): n for c, label, n in query(db, "SELECT counter, label, installs FROM "
              f"counters WHERE {plugin} AND week = '{LAST}'")}  # fmt: skip
    quarter = {
        (c, label): m
        for c, label, m in query(
            db,
            "SELECT counter, label, "
            f"mean_installs FROM counter_windows WHERE {plugin} AND period = '2026-Q3'",
        )
    }
    assert (
        set(latest)
        == set(quarter)
        == {("models", "cyto"), ("models", "nuclei"), ("models", "tissue"), ("segmentations", "")}
    )
    tables = page.page.locator("#plugin-counters table")
    assert f"weekly installs, {LAST}" in tables.nth(0).inner_text()
    assert "mean weekly installs, 2026-Q3" in tables.nth(0).inner_text()
    for i, name in enumerate(("models", "segmentations")):
        for tr in tables.nth(i).locator("tbody tr").all():
            label, week, mean, _ = (c.strip() for c in tr.inner_text().split("\t"))
            label = "" if label == "(no label)" else label
            assert re.fullmatch(rf"{latest[(name, label)]} ± [0-9.]+", week)
            assert re.fullmatch(rf"{quarter[(name, label)]:g} ± [0-9.]+", mean)
    trend = page.page.evaluate(
        "window.napariTelemetry.views['chart-counter-0'].data('counter_trend')"
    )
    weekly = {(r["week"], r["series"]): r["value"] for r in trend}
    assert weekly == {(w, label): n for w, label, n in query(db, "SELECT week, label, installs "
                      f"FROM counters WHERE {plugin} AND counter = 'models'")}  # fmt: skip
    assert all(r["low"] <= r["value"] < r["high"] for r in trend)  # the 95 % band
    assert page.text("#counter-plugins") == COUNTER_PLUGIN
    page.page.click("#show-napari")  # napari has no counters of its own: the box goes
    page.page.wait_for_function("document.getElementById('plugin-counters').hidden")
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
    aggregate(tmp_path / "raw.sqlite", tmp_path / "agg.sqlite", today=TODAY)
    publish(tmp_path / "agg.sqlite", tmp_path / "site")
    page = Page(browser, (tmp_path / "site" / "index.html").as_uri())
    assert page.errors == []
    assert page.text("#kpi-week") == "–"
    assert "Nothing released here yet" in page.text("#chart-wai")
    page.page.close()


def test_the_screenshot_script_photographs_the_page(browser: Any, tmp_path: Path) -> None:
    """`scripts/dev.py screenshots` makes docs/images/dashboard.png this way; tests never do."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[3] / "scripts" / "screenshot_dashboard.py"
    cmd = [sys.executable, str(script), "--out", str(tmp_path), "--weeks", "16"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    png = (tmp_path / "dashboard.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 100_000
