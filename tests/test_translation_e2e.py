"""Arabic that reads right, in a real browser (Debian's Chromium, Playwright): Latin runs
inside Arabic titles keep their place ("(إرلانغ A)", not "(A إرلانغ)" read right to left),
dates in the one format of analytics.translation, no internal KPI names or seed numbers on
a tile or a title (the names stay in the tooltips), the words from the one catalogue.

Tests wait for text or selectors, never for time. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from conftest import ARTIFACTS, login

from analytics.translation import date, gettext

pytestmark = pytest.mark.e2e
SEPT = "?centre=bahrain_lmra&period=2026-09"
KPI_NAME = re.compile(
    r"\b(?:sl_(?:offered|answered|excl_short|with_abandons)_\d+|[a-z]+_[a-z_]+_s|asa_s)\b"
)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    p = context.new_page()
    p.set_default_timeout(30_000)
    yield p
    context.close()


# The middle x of each character of an SVG text (plotly's titles and legends) on screen.
CHAR_XS = """(el) => Array.from(el.textContent, (_, i) => {
    try { const box = el.getExtentOfChar(i); return box.x + box.width / 2; }
    catch (e) { return null; }
})"""


def test_a_latin_name_inside_an_arabic_chart_title_keeps_its_place(served_seed, page):
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/intraday" + SEPT + "&lang=ar")
    graph = page.locator("#intraday-agents")
    for text_el in (
        graph.locator("text.legendtext", has_text="إرلانغ").first,
        graph.locator("text.gtitle", has_text="إرلانغ").first,
    ):
        text_el.wait_for()
        text = text_el.text_content()
        assert "\u2066A\u2069" in text  # the Latin run is an isolate
        xs = text_el.evaluate(CHAR_XS)
        erlang = text.index("إرلانغ")
        opening, latin = text.rindex("(", 0, erlang), text.index("A", erlang)
        closing = text.index(")", latin)
        # read right to left: "(" then إرلانغ then A then ")", each left of the one before
        assert xs[opening] > xs[erlang] > xs[latin] > xs[closing], (text, xs)
    ARTIFACTS.mkdir(exist_ok=True)
    graph.screenshot(path=str(ARTIFACTS / "intraday_agents_ar.png"))


def test_tiles_and_titles_show_plain_words_and_the_one_date_format(served_seed, page):
    login(page, served_seed.url, "manager")
    for lang in ("en", "ar"):
        page.goto(served_seed.url + "/" + SEPT + f"&lang={lang}")
        page.wait_for_selector("#overview-period [data-kpi='answer_rate_excl_short']")
        body = page.locator("body").inner_text()  # what a reader sees (tooltips are hidden)
        assert not KPI_NAME.search(body), KPI_NAME.search(body)
        assert "seed" not in body.lower() and "البذرة" not in body
        # the KPI's name is in its tooltip
        tile = page.locator("#overview-period [data-kpi='answer_rate_excl_short']")
        tile.hover()
        assert page.locator(".kpi-tile:hover .kpi-name").inner_text() == "answer_rate_excl_short"
        stamp = page.locator("#as-of-latest").inner_text()
        assert stamp.startswith(date(__import__("datetime").date(2026, 9, 30), lang, "short"))
        if lang == "ar":
            assert gettext("ar", "Data as of") in body and "30 سبتمبر 2026" in stamp
        page.screenshot(path=str(ARTIFACTS / f"overview_plain_{lang}.png"), full_page=True)

    page.goto(served_seed.url + "/wallboard" + SEPT + "&lang=ar")
    page.wait_for_selector("[data-kpi='answer_rate_excl_short']")
    body = page.locator("body").inner_text()
    assert not KPI_NAME.search(body) and "answer_rate" not in body
