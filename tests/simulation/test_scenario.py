"""Scenarios from TOML: volumes, opening hours, staffing, and errors that name file and field."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import numpy as np
import pytest

from simulation.queue.distributions import Empirical, Exponential, LogNormal, distribution_from_toml
from simulation.queue.scenario import Scenario
from simulation.queue.scenario_file import (
    SCENARIO_DIR,
    load_scenario,
    scenario_from_dict,
    staffing_from_csv,
)


def example_dict():
    return tomllib.loads((SCENARIO_DIR / "example_small.toml").read_text())


def slot(scenario, day_index, hhmm):
    h, m = map(int, hhmm.split(":"))
    tl = scenario.timeline()
    return (
        tl.first_recorded
        + day_index * scenario.intervals_per_day
        + (h * 3600 + m * 60) // scenario.interval_s
    )


def test_example_scenario_loads_by_name_and_spreads_its_daily_volume():
    s = load_scenario("example_small")
    tl = s.timeline()
    per_day = tl.expected.sum(axis=1).reshape(s.days, -1).sum(axis=1)
    # Sun..Sat weights 1.3, 1.1, 1.0, 0.9, 0.7 (mean 1.0) of 400 calls; Fri and Sat closed
    assert np.allclose(per_day, [520, 440, 400, 360, 280, 0, 0])
    assert np.allclose(tl.expected.sum(axis=0) / tl.expected.sum(), [0.8, 0.15, 0.05])
    # the intraday profile: 09:30 weighs 1.5 and 15:30 weighs 0.5 on Sunday
    peak, late = tl.expected[slot(s, 0, "09:30")].sum(), tl.expected[slot(s, 0, "15:30")].sum()
    assert math.isclose(peak / late, 3.0)
    assert s.targets == ("sl_offered_12>=0.8", "abandon_rate<=0.05")


def test_shifts_add_up_per_interval_and_the_centre_is_closed_outside_its_hours():
    s = load_scenario("example_small")
    tl = s.timeline()
    assert tl.agents[slot(s, 0, "08:00")] == 5
    assert tl.agents[slot(s, 0, "09:30")] == 8
    assert tl.agents[slot(s, 4, "08:00")] == 4  # Thursday
    assert tl.agents[slot(s, 4, "09:00")] == 7
    assert not tl.open[slot(s, 0, "07:30")] and tl.open[slot(s, 0, "08:00")]
    assert not tl.open[slot(s, 4, "13:00")]  # Thursday closes at 13:00
    assert not tl.open[slot(s, 5, "10:00")]  # Friday
    assert tl.open_periods()[0] == (8 * 3600.0, 16 * 3600.0)


def test_a_monthly_volume_arrives_in_full_over_the_month():
    data = example_dict()
    data["volume"] = {
        "calls_per_month": 11000,
        "day_of_week": {"sun": 2, "mon": 1, "tue": 1, "wed": 1, "thu": 1},
    }
    data["days"] = 30
    s = scenario_from_dict(data)
    per_day = s.timeline().expected.sum(axis=1).reshape(30, -1).sum(axis=1)
    assert math.isclose(per_day.sum(), 11000)
    # September 2024 has 5 Sundays, 5 Mondays, 4 Tuesdays to Thursdays: 10 + 5 + 12 = 27 weights
    assert math.isclose(per_day[0], 11000 * 2 / 27)


def test_closed_dates_get_no_calls():
    import datetime as dt

    data = example_dict()
    data["closed_dates"] = [dt.date(2024, 9, 2)]
    tl = scenario_from_dict(data).timeline()
    assert tl.expected.reshape(7, 48, -1)[1].sum() == 0 and not tl.open.reshape(7, 48)[1].any()


def test_explicit_rates_per_category_by_weekday():
    rates = [0.0] * 16 + [10.0] * 16 + [0.0] * 16
    data = {
        "name": "rates",
        "opening_hours": {"mon": ["08:00-16:00"]},
        "categories": {
            "a": {
                "rates_by_weekday": {"mon": rates},
                "talk": {"dist": "exponential", "mean_s": 60},
                "patience": {"dist": "exponential", "mean_s": 60},
            },
            "b": {
                "rates_by_weekday": {"mon": [r / 2 for r in rates]},
                "talk": {"dist": "exponential", "mean_s": 60},
                "patience": {"dist": "exponential", "mean_s": 60},
            },
        },
        "staffing": {"agents": 3},
        "start": "2024-09-02",
        "days": 1,
    }
    tl = scenario_from_dict(data).timeline()
    assert tl.expected.sum(axis=0).tolist() == [160.0, 80.0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["categories"]["employer"].update(share=0.5), "shares add up to"),
        (
            lambda d: d["categories"]["worker"].update(talk={"dist": "gamma"}),
            "categories.worker.talk: dist must be",
        ),
        (
            lambda d: d["categories"]["worker"].update(talk={"dist": "lognormal", "mean_s": 100}),
            "categories.worker.talk",
        ),
        (lambda d: d["categories"]["vip"].pop("patience"), "categories.vip.patience: missing"),
        (lambda d: d["opening_hours"].update(sun=["08:15-16:00"]), "opening_hours.sun"),
        (lambda d: d["opening_hours"].update(sun=["08:00-25:00"]), "opening_hours.sun"),
        (
            lambda d: d["opening_hours"].update(sun=["06:00-16:00"]),
            "volume.intraday: no weight for 06:00",
        ),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d.update(colour="blue"), "unknown key 'colour'"),
        (lambda d: d.update(interval_s=7), "interval_s"),
        (lambda d: d["staffing"].update(agents=3), "staffing: give exactly one"),
        (lambda d: d["mix"].update(site={"riyadh": 0.5}), "mix.site"),
        (lambda d: d.update(targets=["sl_offered_12 is good"]), "targets"),
        (lambda d: d["volume"].update(calls_per_month=10), "volume: give one of"),
        (lambda d: d["volume"]["day_of_week"].pop("thu"), "volume.day_of_week: no weight for thu"),
        (
            lambda d: d["categories"]["worker"].update(share="half"),
            "categories.worker.share: input should be a valid number, not 'half'",
        ),
        (
            lambda d: d["staffing"].update(agents=2.5),
            "staffing.agents: input should be a valid integer",
        ),
        (
            lambda d: d.update(periods=[{"name": "eid", "from": "2024-09-05", "colour": 1}]),
            "periods.eid: unknown key 'colour'",
        ),
    ],
)
def test_a_bad_scenario_fails_with_an_error_naming_file_and_field(change, message):
    data = example_dict()
    change(data)
    with pytest.raises(ValueError, match="^example_small.toml: ") as info:
        scenario_from_dict(data, source="example_small.toml")
    assert message in str(info.value)


def test_a_bad_file_names_itself(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\n[categories.a]\nshare = 1\n')
    with pytest.raises(ValueError, match=f"^{path}: categories.a.talk: missing"):
        load_scenario(path)
    with pytest.raises(FileNotFoundError, match="known: .*example_small"):
        load_scenario("no_such_centre")


def test_staffing_csv_as_weekly_pattern_or_per_interval(tmp_path):
    s = load_scenario("example_small")
    weekly = tmp_path / "weekly.csv"
    weekly.write_text("weekday,time,agents\nsun,08:00,3\nsun,08:30,4.4\nmon,09:00,7\n")
    tl = s.with_changes(staffing=staffing_from_csv(weekly, s)).timeline()
    assert tl.agents[slot(s, 0, "08:00")] == 3 and tl.agents[slot(s, 0, "08:30")] == 4
    assert tl.agents[slot(s, 1, "09:00")] == 7 and tl.agents[slot(s, 1, "09:30")] == 0
    explicit = tmp_path / "explicit.csv"
    explicit.write_text(
        "interval_start,interval_s,agents_scheduled,agents_available\n"
        "2024-09-02 10:00,1800,9,8\n2024-09-02T07:30:00+00:00,1800,6,6\n"
    )
    tl = s.with_changes(staffing=staffing_from_csv(explicit, s)).timeline()
    assert tl.agents[slot(s, 1, "10:00")] == 8
    assert tl.agents[slot(s, 1, "10:30")] == 6  # 07:30 UTC is 10:30 in Riyadh
    bad = tmp_path / "bad.csv"
    bad.write_text("weekday,time,agents\nsun,08:00,many\n")
    with pytest.raises(ValueError, match="bad.csv, line 2, column agents"):
        staffing_from_csv(bad, s)


def test_the_quick_form_is_one_stationary_pool_open_around_the_clock():
    s = Scenario.stationary(100, 1800, 180, 120, 11, days=2)
    tl = s.timeline()
    recorded = tl.expected[tl.first_recorded :]
    assert tl.open.all() and np.allclose(recorded, 200.0)  # 100 per 30 min = 200 per hour
    assert math.isclose(s.categories[0].aht_s, 180) and s.warmup_s == 20 * 180
    assert s.centre().sl_thresholds_s == (12.0, 30.0)


def test_distributions_have_the_means_they_are_given():
    rng = np.random.default_rng(1)
    ln = distribution_from_toml({"dist": "lognormal", "mean_s": 180, "sd_s": 90})
    assert isinstance(ln, LogNormal) and math.isclose(ln.mean_s, 180) and math.isclose(ln.sd_s, 90)
    x = ln.sample(rng, 200_000)
    assert abs(x.mean() - 180) < 4 * 90 / math.sqrt(len(x))
    assert abs(x.std() - 90) < 2
    fit = distribution_from_toml({"dist": "lognormal", "mu": 5.0, "sigma": 0.5})
    assert math.isclose(fit.mean_s, math.exp(5.125))
    e = distribution_from_toml({"dist": "exponential", "mean_s": 120})
    assert isinstance(e, Exponential) and abs(e.sample(rng, 200_000).mean() - 120) < 4 * 120 / 447
    emp = Empirical((10.0, 20.0), (3.0, 1.0))
    assert math.isclose(emp.mean_s, 12.5)
    assert set(np.unique(emp.sample(rng, 1000))) == {10.0, 20.0}
    never = distribution_from_toml({"dist": "fixed", "value_s": float("inf")})
    assert np.isinf(never.sample(rng, 3)).all()
    with pytest.raises(ValueError, match="exponential does not take sd_s"):
        distribution_from_toml({"dist": "exponential", "mean_s": 1, "sd_s": 2})


def test_periods_change_hours_volume_and_staffing_on_their_dates():
    """A Ramadan week with shorter hours, fewer calls and a thinner roster, and a holiday."""
    data = example_dict()
    data["volume"] = {"calls_per_month": 9000}
    data["days"] = 30
    data["periods"] = [
        {
            "name": "ramadan",
            "from": "2024-09-08",
            "to": "2024-09-12",
            "opening_hours": {d: ["10:00-14:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
            "intraday": {
                "10:00": 1,
                "10:30": 1,
                "11:00": 1,
                "11:30": 1,
                "12:00": 3,
                "12:30": 3,
                "13:00": 3,
                "13:30": 3,
            },
            "volume_scale": 0.5,
            "staffing_scale": 0.5,
        },
        {"name": "holiday", "from": "2024-09-15", "to": "2024-09-15", "closed": True},
    ]
    s = scenario_from_dict(data)
    tl = s.timeline()
    per_day = tl.expected.sum(axis=1).reshape(30, -1).sum(axis=1)
    # 21 open days in September after the holiday; each weighs 1, Ramadan's 5 weigh half
    usual = 9000 / 21
    assert math.isclose(per_day[0], usual) and per_day[14] == 0
    assert math.isclose(per_day[7], usual / 2)
    assert math.isclose(per_day.sum(), 9000 - 5 * usual / 2)
    assert not tl.open[slot(s, 7, "09:30")] and tl.open[slot(s, 7, "10:00")]
    assert not tl.open[slot(s, 7, "14:00")] and tl.open[slot(s, 3, "15:00")]
    ramadan = tl.expected[slot(s, 7, "10:00") : slot(s, 7, "14:00")].sum(axis=1)
    assert math.isclose(ramadan[4] / ramadan[0], 3.0)
    assert tl.agents[slot(s, 7, "10:00")] == 4  # 8 agents, halved
    assert tl.agents[slot(s, 0, "10:00")] == 8
    assert dt.date(2024, 9, 15) in s.centre().extra_closures


def test_a_period_with_hours_its_intraday_profile_does_not_cover_is_refused():
    data = example_dict()
    data["periods"] = [
        {
            "name": "late",
            "from": "2024-09-01",
            "to": "2024-09-02",
            "opening_hours": {"sun": ["16:00-18:00"]},
        },
    ]
    with pytest.raises(
        ValueError, match="volume.intraday: no weight for 16:00, open on sun in late"
    ):
        scenario_from_dict(data, source="x.toml")


def test_month_start_peaks_keep_the_monthly_total():
    data = example_dict()
    data["volume"] = {"calls_per_month": 10000, "day_of_month": {"1": 2.0, "2": 1.5}}
    data["days"] = 30
    s = scenario_from_dict(data)
    per_day = s.timeline().expected.sum(axis=1).reshape(30, -1).sum(axis=1)
    assert math.isclose(per_day.sum(), 10000)
    # 1 and 2 September 2024 are Sunday and Monday, both open; the 20 other open days weigh 1
    assert math.isclose(per_day[0], 10000 * 2.0 / 23.5)
    assert math.isclose(per_day[1] / per_day[2], 1.5)
    data["volume"]["day_of_month"] = {"32": 1.0}
    with pytest.raises(ValueError, match="volume.day_of_month.32"):
        scenario_from_dict(data)
