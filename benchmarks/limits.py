"""How fast is an abusive request refused? Issue #20's unbounded requests against the
dashboards, each timed from the request to its answer, against a 1 s limit.

Builds bahrain_lmra's seed September (the history generator, a few seconds) in a
temporary folder, makes the app with one planner, logs in through the real form, then
posts through Flask's test client (guard, CSRF, the callback, the JSON answer):

* the Intraday page for ``?period=1000-01..4000-12`` (before: 6 s and 61 MB);
* the Categories page with a 300,000-value ``category=`` list (before: 11 s);
* the planner's Simulate with ``replications=100000`` (before: accepted, ~20 minutes);
* the planner's roster of a plan of 10,000 extra intervals;
* the same Intraday page for the seed's own September, the work a page normally does.

Each is run R times; the median, the answer's size and the ratio to 1 s are printed.

    .venv/bin/python benchmarks/limits.py [R]   # R runs each (default 5)
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.appstate import AppState  # noqa: E402
from analytics.store import Store  # noqa: E402
from dashboards import Settings, create_app  # noqa: E402
from dashboards.auth import add_user  # noqa: E402
from dashboards.protocol import page_request  # noqa: E402

LIMIT_S = 1.0


def planner(trigger: str, outputs: list[tuple[str, str]], state: list, plan: list) -> dict:
    key = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    return {
        "output": key if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": trigger, "property": "n_clicks", "value": 1}]
        + (
            [{"id": "planner-find", "property": "n_clicks", "value": None}]
            if trigger == "planner-simulate"
            else []
        ),
        "state": state,
        "changedPropIds": [f"{trigger}.n_clicks"],
    }


def main(runs: int = 5) -> None:
    from cca.commands.generate import generate

    tmp = Path(tempfile.mkdtemp(prefix="cca-limits-"))
    store = Store(tmp / "seed.duckdb")
    generate(store, "bahrain_lmra", "2026-09", 1, 0, quiet=True)
    state = AppState(tmp / "app.sqlite")
    add_user(state, "planner", "planner-pass-1", "planner")
    app = create_app(store, Settings(app_state=state.path, secret_key="bench", work_dir=tmp))
    client = app.server.test_client()
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    client.post(
        "/login", data={"username": "planner", "password": "planner-pass-1", "csrf_token": token}
    )
    csrf = client.get_cookie("_csrf_token").value
    from dashboards.pages.planner import load_week

    with app.server.test_request_context():
        plan = list(load_week("bahrain_lmra", "week:2026-09-20").agents)
    source = {
        "id": "planner-source",
        "property": "data",
        "value": {"centre": "bahrain_lmra", "source": "week:2026-09-20"},
    }
    simulate_state = [
        {"id": "planner-plan", "property": "data", "value": plan},
        {"id": "planner-replications", "property": "value", "value": 100_000},
        # the targets form: of offered calls, answered within 12 s, at least 80%
        {"id": "planner-target-kpi", "property": "value", "value": "sl_offered"},
        {"id": "planner-target-seconds", "property": "value", "value": 12},
        {"id": "planner-target-share", "property": "value", "value": 80},
        {"id": "planner-max-abandon", "property": "value", "value": None},
        {"id": "url", "property": "search", "value": ""},
        source,
        *(
            {"id": f"planner-{k}", "property": "value", "value": v}
            for k, v in (("volume", 100), ("handling", 100), ("patience", 100), ("shrinkage", 0))
        ),
        [],
        [],
    ]
    roster_state = [
        {"id": "planner-shifts", "property": "value", "value": "8h:1h-break"},
        {"id": "planner-break-window", "property": "value", "value": "2h-5h"},
        {"id": "planner-plan", "property": "data", "value": plan + [40] * 10_000},
        source,
        {"id": "url", "property": "search", "value": ""},
    ]
    cases = {
        "intraday, period 1000-01..4000-12": page_request(
            "/intraday", "?centre=bahrain_lmra&period=1000-01..4000-12"
        ),
        "categories, 300,000 category values": page_request(
            "/categories",
            "?centre=bahrain_lmra&category=" + ",".join(f"c{i}" for i in range(300_000)),
        ),
        "simulate, replications=100000": planner(
            "planner-simulate",
            [
                ("planner-job", "data"),
                ("planner-poll", "disabled"),
                ("planner-job-message", "children"),
            ],
            simulate_state,
            plan,
        ),
        "roster, a plan of 10,336 intervals": planner(
            "planner-roster",
            [("planner-roster-out", "children"), ("planner-roster-hours", "data")],
            roster_state,
            plan,
        ),
        "(reference) intraday, the seed's September": page_request(
            "/intraday", "?centre=bahrain_lmra&period=2026-09"
        ),
    }
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores; {runs} runs each; limit 1 s")
    print(f"{'request':45} {'median s':>9} {'bytes':>10} {'× limit':>8}")
    for name, body in cases.items():
        times, size = [], 0
        for _ in range(runs):
            t = time.perf_counter()
            answer = client.post(
                "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf}
            )
            times.append(time.perf_counter() - t)
            size = len(answer.data)
            assert answer.status_code in (200, 204), (name, answer.status_code, answer.text[:300])
        median = statistics.median(times)
        print(f"{name:45} {median:9.3f} {size:10,} {median / LIMIT_S:8.2f}")
    app.server.config["CCA"].jobs.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
