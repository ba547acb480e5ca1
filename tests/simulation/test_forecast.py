"""Forecasts of offered calls: a centre whose true arrival rate we wrote ourselves.

Calls are drawn as Poisson counts from a known rate per day and half hour (working days
with a morning peak, a quiet half-day, a closed day; a Ramadan with its own evening
curve and fewer calls; public holidays), stored as real call records in a real DuckDB
file, and forecast through the KPI layer. The forecast must find the rate again within
the noise the counts carry, apply last year's Ramadan to this year's, forecast holidays
as holidays, and its 80% intervals must hold about 80% of futures drawn from the rate.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
from support.cli import run_cca, run_cca_json
from support.kpi import insert_call_frame

from analytics.call_log import rebuild_rollups, save_centre
from analytics.centres import Centre
from analytics.periods import parse_period
from analytics.store import Store
from simulation.forecasting import forecast as fc
from simulation.forecasting.accuracy import poisson_mad
from simulation.forecasting.day_types import DayCalendar, DayType
from simulation.forecasting.intervals import prediction_bounds
from simulation.forecasting.methods import _Season, forecast_matrix
from simulation.forecasting.saved import saved_forecast

SLOTS = 48


def morning_curve() -> np.ndarray:
    """Share of a working day's calls per half hour: 08:00–16:00, peak at 10:30."""
    x = np.arange(SLOTS) / 2
    curve = np.where((x >= 8) & (x < 16), 0.4 + np.exp(-(((x - 10.5) / 2.0) ** 2)), 0.0)
    return curve / curve.sum()


def evening_curve() -> np.ndarray:
    """Ramadan: 10:00–15:00 and 20:00–24:00, most calls after iftar."""
    x = np.arange(SLOTS) / 2
    curve = np.where((x >= 10) & (x < 15), 0.5, 0.0) + np.where(x >= 20, 1.5, 0.0)
    return curve / curve.sum()


def true_rate(day: dt.date, calendar: DayCalendar, daily: float = 600.0) -> np.ndarray:
    """Calls per half hour the synthetic centre expects on ``day``."""
    kind = calendar.day_type(day)
    weekday = {5: 0.0, 6: 0.35}.get(day.isoweekday(), 1.0)  # Friday closed, Saturday quiet
    weekday *= 1.15 if day.isoweekday() == 7 else 1.0  # Sunday, the week's first day
    if kind.kind in ("holiday", "eid"):
        return np.zeros(SLOTS)
    if kind.kind == "ramadan":
        return daily * weekday * 0.7 * evening_curve()
    return daily * weekday * morning_curve()


def store_synthetic(store: Store, centre: Centre, first: dt.date, last: dt.date, seed: int):
    """Poisson calls from ``true_rate`` for the days ``first``..``last``."""
    rng = np.random.default_rng(seed)
    calendar = DayCalendar(centre)
    arrivals = []
    day = first
    while day <= last:
        counts = rng.poisson(true_rate(day, calendar))
        midnight = pd.Timestamp(day)
        for slot in np.flatnonzero(counts):
            offsets = rng.uniform(0, 1800, counts[slot])
            arrivals.extend(midnight + pd.to_timedelta(slot * 1800 + offsets, unit="s"))
        day += dt.timedelta(days=1)
    local = pd.DatetimeIndex(arrivals).tz_localize(centre.timezone)
    frame = pd.DataFrame(
        {
            "call_id": [f"c{i}" for i in range(len(local))],
            "arrived_at": local,
            "outcome": "answered",
            "wait_s": 5.0,
            "talk_s": 180.0,
            "category": np.where(rng.random(len(local)) < 0.8, "employer", "worker"),
        }
    )
    with store.writer() as con:
        save_centre(con, centre)
        insert_call_frame(con, centre.centre_id, frame)
        rebuild_rollups(con)


def gulf_centre(country: str | None = None) -> Centre:
    return Centre(
        centre_id="synthetic",
        timezone="Asia/Riyadh",
        weekend=(5, 6),
        holiday_country=country,
    )


def synthetic_history(directory, centre: Centre, first: dt.date, last: dt.date, seed: int):
    """A store in ``directory`` holding ``store_synthetic``'s calls, and its centre."""
    store = Store(directory / "history.duckdb")
    store_synthetic(store, centre, first, last, seed)
    return store, centre


@pytest.fixture(scope="module")
def eight_weeks(tmp_path_factory):
    """Eight weeks of a centre without holidays or Ramadan (2025-06-01..07-26)."""
    return synthetic_history(
        tmp_path_factory.mktemp("forecast"),
        gulf_centre(),
        dt.date(2025, 6, 1),
        dt.date(2025, 7, 26),
        seed=1,
    )


def _week_ahead(eight_weeks):
    """The forecast of the week after the eight, and the true rates it estimates."""
    store, centre = eight_weeks
    with store.reader() as con:
        result = fc.forecast(con, centre, horizon_days=7)
    calendar = DayCalendar(centre)
    days = [dt.date(2025, 7, 27) + dt.timedelta(days=i) for i in range(7)]
    return result, np.concatenate([true_rate(d, calendar) for d in days])


def test_a_known_rate_is_recovered_within_the_noise_of_its_counts(eight_weeks):
    result, truth = _week_ahead(eight_weeks)
    mean = result.frame["offered"].to_numpy()
    assert result.train == parse_period("2025-06-01..2025-07-26")
    assert len(mean) == 7 * SLOTS and str(result.frame["interval_start"][0]) == (
        "2025-07-27 00:00:00+03:00"
    )
    # the week's total: 8 weeks of ~3,200 calls know it to ~1%; the level is smoothed over
    # fewer days, so allow four times that
    assert abs(mean.sum() / truth.sum() - 1) < 0.04
    # per half hour: 40 working days pool ~700 calls per busy half hour (±4%)
    busy = truth > 10
    assert np.median(np.abs(mean[busy] / truth[busy] - 1)) < 0.06
    assert mean[truth == 0].sum() < 0.01 * mean.sum()  # closed Friday and nights stay ~0
    # against Poisson draws from the truth the forecast's WAPE is near the noise floor
    rng = np.random.default_rng(5)
    actual = rng.poisson(truth, size=(50, len(truth)))
    wape = np.abs(actual - mean).sum() / actual.sum()
    floor = fc.poisson_floor_of(truth)
    assert floor < wape < floor * 1.15


def test_a_declining_trend_is_forecast_with_the_trend_within_its_noise():
    """Eight weeks of calls falling 3% of the first week's level a week: the next week
    is forecast on the line, not at the eight weeks' mean (18% too high) nor at the last
    week's level. (Over seeds 0–19 the week's error was −4.1%…+3.5%.)"""
    centre = gulf_centre()
    calendar = DayCalendar(centre)
    first = dt.date(2025, 6, 1)
    decline = np.array([1 - 0.03 * i / 7 for i in range(63)])
    rates = np.array(
        [true_rate(first + dt.timedelta(days=i), calendar) * decline[i] for i in range(63)]
    )
    y = np.random.default_rng(2).poisson(rates[:56]).astype(float)
    types = calendar.day_types(first, 63)
    mean = forecast_matrix(y, types[:56], 56, types[56:], centre)
    truth, last_week = rates[56:].sum(), rates[49:56].sum()
    assert abs(mean.sum() / truth - 1) < 0.05
    assert mean.sum() < last_week
    assert rates[:56].sum() / 8 > 1.15 * truth  # what a flat level would say


def test_weekdays_with_their_own_curve_get_it_and_a_spike_does_not_move_it():
    """Monday and Wednesday take their calls later than the other working days (the
    bank's afternoons); one Sunday has an evening hour with five times its calls. The
    training days group the weekdays by curve, and the spike is clipped away."""
    centre = gulf_centre()
    calendar = DayCalendar(centre)
    first = dt.date(2025, 6, 1)  # a Sunday
    x = np.arange(SLOTS) / 2
    late = np.where((x >= 8) & (x < 16), 0.4 + np.exp(-(((x - 14.0) / 2.0) ** 2)), 0.0)
    late /= late.sum()
    rates = []
    for i in range(28):
        day = first + dt.timedelta(days=i)
        rate = true_rate(day, calendar)
        if day.isoweekday() in (1, 3):
            rate = rate.sum() * late
        rates.append(rate)
    rates = np.array(rates)
    y = np.random.default_rng(4).poisson(rates).astype(float)
    y[7, 30] += 5 * rates[7, 30] + 100  # Sunday 15:00: a burst nobody will see again
    types = calendar.day_types(first, 28)
    train = np.ones(28, dtype=bool)
    season = _Season(y, types, train, centre)
    assert sorted(season.groups) == [(1, 3), (2, 4, 7)]
    ahead = calendar.day_types(first + dt.timedelta(days=28), 7)
    mean = forecast_matrix(y, types, 28, ahead, centre)
    truth = np.array([rates[i % 7] for i in range(7)])  # the same weekdays, four weeks on
    busy = truth > 10
    assert np.median(np.abs(mean[busy] / truth[busy] - 1)) < 0.08
    assert mean[0, 30] < 1.15 * truth[0, 30]  # Sunday 15:00 is an ordinary half hour


def test_prediction_intervals_hold_about_80_percent_of_a_simulated_future(eight_weeks):
    result, truth = _week_ahead(eight_weeks)
    low = result.frame["offered_low"].to_numpy()
    high = result.frame["offered_high"].to_numpy()
    assert (low <= result.frame["offered"]).all() and (result.frame["offered"] <= high).all()
    futures = np.random.default_rng(11).poisson(truth, size=(400, len(truth)))
    open_ = truth > 0
    inside = (futures >= low) & (futures <= high)
    coverage = inside[:, open_].mean()
    assert 0.75 <= coverage <= 0.88, coverage


def test_mid_p_bounds_cover_80_percent_of_poisson_counts():
    """Busy intervals: about 80%. Quiet ones: whole counts cannot split a count's mass,
    so the bounds hold at least 80% (0 calls is always inside)."""
    for rate, lo, hi in ((0.8, 0.8, 1.0), (3.0, 0.8, 0.95), (12.0, 0.74, 0.88), (60.0, 0.76, 0.84)):
        low, high = prediction_bounds(np.array([rate]), 0.0)
        draws = np.random.default_rng(3).poisson(rate, 200_000)
        covered = ((draws >= low[0]) & (draws <= high[0])).mean()
        assert lo <= covered <= hi, (rate, covered)


def test_poisson_mean_absolute_deviation_has_its_closed_form():
    from scipy import stats

    for lam in (0.5, 3.0, 17.2, 80.0):
        k = np.arange(0, int(lam * 4 + 40))
        exact = float((np.abs(k - lam) * stats.poisson.pmf(k, lam)).sum())
        assert poisson_mad(np.array([lam]))[0] == pytest.approx(exact, rel=1e-9)


@pytest.fixture(scope="module")
def ramadan_year(tmp_path_factory):
    """A year of history holding Ramadan 1446 (2025-03-01..03-29), up to 2026-02-10."""
    return synthetic_history(
        tmp_path_factory.mktemp("forecast"),
        gulf_centre(),
        dt.date(2025, 1, 20),
        dt.date(2026, 2, 10),
        seed=2,
    )


@pytest.mark.slow
def test_last_ramadans_curve_and_volume_are_applied_to_this_ramadan(ramadan_year):
    store, centre = ramadan_year
    with store.reader() as con:
        result = fc.forecast(
            con, centre, train=parse_period("2025-12-16..2026-02-10"), horizon_days=14
        )
    frame = result.frame.assign(day=[t.date() for t in result.frame["interval_start"]])
    calendar = DayCalendar(centre)
    # Ramadan 1447 starts on 2026-02-18 (Umm al-Qura)
    assert calendar.day_type(dt.date(2026, 2, 18)) == DayType("ramadan", 3, 1)
    assert calendar.day_type(dt.date(2026, 2, 17)).kind == "regular"
    evening = np.arange(SLOTS) >= 40
    for day in (dt.date(2026, 2, 18), dt.date(2026, 2, 22), dt.date(2026, 2, 23)):
        mean = frame.loc[frame["day"] == day, "offered"].to_numpy()
        truth = true_rate(day, calendar)
        assert mean[evening].sum() / mean.sum() == pytest.approx(
            truth[evening].sum() / truth.sum(), abs=0.06
        )
        assert mean.sum() == pytest.approx(truth.sum(), rel=0.12)
    before = frame.loc[frame["day"] == dt.date(2026, 2, 16), "offered"].to_numpy()
    assert before[evening].sum() < 0.01 * before.sum()  # a regular Monday: no evening
    assert before.sum() == pytest.approx(600, rel=0.08)


@pytest.fixture(scope="module")
def saudi_summer(tmp_path_factory):
    """A Saudi centre (SA holidays) from 2025-07-01 to 2025-09-20: no holiday inside."""
    return synthetic_history(
        tmp_path_factory.mktemp("forecast"),
        gulf_centre("SA"),
        dt.date(2025, 7, 1),
        dt.date(2025, 9, 20),
        seed=3,
    )


def test_holidays_are_forecast_as_holidays_and_overrides_move_them(saudi_summer):
    store, centre = saudi_summer
    national_day = dt.date(2025, 9, 23)  # a Tuesday
    calendar = DayCalendar(centre)
    assert calendar.day_type(national_day).kind == "holiday"
    assert calendar.day_type(national_day - dt.timedelta(days=1)).kind == "pre_holiday"
    with store.reader() as con:
        plain = fc.forecast(con, centre, horizon_days=7, interval="day")
        moved = fc.forecast(
            con,
            centre,
            horizon_days=7,
            interval="day",
            extra_holidays={dt.date(2025, 9, 24): "moved by the moon"},
            removed_holidays=frozenset({national_day}),
        )
    by_day = dict(
        zip([t.date() for t in plain.frame["interval_start"]], plain.frame["offered"], strict=True)
    )
    assert by_day[national_day] == 0
    assert by_day[dt.date(2025, 9, 21)] == pytest.approx(690, rel=0.08)  # a Sunday
    assert by_day[dt.date(2025, 9, 24)] == pytest.approx(600, rel=0.08)
    assert by_day[dt.date(2025, 9, 22)] == pytest.approx(600, rel=0.08)
    moved_by_day = dict(
        zip([t.date() for t in moved.frame["interval_start"]], moved.frame["offered"], strict=True)
    )
    assert moved_by_day[national_day] == pytest.approx(600, rel=0.08)
    assert moved_by_day[dt.date(2025, 9, 24)] == 0


def test_a_holiday_seen_in_the_history_keeps_its_learnt_volume():
    """A centre that takes 30% of a normal day's calls on holidays: the ratio to the
    same weekday around it is learnt, not assumed closed."""
    centre = gulf_centre()
    first = dt.date(2025, 1, 5)
    days = 14 * 7
    holidays = {first + dt.timedelta(days=d) for d in (30, 58, 80)}
    calendar = DayCalendar(centre, {d: "holiday" for d in holidays})
    y = np.array(
        [
            (0.3 if d in holidays else 1.0) * np.full(SLOTS, 10.0)
            for d in (first + dt.timedelta(days=i) for i in range(days))
        ]
    )
    types = calendar.day_types(first, days)
    ahead = [DayType("holiday", 2), DayType("regular", 2)]
    mean = forecast_matrix(y, types, 56, ahead, centre)
    assert mean[0].sum() == pytest.approx(0.3 * mean[1].sum(), rel=1e-6)


def test_intraday_reforecast_scales_the_rest_of_today(eight_weeks):
    store, centre = eight_weeks
    with store.reader() as con:
        result = fc.forecast(con, centre, horizon_days=1)
    frame = result.frame
    as_of = dt.datetime(2025, 7, 27, 12, 0, tzinfo=centre.tz)
    morning = frame[frame["interval_start"] < pd.Timestamp(as_of)]
    busy = pd.DataFrame(
        {"interval_start": morning["interval_start"], "count": morning["offered"] * 1.5}
    )
    again = fc.reforecast_today(frame, busy, as_of, prior_calls=0.0)
    later = frame["interval_start"] >= pd.Timestamp(as_of)
    assert again.attrs["scale"] == pytest.approx(1.5)
    assert np.allclose(again.loc[later, "offered"], frame.loc[later, "offered"] * 1.5)
    assert np.allclose(again.loc[~later, "offered"], busy["count"])


def test_backtests_report_wape_mape_and_the_poisson_floor(eight_weeks):
    store, centre = eight_weeks
    with store.reader() as con:
        rows = fc.backtest_forecasts(
            con, centre, train_days=28, folds=2, methods=("profile", "ets")
        )
    pooled = {r["method"]: r for r in rows if r["fold"] == "all"}
    assert set(pooled) == {"profile", "ets", "seasonal_naive"}
    assert [r["test"] for r in rows if r["method"] == "profile"] == [
        "2025-07-13..2025-07-19",
        "2025-07-20..2025-07-26",
        "",
    ]
    floor = pooled["profile"]["poisson_floor"]
    # the profile of a stationary centre is close to the floor; a week-old copy is not
    assert floor < pooled["profile"]["wape"] < 1.2 * floor
    assert pooled["seasonal_naive"]["wape"] > 1.2 * floor  # about √2 × floor
    assert pooled["profile"]["mape"] > 0


def test_cca_forecast_prints_json_rows_saves_them_and_names_bad_input(eight_weeks):
    store, centre = eight_weeks
    args = ["forecast", "--centre", "synthetic", "--horizon", "2d", "--by", "category"]
    rows = json.loads(run_cca(*args, "--format", "json", db=store.path).stdout)
    assert set(rows[0]) == {"interval_start", "category", "offered", "offered_low", "offered_high"}
    assert len(rows) == 2 * SLOTS * 2
    employer = sum(r["offered"] for r in rows if r["category"] == "employer")
    assert employer / sum(r["offered"] for r in rows) == pytest.approx(0.8, abs=0.02)
    saved = run_cca("forecast", "--centre", "synthetic", "--horizon", "7d", "--save", db=store.path)
    assert "saved as forecast run" in saved.stderr
    with store.reader() as con:
        frame = saved_forecast(con, centre, dt.date(2025, 7, 27), dt.date(2025, 8, 2))
        n_runs = con.execute("SELECT count(*) FROM forecast_runs").fetchone()[0]
    assert n_runs == 1 and len(frame) == 7 * SLOTS
    assert frame.attrs["method"] == "profile"
    bad = run_cca(
        "forecast", "--centre", "synthetic", "--horizon", "soon", db=store.path, check=False
    )
    assert bad.returncode == 2 and "--horizon" in bad.stderr and "soon" in bad.stderr
    bad = run_cca("forecast", "--centre", "nowhere", db=store.path, check=False)
    assert bad.returncode == 2 and "nowhere" in bad.stderr


def test_cca_help_names_forecast_and_roster_and_each_has_help():
    top = run_cca("--help").stdout
    assert "forecast" in top and "roster" in top
    assert "--backtest" in run_cca("forecast", "--help").stdout
    assert "--break-window" in run_cca("roster", "--help").stdout
    assert "--forecast" in run_cca("staff", "--help").stdout


def test_cca_staff_staffs_a_saved_forecast_interval_by_interval(seed_store, tmp_path):
    """`cca forecast --save` on bahrain_lmra's generated September, then `cca staff
    --forecast`: one row per open half hour of the forecast's week, each with the
    forecast's calls; a day verified by simulation from --from; bad runs named."""
    db = tmp_path / "seed.duckdb"
    seed_store.backup(db)
    saved = run_cca(
        "forecast",
        "--centre",
        "bahrain_lmra",
        "--train",
        "2026-09-06..2026-09-26",
        "--horizon",
        "7d",
        "--save",
        "--format",
        "json",
        db=db,
    )
    run_id = re.search(r"forecast run (\d+)", saved.stderr).group(1)
    forecast = {pd.Timestamp(r["interval_start"]): r["offered"] for r in json.loads(saved.stdout)}
    plan = run_cca(
        "staff", "--centre", "bahrain_lmra", "--forecast", run_id, "--no-verify",
        "--format", "json", db=db,
    )  # fmt: skip
    rows = json.loads(plan.stdout)
    assert f"forecast run {run_id}" in plan.stderr and "2026-09-27..2026-10-03" in plan.stderr
    starts = [pd.Timestamp(r["interval_start"]) for r in rows]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert {s.date() for s in starts} <= {
        dt.date(2026, 9, 27) + dt.timedelta(days=i) for i in range(7)
    }
    for start, row in zip(starts, rows, strict=True):
        assert row["calls"] == pytest.approx(forecast[start], abs=1e-3)
        assert row["agents"] == row["erlang_agents"] >= 1
    # the calibrated opening hours hold the forecast's calls: none is left out
    assert sum(r["calls"] for r in rows) == pytest.approx(sum(forecast.values()), abs=0.5)
    verified = run_cca_json(
        "staff", "--centre", "bahrain_lmra", "--forecast", "--from", "2026-09-28",
        "--days", "1", "--replications", "2", "--max-replications", "2", db=db,
    )  # fmt: skip
    assert {pd.Timestamp(r["interval_start"]).date() for r in verified} == {dt.date(2026, 9, 28)}
    assert all(
        r["calls"] == pytest.approx(forecast[pd.Timestamp(r["interval_start"])], abs=1e-3)
        for r in verified
    )
    bad = run_cca("staff", "--centre", "bahrain_lmra", "--forecast", "99", db=db, check=False)
    assert bad.returncode == 2 and "forecast run 99" in bad.stderr
    bad = run_cca(
        "staff", "--centre", "bahrain_lmra", "--forecast", "--days", "9", db=db, check=False
    )
    assert bad.returncode == 2 and "--days 9" in bad.stderr


def test_the_alerts_projection_reads_todays_saved_forecast(seed_store, tmp_path):
    """With a saved forecast of today, `sl_projection` projects the rest of the day from
    it: the remaining calls are the forecast's remaining intervals scaled by today's calls
    so far against the forecast's so far, (actual + 30) / (forecast + 30)."""
    import dataclasses

    from analytics.appstate import AppState
    from analytics.centres import get_centre
    from simulation.operations.alerts.evaluate import CentreEvaluator
    from simulation.operations.alerts.state import rules_of
    from simulation.operations.alerts.watcher import ensure_rules

    db = tmp_path / "seed.duckdb"
    seed_store.backup(db)
    store, state = Store(db), AppState.beside(db)
    as_of = dt.datetime(2026, 9, 29, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))

    def projection() -> dict:
        with store.reader() as con:
            centre = get_centre(con, "bahrain_lmra")
            ensure_rules(state, [centre])
            [rule] = [r for r in rules_of(state, ["bahrain_lmra"]) if r.kind == "sl_projection"]
            always = dataclasses.replace(rule, params={**rule.params, "target": 0.9999})
            [alert] = CentreEvaluator(con, centre).evaluate(always, as_of)
        return alert

    before = projection()
    assert before["forecast_run"] is None  # the same weekdays' profile
    saved = run_cca(
        "forecast", "--centre", "bahrain_lmra", "--train", "2026-09-01..2026-09-28",
        "--horizon", "3d", "--save", "--format", "json", db=db,
    )  # fmt: skip
    run_id = int(re.search(r"forecast run (\d+)", saved.stderr).group(1))
    after = projection()
    assert after["forecast_run"] == run_id
    rows = [r for r in json.loads(saved.stdout) if r["interval_start"].startswith("2026-09-29")]
    starts = [pd.Timestamp(r["interval_start"]) for r in rows]
    so_far = sum(
        r["offered"] * min(max((as_of - s).total_seconds() / 1800, 0.0), 1.0)
        for r, s in zip(rows, starts, strict=True)
    )
    assert after["volume_scale"] == pytest.approx(
        (after["calls_so_far"] + 30) / (so_far + 30), rel=1e-6
    )
    with store.reader() as con:
        staffed = con.execute(
            "SELECT DISTINCT interval_start FROM staffing WHERE centre_id = 'bahrain_lmra' "
            "AND interval_start >= ? AND interval_start < ?",
            [as_of, dt.datetime(2026, 9, 30, tzinfo=as_of.tzinfo)],
        ).fetchall()
    later = {pd.Timestamp(t) for (t,) in staffed}
    rest = sum(r["offered"] for r, s in zip(rows, starts, strict=True) if s in later)
    assert after["calls_rest"] == pytest.approx(rest * after["volume_scale"], rel=1e-6)
