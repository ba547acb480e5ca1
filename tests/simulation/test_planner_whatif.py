"""The planner's what-if week: exact Erlang A per interval under levers and plan edits.

Every interval's figures are held against ``simulation.formulas.erlang`` computed independently
from the lever-applied scenario (``interval_traffic`` of ``whatif_scenario``), the week's
totals against sums over the intervals by hand, and the exports against the readers
that consume them (``staffing_from_csv``, ``load_scenario``, openpyxl).
"""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pytest
from support.planner import fill_store, planner_scenario

from simulation.formulas.erlang import erlang_a_metrics
from simulation.planning.staffing import interval_traffic
from simulation.planning.whatif import (
    Levers,
    add_agents,
    compare_weeks,
    comparison_xlsx,
    erlang_week,
    on_phones,
    plan_csv,
    scenario_toml_text,
    scheduled_for,
    set_agents,
    week_from_scenario,
    week_from_store,
    whatif_scenario,
)
from simulation.queue.scenario_file import load_scenario, staffing_from_csv


@pytest.fixture(scope="module")
def week():
    return week_from_scenario(planner_scenario(days=7))


def _by_index(result):
    return {row["index"]: row for row in result.intervals}


def test_planner_erlang_a_equals_simulation_erlang_for_every_interval(week):
    levers = Levers(volume=1.1, volume_by_category={"vip": 1.5}, handling=0.9, patience=1.2)
    plan = add_agents(week, week.agents, 1, 0, 30)
    result = erlang_week(week, plan, levers)
    traffic = interval_traffic(whatif_scenario(week, plan, levers))
    checked = 0
    for i, row in _by_index(result).items():
        t = traffic[i]
        if t is None:
            assert row["status"] == "closed"
            continue
        expected = erlang_a_metrics(t.calls, t.per_s, t.aht_s, t.patience_s, row["agents"])
        assert row["calls"] == pytest.approx(t.calls, rel=1e-9)
        for key in ("sl_offered_12", "sl_offered_30", "abandon_rate", "asa_s", "occupancy"):
            assert row[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key
        checked += 1
    assert checked == 5 * 12  # every open interval of the Sunday–Thursday week


def test_levers_multiply_calls_handling_and_patience(week):
    base = _by_index(erlang_week(week))
    more = _by_index(erlang_week(week, levers=Levers(volume=2.0, handling=1.5, patience=0.5)))
    i = next(i for i, r in base.items() if r["status"] != "closed")
    assert more[i]["calls"] == pytest.approx(2 * base[i]["calls"])
    assert more[i]["aht_s"] == pytest.approx(1.5 * base[i]["aht_s"])
    assert more[i]["patience_s"] == pytest.approx(0.5 * base[i]["patience_s"])
    # only the vip line doubles: 22 + 2 × 3 calls at 08:00 instead of 22 + 3
    vip = _by_index(erlang_week(week, levers=Levers(volume_by_category={"vip": 2.0})))
    assert vip[i]["calls"] == pytest.approx(base[i]["calls"] + 3.0)
    with pytest.raises(ValueError, match="no category 'nobody'"):
        erlang_week(week, levers=Levers(volume_by_category={"nobody": 2.0}))


def test_shrinkage_takes_whole_agents_off_the_phones(week):
    assert on_phones([10, 7, 0], 0.3).tolist() == [7, 4, 0]
    result = erlang_week(week, levers=Levers(shrinkage=0.25))
    row = next(r for r in result.intervals if r["plan"] == 4)
    assert row["agents"] == 3
    assert result.totals["paid_hours"] > result.totals["agent_hours"]


def test_plan_edits_change_only_their_intervals(week):
    i = next(k for k, r in _by_index(erlang_week(week)).items() if r["status"] != "closed")
    edited = set_agents(week.agents, {i: week.agents[i] + 3})
    before, after = _by_index(erlang_week(week)), _by_index(erlang_week(week, edited))
    assert after[i]["agents"] == before[i]["agents"] + 3
    assert after[i]["sl_offered_12"] > before[i]["sl_offered_12"]
    assert all(after[k] == before[k] for k in before if k != i)
    # add 2 agents Sunday 08:00–09:30 (by time), remove 10 on Monday (never below 0)
    tz = week.scenario.tz
    plus = add_agents(
        week,
        week.agents,
        2,
        dt.datetime(2024, 9, 1, 8, 0, tzinfo=tz),
        dt.datetime(2024, 9, 1, 9, 30),
    )
    assert [plus[k] - week.agents[k] for k in range(16, 21)] == [2, 2, 2, 2, 0]
    minus = add_agents(week, week.agents, -10, 48, 95)
    assert min(minus[48:96]) == 0 and sum(minus[48:96]) == 0
    assert sum(minus[:48]) == sum(week.agents[:48])
    # closed intervals are left alone
    assert add_agents(week, week.agents, 5, 0, 10) == week.agents
    with pytest.raises(ValueError, match="outside the week"):
        set_agents(week.agents, {10_000: 1})


def test_week_totals_weight_intervals_by_calls_answered_calls_and_agent_time(week):
    result = erlang_week(week)
    rows = [r for r in result.intervals if r["status"] != "closed"]
    calls = sum(r["calls"] for r in rows)
    answered = sum(r["calls"] * r["answer_rate"] for r in rows)
    t = result.totals
    assert t["calls"] == pytest.approx(calls)
    assert t["sl_offered_12"] == pytest.approx(
        sum(r["calls"] * r["sl_offered_12"] for r in rows) / calls
    )
    assert t["abandon_rate"] == pytest.approx(
        sum(r["calls"] * r["abandon_rate"] for r in rows) / calls
    )
    assert t["asa_s"] == pytest.approx(
        sum(r["calls"] * r["answer_rate"] * r["asa_s"] for r in rows) / answered
    )
    busy = sum(r["calls"] * r["answer_rate"] * r["aht_s"] for r in rows)
    staffed = sum(r["agents"] * 1800 for r in result.intervals)
    assert t["occupancy"] == pytest.approx(busy / staffed)
    assert t["agent_hours"] == pytest.approx(sum(week.agents) * 0.5)
    assert t["intervals_green"] + t["intervals_amber"] + t["intervals_red"] == len(rows)


def test_red_amber_green_against_the_targets(week):
    plan = add_agents(week, week.agents, 2, 0, len(week.agents) - 1)
    result = erlang_week(week, plan, targets=["sl_offered_12>=0.8"], max_abandon=0.05)
    for row in result.intervals:
        if row["status"] == "closed":
            continue
        sl, ab = row["sl_offered_12"], row["abandon_rate"]
        if sl >= 0.8 and ab <= 0.05:
            assert row["status"] == "green"
        elif sl >= 0.75 and ab <= 0.10:
            assert row["status"] == "amber"
        else:
            assert row["status"] == "red"
    assert len({r["status"] for r in result.intervals} - {"closed"}) >= 2
    # enough agents make every open interval green
    rich = erlang_week(week, add_agents(week, week.agents, 20, 0, len(week.agents) - 1))
    assert rich.totals["intervals_red"] == rich.totals["intervals_amber"] == 0


def test_no_agents_means_every_caller_abandons(week):
    empty = erlang_week(week, [0] * len(week.agents))
    row = next(r for r in empty.intervals if r["status"] != "closed")
    assert (row["abandon_rate"], row["sl_offered_12"], row["status"]) == (1.0, 0.0, "red")
    assert empty.totals["answer_rate"] == 0.0


def test_plan_csv_is_what_cca_simulate_staffing_reads(week, tmp_path):
    plan = add_agents(week, week.agents, 2, 16, 19)
    path = tmp_path / "plan.csv"
    path.write_text(plan_csv(week, plan), encoding="utf-8")
    assert path.read_text().splitlines()[17] == "2024-09-01T08:00:00+03:00,6"
    assert staffing_from_csv(path, week.scenario).per_interval == plan


def test_scenario_toml_loads_back_as_the_same_week(week, tmp_path):
    levers = Levers(volume=1.2, volume_by_category={"vip": 0.5}, handling=1.1, patience=0.8)
    plan = add_agents(week, week.agents, 1, 0, 100)
    scenario = whatif_scenario(week, plan, levers)
    path = tmp_path / "whatif.toml"
    path.write_text(scenario_toml_text(scenario), encoding="utf-8")
    loaded = load_scenario(path)
    a, b = scenario.timeline(), loaded.timeline()
    np.testing.assert_allclose(a.expected, b.expected, rtol=1e-9)
    assert b.agents.tolist() == list(plan)
    assert [c.priority for c in loaded.categories] == [1, 0]
    assert loaded.categories[0].aht_s == pytest.approx(240 * 1.1)
    assert loaded.categories[1].patience.mean_s == pytest.approx(240 * 0.8)
    # and it is the week the planner saw
    again = erlang_week(week_from_scenario(loaded))
    assert again.totals["sl_offered_12"] == pytest.approx(
        erlang_week(week, plan, levers).totals["sl_offered_12"], rel=1e-6
    )


def test_compare_up_to_four_scenarios_with_the_cost_of_the_difference(week, tmp_path):
    current = erlang_week(week)
    more = erlang_week(week, add_agents(week, week.agents, 1, 0, len(week.agents) - 1))
    rows = compare_weeks({"current": current, "plus one": more}, cost_per_agent_hour=12.5)
    assert rows[0]["agent_hours_diff"] == 0 and rows[0]["cost_diff"] == 0
    # one more agent in each of 60 open half hours: 30 agent-hours
    assert rows[1]["agent_hours_diff"] == pytest.approx(30.0)
    assert rows[1]["cost_diff"] == pytest.approx(30.0 * 12.5)
    assert rows[1]["sl_offered_12"] > rows[0]["sl_offered_12"]
    with pytest.raises(ValueError, match="at most 4"):
        compare_weeks(dict.fromkeys("abcde", current))
    import openpyxl

    data = comparison_xlsx(rows, {"current": current, "plus one": more})
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["comparison", "current", "plus one"]
    sheet = book["comparison"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(3, header.index("agent_hours_diff") + 1).value == pytest.approx(30.0)
    assert book["current"].max_row == len(current.intervals) + 1


def test_a_week_of_history_takes_the_staffing_table_as_its_plan(tmp_path):
    scenario = planner_scenario(days=7)
    store, centre = fill_store(tmp_path / "history.duckdb", scenario)
    with store.reader() as con:
        week = week_from_store(con, centre, dt.date(2024, 9, 1))
    assert week.agents == tuple(scenario.timeline().agents.tolist())
    assert "staffing table" in week.source
    result = erlang_week(week)
    assert result.totals["calls"] == pytest.approx(5 * (12 * 25 + 4 * 0.6 * 25), rel=0.1)
    assert not math.isnan(result.totals["sl_offered_12"])


def test_a_found_plan_on_the_phones_becomes_the_fewest_agents_scheduled_under_shrinkage():
    found = (0, 1, 7, 9, 10, 23, 40)
    for shrinkage in (0.0, 0.1, 0.15, 0.3, 1 / 3):
        plan = scheduled_for(found, shrinkage)
        assert tuple(on_phones(plan, shrinkage)) >= found
        assert all(on_phones([p], shrinkage)[0] >= f for p, f in zip(plan, found, strict=True))
        # one fewer scheduled agent would leave an interval short
        assert all(
            p == 0 or on_phones([p - 1], shrinkage)[0] < f for p, f in zip(plan, found, strict=True)
        )
    # by hand: 9 on the phones at 10% shrinkage need 10 scheduled (⌊10 × 0.9⌋ = 9)
    assert scheduled_for([9], 0.1) == (10,)
    assert scheduled_for([9], 0.0) == (9,)
