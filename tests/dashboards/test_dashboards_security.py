"""The dashboards under attack, without a browser: sessions that end, bounded work, no
server files, headers, paths, lock-outs (issue #20). Real app over the seed store, real
SQLite app state, Flask's test client."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sqlite3

import pytest
from support.app import PASSWORDS, client_log_in, make_app

from dashboards.protocol import callback_request, page_request


@pytest.fixture(scope="module")
def app(seed_store, tmp_path_factory):
    return make_app(seed_store, tmp_path_factory.mktemp("security"))


def state_of(app):
    return app.server.config["CCA"].state


# ------------------------------------------------------------------------ item 2: sessions


def test_the_header_log_out_form_logs_out(app):
    """The header's button posts the CSRF token as a form field, as a browser does."""
    client = app.server.test_client()
    client_log_in(client, "manager")
    token = client.get_cookie("_csrf_token").value
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/").status_code == 302
    with sqlite3.connect(state_of(app).path) as con:
        left = con.execute("SELECT count(*) FROM sessions WHERE username = 'manager'").fetchone()
    assert left[0] == 0 or client.get("/").status_code == 302


def test_a_form_post_without_the_token_is_refused(app):
    client = app.server.test_client()
    client_log_in(client, "manager")
    assert client.post("/logout", data={"csrf_token": "x" * 64}).status_code == 403
    assert client.get("/").status_code == 200


def test_a_session_ends_after_the_idle_time(seed_store, tmp_path):
    app = make_app(seed_store, tmp_path, idle_minutes=30)
    client = app.server.test_client()
    client_log_in(client, "manager")
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
    client_log_in(client, "manager")
    with sqlite3.connect(state_of(app).path) as con:
        seen = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)).isoformat(timespec="seconds")
        con.execute("UPDATE sessions SET last_seen = ?", [seen])
    assert client.get("/").status_code == 302


# ------------------------------------------------- item 7 and #21.3: paths and the registry


@pytest.mark.parametrize(
    "path",
    [
        "/assets/fonts/../dashboards.css",
        "/assets/fonts/%2e%2e/dashboards.css",
        "/assets/fonts//../dashboards.css",
        "/assets/login.css/../dashboards.css",
    ],
)
def test_paths_are_normalised_before_the_public_check(app, path):
    response = app.server.test_client().get(path)
    assert response.status_code in (401, 404), path
    assert b".app-header" not in response.data and b"kpi-tile" not in response.data


@pytest.mark.parametrize(
    "path", ["/admin/", "/Admin", "/ADMIN", "/admin//", "/admin/.", "/x/../admin"]
)
def test_no_spelling_of_a_page_opens_it_for_another_role(app, path):
    client = app.server.test_client()
    client_log_in(client, "manager")
    response = client.get(path)
    assert response.status_code in (403, 404), (path, response.status_code)


def test_a_trailing_slash_is_the_same_page(app):
    admin, manager = app.server.test_client(), app.server.test_client()
    client_log_in(admin, "admin")
    client_log_in(manager, "manager")
    assert admin.get("/admin/").status_code == 200
    assert manager.get("/tickets/").status_code == 200
    assert manager.get("/no-such-page").status_code == 404


def test_an_admin_opens_every_registered_page(app):
    import dash

    client = app.server.test_client()
    client_log_in(client, "admin")
    paths = [p["path"] for p in dash.page_registry.values()]
    assert len(paths) >= 9
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_a_page_is_one_declaration_for_the_guard_the_menu_and_the_router(app):
    """A page registered with its roles opens for them and admins, is in their menu in its
    order, and the router renders it; nothing else is edited."""
    import dash
    from dash import html

    from dashboards.frame import menu, page

    def probe_layout(**query):
        return page("/probe", query, lambda ctx: html.Div("probe content", id="probe"))

    dash.register_page(
        "tests.probe_page",
        path="/probe",
        name="Probe",
        layout=probe_layout,
        order=65,
        menu="probe",
        roles=("executive",),
    )
    try:
        executive, planner, admin = (app.server.test_client() for _ in range(3))
        client_log_in(executive, "executive")
        client_log_in(planner, "planner")
        client_log_in(admin, "admin")
        assert executive.get("/probe").status_code == 200
        assert admin.get("/probe").status_code == 200
        assert planner.get("/probe").status_code == 403
        from dashboards.auth import User

        assert [p for p, _ in menu(User("e", "executive", None))] == ["/", "/reports", "/probe"]
        assert ("/probe", "probe") in menu(User("a", "admin", None))
        assert "/probe" not in [p for p, _ in menu(User("p", "planner", None))]
        token = executive.get_cookie("_csrf_token").value
        body = page_request("/probe", "")
        rendered = executive.post(
            "/_dash-update-component", json=body, headers={"X-CSRFToken": token}
        )
        assert rendered.status_code == 200 and "probe content" in rendered.text
        token = planner.get_cookie("_csrf_token").value
        refused = planner.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
        assert "probe content" not in refused.text
    finally:
        dash.page_registry.pop("tests.probe_page", None)


# ------------------------------------------------------------------------- item 6: headers


def test_every_answer_carries_the_security_headers(app):
    client = app.server.test_client()
    anonymous = client.get("/login")
    client_log_in(client, "executive")
    answers = {
        "login": anonymous,
        "page": client.get("/reports"),
        "layout": client.get("/_dash-layout"),
        "download": client.get("/download/report?centre=bahrain_lmra&period=2026-09&format=csv"),
        "refused": client.get("/admin"),
    }
    for name, answer in answers.items():
        h = answer.headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp, name
        assert "object-src 'none'" in csp and "form-action 'self'" in csp, name
        assert h["X-Frame-Options"] == "DENY", name
        assert h["X-Content-Type-Options"] == "nosniff", name
        assert h["Referrer-Policy"] == "no-referrer", name
        assert h["Cache-Control"] == "no-store", name
        assert "Strict-Transport-Security" not in h, name  # plain HTTP: no HSTS
    assert answers["download"].status_code == 200
    bundle = client.get("/assets/dashboards.css")
    assert bundle.headers.get("Cache-Control") != "no-store"


def test_hsts_with_secure_cookies(seed_store, tmp_path):
    app = make_app(seed_store, tmp_path, secure_cookies=True)
    answer = app.server.test_client().get("/login")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# ------------------------------------------------------------------ item 3: bounded work


def post(client, body):
    token = client.get_cookie("_csrf_token").value
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})


def test_a_period_of_three_thousand_years_is_refused_with_a_message(app):
    client = app.server.test_client()
    client_log_in(client, "manager")
    answer = post(client, page_request("/intraday", "?centre=bahrain_lmra&period=1000-01..4000-12"))
    assert answer.status_code == 200
    assert "at most 1,098 (three years)" in answer.text
    assert len(answer.data) < 100_000
    assert "data-kpi" not in answer.text


def test_a_filter_of_300000_values_is_refused_with_a_message(app):
    client = app.server.test_client()
    client_log_in(client, "manager")
    values = ",".join(f"c{i}" for i in range(300_000))
    answer = post(client, page_request("/categories", f"?centre=bahrain_lmra&category={values}"))
    assert answer.status_code == 200
    assert "category: 300,000 values; a filter takes at most 200" in answer.text
    assert len(answer.data) < 100_000  # the menu links do not repeat the list


def test_periods_around_1900_open_without_an_error(app):
    """The Umm al-Qura calendar starts in 1924: the page gives the Gregorian days alone."""
    client = app.server.test_client()
    client_log_in(client, "manager")
    for period in ("1900-01", "1923-05", "2090-01"):
        answer = post(client, page_request("/", f"?centre=bahrain_lmra&period={period}"))
        assert answer.status_code == 200, period
        # the page itself, or its word that the period has no calls (never an error)
        assert "overview-period" in answer.text or "No calls in" in answer.text, period
    refused = post(client, page_request("/", "?centre=bahrain_lmra&period=1000-01"))
    assert "give dates between 1900 and 2200" in refused.text


def test_a_report_of_a_long_period_is_refused_and_the_refusal_audited(app):
    client = app.server.test_client()
    client_log_in(client, "executive")
    url = "/download/report?centre=bahrain_lmra&period=1000-01..4000-12&format=csv"
    answer = client.get(url)
    assert answer.status_code == 400 and b"three years" in answer.data
    refused = [r for r in state_of(app).audit_log(20) if r["action"] == "download_refused"]
    assert refused and "1000-01..4000-12" in refused[0]["detail"]


def test_the_job_runner_bounds_replications_days_and_time(tmp_path):
    """Replications and days above the limits are refused at once; a job running past
    its time limit is stopped (a real SimPy run in the job's thread)."""
    from analytics.appstate import AppState
    from simulation.operations.jobs import JobRunner
    from simulation.planning.whatif import week_from_scenario, whatif_scenario
    from simulation.queue.scenario_file import SCENARIO_DIR, load_scenario

    state = AppState(tmp_path / "app.sqlite")
    runner = JobRunner(state, tmp_path / "jobs", workers=1, time_limit_s=0.5)
    week = week_from_scenario(load_scenario("example_small"), days=7)
    scenario = whatif_scenario(week, week.agents)
    try:
        with pytest.raises(ValueError, match="replications: 100,000 is not between 1 and 100"):
            runner.submit("u", "simulate", {"scenario": scenario, "replications": 100_000})
        text = (SCENARIO_DIR / "example_small.toml").read_text(encoding="utf-8")
        long = re.sub(r"(?m)^days = \d+", "days = 400", text)
        assert long != text
        with pytest.raises(ValueError, match="days: 400 is more than 31"):
            runner.submit("u", "simulate", {"scenario_toml": long, "replications": 1})
        job = runner.submit("u", "simulate", {"scenario": scenario, "replications": 100})
        status = runner.wait(job, timeout=120)
        assert status["state"] == "cancelled"
        assert "longer than the limit of 0.5 s" in status["message"]
    finally:
        runner.shutdown()


def test_the_planner_refuses_100000_replications_and_absurd_plans_at_once(app):
    from dashboards.pages.planner import load_week

    client = app.server.test_client()
    client_log_in(client, "planner")
    source = {"centre": "bahrain_lmra", "source": "week:2026-09-20"}
    with app.server.test_request_context():
        plan = list(load_week("bahrain_lmra", "week:2026-09-20").agents)

    def start(replications, agents):
        state = [
            ("planner-plan", "data", agents),
            ("planner-replications", "value", replications),
            ("planner-target-kpi", "value", "sl_offered"),  # the targets form
            ("planner-target-seconds", "value", 12),
            ("planner-target-share", "value", 80),
            ("planner-max-abandon", "value", None),
            ("url", "search", ""),
            ("planner-source", "data", source),
            ("planner-volume", "value", 100),
            ("planner-handling", "value", 100),
            ("planner-patience", "value", 100),
            ("planner-shrinkage", "value", 0),
        ]
        body = callback_request(
            ["planner-job.data", "planner-poll.disabled", "planner-job-message.children"],
            [("planner-simulate", "n_clicks", 1), ("planner-find", "n_clicks", None)],
            [*state, [], []],  # no per-category levers
        )
        answer = post(client, body)
        assert answer.status_code == 200
        return answer.json["response"]["planner-job-message"]["children"]

    assert "replications: 100,000 is not between 1 and 100" in start(100_000, plan)
    assert "agents per interval: between 0 and 5,000" in start(1, [10**9] * len(plan))
    assert "one number per interval" in start(1, plan + [1] * 10_000)
    with state_of(app).connect() as con:
        assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


# ------------------------------------------------------------ item 4: no files by path


@pytest.mark.parametrize(
    "scenario",
    [
        "/etc/passwd",
        "../../pyproject.toml",
        "{root}/pyproject.toml",
        "{root}/data/scenarios/bahrain_lmra.toml",
        "bahrain_lmra.toml",
        "..%2F..%2Fpyproject",
    ],
)
def test_the_planner_loads_no_file_by_path(app, scenario):
    from support.cli import ROOT

    client = app.server.test_client()
    client_log_in(client, "planner")
    search = "?centre=bahrain_lmra&scenario=" + scenario.format(root=ROOT)
    answer = post(client, page_request("/planner", search))
    assert answer.status_code == 200
    assert "not a scenario pack (known: bahrain_lmra, example_small, saudi_mol)" in answer.text
    for leaked in ("root:", "build-backend", "[project]", "line 1", "column", "Invalid", "TOML"):
        assert leaked not in answer.text, leaked
    assert "planner-grid" not in answer.text


def test_the_planner_loads_a_scenario_pack_by_name(app):
    client = app.server.test_client()
    client_log_in(client, "planner")
    answer = post(client, page_request("/planner", "?centre=bahrain_lmra&scenario=bahrain_lmra"))
    assert answer.status_code == 200 and "planner-grid" in answer.text


# ------------------------------------------------------- item 8: delays, not lock-outs


def attempt(app, user: str, password: str, ip: str):
    client = app.server.test_client()
    env = {"REMOTE_ADDR": ip}
    form = client.get("/login", environ_base=env)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    data = {"username": user, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base=env)


def forget_delays(app):
    with sqlite3.connect(state_of(app).path) as con:
        con.execute("UPDATE login_failures SET locked_until = NULL")


def fresh_app(seed_store, tmp_path):
    return make_app(seed_store, tmp_path)


def test_an_attacker_cannot_lock_the_admin_out(seed_store, tmp_path):
    """Five (or fifty) wrong passwords from one address slow that address down; the
    admin, from their own PC, signs in at once."""
    app = fresh_app(seed_store, tmp_path)
    answers = [attempt(app, "admin", "guess", "10.0.0.66").status_code for _ in range(6)]
    assert answers == [401] * 4 + [429] * 2
    assert attempt(app, "admin", PASSWORDS["admin"], "10.0.0.1").status_code == 302


def test_delays_grow_with_each_failure_and_a_name_alone_waits_a_minute_at_most(
    seed_store, tmp_path
):
    from dashboards import auth

    app = fresh_app(seed_store, tmp_path)
    state = state_of(app)
    waits = []
    for _ in range(8):
        attempt(app, "manager", "wrong", "10.0.0.7")
        waits.append(auth.wait_s(state, "manager", "10.0.0.7"))
        forget_delays(app)
    assert waits[:3] == [0, 0, 0] and all(b > a > 0 for a, b in itertools.pairwise(waits[3:])), (
        waits
    )
    pair, _, name = auth.THROTTLES
    assert [auth.delay_after(n, *pair[1:]).total_seconds() for n in range(1, 9)] == [
        0,
        0,
        0,
        5,
        10,
        20,
        40,
        80,
    ]
    assert auth.delay_after(40, *pair[1:]).total_seconds() == 15 * 60
    assert auth.delay_after(40, *name[1:]).total_seconds() == 60
    # from many addresses at once the name itself slows down, to a minute at most
    for i in range(30):
        attempt(app, "manager", "wrong", f"10.1.0.{i}")
        forget_delays(app) if i < 29 else None
    named = auth.wait_s(state, "manager", "10.9.9.9")
    assert 30 < named <= 60


def test_one_address_trying_many_names_is_slowed_down(seed_store, tmp_path):
    app = fresh_app(seed_store, tmp_path)
    for i in range(10):
        assert attempt(app, f"name{i}", "guess", "10.0.0.99").status_code == 401
    assert attempt(app, "name10", "guess", "10.0.0.99").status_code == 401  # the 11th: a delay
    assert attempt(app, "manager", PASSWORDS["manager"], "10.0.0.99").status_code == 429
    assert attempt(app, "manager", PASSWORDS["manager"], "10.0.0.5").status_code == 302


def test_an_admin_sees_and_lifts_the_delays_and_both_are_audited(seed_store, tmp_path):
    from dashboards import auth

    app = fresh_app(seed_store, tmp_path)
    state = state_of(app)
    for _ in range(5):
        attempt(app, "planner", "wrong", "10.0.0.66")
    assert attempt(app, "planner", PASSWORDS["planner"], "10.0.0.66").status_code == 429
    keys = [r["key"] for r in auth.lockouts(state)]
    assert "pair:10.0.0.66|planner" in keys
    assert any(r["action"] == "locked_out" for r in state.audit_log(50))

    admin = app.server.test_client()
    client_log_in(admin, "admin")
    shown = post(admin, page_request("/admin", ""))
    assert "admin-lockouts" in shown.text and "pair:10.0.0.66|planner" in shown.text
    body = callback_request(
        ["admin-unlock-message.children", "admin-lockouts.rowData"],
        [("admin-unlock", "n_clicks", 1)],
        [
            ("admin-lockouts", "selectedRows", [{"key": "pair:10.0.0.66|planner"}]),
            ("url", "search", ""),
        ],
    )
    assert post(admin, body).status_code == 200
    assert attempt(app, "planner", PASSWORDS["planner"], "10.0.0.66").status_code == 302
    unlocked = [r for r in state.audit_log(50) if r["action"] == "login_unlocked"]
    assert unlocked and unlocked[0]["username"] == "admin"
    manager = app.server.test_client()
    client_log_in(manager, "manager")
    assert post(manager, body).status_code == 403


# ---------------------------------------------------------------------- item 9: small


def test_a_disabled_account_reads_as_a_wrong_password(seed_store, tmp_path):
    from dashboards import auth

    app = fresh_app(seed_store, tmp_path)
    auth.add_user(state_of(app), "gone", "gone-pass-1", "manager")
    auth.update_user(state_of(app), "gone", disabled=True)
    right = attempt(app, "gone", "gone-pass-1", "10.0.0.3")
    wrong = attempt(app, "gone", "not-it-at-all", "10.0.0.4")
    assert right.status_code == wrong.status_code == 401
    message = re.compile(r"<p class='error' role='alert'>(.*?)</p>")
    assert message.search(right.text).group(1) == message.search(wrong.text).group(1)
    assert "disabled" not in right.text
    reasons = [r["detail"] for r in state_of(app).audit_log(10) if r["action"] == "login_failed"]
    assert any('"disabled"' in d for d in reasons)  # the audit still says why


def test_the_app_state_file_holds_no_usable_session_id(app):
    """A reader of the SQLite file finds only hashes of the session ids."""
    client = app.server.test_client()
    client_log_in(client, "manager")
    cookie = client.get_cookie("cca_session").value
    from itsdangerous import URLSafeSerializer

    session_id = URLSafeSerializer(app.server.secret_key, salt="cca-session").loads(cookie)
    with sqlite3.connect(state_of(app).path) as con:
        stored = [r[0] for r in con.execute("SELECT session_id FROM sessions")]
    assert session_id not in stored
    assert any(len(s) == 64 for s in stored)
    assert client.get("/").status_code == 200


def test_a_refused_planner_download_is_audited(app):
    """A planner download for a centre the user may not see: 403, and the audit says so."""
    from dashboards import auth

    auth.add_user(state_of(app), "saudi-planner", "saudi-pass-1", "planner", "saudi_mol")
    client = app.server.test_client()
    client_log_in(client, "saudi-planner", "saudi-pass-1")
    client.get("/")
    body = callback_body(
        app,
        "planner-dl-csv",
        {("planner-source", "data"): {"centre": "bahrain_lmra", "source": "week:2026-09-20"}},
    )
    assert post(client, body).status_code == 403
    refused = [r for r in state_of(app).audit_log(20) if r["action"] == "refused"]
    assert refused and refused[0]["username"] == "saudi-planner"
    assert "planner-download.data" in refused[0]["detail"]


def callback_body(app, trigger: str, values: dict) -> dict:
    """The request a browser sends when ``trigger`` is clicked, for the app's own callback
    (read from its callback map): ``values`` by (id, property), None elsewhere."""
    key, cb = next((k, c) for k, c in app.callback_map.items() if any(
        i["id"] == trigger for i in c["inputs"]))  # fmt: skip

    def entry(spec, fired=False):
        if spec["id"].startswith("{"):
            return []  # a pattern-matching id: no such components here
        value = 1 if fired else values.get((spec["id"], spec["property"]))
        return {"id": spec["id"], "property": spec["property"], "value": value}

    def output(text):
        cid, _, prop = text.rpartition(".")
        return {"id": cid, "property": prop}

    outputs = (
        [output(p) for p in key.strip(".").split("...")] if key.startswith("..") else output(key)
    )
    return {
        "output": key,
        "outputs": outputs,
        "inputs": [entry(i, i["id"] == trigger) for i in cb["inputs"]],
        "state": [entry(st) for st in cb["state"]],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }
