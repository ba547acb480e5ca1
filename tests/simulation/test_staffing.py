"""Staffing plans: Erlang A per interval, then verified and corrected by simulation.

The plan is checked independently of how it was made: the Erlang A start against
``erlang_a_metrics`` (the agents meet the target, one fewer does not), the verified plan
by simulating it again with other seeds, and the point of verification — a queue that
carries over from a peak into the quiet interval after it — by showing that the Erlang A
plan misses there in simulation while the verified plan does not.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.cli import run_cca
from support.staffing import PEAK, SLOTS, scenario_with

from simulation.formulas.erlang import erlang_a_metrics, headcount, parse_target
from simulation.planning.rostering import parse_shift_lengths, roster
from simulation.planning.staffing import IntervalSample, _judge, staffing_plan, standard_error
from simulation.queue.distributions import Fixed
from simulation.queue.model import run_replication
from simulation.queue.replications import replication_seeds, run_replications
from simulation.queue.scenario_file import load_scenario, scenario_from_dict


def test_erlang_start_meets_the_target_and_one_agent_fewer_does_not():
    scenario = scenario_with(PEAK)
    plan = staffing_plan(scenario, ["sl_offered_12>=0.8"], max_abandon=0.05, verify=False)
    assert len(plan.intervals) == 16  # 8 open half hours on 2 days
    for p in plan.intervals:
        calls = PEAK[p.start.strftime("%H:%M")]
        assert p.calls == pytest.approx(calls)
        assert p.aht_s == pytest.approx(300) and p.patience_s == pytest.approx(600)
        here = erlang_a_metrics(calls, 1800, 300, 600, p.erlang_agents)
        fewer = erlang_a_metrics(calls, 1800, 300, 600, p.erlang_agents - 1)
        assert here["sl_offered_12"] >= 0.8 and here["p_abandon"] <= 0.05
        assert fewer["sl_offered_12"] < 0.8 or fewer["p_abandon"] > 0.05
        assert p.agents == p.erlang_agents and p.headcount == p.agents


def test_two_categories_give_load_weighted_aht_and_call_weighted_abandonment():
    scenario = scenario_with({"08:00": 10})
    data_cats = {
        "short": {
            "talk": {"dist": "exponential", "mean_s": 100},
            "acw": {"dist": "fixed", "value_s": 20},
            "patience": {"dist": "exponential", "mean_s": 60},
            "rates_by_weekday": {"sun": [30.0 if k == 16 else 0.0 for k in range(SLOTS)]},
        },
        "long": {
            "talk": {"dist": "lognormal", "mean_s": 400, "sd_s": 200},
            "patience": {"dist": "exponential", "mean_s": 240},
            "rates_by_weekday": {"sun": [10.0 if k == 16 else 0.0 for k in range(SLOTS)]},
        },
    }
    two = scenario_from_dict(
        {
            "name": "two",
            "timezone": scenario.timezone,
            "start": scenario.start,
            "days": 1,
            "opening_hours": {"sun": ["08:00-09:00"]},
            "categories": data_cats,
            "staffing": {"agents": 1},
        }
    )
    plan = staffing_plan(two, ["sl_offered_20>=0.8"], verify=False)
    (p,) = plan.intervals
    assert p.calls == pytest.approx(40)
    assert p.aht_s == pytest.approx((30 * 120 + 10 * 400) / 40)
    assert p.patience_s == pytest.approx(1 / ((30 / 60 + 10 / 240) / 40))


def test_headcount_is_agents_after_shrinkage():
    scenario = scenario_with(PEAK)
    plan = staffing_plan(scenario, ["sl_offered_12>=0.8"], shrinkage=0.3, verify=False)
    for p in plan.intervals:
        assert p.headcount == math.ceil(round(p.agents / 0.7, 9))
    assert headcount(14, 0.3) == 20


@pytest.fixture(scope="module")
def peak_plans():
    scenario = scenario_with(PEAK)
    targets = ["sl_offered_12>=0.8"]
    erlang = staffing_plan(scenario, targets, verify=False)
    verified = staffing_plan(scenario, targets, replications=8, seed=1, workers=2)
    return scenario, erlang, verified


def interval_sl(plan, seed: int, replications: int = 12) -> dict[str, dict]:
    """Simulate a plan's scenario with other seeds: KPIs per half hour from the KPI layer."""
    result = run_replications(plan.scenario, replications, seed, workers=2, progress=False)
    rows = result.kpis(interval="30min")
    return {pd.Timestamp(r["interval_start"]).strftime("%a %H:%M"): r for r in rows}


def fresh_service_level(scenario, replications: int, seed: int) -> dict[str, tuple]:
    """Per half hour (local "Sun 09:30"), from ``replications`` fresh runs of the model,
    counted here from the records by the definition (answered within 12 s / offered):
    the pooled share, its cluster standard error (calls of one replication share a
    queue) and the calls behind it."""
    frames = [
        run_replication(scenario, s, k) for k, s in enumerate(replication_seeds(seed, replications))
    ]
    calls = pd.concat(frames, ignore_index=True)
    local = pd.to_datetime(calls["arrived_at"]).dt.tz_convert(scenario.timezone)
    calls["slot"] = local.dt.floor("30min").dt.strftime("%a %H:%M")
    calls["good"] = (calls["outcome"] == "answered") & (calls["wait_s"] <= 12)
    per_rep = calls.groupby(["slot", "replication"])["good"].agg(["sum", "size"])
    out = {}
    for slot, group in per_rep.groupby(level="slot"):
        x = np.zeros(replications)
        n = np.zeros(replications)
        reps = group.index.get_level_values("replication")
        x[reps], n[reps] = group["sum"], group["size"]
        p = x.sum() / n.sum()
        var = replications / (replications - 1) * ((x - p * n) ** 2).sum() / n.sum() ** 2
        out[slot] = (p, math.sqrt(var), n.sum())
    return out


@pytest.mark.slow
def test_a_verified_plan_holds_per_interval_on_fresh_seeds_where_the_bare_sample_did_not(
    peak_plans,
):
    """The bare-sample rule (margin 0, 8 replications: 64-96 calls per quiet interval)
    stops at lucky samples; judged by one standard error, with quiet intervals pooled
    over more replications, the plan holds on 400 fresh replications. Criterion: no
    interval significantly below 0.8, one-sided, Bonferroni over the 16 intervals at a
    family-wise 5% (z > -2.73)."""
    scenario, _, verified = peak_plans
    assert verified.margin_se == 1.0 and verified.replications == 40  # 8 calls × 40 ≥ 320
    bare = staffing_plan(
        scenario,
        ["sl_offered_12>=0.8"],
        replications=8,
        seed=1,
        workers=2,
        margin_se=0.0,
        min_pooled_calls=0,
    )
    assert bare.replications == 8 and not bare.unmet
    critical = stats.norm.ppf(1 - 0.05 / 16)

    def z_scores(plan) -> dict[str, float]:
        fresh = fresh_service_level(plan.scenario, 400, seed=4242)
        assert len(fresh) == 16
        return {k: (p - 0.8) / se for k, (p, se, _) in fresh.items()}

    bare_z = z_scores(bare)
    assert min(bare_z.values()) < -critical, bare_z  # a lucky sample let it through
    verified_z = z_scores(verified)
    assert min(verified_z.values()) > -critical, verified_z
    # the price of honesty: at most a few agent-hours more than the bare sample
    assert bare.agent_hours() <= verified.agent_hours() <= bare.agent_hours() * 1.15


@pytest.mark.slow
def test_dask_gives_the_same_plan_as_the_process_pool(tmp_path):
    """The same plan from `cca staff --scheduler ADDRESS` (its replications run on a Dask
    cluster) as on the local process pool: each replication's seed does not depend on
    where it runs, so the agents and every simulated figure are the same."""
    from distributed import Client, LocalCluster

    path = peak_file(tmp_path / "peak.toml", hours="09:00-10:00")  # the peak and after
    local = staffing_plan(
        load_scenario(path), None, workers=2, replications=4, seed=5, min_pooled_calls=0
    )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        on_dask = json.loads(
            run_cca(
                "staff", "--scenario", str(path), "--replications", "4", "--seed", "5",
                "--min-pooled-calls", "0", "--scheduler", cluster.scheduler_address,
                "--format", "json",
            ).stdout
        )  # fmt: skip
    assert [r["agents"] for r in on_dask] == [p.agents for p in local.intervals]
    for row, interval in zip(on_dask, local.intervals, strict=True):
        assert interval.simulated and {k: row[k] for k in interval.simulated} == pytest.approx(
            interval.simulated, rel=1e-12, nan_ok=True
        )


def test_the_interval_after_a_peak_needs_more_agents_than_erlang_a_says(peak_plans):
    scenario, erlang, verified = peak_plans
    after = [p for p in verified.intervals if p.start.strftime("%H:%M") == "09:30"]
    before = {p.index: p for p in erlang.intervals}
    for p in after:
        assert p.agents > before[p.index].erlang_agents
        assert p.met
    # Independently (other seeds): the Erlang A plan misses right after the peak, the
    # verified plan does not.
    erlang_sl = interval_sl(erlang, seed=99)
    verified_sl = interval_sl(verified, seed=99)
    for day in ("Sun", "Mon"):
        assert erlang_sl[f"{day} 09:30"]["sl_offered_12_ci_high"] < 0.8
        assert verified_sl[f"{day} 09:30"]["sl_offered_12_ci_high"] >= 0.8


def test_a_verified_plan_meets_the_target_when_simulated_again_with_other_seeds(peak_plans):
    _, _, verified = peak_plans
    assert not verified.unmet and verified.rounds >= 2
    again = interval_sl(verified, seed=12345)
    assert len(again) == 16
    for key, row in again.items():
        # not significantly below the target in any interval
        assert row["sl_offered_12_ci_high"] >= 0.8, key
    result = run_replications(verified.scenario, 12, 777, workers=2, progress=False)
    assert result.summary["sl_offered_12"] >= 0.8


def test_verification_takes_agents_away_where_the_formula_overstaffs():
    """Fixed handling times queue far less than exponential ones: Erlang A overstaffs,
    and the simulation shows it."""
    scenario = scenario_with({h: 40 for h in ("08:00", "08:30", "09:00", "09:30")})
    fixed = scenario.with_changes(categories=(replace(scenario.categories[0], talk=Fixed(300.0)),))
    # 40 calls × 40 replications: enough calls for one standard error to leave room
    plan = staffing_plan(fixed, ["sl_offered_20>=0.8"], replications=40, seed=3, workers=2)
    assert not plan.unmet
    assert sum(p.agents for p in plan.intervals) < sum(p.erlang_agents for p in plan.intervals)
    for p in plan.intervals:
        assert p.simulated["sl_offered_20"] >= 0.8


def test_the_standard_error_is_the_cluster_one_of_a_ratio_tested_at_the_target():
    """Two replications of one interval: 9 of 10 and 5 of 10 calls within 12 s.

    Pooled p̂ = 14/20 = 0.7. Cluster variance 2/1 · ((9 − 7)² + (5 − 7)²) / 20² = 0.04;
    binomial at p̂: 0.21 / 20 = 0.0105; design effect 0.04 / 0.0105. At the target 0.8:
    sqrt(0.16 / 20 · 0.04 / 0.0105)."""
    rows = (
        {"offered": 10, "answered": 10, "short_abandoned": 0, "sl_offered_12": 0.9},
        {"offered": 10, "answered": 10, "short_abandoned": 0, "sl_offered_12": 0.5},
    )
    sample = IntervalSample({"offered": 20, "answered": 20, "sl_offered_12": 0.7}, rows)
    assert standard_error("sl_offered_12", sample) == pytest.approx(math.sqrt(0.04), rel=1e-12)
    assert standard_error("sl_offered_12", sample, null=0.8) == pytest.approx(
        math.sqrt(0.16 / 20 * 0.04 / 0.0105), rel=1e-12
    )
    # a replication without calls there counts as 0 of 0; a single replication has no SE
    one = IntervalSample({"offered": 10, "sl_offered_12": 0.9}, (rows[0],))
    assert standard_error("sl_offered_12", one) is None


def test_an_interval_passes_only_when_it_meets_the_target_by_one_standard_error():
    target = parse_target("sl_offered_12>=0.8")

    def sample(successes: list[int], calls: int) -> IntervalSample:
        rows = tuple(
            {"offered": calls, "answered": calls, "sl_offered_12": k / calls} for k in successes
        )
        p = sum(successes) / (calls * len(successes))
        return IntervalSample({"offered": calls * len(successes), "sl_offered_12": p}, rows)

    # 0.85 of 400 calls spread as binomially as can be: SE at 0.8 is 0.02, 0.83 >= 0.8
    steady = sample([17, 17, 17, 17] * 5, 20)
    assert _judge(target, steady, 1.0)
    # 0.825 from replications that swing between 20 and 13 of 20 (a replication's calls
    # share its queue): design effect 4.47, SE at 0.8 is 0.042, more than the slack
    swinging = sample([20] * 10 + [13] * 10, 20)
    assert swinging.kpis["sl_offered_12"] == pytest.approx(0.825)
    assert not _judge(target, swinging, 1.0)
    assert _judge(target, swinging, 0.0)  # the bare sample meets it
    # every call within 12 s in 3 calls: nothing could prove more, judged on the sample
    assert _judge(target, sample([3], 3), 1.0)
    cap = parse_target("p_abandon<=0.05")
    rows = tuple({"offered": 100, "abandon_rate": 0.045} for _ in range(4))
    near = IntervalSample({"offered": 400, "abandon_rate": 0.045}, rows)
    assert not _judge(cap, near, 1.0)  # 0.045 + sqrt(0.05 · 0.95 / 400) = 0.0559


def _quick_peak_plan(target: str, **caps):
    """The peak scenario staffed to ``target`` under ``caps``, verified by 4 replications
    in this process (no pooling: a quick check of the caps, not of the service level)."""
    return staffing_plan(
        scenario_with(PEAK), [target], replications=4, seed=0, workers=1, min_pooled_calls=0, **caps
    )


def test_intervals_that_cannot_be_met_within_max_agents_are_named():
    plan = _quick_peak_plan("sl_offered_12>=0.8", max_agents=12)
    unmet = {p.start.strftime("%a %H:%M") for p in plan.unmet}
    assert {"Sun 09:00", "Mon 09:00"} <= unmet
    for p in plan.unmet:
        assert p.agents <= 12 and "sl_offered_12>=0.8" in p.missed
    assert all(p.agents <= 12 for p in plan.intervals)


def test_formula_only_caps_hold_in_the_plan():
    plan = _quick_peak_plan("sl_offered_12>=0.5", max_occupancy=0.7)
    for p in plan.intervals:
        calls = PEAK[p.start.strftime("%H:%M")]
        assert erlang_a_metrics(calls, 1800, 300, 600, p.agents)["occupancy"] <= 0.7


def test_no_targets_and_odd_intervals_are_user_errors():
    scenario = scenario_with(PEAK)
    with pytest.raises(ValueError, match="no targets"):
        staffing_plan(scenario, [])
    with pytest.raises(ValueError, match="15, 30 or 60-minute"):
        staffing_plan(scenario_with({"08:00": 50}, interval_s=7200), ["sl_offered_12>=0.8"])


def peak_file(path, hours="08:00-12:00"):
    """The PEAK Sunday as a scenario TOML file (one day, open ``hours``: its calls in
    those hours)."""
    opens, closes = hours.split("-")
    slots = [f"{k // 2:02d}:{30 * (k % 2):02d}" for k in range(SLOTS)]
    profile = ", ".join(
        str(float(PEAK.get(slot, 0) if opens <= slot < closes else 0)) for slot in slots
    )
    path.write_text(
        'name = "peak"\ntimezone = "Asia/Riyadh"\nstart = 2024-09-01\ndays = 1\n'
        'targets = ["sl_offered_12>=0.8"]\n'
        f'[opening_hours]\nsun = ["{hours}"]\n'
        '[categories.all]\ntalk = {dist = "exponential", mean_s = 300}\n'
        'patience = {dist = "exponential", mean_s = 600}\n'
        f"rates_by_weekday = {{sun = [{profile}]}}\n"
        "[staffing]\nagents = 1\n",
        encoding="utf-8",
    )
    return path


def test_cca_staff_prints_a_plan_and_its_csv_is_a_staffing_file(tmp_path):
    scenario_file = peak_file(tmp_path / "peak.toml")
    args = ["staff", "--scenario", str(scenario_file), "--replications", "4", "--workers", "1"]
    args += ["--min-pooled-calls", "0"]  # 4 replications, for speed
    table = run_cca(*args, "--max-abandon", "0.05", "--shrinkage", "0.25").stdout
    assert "sl_offered_12>=0.8, p_abandon<=0.05; verified by simulation" in table
    assert "Sun 2024-09-01 09:30" in table and "agent-hours:" in table
    csv_file = tmp_path / "plan.csv"
    csv_file.write_text(run_cca(*args, "--format", "csv").stdout, encoding="utf-8")
    plan = pd.read_csv(csv_file)
    assert len(plan) == 8
    assert {"interval_start", "calls", "erlang_agents", "agents", "headcount"} <= set(plan)
    assert (plan["agents"] >= 1).all()
    summary = json.loads(
        run_cca(
            "simulate",
            "--scenario",
            str(scenario_file),
            "--staffing",
            str(csv_file),
            "--replications",
            "2",
            "--format",
            "json",
        ).stdout
    )[0]
    assert summary["offered"] > 100
    bad = run_cca("staff", "--scenario", str(scenario_file), "--target", "sl_bogus>=1", check=False)
    assert bad.returncode == 2 and "unknown target KPI" in bad.stderr
    assert np.isfinite(summary["sl_offered_12"])


# --------------------------------------------------------------------------- rostering


def test_shifts_cover_a_plan_exactly_when_the_need_is_made_of_whole_shifts():
    """8 h of 1 agent then 4 h of 3 agents: one 8-hour shift and three 4-hour shifts,
    20 agent-hours, the need itself (no roster can pay less than the need)."""
    need = [1] * 16 + [3] * 8
    r = roster(need, 1800, parse_shift_lengths("8h,4h"))
    assert r.agent_hours == r.need_hours == 20
    assert r.coverage.tolist() == need


def test_a_need_shorter_than_any_shift_pays_for_a_whole_shift():
    # 5 hours of one agent: one 8-hour shift or two overlapping 4-hour shifts, 8 h either way
    r = roster([0, 0] + [1] * 10 + [0] * 20, 1800, (8 * 3600, 4 * 3600))
    assert r.agent_hours == 8 and (r.coverage >= r.need).all()
    assert roster([0, 0, 0], 1800, (14400,)).shifts == ()


def test_the_roster_is_the_cheapest_cover_by_exhaustive_search():
    """Every way of starting 0-2 agents on shifts of 1 or 1.5 hours at each half hour of a
    2.5-hour need, against the programme's answer."""
    import itertools

    rng = np.random.default_rng(8)
    need = rng.integers(0, 3, 5)
    columns = [(s, length) for length in (2, 3) for s in range(5)]
    cover = np.zeros((5, len(columns)), dtype=int)
    for j, (s, length) in enumerate(columns):
        cover[s : s + length, j] = 1
    cost = np.array([length for _, length in columns])
    best = min(
        int(cost @ x)
        for x in map(np.array, itertools.product(range(3), repeat=len(columns)))
        if (cover @ x >= need).all()
    )
    r = roster(need.tolist(), 1800, (3600, 5400))
    assert r.agent_hours == best / 2 and (r.coverage >= need).all()


def test_shift_lengths_are_read_with_units():
    assert parse_shift_lengths("8h, 4h") == (28800, 14400)
    assert parse_shift_lengths("90min,6h") == (21600, 5400)
    with pytest.raises(ValueError, match="8 hours"):
        parse_shift_lengths("8 hours")
    with pytest.raises(ValueError, match="whole number of 1800 s intervals"):
        roster([1, 1], 1800, (1000,))


def test_cca_staff_prints_shifts_covering_the_headcount(tmp_path):
    path = peak_file(tmp_path / "peak.toml")
    args = ["staff", "--scenario", str(path), "--no-verify", "--shrinkage", "0.2"]
    table = run_cca(*args, "--shifts", "4h,2h").stdout
    assert "shifts (4h,2h) covering the headcount:" in table and "rostered agent-hours:" in table
    shifts = json.loads(run_cca(*args, "--shifts", "4h,2h", "--format", "json").stdout)
    plan = staffing_plan(load_scenario(path), shrinkage=0.2, verify=False)
    assert {s["hours"] for s in shifts} <= {4.0, 2.0}
    # every half hour of the plan is covered by the shifts on at that time
    for p in plan.intervals:
        start = pd.Timestamp(p.start)
        on = sum(
            s["agents"]
            for s in shifts
            if pd.Timestamp(s["start"]) <= start < pd.Timestamp(s["end"])
        )
        assert on >= p.headcount > p.agents
    bad = run_cca(*args, "--shifts", "7x", check=False)
    assert bad.returncode == 2 and "7x" in bad.stderr
