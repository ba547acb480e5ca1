"""The dashboards app as a benchmark measures it: one admin (``bench``), served by waitress
on a free port of 127.0.0.1, and logged in to from Debian's Chromium or Flask's test
client; and the 95th percentile the benchmarks report."""

from __future__ import annotations

import re
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics.appstate import AppState
from analytics.store import Store
from dashboards import Settings, create_app
from dashboards.app import freeze_startup_objects
from dashboards.auth import add_user

USER = "bench"
PASSWORD = "bench-password"


def p95(values: list[float]) -> float:
    """The 95th percentile of ``values`` (the only value when there is one)."""
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def bench_app(store: Store, tmp: Path):
    """The dashboards app over ``store``, its users in ``tmp/app.sqlite``: ``USER``, an admin."""
    state = AppState(tmp / "app.sqlite")
    add_user(state, USER, PASSWORD, "admin")
    app = create_app(store, Settings(app_state=state.path, secret_key="bench"))
    freeze_startup_objects()  # as ``cca serve`` does
    return app


@contextmanager
def served(app, threads: int) -> Iterator[str]:
    """``app`` served by waitress (as ``cca serve`` does) in a thread; yields its URL."""
    from waitress import create_server

    server = create_server(app.server, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


@contextmanager
def logged_in_page(url: str, width: int, height: int) -> Iterator:
    """A Chromium page of ``width`` x ``height`` px logged in to ``url`` as ``USER`` through
    the real form, on the landing page; the browser is closed on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            page.goto(url + "/login")
            page.fill("#username", USER)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            # the landing page's own callbacks finished: a load measured next does not
            # share the server with them
            page.wait_for_load_state("networkidle")
            yield page
        finally:
            browser.close()


def log_in(client) -> str:
    """Log Flask's test ``client`` in as ``USER``; returns the CSRF token its posts carry."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    return client.get_cookie("_csrf_token").value
