"""The planner page's callbacks are plain functions over ``simulation.planning.whatif``: their
figures are exact Erlang A's for the same week, plan and levers."""

from __future__ import annotations

import flask
import pytest
from conftest import make_app

from dashboards.auth import Forbidden, User
from simulation.planning.whatif import Levers, erlang_week, set_agents

SOURCE = {"centre": "bahrain_lmra", "source": "week:2026-09-20"}


@pytest.fixture(scope="module")
def app(seed_store, tmp_path_factory):
    return make_app(seed_store, tmp_path_factory.mktemp("planner"))


@pytest.fixture(scope="module")
def planner(app):
    from dashboards.pages import planner  # pages register once an app exists

    return planner


def as_user(app, role: str):
    context = app.server.test_request_context("/_dash-update-component")
    context.push()
    flask.g.user = User(role, role, None)
    return context


def test_the_levers_give_exact_erlang_a_for_the_week(app, planner):
    ctx = as_user(app, "planner")
    try:
        week = planner.load_week("bahrain_lmra", "week:2026-09-20")
        plan = list(week.agents)
        tiles, figure, rows, compared, _ = planner.recompute(
            110,
            100,
            100,
            10,
            [120, 100, 100],
            "sl_offered_12>=0.8",
            5,
            plan,
            None,
            25,
            {},
            [{"cat": c} for c in week.categories],
            SOURCE,
            "",
        )
        levers = Levers(volume=1.1, volume_by_category={week.categories[0]: 1.2}, shrinkage=0.1)
        exact = erlang_week(week, plan, levers, ["sl_offered_12>=0.8"], max_abandon=0.05)
        assert [r["sl_offered_12"] for r in rows] == [r["sl_offered_12"] for r in exact.intervals]
        assert [r["status"] for r in rows] == [r["status"] for r in exact.intervals]
        assert compared[0]["sl_offered_12"] == exact.totals["sl_offered_12"]
        assert compared[0]["agent_hours"] == exact.totals["agent_hours"]
        # one edited cell changes that interval and the totals, as Erlang A says
        index = rows[3]["index"]
        new_plan = list(set_agents(plan, {index: plan[index] + 2}))
        _, _, rows2, compared2, _ = planner.recompute(
            100,
            100,
            100,
            0,
            [100, 100, 100],
            "sl_offered_12>=0.8",
            None,
            new_plan,
            None,
            0,
            {},
            [{"cat": c} for c in week.categories],
            SOURCE,
            "",
        )
        after = erlang_week(week, new_plan)
        assert rows2[3]["sl_offered_12"] == after.intervals[3]["sl_offered_12"]
        assert compared2[0]["paid_hours"] == pytest.approx(after.totals["paid_hours"])
    finally:
        ctx.pop()


def test_an_executive_cannot_call_the_planners_callbacks(app, planner):
    ctx = as_user(app, "executive")
    try:
        with pytest.raises(Forbidden):
            planner.recompute(
                100, 100, 100, 0, [], "sl_offered_12>=0.8", None, [], None, 0, {}, [], SOURCE, ""
            )
    finally:
        ctx.pop()


def test_the_week_and_backtest_lines_are_worded_in_arabic_from_their_data(app, planner):
    from dashboards.pages.planner import backtest_note, job_line, week_source

    ctx = as_user(app, "planner")
    try:
        week = planner.load_week("bahrain_lmra", "week:2026-09-20")
    finally:
        ctx.pop()
    assert week.origin[:2] == ("history", "bahrain_lmra")
    assert week_source(week, "en") == week.source
    arabic = week_source(week, "ar", "مركز البحرين")
    assert "مركز البحرين" in arabic and "2026-09-20" in arabic and "الموظفون" in arabic
    assert "calibrated" not in arabic and "agents" not in arabic

    total = {"answer_rate_predicted": 0.861, "answer_rate_ci_low": 0.85}
    total |= {"answer_rate_ci_high": 0.87, "answer_rate_actual": 0.853}
    result = {"train": "2024-09-01..2024-09-07", "test": "2024-09-08..2024-09-14"}
    result |= {"replications": 10, "rows": [total], "staffing_source": "the agents present"}
    result |= {"staffing": "presence"}
    note = backtest_note(result, "ar")
    assert "86.1%" in note and "85.3%" in note and "الموظفون الحاضرون" in note
    assert "replications" not in note and "agents present" not in note
    assert "agents: the agents present" in backtest_note(result, "en")

    running = {"kind": "simulate", "state": "running", "done": 3, "total": 10, "message": "x"}
    assert job_line(running, "ar") == "المحاكاة: قيد التشغيل — 3 من 10"
    assert job_line(running, "en") == "simulate: running — x"
