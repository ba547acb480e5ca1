"""Nobody reads the dashboards without logging in, and each role sees only its pages,
callbacks and centres: the guard, the log-in form, CSRF, lock-out, sessions, the
audit, and `cca users` (Flask's test client over the real app and SQLite store)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from support.app import PASSWORDS, client_log_in, make_app
from support.cli import run_cca

from analytics.appstate import AppState
from dashboards import auth
from dashboards.protocol import callback_request, page_request


@pytest.fixture(scope="module")
def app(seed_store, tmp_path_factory):
    return make_app(seed_store, tmp_path_factory.mktemp("auth"))


@pytest.fixture
def client(app):
    return app.server.test_client()


def state_of(app) -> AppState:
    return app.server.config["CCA"].state


def csrf(client) -> str:
    return client.get_cookie("_csrf_token").value


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-layout",
        "/_dash-dependencies",
        "/_dash-component-suites/dash/dcc/dash_core_components.js",
        "/assets/dashboards.css",
        "/download/report?centre=bahrain_lmra&period=2026-09&format=csv",
    ],
)
def test_an_anonymous_client_gets_nothing_but_a_refusal(client, path):
    response = client.get(path)
    assert response.status_code in (401, 302)
    assert b"offered" not in response.data and b"dash_core_components" not in response.data[:0]
    if response.status_code == 302:
        assert response.location.startswith("/login")


def test_an_anonymous_update_is_401_and_pages_redirect_to_the_log_in(client):
    body = {"output": "_pages_content.children", "inputs": [], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=body).status_code == 401
    for page in ("/", "/admin", "/categories?centre=bahrain_lmra"):
        response = client.get(page)
        assert response.status_code == 302 and response.location.startswith("/login?next=")
    form = client.get("/login")
    assert form.status_code == 200 and 'name="username"' in form.text
    assert 'name="password"' in form.text
    assert client.get("/assets/login.css").status_code == 200


def test_log_in_sets_httponly_samesite_cookies_and_is_audited(app, client):
    response = client_log_in(client, "manager")
    assert response.status_code == 302 and response.location == "/"
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("cca_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    token = next(c for c in cookies if c.startswith("_csrf_token="))
    assert "HttpOnly" not in token  # Dash's front end must read it
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    log = state_of(app).audit_log(20)
    assert any(r["action"] == "login" and r["username"] == "manager" for r in log)


def test_a_log_in_form_without_its_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "manager", "password": "manager-pass-1"})
    assert response.status_code == 403
    assert client.get_cookie("cca_session") is None


def test_dash_posts_need_the_sessions_csrf_header(client):
    client_log_in(client, "manager")
    body = page_request("/", "?centre=bahrain_lmra")
    assert client.post("/_dash-update-component", json=body).status_code == 403
    wrong = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "x" * 64})
    assert wrong.status_code == 403
    ok = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf(client)})
    assert ok.status_code == 200
    assert '"data-kpi": "answer_rate_excl_short"' in ok.text or "answer_rate_excl_short" in ok.text


def test_failures_from_one_address_slow_that_address_and_name_down(app, client):
    """Delays, not a hard lock (tests/dashboards/test_dashboards_security.py has the rest)."""
    state = state_of(app)
    auth.add_user(state, "locky", "right-password", "manager")
    for _ in range(3):
        assert client_log_in(client, "locky", "wrong").status_code == 401
    assert client_log_in(client, "locky", "wrong").status_code == 401  # the fourth starts a delay
    locked = client_log_in(client, "locky", "right-password")
    assert locked.status_code == 429 and "try again in" in locked.text
    with sqlite3.connect(state.path) as con:  # the delay has passed
        con.execute("UPDATE login_failures SET locked_until = NULL")
    assert client_log_in(client, "locky", "right-password").status_code == 302
    failed = [r for r in state.audit_log(50) if r["action"] == "login_failed"]
    assert sum(r["username"] == "locky" for r in failed) >= 5


def test_passwords_are_stored_as_argon2_hashes(app):
    auth.add_user(state_of(app), "new-user", "right-password", "manager")
    with sqlite3.connect(state_of(app).path) as con:
        rows = dict(con.execute("SELECT username, password_hash FROM users").fetchall())
    for name, digest in rows.items():
        assert digest.startswith("$argon2id$")
        assert PASSWORDS.get(name, "right-password") not in digest
    # a user the product makes gets RFC 9106's second recommended parameters (the
    # fixture users of make_app are hashed at argon2's cheapest, for the suite's speed)
    assert rows["new-user"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("executive", ["/", "/reports"], ["/admin", "/categories", "/intraday", "/tickets"]),
        ("planner", ["/", "/categories", "/intraday", "/planner"], ["/admin", "/tickets"]),
        ("manager", ["/", "/tickets", "/sites", "/wallboard", "/reports"], ["/admin"]),
        ("admin", ["/admin", "/tickets", "/reports"], []),
    ],
)
def test_roles_gate_the_pages(app, role, allowed, refused):
    client = app.server.test_client()
    client_log_in(client, role)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert client.get(path).status_code == 403, path


def test_a_wallboard_account_opens_the_wallboard_and_nothing_else(app):
    client = app.server.test_client()
    response = client_log_in(client, "wallboard")
    assert response.location == "/wallboard"
    assert client.get("/wallboard").status_code == 200
    assert client.get("/").location == "/wallboard"
    assert client.get("/reports").location == "/wallboard"


def test_callbacks_check_the_role_too(app):
    """An executive may not call the admin page's callback, even by hand."""
    client = app.server.test_client()
    client_log_in(client, "executive")
    body = callback_request(
        ["admin-message.children", "admin-users.rowData", "admin-audit.rowData"],
        [("admin-add", "n_clicks", 1)],
        [
            ("admin-new-name", "value", "intruder"),
            ("admin-new-password", "value", "intruder-pass"),
            ("admin-new-role", "value", "admin"),
            ("admin-new-centres", "value", None),
            ("url", "search", ""),
        ],
    )
    response = client.post(
        "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf(client)}
    )
    assert response.status_code == 403
    assert not any(u["username"] == "intruder" for u in auth.list_users(state_of(app)))
    admin = app.server.test_client()
    client_log_in(admin, "admin")
    done = admin.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf(admin)})
    assert done.status_code == 200
    assert any(u["username"] == "intruder" for u in auth.list_users(state_of(app)))
    assert any(r["action"] == "user_added" for r in state_of(app).audit_log(20))


def test_disabling_a_user_ends_their_session(app):
    state = state_of(app)
    auth.add_user(state, "leaver", "leaver-pass-1", "manager")
    client = app.server.test_client()
    client_log_in(client, "leaver", "leaver-pass-1")
    assert client.get("/").status_code == 200
    auth.update_user(state, "leaver", disabled=True)
    assert client.get("/").status_code == 302
    assert client_log_in(client, "leaver", "leaver-pass-1").status_code == 401


def test_a_user_limited_to_a_centre_cannot_download_another(app):
    state = state_of(app)
    auth.add_user(state, "saudi-only", "saudi-pass-1", "executive", "saudi_mol")
    client = app.server.test_client()
    client_log_in(client, "saudi-only", "saudi-pass-1")
    url = "/download/report?centre=bahrain_lmra&period=2026-09&format=csv"
    assert client.get(url).status_code == 403
    mine = app.server.test_client()
    client_log_in(mine, "executive")
    response = mine.get(url)
    assert response.status_code == 200 and b"answer_rate_excl_short" in response.data
    assert "attachment" in response.headers["Content-Disposition"]
    downloads = [r for r in state_of(app).audit_log(50) if r["action"] == "download"]
    assert json.loads(downloads[0]["detail"])["format"] == "csv"


def test_logout_ends_the_session(client):
    client_log_in(client, "manager")
    response = client.post("/logout", headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_cca_users_adds_lists_and_disables(tmp_path):
    db = tmp_path / "x.duckdb"
    added = run_cca(
        "users",
        "add",
        "ops",
        "--role",
        "planner",
        "--centres",
        "bahrain_lmra",
        "--password-stdin",
        db=db,
        input="a-long-password\n",
    )
    assert "added ops" in added.stderr
    listed = run_cca("users", "list", db=db).stdout
    assert "ops" in listed and "planner" in listed and "bahrain_lmra" in listed
    state = AppState.beside(db)
    user, why = auth.authenticate(state, "ops", "a-long-password")
    assert why == "ok" and user.centres == ("bahrain_lmra",)
    run_cca("users", "disable", "ops", db=db)
    assert auth.authenticate(state, "ops", "a-long-password") == (None, "disabled")
    short = run_cca(
        "users",
        "add",
        "x",
        "--role",
        "admin",
        "--password-stdin",
        db=db,
        input="short\n",
        check=False,
    )
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_a_load_older_than_the_refresh_interval_is_flagged(seed_store, tmp_path):
    """The seed's database is refreshed every 24 hours: an older last load is stale."""
    fresh = make_app(seed_store, tmp_path / "fresh")
    stale = make_app(seed_store, tmp_path / "stale", refresh_hours=1e-6)
    body = page_request("/", "?period=2026-09")
    seen = {}
    for name, app in (("fresh", fresh), ("stale", stale)):
        client = app.server.test_client()
        client_log_in(client, "manager")
        response = client.post(
            "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf(client)}
        )
        assert response.status_code == 200
        seen[name] = "stale-warning" in response.text
        assert "as-of-load" in response.text
    assert seen == {"fresh": False, "stale": True}


def test_the_page_preloads_the_chart_chunks_its_content_will_ask_for(app):
    """The index names Mantine's chart chunks for preloading, and each is served: a
    renamed chunk in a new dash-mantine-components would be a 404 here, not a silent
    extra round trip on every first load."""
    import re

    client = app.server.test_client()
    client_log_in(client, "manager")
    page = client.get("/").get_data(as_text=True)
    preloaded = re.findall(r'<link rel="preload" as="script" href="([^"]+)">', page)
    assert len(preloaded) == 2
    for href in preloaded:
        assert client.get(href).status_code == 200, href
