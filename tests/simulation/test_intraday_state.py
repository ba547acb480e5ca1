"""The queue model started from a state: exact results it must reproduce.

* durations conditional on what has elapsed: the exponential forgets it, the lognormal
  is its truncated upper tail, the empirical its values above it;
* small cases computed by hand: a caller waiting behind a call in service is answered
  when it ends, abandons at their (conditional) deadline, is told the centre closed;
* a stationary M/M/n+M started from its own steady-state distribution agrees with exact
  Erlang A from the first minute, where the same queue started empty does not.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.formulas.erlang import erlang_a_metrics
from simulation.intraday.conditional import sample_beyond, sum_beyond
from simulation.intraday.state import QueueState, run_from_state
from simulation.queue.distributions import Empirical, Exponential, Fixed, LogNormal
from simulation.queue.model import run_replication
from simulation.queue.replications import mean_ci, replication_kpis
from simulation.queue.scenario import Category, Scenario, Staffing, Volume

# ---------------------------------------------------------------- conditional durations


def test_exponential_residual_is_memoryless():
    rng = np.random.default_rng(1)
    elapsed = np.full(20000, 300.0)
    d = sample_beyond(Exponential(120.0), rng, elapsed)
    assert (d > elapsed).all()
    assert stats.kstest(d - elapsed, stats.expon(scale=120.0).cdf).pvalue > 0.01


def test_lognormal_beyond_is_the_truncated_upper_tail():
    dist = LogNormal.from_mean_sd(180.0, 150.0)
    rng = np.random.default_rng(2)
    e = 400.0  # well into the tail: about 6% of calls last longer
    d = sample_beyond(dist, rng, np.full(20000, e))
    law = stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))

    def cdf(x):
        return (law.cdf(x) - law.cdf(e)) / law.sf(e)

    assert (d > e).all()
    assert stats.kstest(d, cdf).pvalue > 0.01
    # E[D | D > e] = e^(μ + σ²/2) Φ(σ − z) / Φ(−z), z = (ln e − μ) / σ
    z = (math.log(e) - dist.mu) / dist.sigma
    exact = dist.mean_s * stats.norm.cdf(dist.sigma - z) / stats.norm.cdf(-z)
    assert d.mean() == pytest.approx(exact, rel=0.02)


def test_lognormal_far_in_the_tail_keeps_its_digits():
    dist = LogNormal.from_mean_sd(60.0, 20.0)
    d = sample_beyond(dist, np.random.default_rng(3), np.full(1000, 3600.0))
    assert np.isfinite(d).all() and (d > 3600.0).all()


def test_empirical_beyond_draws_only_larger_values_with_their_weights():
    dist = Empirical((10.0, 20.0, 30.0, 40.0), (0.4, 0.3, 0.2, 0.1))
    d = sample_beyond(dist, np.random.default_rng(4), np.full(30000, 20.0))
    assert set(np.unique(d)) == {30.0, 40.0}
    # P(30 | > 20) = 0.2 / 0.3
    assert abs((d == 30.0).mean() - 2 / 3) < 0.015


def test_empirical_with_nothing_beyond_goes_on_memorylessly():
    dist = Empirical((10.0, 20.0))
    d = sample_beyond(dist, np.random.default_rng(5), np.array([25.0, 0.0]))
    assert d[0] > 25.0 and d[1] in (10.0, 20.0)


def test_fixed_and_never_hanging_up():
    rng = np.random.default_rng(6)
    assert sample_beyond(Fixed(100.0), rng, np.array([40.0]))[0] == 100.0
    assert math.isinf(sample_beyond(Fixed(math.inf), rng, np.array([40.0]))[0])


def test_a_sum_of_parts_is_conditioned_on_its_total():
    rng = np.random.default_rng(7)
    parts = [Exponential(100.0), Fixed(20.0)]
    d = sum_beyond(parts, rng, np.full(20000, 150.0))
    assert (d > 150.0).all()
    # talk > 130 given: talk − 130 is exponential again, so the total is 150 + Exp(100)
    assert stats.kstest(d - 150.0, stats.expon(scale=100.0).cdf).pvalue > 0.01


# ---------------------------------------------------------------- small cases by hand


def _scenario(agents: int, *, talk_s=100.0, patience=None, hours=None, categories=None):
    patience = patience or Fixed(1000.0)
    cats = categories or (Category(name="all", share=1.0, talk=Fixed(talk_s), patience=patience),)
    return Scenario(
        name="hand",
        centre_id="hand",
        categories=cats,
        volume=Volume(calls_per_day=0.0),
        staffing=Staffing(agents=agents),
        start=dt.date(2024, 9, 1),
        days=1,
        interval_s=3600,
        opening_hours=hours,
    )


NO_ONE_ELSE = (np.zeros(0), np.zeros(0, dtype=np.int64))


def _at(sc: Scenario, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return sc.start_instant + dt.timedelta(hours=h, minutes=m)


def test_a_waiting_caller_is_answered_when_the_call_ahead_ends():
    sc = _scenario(1)
    at = _at(sc, "10:00")
    state = QueueState(at, waiting=(("all", 10.0),), in_service=(("all", 40.0),))
    rec = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE)
    assert len(rec) == 1
    row = rec.iloc[0]
    assert row["outcome"] == "answered"
    assert row["arrived_at"] == at - dt.timedelta(seconds=10)
    assert row["answered_at"] == at + dt.timedelta(seconds=60)  # 100 s call, 40 s taken
    assert row["wait_s"] == pytest.approx(70.0)


def test_a_waiting_caller_abandons_at_their_deadline():
    sc = _scenario(1, patience=Fixed(50.0))
    at = _at(sc, "10:00")
    state = QueueState(at, waiting=(("all", 10.0),), in_service=(("all", 40.0),))
    row = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE).iloc[0]
    assert row["outcome"] == "abandoned"
    assert row["wait_s"] == pytest.approx(50.0)  # patience 50 s from arrival, 40 s after at


def test_a_free_agent_answers_a_waiting_caller_at_once():
    sc = _scenario(2)
    at = _at(sc, "10:00")
    state = QueueState(at, waiting=(("all", 25.0),), in_service=(("all", 40.0),))
    row = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE).iloc[0]
    assert row["answered_at"] == at
    assert row["wait_s"] == pytest.approx(25.0)


def test_callers_waiting_keep_their_order_and_new_ones_queue_behind():
    sc = _scenario(1)
    at = _at(sc, "10:00")
    state = QueueState(at, waiting=(("all", 5.0), ("all", 30.0)), in_service=(("all", 0.0),))
    replay = (np.array([36000.0 + 1.0]), np.array([0]))  # one caller a second after at
    rec = run_from_state(sc, state, seed=0, replay=replay).sort_values("arrived_at")
    answered = rec["answered_at"].tolist()
    # the 30 s caller first (at +100 s), then the 5 s one (+200), then the new one (+300)
    assert answered == [at + dt.timedelta(seconds=s) for s in (100, 200, 300)]


def test_priority_applies_to_the_callers_already_waiting():
    cats = (
        Category(name="worker", share=0.5, talk=Fixed(100.0), patience=Fixed(1e6), priority=1),
        Category(name="employer", share=0.5, talk=Fixed(100.0), patience=Fixed(1e6)),
    )
    sc = _scenario(1, categories=cats)
    at = _at(sc, "10:00")
    state = QueueState(
        at, waiting=(("worker", 60.0), ("employer", 5.0)), in_service=(("worker", 50.0),)
    )
    rec = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE).set_index("category")
    assert rec.loc["employer", "answered_at"] == at + dt.timedelta(seconds=50)
    assert rec.loc["worker", "answered_at"] == at + dt.timedelta(seconds=150)


def test_callers_still_waiting_at_closing_are_told_so():
    sc = _scenario(1, hours={d: (("08:00", "12:00"),) for d in range(1, 8)})
    at = _at(sc, "11:59")
    state = QueueState(at, waiting=(("all", 30.0),), in_service=(("all", 0.0),))
    row = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE).iloc[0]
    assert row["outcome"] == "timeout"
    assert row["ended_at"] == _at(sc, "12:00")


def test_agents_above_the_new_staffing_leave_when_their_call_ends():
    """Two calls in service (ending 10 s and 50 s after ``at``), staffing of one: the
    agent who finishes first goes (the centre is one agent over), the other answers the
    callers waiting one after the other at 50 s and 150 s."""
    sc = _scenario(1)
    at = _at(sc, "10:00")
    state = QueueState(
        at, waiting=(("all", 0.0), ("all", 0.0)), in_service=(("all", 90.0), ("all", 50.0))
    )
    rec = run_from_state(sc, state, seed=0, replay=NO_ONE_ELSE)
    assert sorted(rec["answered_at"]) == [at + dt.timedelta(seconds=s) for s in (50, 150)]


def test_from_an_empty_state_at_the_start_the_model_is_unchanged():
    """No one waiting or in service at the first instant, the day's own arrivals: the same
    records as a replication from the start (the hook adds nothing by itself)."""
    sc = Scenario.stationary(100, 3600, 180, 120, 6, days=1, warmup_s=0)
    ref = run_replication(sc, 11)
    got = run_from_state(sc, QueueState(sc.start_instant), 11)
    pd.testing.assert_frame_equal(ref, got)


# ---------------------------------------------------------------- exact: Erlang A

N_AGENTS, CALLS_PER_H, AHT_S, PATIENCE_S = 10, 200, 180.0, 120.0
WINDOW = dt.timedelta(minutes=30)
KPIS = ("sl_offered_12", "abandon_rate", "answer_rate")


def _stationary_law(max_in_system: int = 200) -> np.ndarray:
    """P(k callers in system) of M/M/n+M, the birth–death chain's stationary law."""
    lam, mu, theta = CALLS_PER_H / 3600, 1 / AHT_S, 1 / PATIENCE_S
    logs = [0.0]
    for k in range(1, max_in_system):
        death = mu * min(k, N_AGENTS) + theta * max(k - N_AGENTS, 0)
        logs.append(logs[-1] + math.log(lam / death))
    p = np.exp(np.array(logs) - max(logs))
    return p / p.sum()


def _window_kpis(steady: bool, replications: int = 400, seed: int = 20241206) -> list[dict]:
    sc = Scenario.stationary(CALLS_PER_H, 3600, AHT_S, PATIENCE_S, N_AGENTS, days=1, warmup_s=0)
    at = sc.start_instant + dt.timedelta(hours=22)
    law = _stationary_law()
    rng = np.random.default_rng(seed)
    frames = []
    for r in range(replications):
        k = int(rng.choice(len(law), p=law)) if steady else 0
        busy, waiting = min(k, N_AGENTS), max(k - N_AGENTS, 0)
        # exponential durations forget their past: any elapsed times give the same law
        state = QueueState(
            at,
            waiting=tuple(("all", float(e)) for e in rng.exponential(30.0, waiting)),
            in_service=tuple(("all", float(e)) for e in rng.exponential(60.0, busy)),
        )
        rec = run_from_state(sc, state, int(rng.integers(2**62)), r)
        t = rec["arrived_at"]
        frames.append(rec[(t >= at) & (t < at + WINDOW)])
    return replication_kpis(pd.concat(frames, ignore_index=True), sc)


def test_started_from_its_steady_state_the_queue_agrees_with_erlang_a_at_once():
    exact = erlang_a_metrics(CALLS_PER_H, 3600, AHT_S, PATIENCE_S, N_AGENTS, thresholds_s=(12, 30))
    rows = _window_kpis(steady=True)
    for kpi in KPIS:
        mean, low, high = mean_ci([r[kpi] for r in rows], level=1 - 0.05 / len(KPIS))
        assert low <= exact[kpi] <= high, (kpi, exact[kpi], mean, low, high)


def test_started_empty_the_same_half_hour_is_too_good():
    """The contrast that makes the test above mean something: without the state, the
    first half hour answers more calls than the stationary queue does."""
    exact = erlang_a_metrics(CALLS_PER_H, 3600, AHT_S, PATIENCE_S, N_AGENTS, thresholds_s=(12, 30))
    rows = _window_kpis(steady=False)
    mean, low, high = mean_ci([r["abandon_rate"] for r in rows], level=0.99)
    assert high < exact["abandon_rate"], (exact["abandon_rate"], mean, low, high)


def test_a_snapshot_checks_its_input():
    at = dt.datetime(2024, 9, 1, 10, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="time zone"):
        QueueState(dt.datetime(2024, 9, 1, 10))
    with pytest.raises(ValueError, match="elapsed"):
        QueueState(at, waiting=(("all", -1.0),))
    with pytest.raises(ValueError, match="not one of"):
        QueueState(at, agents={"lunch": 2})
    sc = _scenario(1)
    with pytest.raises(ValueError, match="caller category 'vip'"):
        run_from_state(sc, QueueState(_at(sc, "10:00"), waiting=(("vip", 1.0),)), 0)
