"""/intraday's today view in a real browser (Debian's Chromium, Playwright), served by
waitress: the projected band per interval with the target, the day's close against the
projection computed here from the same store, a what-if typed in that moves it, Arabic
right to left. Tests wait for text or selectors, never for time."""

from __future__ import annotations

import datetime as dt

import pytest
from support.app import ServedApp, login, make_app, new_page, shoot
from support.cli import run_cca

from analytics.centres import get_centre
from analytics.kpi.catalogue import format_value
from analytics.store import Store

pytestmark = pytest.mark.e2e
TODAY = dt.date(2026, 9, 30)
URL = "/intraday?centre=bahrain_lmra&period=2026-09&at=11:00"
SL = "sl_offered_12"


@pytest.fixture(scope="module")
def served_today(seed_store, tmp_path_factory):
    """The seed September served with 30 September as today and a forecast of it saved
    from the days before."""
    tmp = tmp_path_factory.mktemp("today")
    db = seed_store.backup(tmp / "today.duckdb").path  # catalogue and data files
    run_cca(
        "forecast", "--centre", "bahrain_lmra", "--train", "2026-09-01..2026-09-29",
        "--horizon", "1d", "--save", db=db,
    )  # fmt: skip
    served = ServedApp(make_app(Store(db), tmp, today=TODAY))
    yield served
    served.close()


@pytest.fixture
def page(browser):
    p = new_page(browser, timeout_ms=60_000)
    yield p
    p.context.close()


def figure(page) -> dict:
    return page.evaluate(
        "() => { const g = document.querySelector('#intraday-today-figure .js-plotly-plot');"
        " return {data: g.data.map(t => ({name: t.name, x: t.x, y: t.y})),"
        " shapes: (g.layout.shapes || []).map(s => ({y0: s.y0, y1: s.y1}))}; }"
    )


def projected(page, name: str) -> str:
    return page.locator(
        f"#intraday-today [data-kpi='{name}'][data-scope='projection']"
    ).inner_text()


def test_the_today_view_shows_the_band_the_target_and_a_what_if_moving_it(served_today, page):
    from analytics.kpi import call_kpi_names
    from dashboards.pages.intraday import TODAY_REPLICATIONS, _slot_of
    from simulation.intraday.day import build_plan
    from simulation.intraday.model_error import model_error, widen
    from simulation.intraday.projection import project
    from simulation.intraday.whatif import apply_changes, parse_change

    store = served_today.app.server.config["CCA"].store
    with store.reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        at = _slot_of(dt.datetime.combine(TODAY, dt.time(11), tzinfo=centre.tz))
        plan = build_plan(con, centre, at)
        # the band carries the queue model's own error, as the page's does (learnt once
        # per interval in this process: the page reuses it)
        sl_names = [k for k in call_kpi_names(centre.sl_thresholds_s) if k.startswith("sl_")]
        error = model_error(con, centre, at, sl_names, interval_s=plan.scenario.interval_s)
    base = widen(project(plan, TODAY_REPLICATIONS), error)
    more = project(apply_changes(plan, [parse_change("+4@11:00-15:00")]), TODAY_REPLICATIONS)
    assert more.day[SL] > base.day[SL]  # the what-if helps, as computed here

    login(page, served_today.url, "manager")
    page.goto(served_today.url + URL)
    page.wait_for_selector("#intraday-today-figure .js-plotly-plot")
    assert projected(page, SL) == format_value(SL, base.day[SL], "en")
    fig = figure(page)
    names = [t["name"] for t in fig["data"]]
    times = [r["interval_start"].strftime("%H:%M") for r in base.intervals]
    # the band per remaining interval: its upper edge (p90, unnamed), its lower edge
    # (p10, named for the legend) and the median, each as projected here
    lower = fig["data"][names.index("projected (p10–p90)")]
    upper = fig["data"][names.index("projected (p10–p90)") - 1]
    median = fig["data"][names.index("projected median")]
    assert lower["x"] == upper["x"] == median["x"] == times
    assert lower["y"] == pytest.approx([r[f"{SL}_p10"] for r in base.intervals])
    assert upper["y"] == pytest.approx([r[f"{SL}_p90"] for r in base.intervals])
    assert median["y"] == pytest.approx([r[SL] for r in base.intervals])
    assert all(a <= m <= b for a, m, b in zip(lower["y"], median["y"], upper["y"], strict=True))
    # the target line at the centre's target for the service level
    from dashboards.targets import targets

    target = targets(centre).get(SL)
    assert target is not None
    assert [s["y0"] for s in fig["shapes"]] == [target.value]
    before = projected(page, SL)
    shoot(page, "intraday_today_en")

    page.fill("#intraday-change", "+4@11:00-15:00")
    page.click("#intraday-recompute")
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }",
        arg=[f"#intraday-today [data-kpi='{SL}'][data-scope='projection']", before],
    )
    assert projected(page, SL) == format_value(SL, more.day[SL], "en")

    page.goto(served_today.url + URL + "&lang=ar")
    page.wait_for_selector("#intraday-today-figure .js-plotly-plot")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert projected(page, SL) == format_value(SL, base.day[SL], "ar")
    shoot(page, "intraday_today_ar")
