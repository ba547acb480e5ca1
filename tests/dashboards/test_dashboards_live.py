"""The live pages without a browser: who may open /agents and the wallboard's snapshot,
and what they hold (the plain functions behind them, over a followed log and a roster).
"""

from __future__ import annotations

import datetime as dt

import pytest
from support.app import client_log_in, make_app

from analytics.centres import get_centre
from analytics.exports.i18n import Labels
from analytics.kpi.agents import read_roster
from analytics.live.follower import Follower
from analytics.periods import parse_period

DAY = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)


def at(hh: int, mm: int) -> int:
    return int((DAY + dt.timedelta(hours=hh, minutes=mm)).timestamp())


@pytest.fixture
def live_app(store, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(
        f"{at(8, 0)}|NONE|support|A|ADDMEMBER|\n"
        f"{at(8, 0)}|NONE|support|B|ADDMEMBER|\n"
        f"{at(8, 30)}|NONE|support|B|PAUSE|lunch\n"
        f"{at(9, 0)}|k1|support|NONE|ENTERQUEUE||+1|1\n"
        f"{at(9, 1)}|k1|support|A|CONNECT|60|x|1\n"
        f"{at(9, 6)}|k1|support|A|COMPLETEAGENT|60|300|1\n"
        f"{at(9, 7)}|k2|support|NONE|ENTERQUEUE||+2|1\n"
    )
    Follower(store, "c", str(log)).run(until_idle=True)
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,start,end,activity\nA,2026-09-07 08:00,2026-09-07 10:00,work\n")
    return make_app(store, tmp_path), store, roster


@pytest.mark.parametrize(
    ("user", "agents", "snapshot"),
    [
        ("planner", 200, 403),
        ("manager", 200, 200),
        ("wallboard", 302, 200),
        ("executive", 403, 403),
    ],
)
def test_who_opens_the_agents_page_and_the_wallboards_snapshot(live_app, user, agents, snapshot):
    app, _store, _roster = live_app
    client = app.server.test_client()
    assert client.get("/api/live/snapshot?centre=c").status_code == 401
    client_log_in(client, user)
    assert client.get("/agents").status_code == agents
    response = client.get("/api/live/snapshot?centre=c")
    assert response.status_code == snapshot
    if snapshot == 200:
        payload = response.get_json()
        shown = {(f["window"], f["kpi"]): f["text"] for f in payload["figures"]}
        assert shown[("now", "calls_waiting")] == "1"
        assert shown[("now", "agents_paused")] == "1"
        assert shown[("today", "answered")] == "0"  # the call ended on 2026-09-07, not today
        assert payload["paused_reasons"] == "lunch 1"
        # the same snapshot for every screen within its time to live
        assert client.get("/api/live/snapshot?centre=c").get_json() is not None


def test_the_agents_tables_come_from_the_agent_kpis(live_app):
    from dashboards.pages.agents import agents_content  # after an app exists (Dash pages)

    _app, store, roster_path = live_app
    with store.reader() as con:
        centre = get_centre(con, "c")
        roster = read_roster(roster_path, centre)
        content = agents_content(con, centre, parse_period("2026-09-07"), Labels("en"), roster)
    grid = content.children[0]
    rows = {r["agent_id"]: r for r in grid.rowData}
    assert rows["A"]["answered"] == 1 and rows["A"]["aht_s"] == 300.0
    assert rows["B"]["paused_s_lunch"] > 0
    assert rows["A"]["adherence"] == 1.0  # logged in and ready 08:00-10:00 as rostered
    fields = [c["field"] for c in grid.columnDefs]
    assert "paused_s_lunch" in fields and "shrinkage" in fields
    assert content.children[1].id == "agents-shrinkage"


# A and B rostered 08:00-10:00, B's break 08:30-09:00. A was on the phones throughout; B
# from 08:00 to 08:30, then at lunch: productive 7200 + 1800 of 14400 s scheduled, so
# 37.5% shrinkage, 12.5% planned (B's break), 25% unplanned.
TWO_AGENTS = (
    "agent_id,start,end,activity\nA,2026-09-07 08:00,2026-09-07 10:00,work\n"
    "B,2026-09-07 08:00,2026-09-07 10:00,work\nB,2026-09-07 08:30,2026-09-07 09:00,break\n"
)


def test_the_planners_shrinkage_lever_takes_the_measured_shrinkage_of_a_period(live_app):
    import base64

    import flask
    from dash import no_update

    from dashboards.auth import Forbidden, User
    from dashboards.planner.shrinkage import use_measured

    app, _store, _roster = live_app
    dropped = "data:text/csv;base64," + base64.b64encode(TWO_AGENTS.encode()).decode()
    source = {"centre": "c", "source": "scenario:bahrain_lmra"}
    context = app.server.test_request_context("/_dash-update-component")
    context.push()
    try:
        flask.g.user = User("planner", "planner", None)
        value, note = use_measured(1, source, "2026-09-07", dropped, "r.csv", "")
        assert value == 37.5
        assert (
            note.strip("\u2066").replace("\u2069", "")
            == "2026-09-07: 37.5% measured (12.5% planned, 25.0% unplanned)"
        )
        assert use_measured(1, source, "2026-09-07", None, None, "")[0] is no_update
        value, alert = use_measured(1, source, "2026-13-01", dropped, "r.csv", "")
        assert value is no_update and alert.color == "red"
        # /agents takes a saved `cca roster` result too: three seats, A and B take two
        from dashboards.pages.agents import with_roster

        saved = "shift,start,break_start,agents,end\n4h,2026-09-07T08:00,,3,2026-09-07T12:00\n"
        saved = "data:text/csv;base64," + base64.b64encode(saved.encode()).decode()
        content = with_roster(saved, "saved.csv", "?centre=c&period=2026-09-07")
        agents = sorted(r["agent_id"] for r in content.children[0].rowData)
        assert agents[:2] == ["A", "B"] and agents[2].startswith("unfilled 4h Mon 2026-09-07")
        flask.g.user = User("elsewhere", "planner", ("other",))
        with pytest.raises(Forbidden):
            use_measured(1, source, "2026-09-07", dropped, "r.csv", "")
    finally:
        context.pop()


def test_a_screen_of_another_centre_is_refused(live_app):
    from dashboards.auth import add_user

    app, _store, _roster = live_app
    add_user(app.server.config["CCA"].state, "elsewhere", "elsewhere-pass-1", "wallboard",
             centres=["other"])  # fmt: skip
    client = app.server.test_client()
    client_log_in(client, "elsewhere", "elsewhere-pass-1")
    assert client.get("/api/live/snapshot?centre=c").status_code == 403
