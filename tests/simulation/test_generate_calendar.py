"""What makes generated history look real: holidays closed, Ramadan's hours, bad days.

A manager scrolling a year of bahrain_lmra should find Ramadan's shorter days (the
Umm al-Qura month 9), Eid closed, the March day the e-services portal went down (calls
doubled, answer rate fell) and the June week with too few agents.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from support.cli import run_cca_json

from simulation.synthetic.history import WorkingClock, is_ramadan, month_scenario, plan_month
from simulation.synthetic.pack import load_pack


@pytest.fixture(scope="module")
def pack():
    return load_pack("bahrain_lmra")


def test_ramadan_1447_falls_in_february_and_march_2026():
    assert not is_ramadan(dt.date(2026, 2, 17))
    assert is_ramadan(dt.date(2026, 2, 18)) and is_ramadan(dt.date(2026, 3, 19))
    assert not is_ramadan(dt.date(2026, 3, 20))


def test_eid_is_closed_and_ramadan_days_have_their_own_hours(pack):
    days = {p.date: p for p in plan_month(pack, 2026, 3)}
    eid = [p for p in days.values() if p.holiday and "Fitr" in p.holiday]
    assert eid and not any(p.open for p in eid)
    assert days[dt.date(2026, 3, 2)].ramadan and days[dt.date(2026, 3, 2)].open
    scenario, _ = month_scenario(pack, 2026, 3)
    tl = scenario.timeline()
    n = scenario.intervals_per_day
    march_2 = tl.open[n : 2 * n]  # 2 March is a Monday in Ramadan: 09:00-15:00
    assert np.flatnonzero(march_2).tolist() == list(range(18, 30))


def test_month_start_peak_keeps_the_month_total(pack):
    scenario, _ = month_scenario(pack, 2026, 9)
    assert scenario.timeline().expected.sum() == pytest.approx(11_000, rel=1e-9)
    days = plan_month(pack, 2026, 9)
    assert [p.peak for p in days if p.open][:4] == [1.35, 1.25, 1.15, 1.0]


def test_incidents_scale_calls_and_agents_on_working_days(pack):
    june = [p for p in plan_month(pack, 2026, 6) if p.staffing_scale != 1.0]
    assert len(june) == 5 and all(p.open and p.staffing_scale == 0.6 for p in june)
    scenario, scheduled = month_scenario(pack, 2026, 6)
    available = np.asarray(scenario.staffing.per_interval)
    assert available.sum() < scheduled.sum()
    march = [p for p in plan_month(pack, 2026, 3) if p.incident]
    assert [p.date for p in march] == [dt.date(2026, 3, 10)]


def test_working_clock_agrees_with_the_business_calendar(pack):
    from analytics.calendars import BusinessCalendar

    centre = pack.centre()
    clock = WorkingClock(centre, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    calendar = BusinessCalendar(centre)
    start = dt.datetime(2026, 3, 19, 15, 30, tzinfo=centre.tz)  # Thursday before Eid
    for seconds in (60.0, 3600.0 * 5, 86400.0, 3 * calendar.full_day_s):
        want = calendar.add_working_seconds(start, seconds)
        got = clock.instant(clock.at(np.array([start.timestamp()])) + seconds)[0]
        assert got == pytest.approx(want.timestamp(), abs=1e-3)


@pytest.mark.slow
def test_the_outage_day_stands_out_in_the_daily_kpis(tmp_path, generated_months):
    db = generated_months.copy(tmp_path / "history.duckdb", "bahrain_lmra", "2026-03").path
    days = {
        r["interval_start"][:10]: r
        for r in run_cca_json(
            "kpi",
            "calls",
            "--centre",
            "bahrain_lmra",
            "--period",
            "2026-03",
            "--interval",
            "day",
            db=db,
        )  # fmt: skip
    }
    outage, before = days["2026-03-10"], days["2026-03-09"]
    assert outage["offered"] > 1.7 * before["offered"]
    assert outage["answer_rate"] < before["answer_rate"] - 0.15
    assert "2026-03-20" not in days  # Eid al-Fitr: closed
    ramadan = run_cca_json(
        "kpi", "calls", "--centre", "bahrain_lmra", "--period", "2026-03-02",
        "--interval", "60min", db=db,
    )  # fmt: skip
    assert {r["interval_start"][11:13] for r in ramadan} == {f"{h:02d}" for h in range(9, 15)}
