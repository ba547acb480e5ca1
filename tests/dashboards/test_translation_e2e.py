"""Arabic that reads right, in a real browser (Debian's Chromium, Playwright): Latin runs
inside Arabic titles keep their place ("(إرلانغ A)", not "(A إرلانغ)" read right to left),
dates in the one format of analytics.translation, no internal KPI names or seed numbers on
a tile or a title (the names stay in the tooltips), the words from the one catalogue.

Tests wait for text or selectors, never for time. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from support.app import login, new_page, served_seed_month, shoot
from support.trust import KPI_NAME

from analytics.translation import date, gettext

pytestmark = pytest.mark.e2e
SEPT = "?centre=bahrain_lmra&period=2026-09"


@pytest.fixture(scope="module")
def served_seed(tmp_path_factory, generated_months):
    """The seed September served for this module alone: the session's shared app gets
    an October published to it by another module, which would move the dates read here."""
    with served_seed_month(tmp_path_factory.mktemp("words-seed"), generated_months) as served:
        yield served


@pytest.fixture
def page(browser):
    p = new_page(browser)
    yield p
    p.context.close()


# The text and the middle x of each character of the first SVG text under ``selector``
# that holds "إرلانغ" (plotly's legends and titles), once plotly has laid it out.
CHAR_XS = """(selector) => {
    const el = [...document.querySelectorAll(selector)]
        .find((e) => e.textContent.includes("إرلانغ"));
    if (!el) return null;
    try {
        const xs = Array.from(el.textContent, (_, i) => {
            const box = el.getExtentOfChar(i);
            return box.x + box.width / 2;
        });
        return { text: el.textContent, xs };
    } catch (e) {
        return null;  // not laid out yet
    }
}"""


def test_a_latin_name_inside_an_arabic_chart_title_keeps_its_place(served_seed, page):
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/intraday" + SEPT + "&lang=ar")
    for part in ("text.legendtext", "text.gtitle"):
        found = page.wait_for_function(CHAR_XS, arg=f"#intraday-agents {part}").json_value()
        text, xs = found["text"], found["xs"]
        assert "\u2066A\u2069" in text  # the Latin run is an isolate
        erlang = text.index("إرلانغ")
        opening, latin = text.rindex("(", 0, erlang), text.index("A", erlang)
        closing = text.index(")", latin)
        # read right to left: "(" then إرلانغ then A then ")", each left of the one before
        assert xs[opening] > xs[erlang] > xs[latin] > xs[closing], (text, xs)
    page.wait_for_selector("#intraday-agents text.legendtext")
    shoot(page, "intraday_ar")


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
        shoot(page, f"overview_plain_{lang}")

    page.goto(served_seed.url + "/wallboard" + SEPT + "&lang=ar")
    page.wait_for_selector("[data-kpi='answer_rate_excl_short']")
    body = page.locator("body").inner_text()
    assert not KPI_NAME.search(body) and "answer_rate" not in body

    # every other page, in both languages, is read for KPI names and seed numbers by the
    # sweep over every page in test_dashboards_trust_e2e.py (plain_words_on)
