"""A user limited to one centre never gets another centre's data, whatever the client sends.

Every callback the app registers (read from the app's own callback map, not a hand list,
so a new callback is covered the day it is added) is replayed as a manager limited to
``bahrain_lmra``, once with ``bahrain_lmra``'s values and once with ``saudi_mol``'s in
every input that can name a centre, a job or an alert: the planner's source store, the
URL, the centre filter, an alert to acknowledge, a job to poll or cancel. Each answer
with the other centre's values must be a refusal (403), no update (204), or exactly the
answer given for the user's own centre — so nothing of the other centre left the server.
Real app, real SQLite and DuckDB files, real Flask test client."""

from __future__ import annotations

import json

import pytest
from support.app import SEED_MONTH, client_log_in, make_app

from analytics.appstate import utc_now
from analytics.store import Store
from dashboards import auth

OWN, OTHER = "bahrain_lmra", "saudi_mol"
WEEK = "week:2026-09-20"


@pytest.fixture(scope="module")
def two_centres(tmp_path_factory, generated_months) -> Store:
    """bahrain_lmra's and saudi_mol's September from the real history generator."""
    from cca.commands.generate import generate

    store = generated_months.copy(tmp_path_factory.mktemp("two") / "two.duckdb", OWN, SEED_MONTH)
    generate(store, OTHER, SEED_MONTH, 1, 0, quiet=True)
    return store


@pytest.fixture(scope="module")
def app(two_centres, tmp_path_factory):
    app = make_app(two_centres, tmp_path_factory.mktemp("iso"))
    state = app.server.config["CCA"].state
    auth.add_user(state, "bahrain-manager", "bahrain-pass-1", "manager", OWN)
    yield app
    app.server.config["CCA"].jobs.shutdown()


def log_in(client, user: str, password: str) -> str:
    done = client_log_in(client, user, password)
    assert done.status_code == 302, done.text
    return client.get_cookie("_csrf_token").value


def fake_job(state, username: str, centre: str, job_state: str) -> str:
    """A job row as the runner writes it (its work never runs)."""
    job_id = f"job-{username}-{centre}"
    with state.connect() as con:
        con.execute(
            "INSERT OR IGNORE INTO jobs (job_id, username, kind, state, params, created_at)"
            " VALUES (?, ?, 'simulate', ?, ?, ?)",
            [job_id, username, job_state, json.dumps({"centre": centre}), utc_now()],
        )
    return job_id


def open_alert(state, centre: str) -> int:
    from simulation.operations.alerts.state import record_alert

    return record_alert(
        state,
        {
            "centre_id": centre,
            "rule": f"{centre}-sl",
            "kind": "sl_projection",
            "severity": "critical",
            "as_of": "2026-09-30T11:00:00+03:00",
            "value": 0.5,
            "threshold": 0.7,
            "message": {"en": f"{centre} is short", "ar": f"{centre} ناقص"},
        },
        cooldown_s=0,
    )


class Values:
    """What the client sends for each (component, property), for one centre."""

    def __init__(self, centre: str, job_id: str, alert_id: int, plan: list[int]):
        query = f"?centre={centre}&period={SEED_MONTH}"
        self.exact = {
            ("url", "search"): query,
            ("url", "href"): "http://localhost/" + query,
            ("url", "pathname"): "/",
            ("_pages_location", "search"): query,
            ("planner-source", "data"): {"centre": centre, "source": WEEK},
            ("planner-job", "data"): job_id,
            ("planner-plan", "data"): plan,
            ("planner-replications", "value"): 1,
            ("planner-bt-replications", "value"): 1,
            ("planner-bt-train", "value"): "2026-09-06..2026-09-19",
            ("planner-bt-test", "value"): "2026-09-20..2026-09-26",
            ("planner-shifts", "value"): "8h:1h-break",
            ("planner-break-window", "value"): "2h-5h",
            ("planner-forecast-method", "value"): "profile",
            ("admin-rules-centre", "value"): centre,
            ("admin-new-centres", "value"): [centre],
            ("admin-new-name", "value"): f"new-{centre}",
            ("admin-new-password", "value"): "a-long-password",
            ("admin-new-role", "value"): "manager",
        }
        self.patterns = {
            ("view-filter", "value"): [  # an id with several keys: given whole
                ({"name": "centre", "built": json.dumps(centre)}, centre),
                ({"name": "period", "built": json.dumps(SEED_MONTH)}, SEED_MONTH),
            ],
            ("alert-ack", "n_clicks"): [(alert_id, 1)],
            ("planner-cat-volume", "value"): [],
        }

    def concrete(self, spec: dict) -> dict | list:
        """The request entry of one input or state (a list for a pattern id)."""
        cid, prop = spec["id"], spec["property"]
        if cid.startswith("{"):
            pattern = json.loads(cid)
            kind = pattern["type"]
            key = next(k for k in pattern if k != "type")
            items = self.patterns[(kind, "value" if prop == "id" else prop)]
            ids = [{"type": kind} | (i if isinstance(i, dict) else {key: i}) for i, _ in items]
            return [
                {"id": cid, "property": prop, "value": cid if prop == "id" else v}
                for cid, (_, v) in zip(ids, items, strict=True)
            ]
        value = self.exact.get((cid, prop), 1 if prop in ("n_clicks", "n_intervals") else None)
        return {"id": cid, "property": prop, "value": value}


def outputs_of(key: str) -> list[dict] | dict:
    def one(text: str) -> dict:
        cid, _, prop = text.rpartition(".")
        return {"id": cid, "property": prop}

    if key.startswith(".."):
        return [one(p) for p in key.strip(".").split("...")]
    return one(key)


def bodies(app, values: Values):
    """(a name, the request body) for every server callback, each input in turn the one
    that fired; the page router once per registered page."""
    import dash

    for key, cb in app.callback_map.items():
        if "callback" not in cb:
            continue  # clientside: runs in the browser, reads nothing on the server
        inputs = [values.concrete(i) for i in cb["inputs"]]
        state = [values.concrete(s) for s in cb["state"]]
        triggers = range(len(inputs))
        paths = [None]
        if cb["inputs"][0]["id"] == "_pages_location":
            paths = [p["path"] for p in dash.page_registry.values()]
            triggers = [0]
        for path in paths:
            ins = json.loads(json.dumps(inputs))
            if path is not None:
                ins[0]["value"] = path
            for i in triggers:
                fired = ins[i] if isinstance(ins[i], dict) else (ins[i] or [None])[0]
                if fired is None:
                    continue
                changed = (
                    fired["id"]
                    if isinstance(fired["id"], str)
                    else json.dumps(fired["id"], separators=(",", ":"), sort_keys=True)
                )
                yield (
                    f"{key} ← {cb['inputs'][i]['id']}" + (f" {path}" if path else ""),
                    {
                        "output": key,
                        "outputs": outputs_of(key),
                        "inputs": ins,
                        "state": state,
                        "changedPropIds": [f"{changed}.{fired['property']}"],
                    },
                )


def test_no_callback_gives_a_user_another_centres_data(app):
    ctx = app.server.config["CCA"]
    state = ctx.state
    client = app.server.test_client()
    token = log_in(client, "bahrain-manager", "bahrain-pass-1")
    client.get("/")  # Dash registers the page router on the first request
    from dashboards.pages.planner import load_week

    with app.server.test_request_context():
        plan = list(load_week(OWN, WEEK).agents)
    # the user's own job has ended, so their "Simulate" would start one
    mine = fake_job(state, "bahrain-manager", OWN, "failed")
    theirs = fake_job(state, "someone-else", OTHER, "queued")
    own = Values(OWN, mine, open_alert(state, OWN), plan)
    other = Values(OTHER, theirs, open_alert(state, OTHER), plan)

    def post(body):
        return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})

    leaks, replayed, refused_both = [], 0, []
    for (name, asked), (_, own_body) in zip(bodies(app, other), bodies(app, own), strict=True):
        replayed += 1
        answer = post(asked)
        reference = post(own_body)
        if answer.status_code == 403 and reference.status_code == 403:
            refused_both.append(name)  # the role, not the centre: checked below
        elif answer.status_code in (403, 204):
            continue
        elif answer.status_code != 200:
            leaks.append(f"{name}: {answer.status_code} {answer.text[:200]}")
        elif answer.get_json() != reference.get_json():
            leaks.append(f"{name}: answered {answer.text[:160]}")
    ctx.jobs.shutdown()
    assert replayed >= 25, replayed
    assert not leaks, "\n".join(leaks)
    # what both centres' values were refused is the admin page's (a manager's role)
    assert refused_both and all("admin-" in name for name in refused_both), refused_both
    # nor did it act on the other centre: its alert is open, the other user's job queued
    from simulation.operations.alerts import open_alerts

    assert any(a["centre_id"] == OTHER for a in open_alerts(state, None))
    with state.connect() as con:
        row = con.execute("SELECT state FROM jobs WHERE job_id = ?", [theirs]).fetchone()
        assert row["state"] == "queued"
        started = con.execute(
            "SELECT params FROM jobs WHERE username = 'bahrain-manager' AND job_id != ?", [mine]
        ).fetchall()
    assert all(json.loads(r["params"])["centre"] == OWN for r in started)
