"""The live wallboard in a real browser while a real follower commits a growing log.

``cca live follow`` runs as a subprocess on a queue_log that the test appends to and
rotates; the dashboards are served by waitress (as ``cca serve`` serves them); Debian's
Chromium shows ``/wallboard`` at 1920x1080. Each change to the log reaches the wall by
itself (the test waits for the text, never for time; how fast is measured by
``benchmarks/live.py``).
"""

from __future__ import annotations

import os
import re
import time

import pytest
from support.app import ARTIFACTS, ServedApp, login, make_app
from support.cli import start_cca

from analytics.kpi.catalogue import format_value
from analytics.store import Store

pytestmark = pytest.mark.e2e
CENTRE = "bh"


def fig(window: str, kpi: str) -> str:
    return f"#wallboard-live [data-kpi='{kpi}'][data-window='{window}']"


@pytest.fixture
def live(tmp_path):
    store = Store(tmp_path / "live.duckdb")
    store.initialise()
    log = tmp_path / "queue_log"
    t = int(time.time()) - 120
    log.write_text(
        f"{t}|NONE|support|PJSIP/alice|ADDMEMBER|\n"
        f"{t}|NONE|support|PJSIP/bob|ADDMEMBER|\n"
        f"{t + 1}|NONE|support|PJSIP/bob|PAUSE|lunch\n"
        f"{t + 5}|c0|support|NONE|ENTERQUEUE||+1|1\n"
        f"{t + 8}|c0|support|PJSIP/alice|CONNECT|3|x|1\n"
        f"{t + 68}|c0|support|PJSIP/alice|COMPLETECALLER|3|60|1\n"
    )
    follower = start_cca(
        "live", "follow", str(log), "--centre", CENTRE, "--poll", "0.05", db=store.path
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with store.reader() as con:
            if con.execute("SELECT count(*) FROM calls").fetchall()[0][0]:
                break
        time.sleep(0.1)
    served = ServedApp(make_app(store, tmp_path))
    yield served, log
    served.close()
    follower.terminate()
    follower.wait(timeout=10)


@pytest.fixture
def wall(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def append(log, text: str) -> None:
    with open(log, "a") as f:
        f.write(text)


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.textContent === t", arg=[selector, text]
    )


def test_the_wall_follows_the_log_through_a_rotation_within_two_seconds(live, wall):
    served, log = live
    login(wall, served.url, "wallboard")
    wall.goto(served.url + f"/wallboard?centre={CENTRE}")
    wall.wait_for_selector("#wallboard-live")
    assert wall.locator(fig("today", "answered")).inner_text() == "1"
    assert wall.locator(fig("now", "agents_paused")).inner_text() == "1"
    assert "lunch 1" in wall.locator("#wallboard-reasons").inner_text()

    now = int(time.time())
    append(log, f"{now}|c1|support|NONE|ENTERQUEUE||+2|1\n")
    wait_text(wall, fig("now", "calls_waiting"), "1")
    # logrotate renames the log; the switch starts a new one
    os.rename(log, log.with_name("queue_log.1"))
    append(log, f"{now + 1}|c1|support|PJSIP/alice|CONNECT|1|y|1\n")
    wait_text(wall, fig("now", "calls_waiting"), "0")
    wait_text(wall, fig("now", "agents_on_call"), "1")
    append(log, f"{now + 2}|c1|support|PJSIP/alice|COMPLETEAGENT|1|1|1\n")
    wait_text(wall, fig("today", "answered"), "2")
    # copytruncate: the same file emptied and written again
    with open(log, "r+") as f:
        f.truncate(0)
    append(log, f"{now + 3}|NONE|support|PJSIP/bob|UNPAUSE|\n")
    wait_text(wall, fig("now", "agents_paused"), "0")

    # for the wall: the board fills 1920x1080 without scrolling, every figure >= 72 px
    sizes = wall.eval_on_selector_all(
        "#wallboard-live [data-kpi]",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert len(sizes) >= 17 and min(sizes) >= 72
    box = wall.locator("#wallboard-live").bounding_box()
    assert box["height"] >= 900
    assert wall.evaluate("document.documentElement.scrollHeight") <= 1080
    assert wall.locator(fig("now", "calls_waiting")).get_attribute("data-status") == "good"
    ARTIFACTS.mkdir(exist_ok=True)
    wall.screenshot(path=str(ARTIFACTS / "wallboard_live_en.png"))

    wall.goto(served.url + f"/wallboard?centre={CENTRE}&lang=ar")
    wall.wait_for_selector("#wallboard-live")
    assert wall.evaluate("document.documentElement.dir") == "rtl"
    assert "المكالمات المنتظرة" in wall.locator("#wallboard-live").inner_text()
    append(log, f"{now + 4}|c2|support|NONE|ENTERQUEUE||+3|1\n")
    wait_text(wall, fig("now", "calls_waiting"), "1")
    # a long call makes the handling time as wide as a real centre's ("553.7 ث"): the
    # six figures of the last 30 minutes each stay inside their tile and the screen
    append(
        log,
        f"{now + 5}|c3|support|NONE|ENTERQUEUE||+4|1\n"
        f"{now + 6}|c3|support|PJSIP/bob|CONNECT|1|z|1\n"
        f"{now + 7}|c3|support|PJSIP/bob|COMPLETECALLER|1|1600|1\n",
    )
    aht = format_value("aht_s", (60 + 1 + 1600) / 3, "ar")
    assert aht == "553.7 ث"
    wait_text(wall, fig("last_30min", "aht_s"), aht)
    outside = wall.evaluate(
        """() => [...document.querySelectorAll('#wallboard-live [data-kpi]')].flatMap(e => {
            const range = document.createRange();
            range.selectNodeContents(e);
            const text = range.getBoundingClientRect();
            const tile = e.parentElement.getBoundingClientRect();
            const inside = text.left >= Math.max(0, tile.left) - 0.5
                && text.right <= Math.min(innerWidth, tile.right) + 0.5
                && text.top >= 0 && text.bottom <= innerHeight;
            return inside ? [] : [[e.dataset.window, e.dataset.kpi, e.textContent]];
        })"""
    )
    assert outside == []
    # the feed's line reads in Arabic: its lag in Arabic seconds, after the word for lag
    feeds = wall.inner_text("#wallboard-feeds")
    assert re.search(r"التأخر [\d.]+ ث", feeds) and " s" not in feeds, feeds
    wall.screenshot(path=str(ARTIFACTS / "wallboard_live_ar.png"))

    # every label whole ("Service level within 12 s (of offered)" of the last 30 minutes
    # was cut to "…"), in both languages, on the wall and on a 1440 px laptop (a resize
    # lays the board out again: one page load a language)
    for i, lang in enumerate(("ar", "en")):
        if i:  # the Arabic board is on screen already
            wall.goto(served.url + f"/wallboard?centre={CENTRE}&lang={lang}")
            wait_text(wall, fig("last_30min", "aht_s"), format_value("aht_s", 553.67, lang))
        for width, height in ((1920, 1080), (1440, 900)):
            wall.set_viewport_size({"width": width, "height": height})
            wall.screenshot(path=str(ARTIFACTS / f"wallboard_live_{lang}_{width}.png"))
            cut = wall.evaluate(CUT)
            assert cut == [], (width, lang, cut)


# labels and figures cut by their tile or the screen: a label's text wider or taller than
# its box, or any of it outside its tile
CUT = """() => [...document.querySelectorAll('#wallboard-live .wb-tile')].flatMap(tile => {
    const box = tile.getBoundingClientRect();
    return [...tile.querySelectorAll('.wb-label, [data-kpi], .wb-target')].flatMap(e => {
        const range = document.createRange();
        range.selectNodeContents(e);
        const text = range.getBoundingClientRect();
        const inside = text.left >= Math.max(0, box.left) - 0.5
            && text.right <= Math.min(innerWidth, box.right) + 0.5
            && text.top >= box.top - 0.5 && text.bottom <= Math.min(innerHeight, box.bottom) + 0.5
            && e.scrollWidth <= e.clientWidth + 1;
        return inside ? [] : [e.textContent];
    });
})"""
