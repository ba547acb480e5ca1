"""The dashboards app over a store, served by waitress; a browser page and the log-in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argon2 import PasswordHasher, profiles

from analytics.store import Store
from support.cli import ROOT

SEED_MONTH = "2026-09"  # bahrain_lmra's published September (seed 004)
PASSWORDS = {
    "admin": "admin-pass-1",
    "manager": "manager-pass-1",
    "planner": "planner-pass-1",
    "executive": "executive-pass-1",
    "wallboard": "wallboard-pass-1",
}


# The fixture users' hashes: argon2id at its cheapest parameters. Every log-in verifies
# a hash at the parameters stored in it, and the product's (64 MiB, 3 passes) cost about
# 0.1-0.8 s a hash here: the suite logs in hundreds of times. The product's own
# parameters are checked in test_dashboards_auth.
FIXTURE_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


def make_app(store: Store, tmp: Path, **settings):
    """A dashboards app over ``store`` with one user per role (PASSWORDS)."""
    from analytics.appstate import AppState
    from dashboards import Settings, create_app
    from dashboards.auth import add_user

    state = AppState(tmp / "app.sqlite")
    for role, password in PASSWORDS.items():
        add_user(state, role, password, role, hasher=FIXTURE_HASHER)
    return create_app(store, Settings(app_state=state.path, secret_key="test-secret", **settings))


class ServedApp:
    """A dashboards app served by waitress on 127.0.0.1 in a thread of this process."""

    def __init__(self, app):
        import threading

        from waitress import create_server

        self.app = app
        self.server = create_server(app.server, host="127.0.0.1", port=0, threads=6)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self):
        self.server.close()


@contextmanager
def served_seed_month(tmp: Path, months) -> Iterator[ServedApp]:
    """bahrain_lmra's seed September in a store of its own under ``tmp`` (a copy from
    ``months``, the ``generated_months`` fixture) served with 30 September as today (a
    module that must not see loads other modules publish to the session's
    ``served_seed`` serves its own)."""
    store = months.copy(tmp / "served.duckdb", "bahrain_lmra", SEED_MONTH)
    served = ServedApp(make_app(store, tmp, today=dt.date(2026, 9, 30), wallboard_refresh_s=1))
    try:
        yield served
    finally:
        served.close()


ARTIFACTS = ROOT / "test-artifacts"


def shoot(page, name: str) -> None:
    """A full-page screenshot, test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def new_page(browser, width: int = 1440, height: int = 1000, timeout_ms: int = 30_000, **options):
    """A page in a browser context of its own (its own cookies: one log-in per page);
    ``options`` go to the context (``accept_downloads``). Close it with
    ``page.context.close()``."""
    page = browser.new_context(viewport={"width": width, "height": height}, **options).new_page()
    page.set_default_timeout(timeout_ms)
    return page


def client_log_in(client, user: str, password: str | None = None, **extra):
    """Log Flask's test ``client`` in through the real form as ``user`` (its password in
    ``PASSWORDS`` unless given; ``extra`` form fields); returns the form's answer."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    data = {"username": user, "password": password or PASSWORDS[user], "csrf_token": token}
    return client.post("/login", data=data | extra)


def login(page, url: str, user: str):
    """Log in through the real form; returns the page on the user's landing page."""
    page.goto(url + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page
