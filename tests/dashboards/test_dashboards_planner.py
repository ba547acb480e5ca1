"""The planner page's callbacks are plain functions over ``simulation.planning.whatif``: their
figures are exact Erlang A's for the same week, plan and levers."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import flask
import pytest
from support.app import make_app

from dashboards.auth import Forbidden, User
from dashboards.planner.backtest import backtest_note
from dashboards.planner.compare import comparison_rows
from dashboards.planner.jobs import job_line
from dashboards.planner.levers import basis_of, levers_data, targets_of
from dashboards.planner.week import load_week, source_of, week_source
from dashboards.planner.whatif import found_note, models_panel, recompute
from simulation.planning.whatif import Levers, erlang_week, on_phones, scheduled_for, set_agents

SOURCE = {"centre": "bahrain_lmra", "source": "week:2026-09-20"}
NO_TARGET = ("sl_offered", 12, 80, None)  # the targets form as it opens


@pytest.fixture(scope="module")
def app(seed_store, tmp_path_factory):
    return make_app(seed_store, tmp_path_factory.mktemp("planner"))


@contextmanager
def as_user(app, role: str):
    """A callback's request by a user of ``role``, for the length of the block."""
    with app.server.test_request_context("/_dash-update-component"):
        flask.g.user = User(role, role, None)
        yield


def seed_week(app):
    """The seed's week of 20 September as the planner opens it."""
    with as_user(app, "planner"):
        return load_week("bahrain_lmra", "week:2026-09-20")


def test_the_levers_give_exact_erlang_a_for_the_week(app):
    with as_user(app, "planner"):
        week = load_week("bahrain_lmra", "week:2026-09-20")
        plan = list(week.agents)
        tiles, figure, rows, compared, *_ = recompute(
            110,
            100,
            100,
            10,
            [120, 100, 100],
            *("sl_offered", 12, 80, 5),  # the targets form: of offered, within 12 s, ≥ 80%
            plan,
            None,
            25,
            {},
            None,
            None,
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
        _, _, rows2, compared2, *_ = recompute(
            100,
            100,
            100,
            0,
            [100, 100, 100],
            *("sl_offered", 12, 80, None),
            new_plan,
            None,
            0,
            {},
            None,
            None,
            [{"cat": c} for c in week.categories],
            SOURCE,
            "",
        )
        after = erlang_week(week, new_plan)
        assert rows2[3]["sl_offered_12"] == after.intervals[3]["sl_offered_12"]
        assert compared2[0]["paid_hours"] == pytest.approx(after.totals["paid_hours"])


def test_an_executive_cannot_call_the_planners_callbacks(app):
    with as_user(app, "executive"):
        with pytest.raises(Forbidden):
            recompute(100, 100, 100, 0, [], *NO_TARGET, [], None, 0, {}, None, None, [], SOURCE, "")


def test_the_week_and_backtest_lines_are_worded_in_arabic_from_their_data(app):
    week = seed_week(app)
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
    assert job_line(running, "en") == "Simulation: running — x"


def test_the_week_a_planner_picks_is_the_week_the_page_opens():
    """The week picker writes ``plan-source`` into the URL; the page opens that week,
    over the link's ``week`` it was opened with (it kept showing that one)."""
    weeks = [dt.date(2026, 9, 27), dt.date(2026, 9, 20), dt.date(2026, 9, 13)]
    assert source_of({}, weeks) == "week:2026-09-20"  # the newest whole week
    assert source_of({"week": "2026-09-13"}, weeks) == "week:2026-09-13"
    picked = {"week": "2026-09-20", "plan-source": "scenario:peak"}
    assert source_of(picked, weeks) == "scenario:peak"


def test_the_targets_form_reads_as_a_target_and_refuses_values_out_of_range():
    assert targets_of("sl_offered", 12, 80, 5) == (["sl_offered_12>=0.8"], 0.05)
    assert targets_of("sl_answered", 20, 90, None) == (["sl_answered_20>=0.9"], None)
    assert targets_of(None, None, None, "") == (["sl_offered_12>=0.8"], None)  # as it opens
    with pytest.raises(ValueError, match="seconds"):
        targets_of("sl_offered", 0, 80, None)
    with pytest.raises(ValueError, match="percentage"):
        targets_of("sl_offered", 12, 120, None)


def test_the_targets_form_allows_what_the_server_takes():
    """The server takes any threshold above 0 s (0.5 s is a target) and any share above
    0%: the form's inputs let them through (an input's min is enforced on leaving the
    field: a min of 1 turned 0.5 into 1), and what they let through but the server
    refuses (0) gets a message with the server's bounds."""
    from dashboards.planner.levers import TARGET_SECONDS, TARGET_SHARE

    assert targets_of("sl_offered", 0.5, 0.5, None) == (["sl_offered_0.5>=0.005"], None)
    seconds, share = TARGET_SECONDS.input("en"), TARGET_SHARE.input("ar")
    for box, taken in ((seconds, (0.5, 1, 12, 3600)), (share, (0.5, 1, 80, 100))):
        assert all(box.min <= v <= box.max for v in taken)
    assert 0.5 % seconds.step == 0  # its arrows step through half seconds
    for args in ((0, 80), (3601, 80), (12, 0), (12, 101)):
        with pytest.raises(ValueError, match="above 0, up to"):
            targets_of("sl_offered", *args, None)


def test_a_target_from_the_form_colours_the_intervals_as_its_text_does(app):
    with as_user(app, "planner"):
        week = load_week("bahrain_lmra", "week:2026-09-20")
        plan = list(week.agents)
        cats = [{"cat": c} for c in week.categories]
        _, figure, rows, *_ = recompute(
            100, 100, 100, 0, [], *("sl_offered", 20, 90, None), plan, None, 0, {}, None, None,
            cats, SOURCE, "",
        )  # fmt: skip
    exact = erlang_week(week, plan, Levers(), ["sl_offered_20>=0.9"])
    assert [r["status"] for r in rows] == [r["status"] for r in exact.intervals]
    # the chart draws the target's service level and the target itself
    line = [d for d in figure["data"] if d.get("name", "").startswith("Erlang A")][0]
    assert line["y"] == [r["sl_offered_20"] for r in exact.intervals]
    target = figure["data"][-1]  # dashed, its words in the legend (not over the bars)
    assert set(target["y"]) == {0.9} and "90" in target["name"]
    assert not figure["layout"].get("annotations")


def test_found_staffing_is_worded_with_both_models_and_the_previous_plan_is_kept(app):
    """A found plan (agents on the phones) under 10% shrinkage becomes the fewest agents
    scheduled; the line under the jobs names Erlang A's amber and red intervals beside
    the simulation's verdict; the plan it replaced stays in the comparison."""
    week = seed_week(app)
    levers = Levers(shrinkage=0.1)
    old = list(week.agents)
    found_agents = [a + 1 if a else 0 for a in old]  # what the job returned: on the phones
    found = {"kind": "find_staffing", "agents": found_agents, "unmet": []}
    found["basis"] = basis_of(old, levers)
    plan = list(scheduled_for(found_agents, 0.1))
    assert all(on_phones(plan, 0.1) >= found_agents)
    result = erlang_week(week, plan, levers)
    amber, red = result.totals["intervals_amber"], result.totals["intervals_red"]
    assert amber + red > 0  # this plan is not all green by Erlang A: the case of the issue
    text = _text(found_note(found, plan, levers, result, "en"))
    assert "the simulation finds every interval meets the targets" in text
    assert f"Erlang A puts {amber} in amber and {red} in red" in text
    arabic = _text(found_note(found, plan, levers, result, "ar"))
    assert f"{amber} فترة في الأصفر" in arabic and "every" not in arabic
    # the plan edited since: the line says so instead of a verdict on another plan
    edited = list(set_agents(plan, {0: plan[0] + 1}))
    assert "changed since" in _text(found_note(found, edited, levers, result, "en"))

    saved = {"previous plan": {"plan": old, "levers": levers_data(levers)}}
    rostered = {"plan": plan, "paid_hours": 204.0}
    rows = comparison_rows(week, plan, levers, ["sl_offered_12>=0.8"], None, saved, 0, rostered)
    assert [r["scenario"] for r in rows] == ["current", "previous plan"]
    assert rows[1]["paid_hours"] == pytest.approx(
        erlang_week(week, old, levers).totals["paid_hours"]
    )
    assert rows[0]["rostered_paid_hours"] == 204.0 and rows[1]["rostered_paid_hours"] is None


def test_erlang_a_and_the_simulation_side_by_side_only_for_the_plan_on_screen(app):
    week = seed_week(app)
    plan, levers = list(week.agents), Levers()
    result = erlang_week(week, plan, levers)
    e = result.totals["sl_offered_12"]
    summary = {"sl_offered_12": e + 0.01, "sl_offered_12_ci_low": e - 0.02}
    summary["sl_offered_12_ci_high"] = e + 0.04
    sim = {"summary": summary, "intervals": [], "basis": basis_of(plan, levers)}
    panel = _text(models_panel(sim, basis_of(plan, levers), result, "en"))
    assert "inside the interval" in panel and "Which to trust" in panel
    assert "Why they differ" in panel
    arabic = _text(models_panel(sim, basis_of(plan, levers), result, "ar"))
    assert "أيهما يُعتمد" in arabic and "Which" not in arabic
    stale = models_panel(sim, basis_of(set_agents(plan, {0: 1}), levers), result, "en")
    assert "earlier plan" in _text(stale)


def _text(component) -> str:
    """The visible text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_every_word_the_planner_shows_has_its_arabic():
    """Each English key given to ``t`` in the planner's modules (and the words of its
    menus: job kinds, target KPIs, forecast methods, columns) is translated in the Arabic
    message catalogue (analytics.translation)."""
    import ast
    from pathlib import Path

    from analytics.translation import read_catalogue
    from dashboards.planner import forecast, levers, words

    root = Path(words.__file__).parent
    keys = set(words.COLUMN_WORDS.values()) | set(words.KIND_WORDS.values())
    keys |= set(levers.TARGET_KPIS.values()) | set(forecast.METHODS.values())
    for path in [*root.glob("*.py"), root.parent / "pages" / "planner.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    keys.discard("")
    arabic = read_catalogue("ar")
    missing = sorted(k for k in keys if not (arabic.get(k) and arabic.get(k).string))
    assert not missing, missing
