"""Security in a real browser (Debian's Chromium, Playwright, waitress): the header's Log
out button really logs out, and every page runs under the Content-Security-Policy without
a single violation. Tests wait for text or selectors, never for time."""

from __future__ import annotations

import dash
import pytest
from support.app import login

pytestmark = pytest.mark.e2e
SEPT = "?centre=bahrain_lmra&period=2026-09"
ENDPOINTS = (
    ("GET", "/_dash-layout"),
    ("GET", "/_dash-dependencies"),
    ("POST", "/_dash-update-component"),
    ("GET", "/download/report?centre=bahrain_lmra&period=2026-09&format=csv"),
    ("GET", "/assets/dashboards.css"),
)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context
    context.close()


def refused(page, url: str, method: str, path: str, token: str = "") -> int:
    return page.evaluate(
        """([url, method, token]) => fetch(url, {method, redirect: 'manual',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
            body: method === 'POST' ? '{}' : undefined}).then(r => r.status)""",
        [url + path, method, token],
    )


def test_the_log_out_button_logs_out_and_everything_is_refused_after(served_seed, context):
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, served_seed.url, "manager")
    page.goto(served_seed.url + "/" + SEPT)
    page.wait_for_selector("#overview-period [data-kpi='offered']")
    cookies = context.cookies()
    token = next(c["value"] for c in cookies if c["name"] == "_csrf_token")
    page.click("button.logout")
    page.wait_for_url("**/login")
    assert page.locator("#username").count() == 1

    for registered in dash.page_registry.values():
        page.goto(served_seed.url + registered["path"] + SEPT)
        assert "/login" in page.url, registered["path"]
        assert page.locator("[data-kpi]").count() == 0
    for method, path in ENDPOINTS:
        status = refused(page, served_seed.url, method, path, token)
        assert status in (401, 0), (path, status)  # 0: an opaque redirect to /login

    # the old cookies, put back by hand, open nothing: the session ended on the server
    context.add_cookies(cookies)
    for method, path in ENDPOINTS:
        status = refused(page, served_seed.url, method, path, token)
        assert status in (401, 0), (path, status)
    page.goto(served_seed.url + "/" + SEPT)
    assert "/login" in page.url


# Every page's run under the content security policy (no violation in the console, in
# both languages, the planner's grid and charts included) is checked by the sweep over
# every page in test_dashboards_trust_e2e.py, which opens them all anyway.
