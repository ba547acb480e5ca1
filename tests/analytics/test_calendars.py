"""The business calendar of a Gulf centre: open Sunday–Thursday 08:00–16:00, closed
Friday and Saturday, and on public holidays from the ``holidays`` package.

Working time is counted by hand in each test: a ticket's clock runs only while the
centre is open.
"""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.calendars import BusinessCalendar
from analytics.centres import Centre

SUN_TO_THU = {d: ((("08:00", "16:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)}
TZ = "Asia/Bahrain"


def gulf_centre(**changes) -> Centre:
    settings_ = dict(
        centre_id="bahrain_lmra",
        timezone=TZ,
        opening_hours=SUN_TO_THU,
        weekend=(5, 6),
        holiday_country="BH",
    )
    settings_.update(changes)
    return Centre(**settings_)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=gulf_centre().tz)


def test_friday_saturday_weekend_and_a_full_day_of_eight_hours():
    cal = BusinessCalendar(gulf_centre())
    assert not cal.is_working_day(dt.date(2024, 9, 6))  # Friday
    assert not cal.is_working_day(dt.date(2024, 9, 7))  # Saturday
    assert cal.is_working_day(dt.date(2024, 9, 8))  # Sunday
    assert cal.full_day_s == 8 * 3600


def test_thursday_evening_to_sunday_morning_is_one_working_hour():
    cal = BusinessCalendar(gulf_centre())
    assert cal.working_seconds(at("2024-09-05 18:00"), at("2024-09-08 09:00")) == 3600


def test_eid_al_fitr_1445_is_closed_in_bahrain():
    cal = BusinessCalendar(gulf_centre())
    # The holidays package's Bahrain calendar: Eid al-Fitr 1445 on 10-12 April 2024.
    assert cal.holiday(dt.date(2024, 4, 10)) is not None
    assert not cal.is_working_day(dt.date(2024, 4, 11))
    # Tuesday 10:00 -> Sunday 10:00: Tue 6 h, Wed-Fri holiday/weekend, Sat weekend, Sun 2 h.
    assert cal.working_seconds(at("2024-04-09 10:00"), at("2024-04-14 10:00")) == 8 * 3600
    no_holidays = BusinessCalendar(gulf_centre(holiday_country=None))
    assert no_holidays.working_seconds(at("2024-04-09 10:00"), at("2024-04-14 10:00")) == 24 * 3600


def test_extra_closures_close_the_day():
    cal = BusinessCalendar(gulf_centre(extra_closures=(dt.date(2024, 9, 8),)))
    assert not cal.is_working_day(dt.date(2024, 9, 8))
    assert cal.working_seconds(at("2024-09-05 18:00"), at("2024-09-09 09:00")) == 3600


def test_a_deadline_three_working_days_after_thursday_evening():
    cal = BusinessCalendar(gulf_centre())
    # 24 open hours after Thu 18:00: Sun, Mon, Tue full days -> Tue 16:00.
    assert cal.add_working_seconds(at("2024-09-05 18:00"), 24 * 3600) == at("2024-09-10 16:00")
    # A split day (two spans) counts both spans.
    split = {**SUN_TO_THU, 7: (("08:00", "12:00"), ("13:00", "17:00"))}
    cal = BusinessCalendar(gulf_centre(opening_hours=split))
    assert cal.working_seconds(at("2024-09-08 11:00"), at("2024-09-08 14:00")) == 2 * 3600
    assert cal.add_working_seconds(at("2024-09-08 11:00"), 2 * 3600) == at("2024-09-08 14:00")


def test_the_date_dimension_knows_ramadan_and_working_days():
    table = BusinessCalendar(gulf_centre()).date_dimension(
        dt.date(2024, 3, 10), dt.date(2024, 4, 10)
    )
    rows = {r["date"]: r for r in table.to_pylist()}
    assert (
        rows[dt.date(2024, 3, 10)]["hijri_year"],
        rows[dt.date(2024, 3, 10)]["hijri_month"],
    ) == (1445, 8)
    assert rows[dt.date(2024, 3, 11)]["hijri_month"] == 9
    assert rows[dt.date(2024, 4, 9)]["hijri_month_start"] == dt.date(2024, 3, 11)
    assert rows[dt.date(2024, 4, 10)]["hijri_month"] == 10
    assert rows[dt.date(2024, 4, 10)]["holiday"] is not None
    assert (
        rows[dt.date(2024, 3, 15)]["is_weekend"]
        and not rows[dt.date(2024, 3, 15)]["is_working_day"]
    )
    assert rows[dt.date(2024, 3, 17)]["open_s"] == 8 * 3600


def test_work_spans_carry_the_working_clock():
    spans = BusinessCalendar(gulf_centre()).work_spans(dt.date(2024, 9, 5), dt.date(2024, 9, 8))
    rows = spans.to_pylist()
    # sentinel, Thursday, Sunday (Fri/Sat closed)
    assert [r["span_s"] for r in rows] == [0, 8 * 3600, 8 * 3600]
    assert [r["clock_s"] for r in rows] == [0, 0, 8 * 3600]
    assert rows[2]["span_start"] == at("2024-09-08 08:00")


instants = st.integers(min_value=0, max_value=21 * 24 * 4).map(
    lambda q: at("2024-03-31 00:00") + dt.timedelta(minutes=15 * q)
)


@settings(max_examples=60, deadline=None)
@given(instants, instants, instants)
def test_working_time_adds_up_and_inverts(a, b, c):
    a, b, c = sorted((a, b, c))
    cal = BusinessCalendar(gulf_centre())
    ab, bc = cal.working_seconds(a, b), cal.working_seconds(b, c)
    assert ab + bc == cal.working_seconds(a, c)
    assert 0 <= ab <= (b - a).total_seconds()
    if ab > 0:
        reached = cal.add_working_seconds(a, ab)
        assert reached <= b
        assert cal.working_seconds(a, reached) == ab
