"""Occupancy by Hijri month over all data: calls are counted whether or not the store
keeps staffing for their days.

Riyadh, Ramadan 1445 = 2024-03-11..2024-04-09 (Umm al-Qura). Two answered calls in it,
handling 100 + 20 and 300 s = 420 s; no staffing row at all, so staffed_s is 0 and
occupancy is null, but the handled seconds are still the month's 420.
"""

import datetime as dt
import zoneinfo

from support.kpi import add_calls

from analytics.centres import Centre
from analytics.kpi import occupancy

CENTRE = Centre("saudi_mol", timezone="Asia/Riyadh")


def test_hijri_month_occupancy_without_staffing_still_counts_the_handled_calls(store):
    add_calls(
        store,
        CENTRE,
        [
            dict(arrived_at="2024-03-12 09:00", outcome="answered", wait_s=5, talk_s=100,
                 acw_s=20),
            dict(arrived_at="2024-04-01 10:00", outcome="answered", wait_s=5, talk_s=300),
        ],
    )  # fmt: skip
    with store.reader() as con:
        rows = occupancy(con, CENTRE, interval="hijri-month")
    ramadan = dt.datetime(2024, 3, 11, tzinfo=zoneinfo.ZoneInfo("Asia/Riyadh"))
    assert [
        (r["interval_start"], r["handled_s"], r["staffed_s"], r["occupancy"]) for r in rows
    ] == [(ramadan, 420.0, 0.0, None)]
