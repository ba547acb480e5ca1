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
from dashboards.protocol import page_request as page  # noqa: E402

LIMIT_S = 1.0


def callback(app, trigger: str, values: dict) -> dict:
    """The request a browser sends when ``trigger`` is clicked, built from the app's own
    callback map: ``values`` by (id, property), None elsewhere, no pattern-matched ids."""
    key, cb = next(
        (k, c) for k, c in app.callback_map.items() if any(i["id"] == trigger for i in c["inputs"])
    )

    def entry(spec, fired=False):
        if spec["id"].startswith("{"):
            return []
        value = 1 if fired else values.get((spec["id"], spec["property"]))
        return {"id": spec["id"], "property": spec["property"], "value": value}

    def output(text):
        cid, _, prop = text.rpartition(".")
        return {"id": cid, "property": prop}

    return {
        "output": key,
        "outputs": [output(p) for p in key.strip(".").split("...")]
        if key.startswith("..")
        else output(key),
        "inputs": [entry(i, i["id"] == trigger) for i in cb["inputs"]],
        "state": [entry(st) for st in cb["state"]],
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
    source = {"centre": "bahrain_lmra", "source": "week:2026-09-20"}
    client.get("/")  # Dash registers its page router on the first request
    simulate = callback(
        app,
        "planner-simulate",
        {
            ("planner-plan", "data"): plan,
            ("planner-replications", "value"): 100_000,
            ("planner-target", "value"): "sl_offered_12>=0.8",
            ("planner-source", "data"): source,
        },
    )
    roster = callback(
        app,
        "planner-roster",
        {
            ("planner-shifts", "value"): "8h:1h-break",
            ("planner-break-window", "value"): "2h-5h",
            ("planner-plan", "data"): plan + [40] * 10_000,
            ("planner-source", "data"): source,
        },
    )
    cases = {
        "intraday, period 1000-01..4000-12": page(
            "/intraday", "?centre=bahrain_lmra&period=1000-01..4000-12"
        ),
        "categories, 300,000 category values": page(
            "/categories",
            "?centre=bahrain_lmra&category=" + ",".join(f"c{i}" for i in range(300_000)),
        ),
        "simulate, replications=100000": simulate,
        "roster, a plan of 10,336 intervals": roster,
        "(reference) intraday, the seed's September": page(
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
