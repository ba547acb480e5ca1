"""Profiles and volumes straight from the rollup: ``call_kpis`` folded onto weekday × half
hour or the half hours of a day, and without the percentile — against the exports' folded
calls and the full query."""

from __future__ import annotations

import pytest
from support.kpi import assert_same

from analytics.exports.report import folded_profile
from analytics.kpi import call_kpis
from analytics.periods import parse_period

SEPT = parse_period("2026-09")


@pytest.mark.parametrize("use_rollup", [True, False])
def test_the_daily_profile_equals_the_folded_intraday_profile(con, centre, use_rollup):
    daily = call_kpis(
        con,
        centre,
        period=SEPT,
        interval="daily-30min",
        filters={"category": ["employer"]},
        use_rollup=use_rollup,
    )
    folded = folded_profile(
        con, centre, SEPT, profile="intraday", filters={"category": ["employer"]}
    )
    assert [f"{r['interval_start']:%H:%M}" for r in daily] == [r["slot"] for r in folded]
    for mine, theirs in zip(daily, folded, strict=True):
        keys = [k for k in theirs if k in mine and k != "interval_start"]
        assert_same([{k: mine[k] for k in keys}], [{k: theirs[k] for k in keys}])


def test_weekly_profile_rows_fall_in_the_reference_week_from_sunday(con, centre):
    rows = call_kpis(con, centre, period=SEPT, interval="weekly-60min")
    days = {r["interval_start"].date().isoformat() for r in rows}
    assert days <= {f"1970-01-{d:02d}" for d in range(4, 11)}
    assert {r["interval_start"].isoweekday() for r in rows} == {7, 1, 2, 3, 4}  # Sun-Thu
    assert sum(r["offered"] for r in rows) == call_kpis(con, centre, period=SEPT)[0]["offered"]


def test_without_the_percentile_every_other_kpi_is_the_same(con, centre):
    for kwargs in ({}, {"by": ("category",), "interval": "week"}, {"use_rollup": False}):
        full = call_kpis(con, centre, period=SEPT, **kwargs)
        quick = call_kpis(con, centre, period=SEPT, percentile=False, **kwargs)
        assert all(r["p90_wait_s"] is None for r in quick)
        assert [{**r, "p90_wait_s": None} for r in full] == quick


def test_profiles_are_for_calls_only(con, centre):
    from analytics.kpi import ticket_kpis

    with pytest.raises(ValueError, match="weekly-30min"):
        ticket_kpis(con, centre, period=SEPT, interval="weekly-30min")
