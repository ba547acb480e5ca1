"""Exact Erlang B, C and A against published values, limits and independent solutions.

Independent checks never reuse the module's formulas: the birth–death chain is solved
directly (numpy linear algebra, or mpmath at 50 digits for hundreds of agents), and the
wait of a tagged caller is an absorbing Markov chain whose transient behaviour comes from
a matrix exponential (scipy.linalg.expm) and whose mean from the fundamental matrix.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import linalg

from simulation.formulas.erlang import (
    ErlangA,
    Target,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    headcount,
    parse_target,
    required_agents,
)

# The classic worked example: 100 calls in 30 minutes, AHT 3 minutes, answer within 20 s.
CALLS, PER, AHT = 100, 1800, 180


# ------------------------------------------------------------------ published values


def test_erlang_c_worked_example_with_11_agents():
    m = erlang_c_metrics(CALLS, PER, AHT, 11, thresholds_s=(20,))
    assert m["p_wait"] == pytest.approx(0.6821182, abs=5e-8)
    assert m["sl_offered_20"] == pytest.approx(0.3896138, abs=5e-8)
    assert m["asa_s"] == pytest.approx(122.78, abs=5e-3)


def test_erlang_c_worked_example_with_14_agents():
    m = erlang_c_metrics(CALLS, PER, AHT, 14, thresholds_s=(20,))
    assert m["p_wait"] == pytest.approx(0.1741319, abs=5e-8)
    assert m["sl_offered_20"] == pytest.approx(0.88835, abs=5e-6)
    assert m["asa_s"] == pytest.approx(7.8359, abs=5e-5)
    assert m["occupancy"] == pytest.approx(10 / 14)


def test_80_20_needs_14_agents_and_20_heads_after_30_percent_shrinkage():
    agents = required_agents(CALLS, PER, AHT, targets=[parse_target("sl_offered_20>=0.8")])
    assert agents == 14
    assert headcount(agents, 0.3) == 20


def test_erlang_b_textbook_values():
    # Erlang B tables: 10 Erlangs on 10 circuits block 21.46%; 5 Erlangs on 10 block 1.84%.
    assert erlang_b(10, 10.0) == pytest.approx(0.21458, abs=5e-6)
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-6)
    assert erlang_b(1, 1.0) == 0.5
    assert erlang_b(0, 3.0) == 1.0


def test_erlang_a_with_patience_equal_to_aht_is_poisson():
    # θ = μ makes the number in system M/M/∞: Poisson(a). λ = 10 per unit, AHT 1, N = 10.
    m = erlang_a_metrics(10, 1, 1, 1, 10)
    assert m["p_wait"] == pytest.approx(0.542070, abs=5e-7)
    assert m["p_abandon"] == pytest.approx(0.125110, abs=5e-7)
    k = np.arange(0, 200)
    poisson = np.exp(k * math.log(10) - 10 - np.array([math.lgamma(i + 1) for i in k]))
    assert m["p_wait"] == pytest.approx(poisson[10:].sum(), rel=1e-12)
    # θ E[(K − n)+] / λ with θ = μ = 1, λ = 10.
    assert m["p_abandon"] == pytest.approx((poisson * np.maximum(k - 10, 0)).sum() / 10, rel=1e-12)


# ------------------------------------------------------------------ limits


@pytest.mark.parametrize("agents", [11, 12, 14, 20])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(agents):
    c = erlang_c_metrics(CALLS, PER, AHT, agents, thresholds_s=(20, 60))
    a = erlang_a_metrics(CALLS, PER, AHT, 1e13, agents, thresholds_s=(20, 60))
    for key in c:
        assert a[key] == pytest.approx(c[key], abs=1e-6), key
    infinite = erlang_a_metrics(CALLS, PER, AHT, math.inf, agents, thresholds_s=(20, 60))
    assert infinite == c


@pytest.mark.parametrize("agents", [1, 5, 10, 12])
def test_erlang_a_tends_to_erlang_b_as_patience_vanishes(agents):
    blocked = erlang_b(agents, 10.0)
    for patience in (1e-7, 0.0):
        m = erlang_a_metrics(CALLS, PER, AHT, patience, agents)
        assert m["p_wait"] == pytest.approx(blocked, rel=1e-8)
        assert m["p_abandon"] == pytest.approx(blocked, rel=1e-8)
        assert m["sl_offered_12"] == pytest.approx(1 - blocked, rel=1e-8)
        assert m["asa_s"] == pytest.approx(0.0, abs=1e-6)


def test_erlang_c_is_erlang_b_over_one_minus_rho_times_one_minus_b():
    b = erlang_b(14, 10.0)
    assert erlang_c(14, 10.0) == pytest.approx(b / (1 - (10 / 14) * (1 - b)), rel=1e-15)


def test_unstable_erlang_c_reports_infinite_waits_without_crashing():
    m = erlang_c_metrics(CALLS, PER, AHT, 10)
    assert m["p_wait"] == 1.0
    assert m["asa_s"] is None
    assert m["sl_offered_12"] == 0.0 and m["sl_answered_30"] == 0.0
    assert m["occupancy"] == 1.0


def test_erlang_a_is_stable_even_heavily_overloaded():
    m = erlang_a_metrics(1000, PER, AHT, 60, 20)  # 100 Erlangs on 20 agents
    assert 0.79 < m["p_abandon"] < 0.81
    assert m["occupancy"] == pytest.approx(1.0, abs=1e-6)
    assert m["answer_rate"] + m["abandon_rate"] == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------ independent solutions


def _stationary(lam: float, mu: float, theta: float, n: int, size: int) -> np.ndarray:
    """Stationary law of the birth–death chain on 0..size−1 (cut where it is negligible).

    Detailed balance, state by state: π_k λ = π_{k+1} (min(k+1, n) μ + (k+1−n)⁺ θ).
    """
    k = np.arange(1, size)
    deaths = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    pi = np.concatenate([[1.0], np.cumprod(lam / deaths)])
    pi /= pi.sum()
    # Keep the matrices below small: drop the states that carry no probability in doubles.
    keep = max(n + 2, int(np.nonzero(pi > 1e-22)[0].max()) + 2)
    return pi[:keep]


def _tagged_caller(lam, mu, theta, n, size, thresholds):
    """P(answered, W ≤ T), P(abandoned, W ≤ T) and E[W; answered] for a delayed caller.

    Transient state j = callers ahead; j → j−1 at nμ + jθ, 0 → answered at nμ, any →
    abandoned at θ (its own patience). Starts in j with probability π_{n+j} (PASTA).
    """
    pi = _stationary(lam, mu, theta, n, size)
    ahead = pi[n:]
    m = ahead.size
    q = np.zeros((m + 2, m + 2))
    answered, abandoned = m, m + 1
    for j in range(m):
        if j > 0:
            q[j, j - 1] = n * mu + j * theta
        else:
            q[j, answered] = n * mu
        q[j, abandoned] = theta
        q[j, j] = -q[j].sum()
    start = np.zeros(m + 2)
    start[:m] = ahead
    within = {}
    for t in thresholds:
        law = start @ linalg.expm(q * t)
        within[t] = (law[answered], law[abandoned])
    fundamental = np.linalg.inv(-q[:m, :m])
    mean_answered_wait = ahead @ fundamental @ fundamental @ q[:m, answered]
    return pi, within, mean_answered_wait


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "agents"),
    [
        (100, 180, 120, 8),  # overloaded: 10 Erlangs on 8 agents
        (100, 180, 120, 11),
        (100, 180, 600, 13),
        (200, 240, 60, 25),
        (30, 300, 400, 4),
        (50, 120, 20, 2),
        (100, 180, 600, 4),  # deep overload: hardly any delayed call is answered within T
    ],
)
def test_erlang_a_matches_the_birth_death_chain_solved_directly(calls, aht, patience, agents):
    lam, mu, theta = calls / PER, 1 / aht, 1 / patience
    thresholds = (12.0, 30.0, 90.0)
    short = 5.0
    size = agents + 400
    pi, within, mean_answered_wait = _tagged_caller(
        lam, mu, theta, agents, size, (*thresholds, short)
    )
    p_wait = pi[agents:].sum()
    p_abandon = theta * (pi * np.maximum(np.arange(pi.size) - agents, 0)).sum() / lam
    p_answer = 1 - p_abandon
    short_abandoned = within[short][1]
    m = erlang_a_metrics(
        calls, PER, aht, patience, agents, thresholds_s=thresholds, short_abandon_s=short
    )
    assert m["p_wait"] == pytest.approx(p_wait, rel=1e-10)
    assert m["p_abandon"] == pytest.approx(p_abandon, rel=1e-10)
    assert m["asa_s"] == pytest.approx(mean_answered_wait / p_answer, rel=1e-9)
    busy = (pi * np.minimum(np.arange(pi.size), agents)).sum() / agents
    assert m["occupancy"] == pytest.approx(busy, rel=1e-10)
    for t in thresholds:
        name = f"{t:g}"
        answered_within = (1 - p_wait) + within[t][0]
        assert m[f"sl_offered_{name}"] == pytest.approx(answered_within, rel=1e-9)
        assert m[f"sl_answered_{name}"] == pytest.approx(answered_within / p_answer, rel=1e-9)
        assert m[f"sl_excl_short_{name}"] == pytest.approx(
            answered_within / (1 - short_abandoned), rel=1e-9
        )
        assert m[f"sl_with_abandons_{name}"] == pytest.approx(
            answered_within + within[t][1], rel=1e-9
        )
    assert m["answer_rate_excl_short"] == pytest.approx(p_answer / (1 - short_abandoned), rel=1e-9)


@pytest.mark.parametrize(("agents", "load"), [(1000, 950.0), (500, 480.5), (300, 250.0)])
def test_erlang_b_and_c_for_a_thousand_agents_agree_with_50_digit_sums(agents, load):
    mpmath.mp.dps = 50
    a = mpmath.mpf(load)
    terms = [mpmath.power(a, k) / mpmath.factorial(k) for k in range(agents + 1)]
    exact_b = terms[-1] / mpmath.fsum(terms)
    rho = a / agents
    exact_c = exact_b / (1 - rho * (1 - exact_b))
    assert erlang_b(agents, load) == pytest.approx(float(exact_b), rel=1e-12)
    assert erlang_c(agents, load) == pytest.approx(float(exact_c), rel=1e-12)


@pytest.mark.parametrize(("agents", "load"), [(600, 300.0), (3644, 1821.0)])
def test_erlang_b_with_far_more_agents_than_erlangs_is_tiny_not_an_overflow(agents, load):
    # Found by Hypothesis: 1 / (1 + e^x) overflowed for x > 709. The 50-digit value of
    # E_B(3644, 1821) is below the smallest float, so the float answer is 0.
    mpmath.mp.dps = 50
    a = mpmath.mpf(load)
    log_terms = [k * mpmath.log(a) - mpmath.loggamma(k + 1) for k in range(agents + 1)]
    top = max(log_terms)
    exact_b = mpmath.exp(log_terms[-1] - top) / mpmath.fsum(mpmath.exp(t - top) for t in log_terms)
    assert erlang_b(agents, load) == pytest.approx(float(exact_b), rel=1e-12, abs=1e-300)
    assert 0.0 <= erlang_c(agents, load) <= erlang_b(agents, load) * 2


@pytest.mark.parametrize(
    ("agents", "load", "patience_over_aht"), [(300, 310.0, 0.5), (800, 790.0, 2.0), (50, 80.0, 0.1)]
)
def test_erlang_a_for_hundreds_of_agents_agrees_with_50_digit_stationary_sums(
    agents, load, patience_over_aht
):
    mpmath.mp.dps = 50
    a, r = mpmath.mpf(load), mpmath.mpf(patience_over_aht)
    # Time in units of AHT: μ = 1, θ = 1/r, λ = a.
    below = [mpmath.power(a, k) / mpmath.factorial(k) for k in range(agents + 1)]
    above, term = [], below[-1]
    for j in range(1, 20_000):
        term = term * a / (agents + j / r)
        above.append(term)
        if term < below[-1] * mpmath.mpf(10) ** -40:
            break
    total = mpmath.fsum(below) + mpmath.fsum(above)
    p_wait = (below[-1] + mpmath.fsum(above)) / total
    queue = mpmath.fsum((j + 1) * t for j, t in enumerate(above)) / total
    p_abandon = queue / r / a
    m = erlang_a_metrics(load, 1.0, 1.0, patience_over_aht, agents)
    assert m["p_wait"] == pytest.approx(float(p_wait), rel=1e-11)
    assert m["p_abandon"] == pytest.approx(float(p_abandon), rel=1e-10)


def test_a_week_of_loads_is_finite_for_large_centres():
    for calls in (1, 50, 500, 2000, 5000):
        for agents in (max(1, calls // 20), calls // 10 + 1, calls // 5 + 1):
            m = ErlangA(calls, PER, 180, 90).metrics(agents)
            assert all(v is None or math.isfinite(v) for v in m.values())
            assert 0 <= m["sl_offered_12"] <= m["sl_offered_30"] <= 1


# ------------------------------------------------------------------ staffing


def test_required_agents_is_the_fewest_meeting_every_target():
    targets = [parse_target("sl_offered_12>=0.8"), Target("asa_s", "<=", 10)]
    n = required_agents(400, PER, 200, targets=targets, patience_s=90, max_abandon=0.02)
    assert n is not None
    ok = ErlangA(400, PER, 200, 90).metrics(n)
    short = ErlangA(400, PER, 200, 90).metrics(n - 1)
    assert ok["sl_offered_12"] >= 0.8 and ok["asa_s"] <= 10 and ok["p_abandon"] <= 0.02
    assert short["sl_offered_12"] < 0.8 or short["asa_s"] > 10 or short["p_abandon"] > 0.02


def test_erlang_a_needs_no_more_agents_than_erlang_c():
    targets = ["sl_offered_20>=0.8"]
    c = required_agents(500, PER, 240, targets=targets)
    a = required_agents(500, PER, 240, targets=targets, patience_s=120)
    assert a <= c


def test_occupancy_cap_can_bind():
    loose = required_agents(CALLS, PER, AHT, targets=["sl_offered_20>=0.5"])
    capped = required_agents(CALLS, PER, AHT, targets=["sl_offered_20>=0.5"], max_occupancy=0.7)
    assert capped == math.ceil(10 / 0.7) and capped > loose


def test_unreachable_targets_give_none():
    assert required_agents(CALLS, PER, AHT, targets=["sl_offered_20>=1.1"], max_agents=60) is None
    assert required_agents(CALLS, PER, AHT, targets=["p_wait<=0"], max_agents=30) is None


def test_no_calls_need_no_agents():
    assert required_agents(0, PER, AHT, targets=["sl_offered_20>=0.8"]) == 0


def test_targets_parse_and_reject_unknown_kpis():
    assert parse_target("sl_offered_20>=0.8") == Target("sl_offered_20", ">=", 0.8)
    assert parse_target(" asa_s <= 20 ") == Target("asa_s", "<=", 20.0)
    assert parse_target("sl_answered_12.5>0.9").threshold_s == 12.5
    with pytest.raises(ValueError, match="unknown target KPI"):
        parse_target("service_level>=0.8")
    with pytest.raises(ValueError, match="cannot read target"):
        parse_target("sl_offered_20 about 0.8")


def test_headcount_rounds_up_but_not_float_noise():
    assert headcount(14, 0.3) == 20
    assert headcount(15, 0.3) == 22
    assert headcount(10, 0.0) == 10
    with pytest.raises(ValueError):
        headcount(10, 1.0)


def test_bad_inputs_fail_with_a_clear_message():
    with pytest.raises(ValueError, match="aht_s"):
        erlang_c_metrics(100, PER, 0, 10)
    with pytest.raises(ValueError, match="agents"):
        erlang_a_metrics(100, PER, 180, 60, 0)
    with pytest.raises(ValueError, match="patience_s"):
        erlang_a_metrics(100, PER, 180, -1, 5)


@pytest.mark.parametrize(
    ("calls", "aht", "agents"), [(100, 180, 11), (100, 180, 14), (300, 240, 45)]
)
def test_erlang_c_matches_the_birth_death_chain_solved_directly(calls, aht, agents):
    lam, mu = calls / PER, 1 / aht
    pi, within, mean_answered_wait = _tagged_caller(lam, mu, 0.0, agents, 5000, (20.0, 45.0))
    m = erlang_c_metrics(calls, PER, aht, agents, thresholds_s=(20, 45))
    assert m["p_wait"] == pytest.approx(pi[agents:].sum(), rel=1e-10)
    assert m["asa_s"] == pytest.approx(mean_answered_wait, rel=1e-9)
    for t in (20, 45):
        assert m[f"sl_offered_{t}"] == pytest.approx(1 - pi[agents:].sum() + within[t][0], rel=1e-9)
