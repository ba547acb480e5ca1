"""Invariants of the SimPy model on time-varying, multi-category, prioritised centres.

These hold for every replication, whatever the random numbers: every call is accounted
for, nobody is answered while the centre is closed, an agent handles one call at a time,
no more agents are busy than are on shift when a call is answered, higher priority
never waits longer on average, and queues carry over from one interval to the next.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from simulation.queue.model import RECORD_COLUMNS, run_replication
from simulation.queue.scenario_file import load_scenario, scenario_from_dict


def seconds_since_start(stamps: pd.Series, scenario) -> np.ndarray:
    return ((stamps - pd.Timestamp(scenario.start_instant)).dt.total_seconds()).to_numpy()


def interval_index(offsets: np.ndarray, scenario) -> np.ndarray:
    tl = scenario.timeline()
    return np.searchsorted(tl.starts_s, offsets, side="right") - 1


def busy_scenario(**overrides):
    """Two categories sharing a pool; half-hour staffing that rises and falls mid-day;
    open 08:00-14:00 Sunday to Thursday, so the queue is cut at closing."""
    data = {
        "name": "busy",
        "timezone": "Asia/Bahrain",
        "start": dt.date(2024, 9, 1),
        "days": 3,
        "interval_s": 1800,
        "opening_hours": {d: ["08:00-14:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
        "volume": {"calls_per_day": 700},
        "categories": {
            "employer": {
                "share": 0.7,
                "priority": 1,
                "topics": {"permits": 0.8, "fees": 0.2},
                "talk": {"dist": "lognormal", "mean_s": 200, "sd_s": 100},
                "hold": {"dist": "exponential", "mean_s": 20},
                "acw": {"dist": "fixed", "value_s": 15},
                "patience": {"dist": "exponential", "mean_s": 150},
            },
            "vip": {
                "share": 0.3,
                "priority": 0,
                "talk": {"dist": "lognormal", "mean_s": 200, "sd_s": 100},
                "patience": {"dist": "exponential", "mean_s": 150},
            },
        },
        "staffing": {
            "shifts": [
                {"days": ["sun", "mon", "tue"], "start": "08:00", "end": "14:00", "agents": 5},
                {"days": ["sun", "mon", "tue"], "start": "10:00", "end": "12:00", "agents": 4},
            ]
        },
        "mix": {"site": {"manama": 0.6, "muharraq": 0.4}},
        # Monday is a short day: open 10:00-12:00 only
        "periods": [
            {
                "name": "short_monday",
                "from": dt.date(2024, 9, 2),
                "to": dt.date(2024, 9, 2),
                "opening_hours": {"mon": ["10:00-12:00"]},
            }
        ],
    }
    data.update(overrides)
    return scenario_from_dict(data, source="busy")


@pytest.fixture(scope="module")
def busy():
    scenario = busy_scenario()
    return scenario, [run_replication(scenario, seed, k) for k, seed in enumerate((1, 2, 3))]


def test_records_have_the_canonical_columns_and_aware_local_timestamps(busy):
    scenario, runs = busy
    records = runs[0]
    assert list(records.columns) == RECORD_COLUMNS
    assert str(records["arrived_at"].dt.tz) == "Asia/Bahrain"
    assert records["call_id"].is_unique
    assert set(records["outcome"].astype(str)) <= {"answered", "abandoned", "timeout"}
    assert set(records["site"].astype(str)) == {"manama", "muharraq"}
    assert set(records["category"].astype(str)) == {"employer", "vip"}
    assert (records["centre_id"].astype(str) == "busy").all()


def test_every_call_is_accounted_for(busy):
    scenario, runs = busy
    for records in runs:
        t = seconds_since_start(records["arrived_at"], scenario)
        assert (np.diff(t) >= 0).all() and (t >= 0).all()
        assert records["outcome"].notna().all() and (records["wait_s"] >= 0).all()
        answered = records["outcome"] == "answered"
        # answered calls: answered_at = arrival + wait; busy for talk + hold + acw
        waited = seconds_since_start(records["answered_at"], scenario) - t
        assert np.allclose(waited[answered], records["wait_s"][answered], atol=1e-6)
        assert records.loc[answered, ["talk_s", "hold_s", "acw_s", "agent_id"]].notna().all().all()
        handled = records[["talk_s", "hold_s", "acw_s"]].sum(axis=1)
        busy_s = (records["ended_at"] - records["answered_at"]).dt.total_seconds()
        assert np.allclose(busy_s[answered], handled[answered], atol=1e-6)
        # the others: no answer, no agent; their wait ends when they leave
        others = ~answered
        assert records.loc[others, "answered_at"].isna().all()
        assert records.loc[others, "agent_id"].isna().all()
        left = (records["ended_at"] - records["arrived_at"]).dt.total_seconds()
        assert np.allclose(left[others], records["wait_s"][others], atol=1e-6)
        # the expected volume arrives: 700 calls a day on 3 open days (Poisson, ±5 sd)
        assert abs(len(records) - 2100) < 5 * np.sqrt(2100)
        assert (records["arrived_at"].dt.day == 2).sum() > 500  # Monday's 700 in two hours


def test_nobody_is_answered_or_arrives_while_the_centre_is_closed(busy):
    scenario, runs = busy
    is_open = scenario.timeline().open
    for records in runs:
        arrived = interval_index(seconds_since_start(records["arrived_at"], scenario), scenario)
        assert is_open[arrived].all()
        answered = records["outcome"] == "answered"
        at = seconds_since_start(records.loc[answered, "answered_at"], scenario)
        assert is_open[interval_index(at, scenario)].all()
        local = records.loc[answered, "answered_at"].dt.tz_convert("Asia/Bahrain")
        assert (local.dt.hour >= 8).all() and (local.dt.hour < 14).all()


def test_callers_waiting_at_closing_time_out_at_closing(busy):
    scenario, runs = busy
    records = pd.concat(runs)
    timed_out = records[records["outcome"] == "timeout"]
    assert len(timed_out) > 0, "the scenario is busy enough that someone waits at 14:00"
    closings = {close for _, close in scenario.timeline().open_periods()}
    ended = seconds_since_start(timed_out["ended_at"], scenario)
    assert all(any(abs(e - c) < 1e-3 for c in closings) for e in ended)
    local_end = timed_out["ended_at"].dt.tz_convert("Asia/Bahrain")
    assert set(local_end.dt.strftime("%a %H:%M")) <= {"Sun 14:00", "Mon 12:00", "Tue 14:00"}


def test_an_agent_handles_one_call_at_a_time(busy):
    scenario, runs = busy
    for records in runs:
        answered = records[records["outcome"] == "answered"].sort_values("answered_at")
        for _, calls in answered.groupby("agent_id", observed=True):
            start = seconds_since_start(calls["answered_at"], scenario)
            end = seconds_since_start(calls["ended_at"], scenario)
            assert (start[1:] >= end[:-1] - 1e-6).all()


def test_no_more_agents_busy_than_on_shift_when_a_call_is_answered(busy):
    scenario, runs = busy
    agents = scenario.timeline().agents
    for records in runs:
        answered = records[records["outcome"] == "answered"]
        start = np.sort(seconds_since_start(answered["answered_at"], scenario))
        end = np.sort(seconds_since_start(answered["ended_at"], scenario))
        in_service = np.searchsorted(start, start, "right") - np.searchsorted(end, start, "right")
        on_shift = agents[interval_index(start, scenario)]
        assert (in_service <= on_shift).all()
        assert in_service.max() == agents.max()  # the pool is used to the full


def test_when_staffing_drops_busy_agents_finish_their_call():
    """Nine agents from 10:00 until 12:00, then five: calls answered before 12:00 by the four who
    leave still run to their end, and no one is answered by a sixth agent after 12:00."""
    scenario = busy_scenario(days=1)
    records = run_replication(scenario, 11)
    answered = records[records["outcome"] == "answered"]
    noon = pd.Timestamp("2024-09-01 12:00", tz="Asia/Bahrain")
    crossing = answered[(answered["answered_at"] < noon) & (answered["ended_at"] > noon)]
    assert len(crossing) > 5  # calls in progress at the drop are finished, not cut
    after = answered[answered["answered_at"] >= noon]
    start = np.sort(seconds_since_start(answered["answered_at"], scenario))
    end = np.sort(seconds_since_start(answered["ended_at"], scenario))
    t = seconds_since_start(after["answered_at"], scenario)
    busy = np.searchsorted(start, t, "right") - np.searchsorted(end, t, "right")
    assert busy.max() <= 5


def test_higher_priority_never_waits_longer_on_average(busy):
    scenario, runs = busy
    for records in runs:
        mean_wait = records.groupby("category", observed=True)["wait_s"].mean()
        assert mean_wait["vip"] < mean_wait["employer"]
        answered = records[records["outcome"] == "answered"]
        asa = answered.groupby("category", observed=True)["wait_s"].mean()
        assert asa["vip"] < asa["employer"]


def test_queues_carry_over_from_one_interval_to_the_next():
    """Nobody is on shift in the first half hour: its patient callers wait into the second."""
    patient = {
        "share": 1.0,
        "talk": {"dist": "exponential", "mean_s": 120},
        "patience": {"dist": "fixed", "value_s": float("inf")},
    }
    scenario = busy_scenario(
        days=1,
        categories={"patient": patient},
        staffing={"shifts": [{"days": ["sun"], "start": "08:30", "end": "14:00", "agents": 9}]},
    )
    records = run_replication(scenario, 3)
    first = records[records["arrived_at"] < pd.Timestamp("2024-09-01 08:30", tz="Asia/Bahrain")]
    answered = first[first["outcome"] == "answered"]
    assert len(answered) == len(first) > 20
    assert (answered["answered_at"] >= pd.Timestamp("2024-09-01 08:30", tz="Asia/Bahrain")).all()


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not():
    scenario = load_scenario("example_small")
    a, b = run_replication(scenario, 42, 0), run_replication(scenario, 42, 0)
    pd.testing.assert_frame_equal(a, b)
    c = run_replication(scenario, 43, 0)
    assert len(a) != len(c) or not a["wait_s"].equals(c["wait_s"])


def test_time_varying_arrivals_follow_the_intraday_profile():
    """example_small's 09:30 half hour weighs 1.5, its 15:30 half hour 0.5: over ten
    replications the counts in those intervals are near their expectations."""
    scenario = load_scenario("example_small")
    tl = scenario.timeline()
    counts = np.zeros(len(tl.starts_s))
    for seed in range(10):
        records = run_replication(scenario, seed)
        idx = interval_index(seconds_since_start(records["arrived_at"], scenario), scenario)
        counts += np.bincount(idx, minlength=len(counts))
    expected = 10 * tl.expected.sum(axis=1)
    busy = expected > 0
    z = (counts[busy] - expected[busy]) / np.sqrt(expected[busy])
    assert np.abs(z).max() < 4.5  # Poisson counts, ~100 intervals
    assert counts[~busy].sum() == 0
    assert abs(counts.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())
