"""Ticket KPIs in working time at a Bahrain centre: open Sunday–Thursday 08:00–16:00
(a full working day is 8 hours), closed Friday–Saturday and on Bahrain's public
holidays, SLA 3 working days (24 open hours). Every expected figure is counted by hand
in the comments; reports are made ``as_of`` a fixed instant.
"""

import datetime as dt
import zoneinfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.kpi import add_tickets, local

from analytics.calendars import BusinessCalendar
from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.kpi import TICKET_KPI_NAMES, ticket_kpis
from analytics.periods import parse_period
from analytics.store import Store

TZ = "Asia/Bahrain"
SUN_TO_THU = {d: ((("08:00", "16:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)}
CENTRE = Centre(
    "bahrain_lmra", timezone=TZ, opening_hours=SUN_TO_THU, weekend=(5, 6), holiday_country="BH"
)


def report(store, as_of="2024-10-01 09:00", centre=CENTRE, **kwargs):
    with store.reader() as con:
        return ticket_kpis(con, centre, as_of=local(as_of, TZ), **kwargs)


def test_thursday_evening_to_sunday_morning_takes_one_working_hour(store):
    add_tickets(
        store,
        CENTRE,
        [
            dict(
                created_at="2024-09-05 18:00",  # Thursday, after closing
                first_response_at="2024-09-08 09:00",  # Sunday
                resolved_at="2024-09-08 09:00",
                category="employer",
            )
        ],
    )
    (row,) = report(store, period=parse_period("2024-09"))
    assert list(row) == list(TICKET_KPI_NAMES)
    assert (row["created"], row["resolved"]) == (1, 1)
    assert row["frt_wh_p50"] == row["frt_wh_p90"] == pytest.approx(1.0)
    assert row["resolution_wd_p50"] == pytest.approx(1 / 8)
    assert row["sla_met_rate"] == 1.0
    assert (row["backlog"], row["at_risk"]) == (0, 0)


def test_eid_inside_the_window_does_not_count(store):
    # Premise from the holidays package: Eid al-Fitr 1445 is 10-12 April 2024 in Bahrain.
    bh = holidays.country_holidays("BH", years=2024)
    assert all(dt.date(2024, 4, d) in bh for d in (10, 11, 12))
    add_tickets(
        store,
        CENTRE,
        [dict(created_at="2024-04-09 10:00", resolved_at="2024-04-14 10:00")],
    )
    # Tue 10-16 (6 h) + Sun 8-10 (2 h) = 8 h = 1 working day; without holidays Wed and
    # Thu would add 16 h: 24 h = 3 working days.
    (row,) = report(store, period=parse_period("2024-04"))
    assert row["resolution_wd_p50"] == pytest.approx(1.0)
    (plain,) = report(store, period=parse_period("2024-04"), centre=Centre(
        "bahrain_lmra", timezone=TZ, opening_hours=SUN_TO_THU, weekend=(5, 6)))  # fmt: skip
    assert plain["resolution_wd_p50"] == pytest.approx(3.0)
    # Deadline with Eid: Tue 6 h + Sun 8 + Mon 8 -> 22 h, Tue 16th 10:00 is hour 24: met.
    assert row["sla_met_rate"] == 1.0


def test_an_open_ticket_past_its_deadline_is_a_breach(store):
    add_tickets(
        store,
        CENTRE,
        [
            # Tue 1 Oct 10:00 + 24 open hours: Tue 6, Wed 8, Thu 8, Sun 6th 2 -> 10:00 Sun.
            dict(created_at="2024-10-01 10:00"),
            # resolved Mon 7th 09:00: after the deadline, a breach too
            dict(created_at="2024-10-01 10:00", resolved_at="2024-10-07 09:00"),
            # resolved Sun 6th 09:59: in time
            dict(created_at="2024-10-01 10:00", resolved_at="2024-10-06 09:59"),
        ],
    )
    october = parse_period("2024-10")
    (before,) = report(store, as_of="2024-10-06 09:59:30", period=october)
    # At 09:59 on Sunday only the third is judged (resolved, in time); the others are open.
    assert before["sla_met_rate"] == 1.0
    (after,) = report(store, as_of="2024-10-06 10:01", period=october)
    # At 10:01 the open ticket and the one resolved later are past the deadline: 1 of 3.
    assert after["sla_met_rate"] == pytest.approx(1 / 3)
    (final,) = report(store, as_of="2024-11-05 09:00", period=october)
    assert final["sla_met_rate"] == pytest.approx(1 / 3)
    assert (final["backlog"], final["resolved"]) == (1, 2)


def test_a_holiday_moves_the_deadline(store):
    # Tue 10 Sep 10:00: Tue 6 h, Wed 8, Thu 8 = 22 h; Sun 15 Sep is the Prophet's Birthday
    # in Bahrain (holidays package), so hour 24 is Mon 16 Sep 10:00.
    assert dt.date(2024, 9, 15) in holidays.country_holidays("BH", years=2024)
    add_tickets(store, CENTRE, [dict(created_at="2024-09-10 10:00")])
    (open_,) = report(store, as_of="2024-09-16 09:59", period=parse_period("2024-09"))
    (late,) = report(store, as_of="2024-09-16 10:01", period=parse_period("2024-09"))
    assert (open_["sla_met_rate"], late["sla_met_rate"]) == (None, 0.0)


def test_backlog_and_tickets_at_risk_at_the_end_of_the_period(store):
    add_tickets(
        store,
        CENTRE,
        [
            # Open on 30 Sep 23:59 (Mon). Next working day ends Tue 1 Oct 16:00.
            dict(created_at="2024-09-26 12:00"),  # Thu: deadline Tue 1 Oct 12:00 -> at risk
            dict(created_at="2024-09-29 12:00"),  # Sun: deadline Wed 2 Oct 12:00 -> not yet
            dict(created_at="2024-09-22 12:00"),  # deadline Wed 25 Sep: already breached
            dict(created_at="2024-09-01 12:00", resolved_at="2024-09-02 12:00"),  # closed
            dict(created_at="2024-10-01 08:30"),  # created after the period
        ],
    )
    (row,) = report(store, as_of="2024-10-05 12:00", period=parse_period("2024-09"))
    assert (row["created"], row["backlog"], row["at_risk"]) == (4, 3, 1)


def test_ramadan_1445_boundaries_for_tickets(store):
    add_tickets(
        store,
        CENTRE,
        [
            dict(created_at="2024-03-10 23:30", category="worker"),
            dict(created_at="2024-03-11 00:30", category="employer"),
            dict(created_at="2024-04-09 23:30", category="employer"),
            dict(created_at="2024-04-10 00:30", category="worker"),
        ],
    )
    (ramadan,) = report(store, period=parse_period("1445-09H"))
    assert ramadan["created"] == 2
    by_cat = report(store, period=parse_period("1445-09H"), by=["category"])
    # the worker ticket of 10 March is still open in Ramadan: in the backlog, not created
    assert [(r["category"], r["created"], r["backlog"]) for r in by_cat] == [
        ("employer", 2, 2),
        ("worker", 0, 1),
    ]
    months = report(store, period=parse_period("2024-03-01..2024-04-30"), interval="hijri-month")
    zone = zoneinfo.ZoneInfo(TZ)
    assert [(r["interval_start"], r["created"]) for r in months][1:] == [
        (dt.datetime(2024, 3, 11, tzinfo=zone), 2),
        (dt.datetime(2024, 4, 10, tzinfo=zone), 1),
    ]
    assert months[0]["created"] == 1
    # backlog at the end of each month: none resolved, so 1, 3, 4
    assert [r["backlog"] for r in months] == [1, 3, 4]


def test_percentiles_of_first_response_interpolate(store):
    # Sunday 8 Sep 08:00 + 1, 2, 3, 4 working hours
    add_tickets(
        store,
        CENTRE,
        [
            dict(created_at="2024-09-08 08:00", first_response_at=f"2024-09-08 {8 + h:02d}:00")
            for h in (1, 2, 3, 4)
        ],
    )
    (row,) = report(store, period=parse_period("2024-09"))
    # [1, 2, 3, 4]: median 2.5; p90 at rank 2.7 -> 3.7
    assert row["frt_wh_p50"] == pytest.approx(2.5)
    assert row["frt_wh_p90"] == pytest.approx(3.7)
    assert row["resolution_wd_p50"] is None


def test_no_tickets_gives_one_row_of_zeros_and_nulls(store):
    add_tickets(store, CENTRE, [])
    (row,) = report(store, period=parse_period("2024-09"))
    assert (row["created"], row["resolved"], row["backlog"], row["at_risk"]) == (0, 0, 0, 0)
    assert row["sla_met_rate"] is None and row["frt_wh_p50"] is None
    with pytest.raises(ValueError, match="cannot break tickets down by 'queue'"):
        report(store, by=["queue"])


# ---- the SQL working clock against the Python calendar, on random tickets ----------

moments = st.integers(min_value=0, max_value=40 * 24 * 4).map(
    lambda q: local("2024-03-25 00:00", TZ) + dt.timedelta(minutes=15 * q)
)


@pytest.fixture(scope="module")
def scratch_db(tmp_path_factory):
    """A real store's write transaction, held for the module (the examples read and
    write inside it)."""
    store = Store(tmp_path_factory.mktemp("tickets") / "hypothesis.duckdb")
    with store.writer() as con:
        save_centre(con, CENTRE)
        yield con


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(created=moments, resolved=moments, as_of=moments)
def test_sql_working_time_agrees_with_the_calendar(scratch_db, created, resolved, as_of):
    """Two independent computations of working time: ASOF joins in SQL and a day-by-day
    loop in Python (analytics.calendars), over a window holding Eid al-Fitr 1445."""
    con = scratch_db
    created, resolved = min(created, resolved), max(created, resolved)
    con.execute("DELETE FROM tickets")
    con.execute(
        "INSERT INTO tickets (centre_id, ticket_id, created_at, first_response_at, resolved_at)"
        " VALUES (?, 't', ?, ?, ?)",
        [CENTRE.centre_id, created, resolved, resolved],
    )
    (row,) = ticket_kpis(con, CENTRE, as_of=as_of)
    calendar = BusinessCalendar(CENTRE)
    hours = calendar.working_seconds(created, resolved) / 3600
    assert row["frt_wh_p50"] == pytest.approx(hours, abs=1e-6)
    assert row["resolution_wd_p50"] == pytest.approx(hours / 8, abs=1e-6)
    deadline = calendar.add_working_seconds(created, 3 * 8 * 3600)
    # The report knows the events before as_of; periods and as_of are half-open.
    if resolved < as_of:
        assert row["sla_met_rate"] == (1.0 if resolved <= deadline else 0.0)
    elif deadline < as_of:
        assert row["sla_met_rate"] == 0.0  # open as far as as_of knows, past its deadline
    else:
        assert row["sla_met_rate"] is None
    assert row["backlog"] == (1 if created < as_of <= resolved else 0)


def test_a_month_sees_exactly_the_tickets_alive_in_it(store):
    """A month's report reads only the tickets alive in it; those at its edges count
    as they would over all data. September 2024, reported on 1 October 09:00."""
    add_tickets(
        store,
        CENTRE,
        [
            # a year old and never resolved: in the backlog, and long past its deadline
            dict(created_at="2023-09-03 10:00", category="old"),
            # resolved exactly at the first instant of September: resolved in September
            dict(created_at="2024-08-28 10:00", resolved_at="2024-09-01 00:00"),
            # resolved the second before: not in September at all
            dict(created_at="2024-08-28 10:00", resolved_at="2024-08-31 23:59:59"),
            # answered Sunday 1 Sep 09:00, resolved after the report: open at its end
            dict(created_at="2024-08-29 15:00", first_response_at="2024-09-01 09:00",
                 resolved_at="2024-10-02 10:00"),
            # created on the last second of September, open
            dict(created_at="2024-09-30 23:59:59"),
            # created at the first instant of October: not September's
            dict(created_at="2024-10-01 00:00"),
        ],
    )  # fmt: skip
    (row,) = report(store, period=parse_period("2024-09"))
    assert (row["created"], row["resolved"]) == (1, 1)
    # open at 1 Oct 00:00: the 2023 ticket, the one answered in September, the last one
    assert row["backlog"] == 3
    # first response 29 Aug 15:00 (Thu) -> Sun 1 Sep 09:00: Thu 15-16 (1 h) + Sun 8-9 (1 h)
    assert row["frt_wh_p50"] == pytest.approx(2.0)
    # resolved 1 Sep 00:00 after Wed 28 Aug 10:00: Wed 6 h + Thu 8 h = 14 h = 1.75 days
    assert row["resolution_wd_p50"] == pytest.approx(14 / 8)
    # Over all data: judged are the two resolved in time (deadlines Mon 2 Sep 10:00),
    # the 2023 ticket and the one answered on 1 Sep (deadline Tue 3 Sep 15:00, open):
    # 2 of 4. The two created at the end are not due yet.
    (whole,) = report(store)
    assert (whole["created"], whole["sla_met_rate"]) == (6, 0.5)
