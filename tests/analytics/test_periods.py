"""Periods as managers name them: Gregorian months, date ranges and Hijri months.

Hijri dates are held against published Umm al-Qura facts: Ramadan 1445 ran from
2024-03-11 to 2024-04-09, Eid al-Fitr (1 Shawwal 1445) was Wednesday 2024-04-10 and
Eid al-Adha (10 Dhu al-Hijjah 1445) was Sunday 2024-06-16.
"""

import datetime as dt
import zoneinfo

import pytest

from analytics.periods import (
    Period,
    hijri_label,
    hijri_month_bounds,
    interval_start,
    interval_starts,
    parse_period,
)


def test_a_gregorian_month_covers_its_days_both_ends_included():
    assert parse_period("2024-09") == Period(dt.date(2024, 9, 1), dt.date(2024, 9, 30), "2024-09")
    assert parse_period("2024-02").end == dt.date(2024, 2, 29)  # leap year
    assert parse_period("2024-12").end == dt.date(2024, 12, 31)
    assert parse_period("2024-09").days == 30


def test_a_date_range_includes_both_days():
    p = parse_period("2024-09-01..2024-09-15")
    assert (p.start, p.end, p.days) == (dt.date(2024, 9, 1), dt.date(2024, 9, 15), 15)
    assert parse_period("2024-09-03").days == 1


def test_ramadan_1445_is_the_hijri_month_1445_09H():
    p = parse_period("1445-09H")
    assert (p.start, p.end, p.label) == (dt.date(2024, 3, 11), dt.date(2024, 4, 9), "1445-09H")
    assert hijri_month_bounds(1445, 10)[0] == dt.date(2024, 4, 10)  # Eid al-Fitr
    assert hijri_month_bounds(1445, 12)[0] + dt.timedelta(days=9) == dt.date(2024, 6, 16)
    assert hijri_label(dt.date(2024, 3, 10)) == "1445-08H"
    assert hijri_label(dt.date(2024, 4, 9)) == "1445-09H"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("2024-13", "month 13"),
        ("September", "not understood"),
        ("2024-09-31..2024-10-01", "not a date"),
        ("2024-09-30..2024-09-01", "before the start"),
        ("1445-13H", "1..12"),
        ("", "not understood"),
    ],
)
def test_bad_periods_are_refused_with_the_text_and_the_accepted_forms(text, fragment):
    with pytest.raises(ValueError) as err:
        parse_period(text)
    assert fragment in str(err.value)
    assert repr(text) in str(err.value)


def test_period_bounds_are_local_midnights():
    start, end = parse_period("2024-09").bounds("Asia/Riyadh")  # UTC+3, no DST
    assert start.astimezone(dt.UTC) == dt.datetime(2024, 8, 31, 21, tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == dt.datetime(2024, 9, 30, 21, tzinfo=dt.UTC)
    assert start.tzinfo == zoneinfo.ZoneInfo("Asia/Riyadh")


def test_weeks_start_on_sunday():
    saturday = dt.datetime(2024, 9, 7, 15, 20)
    sunday = dt.datetime(2024, 9, 8, 0, 0)
    assert interval_start(saturday, "week") == dt.datetime(2024, 9, 1)
    assert interval_start(sunday, "week") == sunday
    assert interval_start(saturday, "15min") == dt.datetime(2024, 9, 7, 15, 15)
    assert interval_start(saturday, "hijri-month") == dt.datetime(2024, 9, 4)  # 1446-03


def test_interval_starts_cover_the_period():
    starts = list(interval_starts(dt.date(2024, 3, 1), dt.date(2024, 4, 30), "hijri-month"))
    assert starts[1:] == [dt.datetime(2024, 3, 11), dt.datetime(2024, 4, 10)]
    assert starts[0] <= dt.datetime(2024, 3, 1)
    assert len(list(interval_starts(dt.date(2024, 9, 1), dt.date(2024, 9, 1), "30min"))) == 48


def test_a_run_of_months_covers_the_first_to_the_last_day():
    year = parse_period("2024-01..2024-12")
    assert (year.start, year.end, year.days) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31), 366)
    ramadan_to_shawwal = parse_period("1445-09H..1445-10H")
    assert ramadan_to_shawwal.start == parse_period("1445-09H").start
    assert ramadan_to_shawwal.end == parse_period("1445-10H").end
    with pytest.raises(ValueError, match="before the start"):
        parse_period("2024-05..2024-03")


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", dt.date(2026, 12, 3), dt.date(2026, 12, 3)),
        ("yesterday", dt.date(2026, 12, 2), dt.date(2026, 12, 2)),
        ("this-week", dt.date(2026, 11, 29), dt.date(2026, 12, 3)),  # Sunday to Thursday
        ("this-month", dt.date(2026, 12, 1), dt.date(2026, 12, 3)),
        ("last-month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ],
)
def test_relative_periods_are_read_from_the_local_date(name, start, end):
    period = parse_period(name, dt.date(2026, 12, 3))  # a Thursday
    assert (period.start, period.end, period.label) == (start, end, name)


def test_a_relative_period_needs_the_local_date():
    with pytest.raises(ValueError, match="needs the local date"):
        parse_period("today")


def test_last_month_in_january_is_december_of_the_year_before():
    period = parse_period("last-month", dt.date(2027, 1, 15))
    assert (period.start, period.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


# ---------------------------------------------------------------- comparison periods


@pytest.mark.parametrize(
    "period, today, previous, year_before",
    [
        # this-month on 10 March 2026: 1-10 March against 1-10 February, 1-10 March 2025
        ("this-month", "2026-03-10", ("2026-02-01", "2026-02-10"), ("2025-03-01", "2025-03-10")),
        # on the month's last day it is the whole month: February 2026, March 2025
        ("this-month", "2026-03-31", ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-31")),
        # 30 days of March: February has 28 (2026) — all of it, not 1 February + 2 March
        ("this-month", "2026-03-30", ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-30")),
        # a leap February's 29 days against 1-28 February 2023
        ("this-month", "2024-02-29", ("2024-01-01", "2024-01-31"), ("2023-02-01", "2023-02-28")),
        ("this-month", "2026-01-05", ("2025-12-01", "2025-12-05"), ("2025-01-01", "2025-01-05")),
        # last-month on 10 March 2026 is February: against January and February 2025
        ("last-month", "2026-03-10", ("2026-01-01", "2026-01-31"), ("2025-02-01", "2025-02-28")),
        # a typed month and the same month as a range: the month before
        ("2026-03", None, ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-31")),
        (
            "2026-03-01..2026-03-31",
            None,
            ("2026-02-01", "2026-02-28"),
            ("2025-03-01", "2025-03-31"),
        ),
        # this-week on Tuesday 10 March 2026: Sunday-Tuesday against the week before's
        ("this-week", "2026-03-10", ("2026-03-01", "2026-03-03"), ("2025-03-08", "2025-03-10")),
        # another range: the as many days just before it
        (
            "2026-03-05..2026-03-14",
            None,
            ("2026-02-23", "2026-03-04"),
            ("2025-03-05", "2025-03-14"),
        ),
    ],
)
def test_a_month_or_month_to_date_is_compared_with_the_same_days_of_the_month_before(
    period, today, previous, year_before
):
    from analytics.exports.report import previous_period
    from analytics.exports.report import year_before as year_before_of

    day = dt.date.fromisoformat(today) if today else None
    p = parse_period(period, day)
    got = previous_period(p), year_before_of(p)
    assert [(q.start.isoformat(), q.end.isoformat()) for q in got] == [previous, year_before]


def test_whole_months_keep_a_month_s_name_and_month_to_date_is_known():
    from analytics.exports.report import previous_period, year_before
    from analytics.periods import is_month_to_date

    march = parse_period("this-month", dt.date(2026, 3, 31))
    assert previous_period(march).label == "2026-02" and year_before(march).label == "2025-03"
    assert not is_month_to_date(march)
    tenth = parse_period("this-month", dt.date(2026, 3, 10))
    assert is_month_to_date(tenth) and previous_period(tenth).label == "2026-02-01..2026-02-10"
    assert not is_month_to_date(parse_period("2026-03-05..2026-03-14"))
    assert previous_period(parse_period("2026-01")).label == "2025-12"
