"""`cca backtest`: calibrate on one period, predict another, report the error.

The store is filled by simulating a known centre (a priority line, a staffing table), so
the model is predicting a world it can describe: its predictions must fall near the
actual figures, and the actual figures must be the KPI layer's own.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from support.cli import cca_refuses, run_cca, run_cca_json
from support.planner import fill_store, planner_scenario

from analytics.kpi import call_kpis
from analytics.periods import parse_period
from simulation.calibration.backtest import backtest_model, error_of, presence_share
from simulation.calibration.fit import calibrate, priority_levels

TRAIN, TEST = "2024-09-01..2024-09-07", "2024-09-08..2024-09-14"


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = tmp_path_factory.mktemp("backtest") / "history.duckdb"
    store, centre = fill_store(path, planner_scenario(days=14), seed=3)
    with store.reader() as con:
        result = backtest_model(
            con, centre, parse_period(TRAIN), parse_period(TEST), replications=6, workers=1
        )
    return store, centre, result, path


def test_errors_are_points_for_rates_and_percent_for_asa():
    assert error_of("answer_rate", 0.88, 0.86) == pytest.approx(2.0)
    assert error_of("sl_offered_12", 0.40, 0.45) == pytest.approx(-5.0)
    assert error_of("asa_s", 58.0, 48.0) == pytest.approx(20.8333333)
    assert error_of("asa_s", 10.0, 0.0) is None
    assert error_of("abandon_rate", None, 0.1) is None


def test_priorities_are_read_from_who_waits_less_than_those_around_them(history):
    assert priority_levels([("vip", 100, 0.3), ("a", 900, 1.0), ("b", 50, 2.0)]) == {
        "vip": 0,
        "a": 1,
        "b": 2,
    }
    assert priority_levels([("a", 10, 0.9), ("b", 10, 1.1)]) == {"a": 0, "b": 0}
    store, centre, _, _ = history
    with store.reader() as con:
        cal = calibrate(con, centre, parse_period(TRAIN), priorities="data")
        plain = calibrate(con, centre, parse_period(TRAIN))
    priority = {c.name: c.priority for c in cal.scenario.categories}
    assert priority == {"ordinary": 1, "vip": 0}  # as the simulated centre answers them
    assert {c.priority for c in plain.scenario.categories} == {0}


def test_actual_figures_are_the_kpi_layers_and_every_day_has_a_row(history):
    store, centre, result, _ = history
    with store.reader() as con:
        actual = call_kpis(con, centre, period=parse_period(TEST))[0]
        days = call_kpis(con, centre, period=parse_period(TEST), interval="day")
    assert [r["day"] for r in result.rows] == [
        r["interval_start"].date().isoformat() for r in days
    ] + ["all"]
    total = result.total
    for kpi in ("answer_rate", "abandon_rate", "asa_s", "sl_offered_12", "sl_offered_30"):
        assert total[f"{kpi}_actual"] == actual[kpi]
        assert total[f"{kpi}_ci_low"] <= total[f"{kpi}_predicted"] <= total[f"{kpi}_ci_high"]
        assert total[f"{kpi}_error"] == pytest.approx(
            error_of(kpi, total[f"{kpi}_predicted"], actual[kpi])
        )
    assert "staffing table" in result.staffing_source
    # the test days' own arrivals: the simulated volume is the actual one up to Poisson noise
    assert total["offered_predicted"] == pytest.approx(total["offered_actual"], rel=0.03)


def test_the_model_predicts_the_centre_it_was_calibrated_on(history):
    total = history[2].total
    assert abs(total["answer_rate_error"]) < 3.0
    assert abs(total["abandon_rate_error"]) < 3.0
    assert abs(total["asa_s_error"]) < 25.0
    assert abs(total["sl_offered_30_error"]) < 6.0


def test_cca_backtest_prints_json_with_the_contract_keys(history):
    _, _, _, path = history
    rows = run_cca_json(
        "backtest",
        "--centre",
        "planner_centre",
        "--train",
        TRAIN,
        "--test",
        "2024-09-08..2024-09-09",
        "--replications",
        "2",
        "--workers",
        "1",
        db=path,
    )
    assert [r["day"] for r in rows] == ["2024-09-08", "2024-09-09", "all"]
    for kpi in ("answer_rate", "abandon_rate", "asa_s", "sl_offered_12", "sl_offered_30"):
        for suffix in ("actual", "predicted", "ci_low", "ci_high", "error"):
            assert f"{kpi}_{suffix}" in rows[-1]


def test_cca_backtest_names_what_is_wrong(history):
    _, _, _, path = history
    for train, test, says in (
        (TRAIN, TRAIN, "overlaps train"),
        (TRAIN, "2025-01", "no calls in 2025-01"),
        ("Sept", TEST, "--train"),
    ):
        cca_refuses(
            *("backtest", "--centre", "planner_centre", "--train", train, "--test", test),
            says=says,
            db=path,
        )


def test_presence_share_is_calibrated_agents_over_agents_present_on_the_training_days():
    mon, tue = dt.date(2024, 9, 2), dt.date(2024, 9, 3)
    agents = np.zeros((7, 3))
    agents[0] = [2.0, 4.0, 0.0]  # Monday as calibrated (mean over its days)
    agents[1] = [3.0, 3.0, 0.0]
    presence = [(mon, 0, 4.0), (mon, 1, 5.0), (tue, 0, 6.0), (tue, 1, 3.0), (tue, 2, 1.0)]
    days = [1, 1, 0, 0, 0, 0, 0]
    # slot 2 is closed in the calibration: its presence does not count
    assert presence_share(agents, presence, days, "period")[0, 0] == pytest.approx(12 / 18)
    by_slot = presence_share(agents, presence, days, "slot")
    assert by_slot[0, :2] == pytest.approx([5 / 10, 7 / 8])
    assert by_slot[4, :2] == pytest.approx([5 / 10, 7 / 8])  # pooled over weekdays
    by_day = presence_share(agents, presence, days, "weekday_slot")
    assert by_day[0, :2] == pytest.approx([2 / 4, 4 / 5])
    assert by_day[1, :2] == pytest.approx([3 / 6, 3 / 3])
    assert by_day[2, 0] == pytest.approx(12 / 18)  # no presence: the period's share


@pytest.fixture(scope="module")
def restaffed(tmp_path_factory):
    """Two weeks with 4 agents (5 at the 09:00-11:00 peak), then a week with 6 (7): no
    staffing table, only the calls and the agents who answered them."""
    path = tmp_path_factory.mktemp("presence") / "history.duckdb"
    return fill_store(
        path,
        planner_scenario(days=14, agents=4),
        seed=3,
        staffing=False,
        then=[planner_scenario(days=7, agents=6, start=dt.date(2024, 9, 15))],
    )


def test_presence_staffing_recovers_a_day_with_more_agents(restaffed):
    store, centre = restaffed
    train, test = parse_period("2024-09-01..2024-09-14"), parse_period("2024-09-15..2024-09-21")
    truth = np.array([6] * 2 + [7] * 4 + [6] * 6)  # 08:00-14:00, as the week was staffed
    with store.reader() as con:
        presence = backtest_model(con, centre, train, test, replications=4, workers=1)
        day = backtest_model(con, centre, train, test, replications=4, workers=1, staffing="day")
        with pytest.raises(ValueError, match="presence_share_by"):
            backtest_model(con, centre, train, test, presence_share_by="hour")
    assert "agents present on each test day" in presence.staffing_source  # the default
    assert len(presence.agents) == 5
    for agents in presence.agents.values():
        assert abs(np.mean(agents[16:28]) - truth.mean()) < 0.75
        assert sum(agents[:16]) == sum(agents[28:]) == 0
    # the training weeks' staffing, following the load, knows nothing of the 2 more agents
    assert np.mean([np.mean(a[16:28]) for a in day.agents.values()]) < truth.mean() - 1
    p, d = presence.total, day.total
    assert abs(p["answer_rate_error"]) < 4.0
    assert abs(p["answer_rate_error"]) < abs(d["answer_rate_error"]) / 2
    assert abs(p["asa_s_error"]) < abs(d["asa_s_error"])


def test_cca_calibrate_reads_priorities_from_waits_when_asked(history, tmp_path):
    from simulation.queue.scenario_file import load_scenario

    _, _, _, path = history
    priorities = {}
    for mode in ("data", "none"):
        out = tmp_path / f"{mode}.toml"
        run_cca(
            "calibrate",
            "--centre",
            "planner_centre",
            "--period",
            TRAIN,
            "--out",
            str(out),
            "--priorities",
            mode,
            db=path,
        )
        priorities[mode] = {c.name: c.priority for c in load_scenario(out).categories}
    assert priorities == {"data": {"ordinary": 1, "vip": 0}, "none": {"ordinary": 0, "vip": 0}}
    assert "--priorities" in run_cca("calibrate", "--help").stdout


def test_load_share_is_learnt_by_simulating_the_training_days(restaffed):
    """The simulated centre's agents answer nothing but its calls, so every agent present
    is an agent: the shares learnt by simulating the training days are (close to) 1 in
    every class of load per agent present, and the same seed gives the same backtest."""
    store, centre = restaffed
    train, test = parse_period("2024-09-01..2024-09-14"), parse_period("2024-09-15..2024-09-21")
    with store.reader() as con:
        first = backtest_model(con, centre, train, test, replications=2, workers=1)
        again = backtest_model(con, centre, train, test, replications=2, workers=1)
        slot = backtest_model(
            con, centre, train, test, replications=2, workers=1, presence_share_by="slot"
        )
    fit = first.presence_fit
    assert len(fit["shares"]) == 4 and len(fit["load_per_agent_edges"]) == 3
    assert fit["load_per_agent_edges"] == sorted(fit["load_per_agent_edges"])
    assert all(0.9 <= s <= 1.0 for s in fit["shares"])
    # ten training days with calls (Sunday to Thursday): 140 simulated days need 14 each
    assert fit["replications"] == 14
    assert "learnt by simulating the training days" in first.staffing_source
    assert first.rows == again.rows and first.agents == again.agents
    assert slot.presence_fit == {} and "share of them the calibration" in slot.staffing_source
