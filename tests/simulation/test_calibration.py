"""Calibration from history: Kaplan–Meier patience, lognormal handling, arrival rates.

The estimators are checked against values computed independently: Kaplan–Meier by hand
on a small censored sample and by ``scipy.stats.ecdf`` on a large one; the lognormal
fit by ``scipy.stats.lognorm.fit``; and the whole calibration by a round trip: a store
filled by simulating a known scenario must give back its rates, handling-time
parameters, patience, opening hours and staffing within sampling error.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.cli import cca_refuses, run_cca, run_cca_json
from support.kpi import insert_call_frame
from support.planner import peaked_profile

from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.periods import parse_period
from analytics.store import Store
from simulation.calibration.abandonment import agents_for_abandonment
from simulation.calibration.fit import FIT_MIN_CALLS, PRIORITY_MODES, STAFFING_PROXIES, calibrate
from simulation.calibration.patience import (
    KaplanMeier,
    exponential_patience_s,
    patience_distribution,
)
from simulation.calibration.queries import PRESENCE_GAP_S, present_agents_sql, staffing_sql
from simulation.formulas.erlang import erlang_a_metrics
from simulation.queue.model import run_replication
from simulation.queue.scenario import WEEKDAYS
from simulation.queue.scenario_file import load_scenario, scenario_from_dict, scenario_toml


def store_calls(store: Store, centre: Centre, frame: pd.DataFrame) -> None:
    """Put canonical call records (a DataFrame) into the store as a load would."""
    with store.writer() as con:
        save_centre(con, centre)
        insert_call_frame(con, centre.centre_id, frame)


# --------------------------------------------------------------------------- Kaplan–Meier


def test_kaplan_meier_matches_a_hand_computed_censored_sample():
    """Waits 2A 3C 3A 5A 8C 9A 12C (A abandoned, C answered: censored).

    S(2) = 6/7; at 3 the abandon goes before the censoring: S(3) = 6/7 · 5/6 = 5/7;
    S(5) = 5/7 · 3/4 = 15/28; 8 is censored (3 left); S(9) = 15/28 · 1/2 = 15/56.
    The curve stops above 0 at 12 s, so the mean is restricted to 12 s:
    2·1 + 1·6/7 + 2·5/7 + 4·15/28 + 3·15/56 = 405/56 s. The median is 9 s.
    """
    km = KaplanMeier.from_sample(
        [2, 3, 3, 5, 8, 9, 12], [True, False, True, True, False, True, False]
    )
    expected = {2: 6 / 7, 3: 5 / 7, 5: 15 / 28, 8: 15 / 28, 9: 15 / 56, 12: 15 / 56}
    for t, s in expected.items():
        assert km.survival_at(t) == pytest.approx(s, rel=1e-12)
    assert km.survival_at(1.99) == 1.0
    assert km.mean_s() == pytest.approx(405 / 56, rel=1e-12)
    assert not km.reaches_zero
    assert km.median_s() == 9
    assert km.n_events == 4
    # Greenwood at 5 s: S² (1/(7·6) + 1/(6·5) + 1/(4·3))
    assert km.standard_error_at(5) == pytest.approx(
        15 / 28 * math.sqrt(1 / 42 + 1 / 30 + 1 / 12), rel=1e-12
    )


def test_kaplan_meier_reaching_zero_gives_the_plain_mean():
    km = KaplanMeier.from_sample([4, 10, 1], [True, True, True])
    assert km.reaches_zero
    assert km.mean_s() == pytest.approx(5.0)
    assert km.median_s() == 4


def test_kaplan_meier_agrees_with_scipy_ecdf_on_a_large_censored_sample():
    rng = np.random.default_rng(11)
    patience = rng.exponential(100.0, 5000).round()  # ties, as in a log kept in seconds
    answered_after = rng.exponential(60.0, 5000).round()
    abandoned = patience < answered_after
    waits = np.minimum(patience, answered_after)
    km = KaplanMeier.from_sample(waits, abandoned)
    reference = stats.ecdf(
        stats.CensoredData(uncensored=waits[abandoned], right=waits[~abandoned])
    ).sf
    grid = np.array([0, 1, 5, 17.5, 40, 80, 120, 200, 300])
    ours = np.array([km.survival_at(t) for t in grid])
    np.testing.assert_allclose(ours, reference.evaluate(grid), rtol=1e-10, atol=1e-12)


def test_exponential_patience_is_total_waiting_time_over_abandons():
    assert exponential_patience_s(1000.0, 4) == 250.0
    assert exponential_patience_s(1000.0, 0) == math.inf


def test_patience_distribution_keeps_the_kaplan_meier_mean_and_adds_an_exponential_tail():
    km = KaplanMeier.from_sample(
        [2, 3, 3, 5, 8, 9, 12], [True, False, True, True, False, True, False]
    )
    dist = patience_distribution(km, tail_mean_s=50.0)
    # Up to 12 s it is the curve; above, 15/56 of the callers wait 12 s + Exp(50 s) on
    # average (20 quantile midpoints of the exponential: close to, not exactly, 50 s).
    tail = np.array(dist.values[-20:]) - 12.0
    assert sum(dist.weights[-20:]) == pytest.approx(15 / 56, rel=1e-5)
    assert tail.mean() == pytest.approx(50.0, rel=0.05)
    expected = 405 / 56 + 15 / 56 * tail.mean()
    assert dist.mean_s == pytest.approx(expected, rel=1e-5)
    assert dist.values[:4] == (2.0, 3.0, 5.0, 9.0)
    assert (
        patience_distribution(KaplanMeier.from_sample([4, 5], [False, False]), 10.0).mean_s
        == math.inf
    )


# --------------------------------------------------------------------------- lognormal fit


def test_lognormal_handling_fit_is_the_mle_and_recovers_known_parameters(store):
    rng = np.random.default_rng(5)
    n = 20_000
    talk = rng.lognormal(5.0, 0.6, n)
    centre = Centre("fit_test", timezone="Asia/Riyadh")
    start = pd.Timestamp("2024-09-01 09:00", tz="Asia/Riyadh")
    frame = pd.DataFrame(
        {
            "call_id": [f"c{k}" for k in range(n + 50)],
            "arrived_at": start + pd.to_timedelta(np.arange(n + 50) % 3600, unit="s"),
            "outcome": ["answered"] * n + ["abandoned"] * 50,
            "wait_s": np.r_[np.zeros(n), np.full(50, 30.0)],
            "talk_s": np.r_[talk, np.full(50, np.nan)],
            "category": "employer",
        }
    )
    # answered calls with no handling time recorded are left out of the fit
    frame.loc[:9, "talk_s"] = 0.0
    store_calls(store, centre, frame)
    with store.reader() as con:
        cal = calibrate(con, centre, parse_period("2024-09-01"))
    (fit,) = [c.handling for c in cal.categories]
    assert fit.answered == n and fit.fitted == n - 10
    shape, loc, scale = stats.lognorm.fit(talk[10:], floc=0)
    assert fit.sigma == pytest.approx(shape, rel=1e-6)
    assert fit.mu == pytest.approx(math.log(scale), rel=1e-6)
    assert abs(fit.mu - 5.0) < 4 * 0.6 / math.sqrt(n)
    assert abs(fit.sigma - 0.6) < 4 * 0.6 / math.sqrt(2 * n)


# --------------------------------------------------------------------------- round trip


PATIENCE = {"employer": 120.0, "worker": 60.0}
TALK = {"employer": (5.3, 0.5), "worker": (4.8, 0.4)}  # mu, sigma of log seconds
OPEN = ("sun", "mon", "tue", "wed", "thu")


def known_scenario():
    """Four weeks of a Sunday–Thursday centre, open 08:00–18:00, with a morning peak and
    too few agents at it, so that enough callers abandon to measure their patience."""
    profile = peaked_profile(range(16, 36), range(18, 24), 0.8)  # 08:00-18:00, 09:00-12:00
    rates = {
        "employer": {d: [round(16.0 * p, 3) for p in profile] for d in OPEN},
        "worker": {
            d: [round(6.0 * p * (1.3 if d == "sun" else 1.0), 3) for p in profile] for d in OPEN
        },
    }
    categories = {
        name: {
            "talk": {"dist": "lognormal", "mu": TALK[name][0], "sigma": TALK[name][1]},
            "patience": {"dist": "exponential", "mean_s": PATIENCE[name]},
            "rates_by_weekday": rates[name],
            "topics": {"a": 0.75, "b": 0.25} if name == "employer" else {"c": 1.0},
        }
        for name in ("employer", "worker")
    }
    return scenario_from_dict(
        {
            "name": "known",
            "centre_id": "known_centre",
            "timezone": "Asia/Riyadh",
            "start": dt.date(2024, 9, 1),
            "days": 28,
            "interval_s": 1800,
            "opening_hours": {d: ["08:00-18:00"] for d in OPEN},
            "categories": categories,
            "staffing": {
                "shifts": [
                    {"days": list(OPEN), "start": "08:00", "end": "18:00", "agents": 3},
                    {"days": ["sun", "mon"], "start": "10:00", "end": "14:00", "agents": 1},
                ]
            },
            "mix": {"site": {"riyadh": 0.6, "jeddah": 0.4}},
        },
        source="known",
    )


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """The known scenario simulated into a store (calls and staffing), then calibrated."""
    scenario = known_scenario()
    records = run_replication(scenario, seed=2024)
    store = Store(tmp_path_factory.mktemp("roundtrip") / "known.duckdb")
    centre = Centre("known_centre", timezone=scenario.timezone)
    store_calls(store, centre, records)
    tl = scenario.timeline()
    origin = pd.Timestamp(scenario.start_instant)
    with store.writer() as con:
        con.executemany(
            "INSERT INTO staffing (centre_id, interval_start, interval_s, agents_scheduled, "
            "agents_available) VALUES (?, ?, ?, ?, ?)",
            [
                [centre.centre_id, (origin + pd.Timedelta(seconds=s)).to_pydatetime(), 1800, a, a]
                for s, a in zip(tl.starts_s, tl.agents.tolist(), strict=True)
                if a
            ],
        )
    with store.reader() as con:
        cal = calibrate(con, centre, parse_period("2024-09-01..2024-09-28"))
    return scenario, records, store, cal


def test_round_trip_recovers_arrival_rates_within_poisson_error(round_trip):
    scenario, _, _, cal = round_trip
    assert {w: cal.days_observed[w] for w in (WEEKDAYS[d] for d in OPEN)} == dict.fromkeys(
        (WEEKDAYS[d] for d in OPEN), 4
    )
    # Each calibrated rate is the mean of 4 Poisson counts: variance λ/4. The sum of the
    # squared standardised errors over every open cell is about chi-square.
    statistic, cells = 0.0, 0
    for c in cal.categories:
        truth = dict(next(k for k in scenario.categories if k.name == c.name).rates_by_weekday)
        for day in range(1, 8):
            true_rates = np.array(truth.get(day, (0.0,) * 48))
            got = np.array(c.rates[day])
            assert np.all(got[true_rates == 0] == 0)
            lam = true_rates[true_rates > 0]
            statistic += float((((got[true_rates > 0] - lam) ** 2) / (lam / 4)).sum())
            cells += len(lam)
    assert cells == 2 * 5 * 20
    assert statistic < stats.chi2.ppf(0.999, cells)


def test_round_trip_recovers_opening_hours_and_the_staffing_table(round_trip):
    scenario, _, _, cal = round_trip
    assert cal.opening_hours == {
        w: ((("08:00", "18:00"),) if w in (7, 1, 2, 3, 4) else ()) for w in range(1, 8)
    }
    assert cal.calls_outside_hours == 0
    assert "staffing table" in cal.staffing_source
    week = scenario.timeline().agents[: 7 * 48].reshape(7, 48)  # Sunday first
    for k in range(7):
        day = (scenario.start + dt.timedelta(days=k)).isoweekday()
        assert list(cal.scenario.staffing.agents_by_weekday[day]) == week[k].tolist()


def test_round_trip_recovers_lognormal_handling_within_sampling_error(round_trip):
    _, records, _, cal = round_trip
    for c in cal.categories:
        mu, sigma = TALK[c.name]
        n = c.handling.fitted
        assert n == int(((records.category == c.name) & (records.outcome == "answered")).sum())
        assert abs(c.handling.mu - mu) < 4 * sigma / math.sqrt(n)
        assert abs(c.handling.sigma - sigma) < 4 * sigma / math.sqrt(2 * n)


def test_round_trip_recovers_patience_and_the_naive_estimate_is_far_too_low(round_trip):
    _, records, _, cal = round_trip
    for c in cal.categories:
        mean = PATIENCE[c.name]
        p = c.patience
        mine = records[records.category == c.name]
        assert p.abandoned == int((mine.outcome == "abandoned").sum()) > 300
        # censored exponential MLE: standard error ≈ mean / sqrt(abandons)
        assert abs(p.exponential_mean_s - mean) < 4 * mean / math.sqrt(p.abandoned)
        # Kaplan–Meier against the true survival e^{-t/mean}, within Greenwood's error
        for t in (15.0, 45.0, 90.0):
            se = p.km.standard_error_at(t)
            assert abs(p.km.survival_at(t) - math.exp(-t / mean)) < 4 * se
        # the restricted mean against the exponential's own restricted mean
        tau = p.km.horizon_s
        assert p.km_mean_s == pytest.approx(mean * (1 - math.exp(-tau / mean)), rel=0.1)
        # the written distribution (KM + exponential tail) has about the true mean
        assert p.distribution.kind == "empirical"
        assert p.distribution.mean_s == pytest.approx(mean, rel=0.12)
        # callers who abandon are the impatient ones: their waits say little of patience
        assert p.naive_mean_s < 0.6 * mean


def test_calibrated_toml_is_a_valid_scenario_with_the_mixes_of_the_log(round_trip, tmp_path):
    scenario, _, _, cal = round_trip
    path = tmp_path / "calibrated.toml"
    path.write_text(cal.toml, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded == cal.scenario
    assert loaded.timezone == scenario.timezone and loaded.days == 7
    topics = dict(next(c for c in loaded.categories if c.name == "employer").topics)
    assert topics["a"] == pytest.approx(0.75, abs=0.03)
    assert dict(loaded.sites)["riyadh"] == pytest.approx(0.6, abs=0.03)
    assert cal.toml.startswith("# Calibrated by `cca calibrate` from centre known_centre")


def test_cca_calibrate_writes_a_scenario_that_cca_simulate_runs(round_trip, tmp_path):
    _, _, store, _ = round_trip
    out = tmp_path / "cli.toml"
    rows = run_cca_json(
        "calibrate",
        "--centre",
        "known_centre",
        "--period",
        "2024-09-01..2024-09-28",
        "--out",
        str(out),
        "--patience",
        "exponential",
        db=store.path,
    )
    assert [r["category"] for r in rows] == ["employer", "worker"]
    assert rows[0]["patience_written"] == "exponential"
    assert rows[0]["avg_abandon_wait_s"] < rows[0]["patience_km_mean_s"]
    loaded = load_scenario(out)
    assert loaded.categories[0].patience.kind == "exponential"
    (summary,) = run_cca_json(
        "simulate", "--scenario", str(out), "--replications", "2", "--days", "2"
    )
    assert summary["offered"] > 500
    assert 0 < summary["abandon_rate"] < 0.5


def test_cca_calibrate_names_what_is_wrong(round_trip, tmp_path):
    _, _, store, _ = round_trip
    out = tmp_path / "x.toml"
    for centre, period, says in (
        ("nowhere", "2024-09", "unknown centre 'nowhere'"),
        ("known_centre", "2023-01", "no calls in 2023-01"),
    ):
        cca_refuses(
            *("calibrate", "--centre", centre, "--period", period, "--out", str(out)),
            says=says,
            db=store.path,
        )
    assert not out.exists()


def test_without_a_staffing_table_agents_come_from_the_agents_who_answered(store):
    scenario = known_scenario().with_changes(days=7)
    records = run_replication(scenario, seed=3)
    centre = Centre("known_centre", timezone=scenario.timezone)
    store_calls(store, centre, records)
    with store.reader() as con:
        cal = calibrate(
            con,
            centre,
            parse_period("2024-09-01..2024-09-07"),
            hours="calendar",
            staffing_proxy="answering",
        )
    assert "distinct agents" in cal.staffing_source
    monday = list(cal.scenario.staffing.agents_by_weekday[1])
    # 3 agents all day and 4 from 10:00 to 14:00, all busy: each answers calls
    assert monday[16:20] == [3] * 4 and monday[20:28] == [4] * 8
    assert monday[34:] == [0] * 14  # the calendar closes at 17:00
    # the centre's calendar (default Mon-Fri 08:00-17:00) decides the hours here
    assert cal.opening_hours[7] == () and cal.opening_hours[1] == (("08:00", "17:00"),)


def test_scenario_toml_round_trips_through_tomllib():
    data = {
        "name": "x",
        "start": dt.date(2024, 9, 1),
        "thresholds_s": [12.0, 30.0],
        "opening_hours": {"sun": ["08:00-18:00"]},
        "categories": {
            "a b": {
                "topics": {"work permit": 0.5, "fees": 0.5},
                "talk": {"dist": "lognormal", "mu": 5.1, "sigma": 0.5},
                "patience": {"dist": "fixed", "value_s": math.inf},
                "rates_by_weekday": {"sun": [0.5] * 48},
            }
        },
        "staffing": {"agents_by_weekday": {"sun": list(range(48))}},
    }
    assert tomllib.loads(scenario_toml(data)) == data


def test_without_a_staffing_table_busy_time_and_shifts_are_counted_by_hand(store):
    """Monday 2024-09-02, Asia/Riyadh. Agent A: a call arriving 08:09 that waits 60 s,
    answered 08:10, 20 min of talk + after-call work (to 08:30); a call answered 08:50
    for 30 min (to 09:20). Agent B: a call answered 08:00 for 60 min.

    Busy seconds: 08:00-08:30: A 1200 + B 1800 = 3000 s, 1.667 busy agents;
    08:30-09:00: A 600 + B 1800 = 2400 s, 1.333; 09:00-09:30: A 1200 s, 0.667.
    At occupancy 0.5: 3.33, 2.67 and 1.33 agents, rounded 3, 3, 1.
    Shifts (first answer to last end): A 08:10-09:20 covers 2/3, 1 and 2/3 of the three
    half hours, B 08:00-09:00 covers 1, 1, 0: 1.67, 2, 0.67 agents, rounded 2, 2, 1."""
    centre = Centre("hand", timezone="Asia/Riyadh")
    at = pd.Timestamp("2024-09-02 08:00", tz="Asia/Riyadh")
    frame = pd.DataFrame(
        {
            "call_id": ["a1", "a2", "b1"],
            "arrived_at": [at + pd.Timedelta(minutes=9), at + pd.Timedelta(minutes=50), at],
            "outcome": "answered",
            "wait_s": [60.0, 0.0, 0.0],
            "talk_s": [1000.0, 1800.0, 3000.0],
            "acw_s": [200.0, None, 600.0],
            "category": "all",
            "agent_id": ["A", "A", "B"],
        }
    )
    store_calls(store, centre, frame)
    period = parse_period("2024-09-02")
    with store.reader() as con:
        busy = calibrate(
            con, centre, period, hours="calendar", occupancy=0.5, staffing_proxy="busy"
        )
        # three answered calls: too few for the default fit, which keeps busy agents
        default = calibrate(con, centre, period, hours="calendar", occupancy=0.5)
        shifts = calibrate(con, centre, period, hours="calendar", staffing_proxy="shifts")
        with pytest.raises(ValueError, match="occupancy"):
            calibrate(con, centre, period, occupancy=0.0)
    assert "busy agents" in busy.staffing_source and "0.5" in busy.staffing_source
    assert list(busy.scenario.staffing.agents_by_weekday[1][16:19]) == [3, 3, 1]
    # every interval of the calendar (Mon–Fri 08:00–17:00) has fewer than 50 calls
    assert default.staffing_proxy == "fit" and default.agents_fit.count("few_calls") == 5 * 18
    assert default.scenario.staffing == busy.scenario.staffing
    assert "first to their last call" in shifts.staffing_source
    assert list(shifts.scenario.staffing.agents_by_weekday[1][16:19]) == [2, 2, 1]
    # the written handling time keeps the mean of the log (the load the agents carried)
    (category,) = busy.categories
    assert category.handling.distribution.mean_s == pytest.approx((1200 + 1800 + 3600) / 3)


def test_staffing_rows_count_by_the_share_of_each_slot_they_cover(store):
    """A 30-minute staffing row of 4 agents (Riyadh 10:00) and a 15-minute row of 2
    (10:30), read in 15-minute slots: 4, 4, 2 and nothing after; in 30-minute slots:
    4, then 2 for half of 10:30-11:00, so 1."""
    centre = Centre("rows", timezone="Asia/Riyadh")
    at = pd.Timestamp("2024-09-02 10:00", tz="Asia/Riyadh")
    with store.writer() as con:
        save_centre(con, centre)
        con.executemany(
            "INSERT INTO staffing (centre_id, interval_start, interval_s, agents_scheduled, "
            "agents_available) VALUES (?, ?, ?, ?, ?)",
            [
                ["rows", at.to_pydatetime(), 1800, 4, 4],
                ["rows", (at + pd.Timedelta(minutes=30)).to_pydatetime(), 900, 3, 2],
            ],
        )
    start, end = parse_period("2024-09-02").bounds(centre.tz)

    def slots(interval_s: int) -> dict[int, float]:
        with store.reader() as con:
            rows = con.execute(
                staffing_sql(), [centre.timezone, "rows", start, end, *[interval_s] * 8]
            ).fetchall()
        return {slot: agents for _day, slot, agents in rows}

    assert slots(900) == pytest.approx({40: 4.0, 41: 4.0, 42: 2.0})
    assert slots(1800) == pytest.approx({20: 4.0, 21: 1.0})


def test_an_agent_away_for_over_half_an_hour_is_not_counted_present(store):
    """Agent C, Monday 2024-09-02, Asia/Riyadh: calls answered 10:00, 10:50 and 11:20,
    10 min each. The 40 min between 10:10 and 10:50 are a break (over
    ``PRESENCE_GAP_S``, 30 min); the 20 min between 11:00 and 11:20 are not. Present:
    10:00-10:10 and 10:50-11:30, so 1/3 of 10:00-10:30, 1/3 of 10:30-11:00 and all of
    11:00-11:30 (first to last call alone would give 1, 1, 1)."""
    centre = Centre("gaps", timezone="Asia/Riyadh")
    at = pd.Timestamp("2024-09-02 10:00", tz="Asia/Riyadh")
    frame = pd.DataFrame(
        {
            "call_id": ["c1", "c2", "c3"],
            "arrived_at": [at + pd.Timedelta(minutes=m) for m in (0, 50, 80)],
            "outcome": "answered",
            "wait_s": 0.0,
            "talk_s": 600.0,
            "category": "all",
            "agent_id": "C",
        }
    )
    store_calls(store, centre, frame)
    start, end = parse_period("2024-09-02").bounds(centre.tz)
    assert PRESENCE_GAP_S == 1800
    with store.reader() as con:
        rows = con.execute(
            present_agents_sql(), [centre.timezone, "gaps", start, end, *[1800] * 8]
        ).fetchall()
    present = {slot: agents for _day, slot, agents in rows}
    assert present == pytest.approx({20: 1 / 3, 21: 1 / 3, 22: 1.0})


# --------------------------------------------------------------------------- fit proxy


def test_agents_for_abandonment_inverts_exact_erlang_a():
    """160 calls per half hour, AHT 180 s, patience 120 s: 16 Erlangs. Erlang A's
    abandonment at 12 and 13 agents gives back 12 and 13; a share between them gives an
    agent count between them; the floor and the cap hold where the share is out of reach."""
    traffic = (160, 1800, 180.0, 120.0)
    p12 = erlang_a_metrics(*traffic, 12)["p_abandon"]
    p13 = erlang_a_metrics(*traffic, 13)["p_abandon"]
    assert agents_for_abandonment(*traffic, p12, floor=8, cap=40) == (
        pytest.approx(12, abs=1e-5),
        "fit",
    )
    assert agents_for_abandonment(*traffic, p13, floor=8, cap=40)[0] == pytest.approx(13, abs=1e-5)
    between, how = agents_for_abandonment(*traffic, math.sqrt(p12 * p13), floor=8, cap=40)
    assert how == "fit" and between == pytest.approx(12.5, abs=1e-6)  # log-linear between
    # 11.6 busy agents already lose fewer than 50% of callers; 14 agents lose more than 1%
    assert agents_for_abandonment(*traffic, 0.5, floor=11.6, cap=40) == (11.6, "floor")
    assert agents_for_abandonment(*traffic, 0.01, floor=8, cap=14) == (14, "cap")
    with pytest.raises(ValueError, match="abandon_rate must be in \\(0, 1\\), not 0.0"):
        agents_for_abandonment(*traffic, 0.0, floor=8, cap=40)
    with pytest.raises(ValueError, match="floor=9 cap=9"):
        agents_for_abandonment(*traffic, 0.1, floor=9, cap=9)


FIT_AGENTS = 12
QUIET, LIGHT, HEAVY, LATE = range(14, 16), range(16, 26), range(26, 36), range(36, 38)
FIT_DAYS = (7, 1, 2, 3, 4)  # ISO weekdays of OPEN


def twelve_agents_scenario():
    """Eight weeks of a Sunday–Thursday centre with exactly 12 agents from 07:00 to
    19:00, exponential handling (180 s) and patience (120 s): M/M/12+M in every
    interval, the model Erlang A solves. The load changes, the agents do not:

    * 07:00–08:00, 20 calls per half hour (2 Erlangs): nobody ever waits, no abandons;
    * 08:00–13:00, 80 (8 Erlangs): 2% abandon, 65% occupancy, busy / 0.85 ≈ 9.3 agents;
    * 13:00–18:00, 160 (16 Erlangs): 27% abandon, 97% occupancy, busy / 0.85 ≈ 13.6;
    * 18:00–19:00, 3 calls per half hour: 24 calls over the 8 days of a weekday.
    """
    profile = [0.0] * 48
    for slot, calls in ((QUIET, 20.0), (LIGHT, 80.0), (HEAVY, 160.0), (LATE, 3.0)):
        for k in slot:
            profile[k] = calls
    return scenario_from_dict(
        {
            "name": "twelve",
            "centre_id": "twelve",
            "timezone": "Asia/Riyadh",
            "start": dt.date(2024, 9, 1),
            "days": 56,
            "interval_s": 1800,
            "opening_hours": {d: ["07:00-19:00"] for d in OPEN},
            "categories": {
                "all": {
                    "talk": {"dist": "exponential", "mean_s": 180.0},
                    "patience": {"dist": "exponential", "mean_s": 120.0},
                    "rates_by_weekday": {d: profile for d in OPEN},
                }
            },
            "staffing": {
                "shifts": [
                    {"days": list(OPEN), "start": "07:00", "end": "19:00", "agents": FIT_AGENTS}
                ]
            },
        },
        source="twelve",
    )


@pytest.fixture(scope="module")
def twelve_agents(tmp_path_factory):
    """The scenario simulated into a store with calls only (no staffing table), then
    calibrated with the fit proxy."""
    scenario = twelve_agents_scenario()
    records = run_replication(scenario, seed=7)
    store = Store(tmp_path_factory.mktemp("fit") / "twelve.duckdb")
    centre = Centre("twelve", timezone=scenario.timezone)
    store_calls(store, centre, records)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM staffing").fetchone() == (0,)
        cal = calibrate(con, centre, parse_period("2024-09-01..2024-10-26"), staffing_proxy="fit")
    return store, cal


def _slots(values: np.ndarray, slots: range) -> np.ndarray:
    return values[[d - 1 for d in FIT_DAYS]][:, list(slots)]


def test_fit_recovers_the_twelve_agents_where_busy_time_over_085_does_not(twelve_agents):
    """Tolerances. In the heavy half hours each interval pools 8 days × 160 calls with
    27% abandoning: the binomial error of that share is 1.2 points and one agent moves
    Erlang A's share by about 4 points, so the agents are known to ±0.3 (±0.6 with the
    queue's correlation inside a day); every interval within 2 agents and the mean
    within 0.3 (on ten seeds the worst were 1.4 and 0.10). In the light half hours only
    ~13 callers abandon per interval: one agent moves the share by a factor ~1.7, and a
    count of 13 is known to ±28%, so an interval's agents scatter by about ±0.6–1;
    their median error within 1 and their mean within 0.6 (worst on ten seeds: 0.74 and
    0.41, the mean a little high: the first half hour of a day starts with no queue).
    The busy proxy misses by 2.9 agents one way and 1.6 the other."""
    _, cal = twelve_agents
    fit = cal.agents_fit
    assert cal.staffing_proxy == "fit" and fit is not None
    heavy, light = _slots(fit.agents, HEAVY), _slots(fit.agents, LIGHT)
    assert np.all(_slots(fit.how, HEAVY) == "fit") and np.all(_slots(fit.how, LIGHT) == "fit")
    assert np.abs(heavy - FIT_AGENTS).max() < 2.0
    assert abs(heavy.mean() - FIT_AGENTS) < 0.3
    assert np.median(np.abs(light - FIT_AGENTS)) < 1.0
    assert abs(light.mean() - FIT_AGENTS) < 0.6
    # what the busy proxy at 0.85 says for the same intervals: far off, both ways
    assert _slots(fit.busy, HEAVY).mean() > FIT_AGENTS + 1.5
    assert _slots(fit.busy, LIGHT).mean() < FIT_AGENTS - 2.5
    # the scenario gets the fitted agents, rounded
    written = np.array([cal.scenario.staffing.agents_by_weekday[d] for d in range(1, 8)])
    assert np.array_equal(_slots(written, HEAVY), np.rint(heavy).astype(int))
    assert abs(_slots(written, HEAVY).mean() - FIT_AGENTS) < 0.3


def test_fit_falls_back_to_busy_agents_without_abandons_or_calls_and_says_so(twelve_agents):
    """07:00–08:00 has 160 calls per weekday × interval and nobody waits: no abandon to
    read agents from. 18:00–19:00 has ~24 calls, fewer than FIT_MIN_CALLS. Both keep the
    busy proxy (2 Erlangs / 0.85 ≈ 2 agents, and at least 1), and the source says so."""
    _, cal = twelve_agents
    fit = cal.agents_fit
    assert np.all(_slots(fit.how, QUIET) == "no_abandons")
    assert np.all(_slots(fit.how, LATE) == "few_calls")
    for slots in (QUIET, LATE):
        assert np.array_equal(_slots(fit.agents, slots), _slots(fit.busy, slots))
    assert 1.5 < _slots(fit.busy, QUIET).mean() < 3.0
    assert np.all(_slots(fit.busy, LATE) >= 1.0)
    assert fit.count("no_abandons") == 10 and fit.count("few_calls") == 10
    assert fit.count("fit") == 100
    assert "10 without abandons" in cal.staffing_source
    assert f"10 with fewer than {FIT_MIN_CALLS} calls" in cal.staffing_source
    assert "occupancy 0.85" in cal.staffing_source
    report = cal.staffing_report()
    assert report["staffing_proxy"] == "fit" and report["staffing_intervals"] == 120
    assert report["staffing_intervals_busy_no_abandons"] == 10
    assert report["staffing_intervals_busy_few_calls"] == 10
    assert report["staffing_intervals_fit"] == 100
    assert report["staffing_fitted_agents_mean"] == pytest.approx(FIT_AGENTS, abs=0.3)
    assert report["staffing_busy_agents_mean"] == pytest.approx(11.4, abs=0.5)
    assert "# Staffing from Erlang A agents" in cal.toml


def test_cca_calibrate_reports_the_fit_proxy_per_interval(twelve_agents, tmp_path):
    store, _ = twelve_agents
    out = tmp_path / "fit.toml"
    args = ("calibrate", "--centre", "twelve", "--period", "2024-09-01..2024-10-26")
    rows = run_cca_json(*args, "--out", str(out), db=store.path)  # fit is the default
    (row,) = rows
    assert row["category"] == "all" and row["staffing_proxy"] == "fit"
    assert row["staffing_intervals_fit"] == 100
    assert row["staffing_intervals_busy_no_abandons"] == 10
    assert row["staffing_intervals_busy_few_calls"] == 10
    assert row["staffing_agent_hours_week"] > row["staffing_busy_agent_hours_week"]
    assert load_scenario(out).staffing.agents_by_weekday[1][30] in (11, 12, 13)
    table = run_cca(*args, "--out", str(out), "--staffing-proxy", "fit", db=store.path).stdout
    assert "staffing: fit, 120 open 30-minute intervals a week" in table
    assert "busy: no abandons" in table and "Erlang A on the observed abandonment" in table
    # the other proxies carry the same keys, the fit's left empty
    (busy,) = run_cca_json(*args, "--out", str(out), "--staffing-proxy", "busy", db=store.path)
    assert busy["staffing_proxy"] == "busy" and busy["staffing_intervals_fit"] is None


def test_the_cli_offers_the_proxies_calibration_knows():
    from cca.commands import calibrate as command

    assert command.STAFFING_PROXIES == STAFFING_PROXIES
    assert command.FIT_MIN_CALLS == FIT_MIN_CALLS
    assert command.PRIORITY_MODES == PRIORITY_MODES
