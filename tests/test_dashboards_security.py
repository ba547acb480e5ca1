"""The dashboards under attack, without a browser: sessions that end, bounded work, no
server files, headers, paths, lock-outs (issue #20). Real app over the seed store, real
SQLite app state, Flask's test client."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
from conftest import PASSWORDS, make_app


@pytest.fixture(scope="module")
def app(seed_store, tmp_path_factory):
    return make_app(seed_store, tmp_path_factory.mktemp("security"))


def log_in(client, user: str, password: str | None = None):
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    data = {"username": user, "password": password or PASSWORDS[user], "csrf_token": token}
    return client.post("/login", data=data)


def state_of(app):
    return app.server.config["CCA"].state


# ------------------------------------------------------------------------ item 2: sessions


def test_the_header_log_out_form_logs_out(app):
    """The header's button posts the CSRF token as a form field, as a browser does."""
    client = app.server.test_client()
    log_in(client, "manager")
    token = client.get_cookie("_csrf_token").value
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/").status_code == 302
    with sqlite3.connect(state_of(app).path) as con:
        left = con.execute("SELECT count(*) FROM sessions WHERE username = 'manager'").fetchone()
    assert left[0] == 0 or client.get("/").status_code == 302


def test_a_form_post_without_the_token_is_refused(app):
    client = app.server.test_client()
    log_in(client, "manager")
    assert client.post("/logout", data={"csrf_token": "x" * 64}).status_code == 403
    assert client.get("/").status_code == 200


def test_a_session_ends_after_the_idle_time(seed_store, tmp_path):
    app = make_app(seed_store, tmp_path, idle_minutes=30)
    client = app.server.test_client()
    log_in(client, "manager")
    assert client.get("/").status_code == 200
    with sqlite3.connect(state_of(app).path) as con:  # 29 minutes later: still signed in
        seen = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=29)).isoformat(timespec="seconds")
        con.execute("UPDATE sessions SET last_seen = ?", [seen])
    assert client.get("/").status_code == 200
    with sqlite3.connect(state_of(app).path) as con:  # 31 minutes idle: signed out
        seen = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)).isoformat(timespec="seconds")
        con.execute("UPDATE sessions SET last_seen = ?", [seen])
    assert client.get("/").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    with sqlite3.connect(state_of(app).path) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_the_idle_time_is_configurable(seed_store, tmp_path):
    app = make_app(seed_store, tmp_path, idle_minutes=5)
    client = app.server.test_client()
    log_in(client, "manager")
    with sqlite3.connect(state_of(app).path) as con:
        seen = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)).isoformat(timespec="seconds")
        con.execute("UPDATE sessions SET last_seen = ?", [seen])
    assert client.get("/").status_code == 302
