"""The quick stationary form against exact Erlang A (M/M/n+M).

One pool, Poisson arrivals, exponential handling and patience: the simulation must agree
with the exact stationary formulas of ``simulation.formulas.erlang``. Four KPIs at three operating
points make twelve comparisons, so each is checked against a Bonferroni interval
(level 1 - 0.05/12) computed from the replications: for any seed the chance of a false
alarm is at most 5%, and the seed is fixed, so the test never flakes. The product's own
95% intervals must be narrow enough for the agreement to mean something.
"""

from __future__ import annotations

import pytest

from simulation.formulas.erlang import erlang_a_metrics
from simulation.queue.replications import mean_ci, run_replications
from simulation.queue.scenario import Scenario

KPIS = ("sl_offered_12", "sl_offered_30", "abandon_rate", "asa_s")
POINTS = [
    # calls, per_s, aht_s, patience_s, agents
    (100, 1800, 180, 120, 11),  # 10 Erlangs on 11 agents
    (1000, 43200, 240, 120, 8),  # the benchmark's pool: 5.6 Erlangs on 8 agents
    (120, 1800, 240, 60, 14),  # overloaded: 16 Erlangs on 14 agents
]
LEVEL = 1 - 0.05 / (len(KPIS) * len(POINTS))
# The largest 95% half-widths that still make a comparison meaningful.
MAX_HALF_WIDTH = {"sl_offered_12": 0.015, "sl_offered_30": 0.015, "abandon_rate": 0.005}


@pytest.mark.parametrize("calls, per_s, aht_s, patience_s, agents", POINTS)
def test_quick_form_agrees_with_exact_erlang_a(calls, per_s, aht_s, patience_s, agents):
    scenario = Scenario.stationary(calls, per_s, aht_s, patience_s, agents, days=4)
    result = run_replications(scenario, replications=10, seed=20240901)
    exact = erlang_a_metrics(calls, per_s, aht_s, patience_s, agents, thresholds_s=(12, 30))
    for kpi in KPIS:
        values = [row[kpi] for row in result.replication_kpis]
        mean, low, high = mean_ci(values, level=LEVEL)
        assert low <= exact[kpi] <= high, (kpi, exact[kpi], mean, low, high)
        s = result.summary
        assert s[f"{kpi}_ci_low"] <= s[kpi] <= s[f"{kpi}_ci_high"]
        half = (s[f"{kpi}_ci_high"] - s[f"{kpi}_ci_low"]) / 2
        assert half < MAX_HALF_WIDTH.get(kpi, 0.08 * exact[kpi] + 0.5), (kpi, half)


def test_overloaded_point_really_is_overloaded():
    calls, per_s, aht_s, _, agents = POINTS[2]
    assert calls * aht_s / per_s > agents


def test_without_abandonment_the_quick_form_matches_erlang_c():
    """Patience = inf: nobody abandons, and the service level is Erlang C's."""
    from simulation.formulas.erlang import erlang_c_metrics

    scenario = Scenario.stationary(100, 1800, 180, float("inf"), 12, days=3)
    result = run_replications(scenario, replications=8, seed=5)
    exact = erlang_c_metrics(100, 1800, 180, 12, thresholds_s=(12, 30))
    assert result.summary["abandoned"] == 0
    mean, low, high = mean_ci([r["sl_offered_30"] for r in result.replication_kpis], 0.99)
    assert low <= exact["sl_offered_30"] <= high
