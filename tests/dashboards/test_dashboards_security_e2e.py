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


def test_every_page_runs_under_the_content_security_policy(served_seed, context):
    """An admin opens every registered page in both languages and uses the planner's
    grid and charts: the console reports no violation of the policy the server sends."""
    violations: list[str] = []
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on(
        "console",
        lambda m: (
            violations.append(m.text)
            if "Content Security Policy" in m.text or "CSP violation" in m.text
            else None
        ),
    )
    login(page, served_seed.url, "admin")
    for registered in dash.page_registry.values():
        for lang in ("en", "ar"):
            response = page.goto(served_seed.url + registered["path"] + SEPT + f"&lang={lang}")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector(".page-body, .chromeless")
            page.wait_for_load_state("networkidle")
    page.goto(served_seed.url + "/planner?centre=bahrain_lmra&week=2026-09-20")
    page.wait_for_selector("#planner-total-sl_offered_12")
    page.wait_for_selector("#planner-grid .ag-row")
    page.wait_for_load_state("networkidle")
    page.goto(served_seed.url + "/login")
    assert violations == []
