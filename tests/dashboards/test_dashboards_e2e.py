"""The dashboards in a real browser (Debian's Chromium, Playwright), served by waitress:
log in, every page, a filter changing a figure to the KPI layer's value, Arabic right to
left, refusals, a download, and a load published while the server runs.

Tests wait for text or selectors, never for time. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from support.app import ServedApp, login, make_app, new_page, shoot

from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.kpi.catalogue import format_value
from analytics.periods import parse_period

pytestmark = pytest.mark.e2e
SEPT = "?centre=bahrain_lmra&period=2026-09"


@pytest.fixture
def page(browser):
    p = new_page(browser, accept_downloads=True)
    yield p
    p.context.close()


def kpi_layer(served, filters=None, period="2026-09") -> dict:
    store = served.app.server.config["CCA"].store
    with store.reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        return call_kpis(con, centre, period=parse_period(period), filters=filters)[0]


def headline(page, name: str) -> str:
    return page.locator(f"#overview-period [data-kpi='{name}']").inner_text()


def open_seed_week(page, served, shown: str):
    """A planner logged in on the seed's week of 20 September, ``shown`` on screen; the
    week as the app loads it."""
    from dashboards.planner.week import load_week

    login(page, served.url, "planner")
    page.goto(served.url + "/planner?centre=bahrain_lmra&week=2026-09-20")
    page.wait_for_selector(shown)
    page.wait_for_load_state("networkidle")
    with served.app.server.app_context():
        return load_week("bahrain_lmra", "week:2026-09-20")


def test_a_manager_logs_in_and_finds_the_seed_september_in_both_languages(served_seed, page):
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/" + SEPT)
    page.wait_for_selector("#overview-period [data-kpi='answer_rate_excl_short']")
    kpis = kpi_layer(served_seed)
    for name in ("offered", "answered", "answer_rate", "answer_rate_excl_short", "sl_offered_12"):
        assert headline(page, name) == format_value(name, kpis[name], "en")
    assert kpis["offered"] == pytest.approx(11_000, rel=0.03)
    assert headline(page, "answer_rate").startswith(("90.", "91."))
    assert headline(page, "answer_rate_excl_short").startswith(("98.", "99."))
    # the formula behind the figure, shown on hover
    page.locator("#overview-period [data-kpi='answer_rate_excl_short']").hover()
    formula = page.locator(".kpi-tile:hover .formula").inner_text()
    assert f"{kpis['answered']:,} / ({kpis['offered']:,} − {kpis['short_abandoned']:,})" in formula
    # the one date format (analytics.translation.date): '30 Sep 2026 17:59'
    assert page.locator("#as-of-latest").inner_text().startswith("30 Sep 2026 ")
    shoot(page, "overview_en")

    page.goto(served_seed.url + "/" + SEPT + "&lang=ar")
    page.wait_for_selector("#overview-period [data-kpi='answer_rate_excl_short']")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert headline(page, "answer_rate_excl_short") == format_value(
        "answer_rate_excl_short", kpis["answer_rate_excl_short"], "ar"
    )
    assert "سبتمبر 2026" in page.locator(".section-title").first.inner_text()
    assert "نظرة عامة" in page.locator(".app-header").inner_text()
    shoot(page, "overview_ar")


def test_a_filter_changes_the_figures_to_the_kpi_layers_and_the_url(served_seed, page):
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/" + SEPT)
    page.wait_for_selector("#overview-period [data-kpi='offered']")
    everyone = headline(page, "offered")
    page.click("input[placeholder='All'] >> nth=0")  # the caller-category filter
    page.get_by_role("option", name="Workers").click()
    workers = kpi_layer(served_seed, {"category": ["worker"]})
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.innerText === text",
        arg=["#overview-period [data-kpi='offered']", f"{workers['offered']:,}"],
    )
    assert headline(page, "offered") != everyone
    assert "category=worker" in page.url
    assert headline(page, "asa_s") == format_value("asa_s", workers["asa_s"], "en")
    # the bookmark gives the same view
    page.goto(page.url)
    page.wait_for_selector("#overview-period [data-kpi='offered']")
    assert headline(page, "offered") == f"{workers['offered']:,}"


def test_an_executive_is_refused_admin_and_the_planners_pages(served_seed, page):
    login(page, served_seed.url, "executive")
    response = page.goto(served_seed.url + "/admin")
    assert response.status == 403
    page.goto(served_seed.url + "/" + SEPT)
    page.wait_for_selector("#overview-period")
    menu = page.locator(".app-header").inner_text()
    assert "Reports" in menu and "Admin" not in menu and "Tickets" not in menu


def test_an_anonymous_browser_gets_the_log_in_form(served_seed, page):
    page.goto(served_seed.url + "/tickets")
    assert page.url.startswith(served_seed.url + "/login")
    status = page.evaluate(
        "fetch('/_dash-update-component', {method: 'POST', body: '{}',"
        " headers: {'Content-Type': 'application/json'}}).then(r => r.status)"
    )
    assert status == 401


def test_a_report_downloads_in_arabic(served_seed, page):
    login(page, served_seed.url, "executive")
    page.goto(served_seed.url + "/reports" + SEPT)
    page.wait_for_selector("#reports-preview")
    with page.expect_download() as info:
        page.click("#reports-download-xlsx-ar")
    download = info.value
    assert re.fullmatch(r"bahrain_lmra-2026-09-ar\.xlsx", download.suggested_filename)
    path = download.path()
    assert path is not None and open(path, "rb").read(2) == b"PK"  # a zip: xlsx


@pytest.fixture
def served_copy(served_seed, tmp_path):
    """A private copy of the seed September, served: a test that publishes to it leaves
    the session's shared app as every other module expects it."""
    import datetime as dt

    store = served_seed.app.server.config["CCA"].store.backup(tmp_path / "copy.duckdb")
    served = ServedApp(make_app(store, tmp_path, today=dt.date(2026, 9, 30)))
    yield served
    served.close()


def test_a_load_published_while_serving_shows_without_a_restart(served_copy, page):
    """A load published while the app serves shows at the next request, without a
    restart (every request reads the store's latest snapshot)."""
    from cca.commands.generate import generate

    served_seed = served_copy
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/?centre=bahrain_lmra&period=2026-10")
    page.wait_for_selector("#empty-period")  # a month without calls says so, no zeros
    assert "No calls in October 2026" in page.inner_text("#empty-period")
    store = served_seed.app.server.config["CCA"].store
    generate(store, "bahrain_lmra", "2026-10", 1, 0, quiet=True)  # a writer swaps the file
    october = kpi_layer(served_seed, period="2026-10")
    assert october["offered"] > 5_000
    page.reload()
    page.wait_for_selector("#overview-period [data-kpi='offered']")
    assert headline(page, "offered") == f"{october['offered']:,}"
    assert re.match(r"\d{1,2} Oct 2026 ", page.locator("#as-of-latest").inner_text())


def test_the_wallboard_refreshes_itself(served_seed, page):
    login(page, served_seed.url, "wallboard")
    assert "/wallboard" in page.url
    page.wait_for_selector("#wallboard-total [data-kpi='offered']")
    assert page.locator(".app-header").count() == 0  # no menus
    total = kpi_layer(served_seed, period="2026-09-30")
    assert page.locator("#wallboard-total [data-kpi='offered']").inner_text() == (
        f"{total['offered']:,}"
    )
    # the page asks the server again by itself (every second in this app, 30 s by default)
    with page.expect_response(
        lambda r: (
            "_dash-update-component" in r.url and "wallboard-tick" in (r.request.post_data or "")
        )
    ) as refreshed:
        pass
    assert refreshed.value.status == 200
    assert "wallboard-content" in refreshed.value.text()


def test_a_planner_edits_agents_simulates_compares_and_downloads(served_seed, page):
    """Erlang A answers at once; the simulation runs in the background to its bands."""
    from simulation.planning.whatif import erlang_week, set_agents

    tile = "#planner-total-sl_offered_12"
    week = open_seed_week(page, served_seed, tile)
    before = erlang_week(week)
    assert page.inner_text(tile) == format_value("sl_offered_12", before.totals["sl_offered_12"])
    row = next(r for r in before.intervals if r["status"] == "red")
    cell = f".ag-row[row-id='{row['index']}'] .ag-cell[col-id='plan']"
    editor = page.locator(f"{cell} input")
    for _ in range(3):  # a double click during the grid's first render opens no editor
        page.dblclick(cell)
        try:
            editor.wait_for(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            continue
    editor.fill(str(row["plan"] + 3))
    editor.press("Enter")
    after = erlang_week(week, set_agents(week.agents, {row["index"]: row["plan"] + 3}))
    expected = format_value("sl_offered_12", after.totals["sl_offered_12"])
    # the edit changes the tile (read from the weeks, not the page: it may show it already)
    assert expected != format_value("sl_offered_12", before.totals["sl_offered_12"])
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.innerText === text", arg=[tile, expected]
    )
    shoot(page, "planner_edited")

    page.click("#planner-save-a")
    page.wait_for_selector("#planner-compare .ag-row[row-index='1']")
    assert "what-if A" in page.inner_text("#planner-compare")

    page.fill("#planner-replications", "3")
    page.click("#planner-simulate")
    page.wait_for_function(
        "() => (document.querySelector('#planner-job-message')?.innerText || '').includes('simulated')",
        timeout=120_000,
    )
    page.wait_for_function(
        "() => (document.querySelector('#planner-chart')?.textContent || '')"
        ".includes('Simulation 95% CI')"
    )
    bands = page.evaluate(
        "() => document.querySelector('#planner-chart .js-plotly-plot').data"
        ".filter(t => t.name === 'Simulation 95% CI')[0].y.filter(v => v !== null).length"
    )
    assert bands >= 50  # a band over (nearly) every open interval of the week
    # Erlang A and the simulation side by side, with why they differ and which to trust
    table = page.inner_text("#planner-models-table")
    assert "Erlang A" in table and "Why they differ" in table and "Which to trust" in table
    assert "inside the interval" in table or "outside the interval" in table
    shoot(page, "planner_simulated")

    with page.expect_download() as info:
        page.click("#planner-dl-csv")
    text = open(info.value.path(), encoding="utf-8").read().splitlines()
    assert text[0] == "interval_start,agents" and len(text) == len(week.agents) + 1
    assert f",{row['plan'] + 3}" in text[row["index"] + 1]

    # Find staffing replaces the plan: the simulation's band (of the old plan) goes and
    # says so, the old plan stays in the comparison, the line speaks for both models
    page.click("#planner-find")
    page.wait_for_function(
        "() => (document.querySelector('#planner-unmet-list')?.innerText || '')"
        ".includes('Found staffing')",
        timeout=300_000,
    )
    line = page.inner_text("#planner-unmet-list")
    assert "Erlang A" in line
    green, amber, red = (int(n) for n in page.inner_text("#planner-rag").split(" / "))
    assert ("every interval green" in line) == (amber == red == 0)
    page.wait_for_selector("#planner-sim-stale")
    names = page.evaluate(
        "() => document.querySelector('#planner-chart .js-plotly-plot').data.map(t => t.name)"
    )
    assert "Simulation 95% CI" not in names and "Simulation" not in names
    page.wait_for_function(
        "() => (document.querySelector('#planner-compare')?.innerText || '')"
        ".includes('previous plan')"
    )
    shoot(page, "planner_found")


def test_the_planner_changes_only_what_it_is_told_in_plain_words(served_seed, page):
    """Volume to 120% and Apply add no agent (± agents opens at 0); the targets are a
    form; a plan replaced by a reset stays as the previous plan; no command, file format
    or solver term on screen; Arabic too."""
    from simulation.planning.whatif import Levers, erlang_week, set_agents

    rag = "#planner-rag"
    week = open_seed_week(page, served_seed, rag)
    assert page.input_value("#planner-delta") == "0"
    for lever in ("#planner-volume", "#planner-handling", "#planner-patience"):
        assert page.input_value(lever) == "100"
    assert page.input_value("#planner-shrinkage") == "0"

    def colours(result) -> str:
        t = result.totals
        return f"{t['intervals_green']} / {t['intervals_amber']} / {t['intervals_red']}"

    def wait_text(selector: str, text: str) -> None:
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.innerText === text", arg=[selector, text]
        )

    page.fill("#planner-volume", "120")
    page.keyboard.press("Tab")
    busier = Levers(volume=1.2)
    wait_text(rag, colours(erlang_week(week, None, busier)))
    with page.expect_response(lambda r: "_dash-update-component" in r.url):
        page.click("#planner-apply-delta")  # answered before the next change is typed
    # a later change answers for the plan as it stands: unchanged by Apply
    page.fill("#planner-target-share", "85")
    page.keyboard.press("Tab")
    wait_text(rag, colours(erlang_week(week, None, busier, ["sl_offered_12>=0.85"])))
    hours = f"{erlang_week(week).totals['agent_hours']:,.1f}"
    assert page.inner_text("#planner-hours") == hours

    # a reset replaces an edited plan whole: the edited one stays as the previous plan
    first = next(r for r in erlang_week(week).intervals if r["status"] != "closed")
    cell = f".ag-row[row-id='{first['index']}'] .ag-cell[col-id='plan']"
    page.dblclick(cell)
    page.keyboard.press("Control+a")
    page.keyboard.type(str(first["plan"] + 5))
    page.keyboard.press("Enter")
    edited = set_agents(week.agents, {first["index"]: first["plan"] + 5})
    wait_text("#planner-hours", f"{erlang_week(week, edited, busier).totals['agent_hours']:,.1f}")
    page.click("#planner-reset")
    page.wait_for_selector("#planner-compare .ag-row[row-index='1']")
    assert "previous plan" in page.inner_text("#planner-compare")
    assert page.inner_text("#planner-hours") == hours

    text = page.inner_text("body")
    for jargon in ("cca backtest", "Scenario TOML", "MIP gap", "sl_offered_12>=", ">="):
        assert jargon not in text, jargon
    assert "How well does the model predict this week?" in text
    shoot(page, "planner_en_1440")

    page.goto(served_seed.url + "/planner?centre=bahrain_lmra&week=2026-09-20&lang=ar")
    page.wait_for_selector(rag)
    text = page.inner_text("body")
    for words in ("على الأقل %", "الرد خلال (ث)", "ما مدى دقة النموذج في التنبؤ بهذا الأسبوع؟"):
        assert words in text, words
    assert "cca backtest" not in text and "TOML" not in text
    shoot(page, "planner_ar_1440")
    # Erlang A beside the simulation, in Arabic
    page.fill("#planner-replications", "2")
    page.click("#planner-simulate")
    page.wait_for_selector("#planner-models-table", timeout=120_000)
    table = page.inner_text("#planner-models-table")
    assert "سبب الاختلاف" in table and "أيهما يُعتمد" in table and "Which" not in table
    shoot(page, "planner_ar_simulated")


def test_an_executive_is_refused_the_planner(served_seed, page):
    login(page, served_seed.url, "executive")
    assert page.goto(served_seed.url + "/planner").status == 403


def test_open_alerts_show_on_every_page_until_a_manager_acknowledges(served_seed, page):
    from simulation.operations.alerts import load_rules
    from simulation.operations.alerts.state import record_alert

    state = served_seed.app.server.config["CCA"].state
    alert = {
        "centre_id": "bahrain_lmra",
        "rule": "today-sl30",
        "kind": "sl_projection",
        "severity": "critical",
        "as_of": "2026-09-30T11:00:00+03:00",
        "value": 0.52,
        "threshold": 0.7,
        "message": {
            "en": "Today is projected to close at 52% within 30 s (target 70%): 2 agents short",
            "ar": "يتوقع أن يغلق اليوم عند 52% خلال 30 ث (المستهدف 70%): ينقص موظفان",
        },
    }
    alert_id = record_alert(state, alert, cooldown_s=0)
    login(page, served_seed.url, "manager")
    for path in ("/", "/tickets"):
        page.goto(served_seed.url + path + SEPT)
        page.wait_for_selector("[data-alert='sl_projection']")
        assert "2 agents short" in page.inner_text("#alerts-banner")
    page.goto(served_seed.url + "/" + SEPT + "&lang=ar")
    page.wait_for_selector("[data-alert='sl_projection']")
    assert "ينقص موظفان" in page.inner_text("#alerts-banner")
    page.click(".alert-ack")
    page.wait_for_selector("[data-alert='sl_projection']", state="detached")
    acks = [r for r in state.audit_log(50) if r["action"] == "alert_ack"]
    assert acks and acks[0]["username"] == "manager" and str(alert_id) in acks[0]["detail"]

    # an admin edits the centre's rules on /admin
    from pathlib import Path

    load_rules(state, Path("data/alerts/bahrain_lmra.toml"))
    admin = page.context.browser.new_page()
    login(admin, served_seed.url, "admin")
    admin.goto(served_seed.url + "/admin")
    admin.wait_for_function(
        "() => (document.querySelector('#admin-rules')?.innerText || '').includes('today-sl30')"
    )
    admin.close()


def test_the_planner_forecasts_the_week_and_rosters_its_plan(served_seed, page):
    login(page, served_seed.url, "planner")
    page.goto(served_seed.url + "/planner?centre=bahrain_lmra&week=2026-09-20")
    page.wait_for_selector("#planner-total-sl_offered_12")
    page.click("#planner-forecast")
    page.wait_for_selector("#planner-forecast-note")
    note = page.inner_text("#planner-forecast-note")
    assert "forecast" in note and "actual" in note and "off by" in note and "WAPE" not in note
    page.click("#planner-roster")
    page.wait_for_selector("#planner-roster-summary")
    summary = page.inner_text("#planner-roster-summary")
    assert "paid hours" in summary and "over-coverage" in summary
    assert "of the best roster" in summary and "MIP" not in summary
    # the roster's paid hours beside the plan's in the comparison
    rostered = "#planner-compare .ag-row[row-index='0'] .ag-cell[col-id='rostered_paid_hours']"
    page.wait_for_function(
        "sel => /[0-9]/.test(document.querySelector(sel)?.innerText || '')", arg=rostered
    )
    paid = float(re.search(r"paid hours ([0-9,.]+)", summary).group(1).replace(",", ""))
    shown = float(page.inner_text(rostered).replace(",", ""))
    assert shown == pytest.approx(paid, abs=0.05)
    # how good is the model here: calibrate on two weeks, predict this one (cca backtest)
    page.fill("#planner-bt-replications", "2")
    page.click("#planner-backtest")
    page.wait_for_selector("#planner-backtest-note", timeout=180_000)
    assert "answer rate" in page.inner_text("#planner-backtest-note")
    assert "2026-09-20..2026-09-26" in page.inner_text("#planner-backtest-note")
    shoot(page, "planner_forecast_roster")
