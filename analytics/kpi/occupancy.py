"""Occupancy: the share of staffed time that agents spent handling calls.

    occupancy = Σ handling time of answered calls (talk + hold + after-call work, s)
                ÷ Σ agents_available × interval_s over the staffing intervals (s)

Staffed time comes from the ``staffing`` table (agents logged in and not on break,
summed over its queue/site rows). A call's whole handling time is counted in the
bucket in which it was answered (``answered_at``, else arrived_at + wait_s), the usual
workforce-management approximation; so buckets should not be shorter than the
staffing intervals, and a call handled across a boundary lands in one bucket. With no
staffed time the ratio is NULL. Both sides are grouped in the centre's local time.

Broken down ``by`` queue and/or site, each side is grouped by the same columns: the
calls answered on a queue over the agents staffed for it. The staffing table keeps ''
for "not per queue/site" and calls keep NULL; both show as None, and are matched with
each other, so staffing kept for the whole centre meets the calls of no named queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.kpi.buckets import (
    as_local,
    check_dimensions,
    check_interval,
    interval_key_sql,
    interval_start_of,
    local_us_sql,
    quoted_identifier,
    records,
)
from analytics.kpi.catalogue import names
from analytics.periods import Period

OCCUPANCY_NAMES = names("staffing")  # handled_s, staffed_s, occupancy
# The dimensions both the calls and the staffing table carry.
OCCUPANCY_DIMENSIONS = ("queue", "site")


def occupancy_sql(
    source: str,
    *,
    interval: str | None,
    bounded: bool,
    dates: str | None,
    dims: Sequence[str] = (),
    local_us=None,
) -> str:
    """Parameters, in order, for each side (handled, staffed): [the parameters of its
    local time, if ``interval``], centre id, [start, end]; the handled side then takes
    [the earliest and the latest arrival that can be answered in the period] (a bound on
    the stored ``arrived_at`` lets DuckDB skip the rest of the calls while it scans).

    ``local_us(instant)`` gives the SQL of an instant's local time in µs (the calls'
    ``local_us_sql``), so both sides are bucketed exactly as call KPIs are.
    """
    table = quoted_identifier(source, "call source")
    answer = (
        "coalesce(c.answered_at, c.arrived_at + to_microseconds(CAST(round(c.wait_s * 1e6)"
        " AS BIGINT)))"
    )

    def bucket(instant: str) -> tuple[str, str]:
        if interval is None:
            return "CAST(NULL AS BIGINT) AS interval_key", ""
        local = local_us(instant)
        if interval == "hijri-month":
            return (
                f"{interval_key_sql(interval, '', 'dd.hijri_month_start')} AS interval_key",
                f" JOIN {dates} dd ON dd.date = CAST(make_timestamp({local}) AS DATE)",
            )
        return f"{interval_key_sql(interval, local)} AS interval_key", ""

    when = " AND {0} >= ? AND {0} < ?" if bounded else ""
    handled_key, handled_join = bucket(answer)
    staffed_key, staffed_join = bucket("s.interval_start")
    # '' (staffing) and NULL (calls) both mean "not given": both become NULL
    handled_dims = "".join(f", nullif(c.{d}, '') AS {d}" for d in dims)
    staffed_dims = "".join(f", nullif(s.{d}, '') AS {d}" for d in dims)
    arrived = " AND c.arrived_at >= ? AND c.arrived_at < ?" if bounded else ""
    handled = (
        f"SELECT {handled_key}{handled_dims}, sum(coalesce(c.talk_s, 0) + coalesce(c.hold_s, 0)"
        f" + coalesce(c.acw_s, 0)) AS handled_s FROM {table} c{handled_join} "
        f"WHERE c.centre_id = ? AND c.outcome = 'answered'{when.format(answer)}{arrived}"
        " GROUP BY ALL"
    )
    staffed = (
        f"SELECT {staffed_key}{staffed_dims}, sum(s.agents_available * s.interval_s) AS staffed_s"
        f" FROM staffing s{staffed_join} WHERE s.centre_id = ?"
        f"{when.format('s.interval_start')} GROUP BY ALL"
    )
    keys = ["interval_key", *dims]
    out_keys = ", ".join(f"coalesce(h.{k}, w.{k}) AS {k}" for k in keys)
    on = " AND ".join(f"h.{k} IS NOT DISTINCT FROM w.{k}" for k in keys)
    order = ", ".join(f"{k} NULLS LAST" for k in [*dims, "interval_key"])
    return (
        f"SELECT {out_keys}, "
        f"coalesce(h.handled_s, 0) AS handled_s, coalesce(w.staffed_s, 0) AS staffed_s, "
        f"h.handled_s / nullif(w.staffed_s, 0) AS occupancy "
        f"FROM ({handled}) h FULL JOIN ({staffed}) w ON {on} ORDER BY {order}"
    )


def occupancy(
    con,
    centre: Centre,
    *,
    period: Period | None = None,
    interval: str | None = None,
    source: str = "calls",
    by: Sequence[str] = (),
) -> list[dict]:
    """Handled seconds, staffed seconds and occupancy, per local interval.

    Keys: the ``by`` dimensions (any of queue, site), ``interval_start`` (local, aware)
    when ``interval`` is given, then ``OCCUPANCY_NAMES``. Without ``by`` and
    ``interval``: one row for the period (handled_s 0 and occupancy None when there is
    nothing). Otherwise a row per group and bucket that has calls or staffing.
    """
    dims = check_dimensions(by, OCCUPANCY_DIMENSIONS, "occupancy")
    check_interval(interval)
    tables = {}
    local_params: list = []
    days = None
    if interval is not None:
        days = _days(con, centre, period, source)
        # The parameters depend on the zone and days only, not on the instant.
        local_params = local_us_sql(centre.tz, *days, "NULL")[1]
        if interval == "hijri-month":
            tables["dates"] = BusinessCalendar(centre).date_dimension(*days)
    with registered(con, **tables) as names:
        sql = occupancy_sql(
            source,
            interval=interval,
            bounded=period is not None,
            dates=names.get("dates"),
            dims=dims,
            local_us=lambda instant: local_us_sql(centre.tz, *days, instant)[0],
        )
        params: list = []
        for side in ("handled", "staffed"):
            params += local_params
            params.append(centre.centre_id)
            if period is not None:
                lo, hi = period.bounds(centre.tz)
                params += [lo, hi]
                if side == "handled":
                    # answered at or after arrival, and never later than the longest wait
                    params += [lo - _longest_wait(con, centre, source), hi]
        rows = records(con.execute(sql, params))
    if interval is None and not dims:
        # Both sides carry a NULL key and the FULL JOIN matches NULL with NULL: <= 1 row.
        empty = {"handled_s": 0.0, "staffed_s": 0.0, "occupancy": None}
        return [{k: (rows[0] if rows else empty)[k] for k in OCCUPANCY_NAMES}]
    zone = centre.tz
    result = []
    for r in rows:
        out = {d: r[d] for d in dims}
        if interval is not None:
            out["interval_start"] = as_local(interval_start_of(interval, r["interval_key"]), zone)
        result.append(out | {k: r[k] for k in OCCUPANCY_NAMES})
    return result


def _longest_wait(con, centre: Centre, source: str) -> dt.timedelta:
    """The longest time from arrival to answer among the centre's answered calls (a
    second more, for rounding): how far before a period a call it counts can arrive."""
    table = quoted_identifier(source, "call source")
    longest = con.execute(
        "SELECT max(greatest(wait_s, coalesce(epoch(answered_at) - epoch(arrived_at), 0))) "
        f"FROM {table} WHERE centre_id = ? AND outcome = 'answered'",
        [centre.centre_id],
    ).fetchone()[0]
    return dt.timedelta(seconds=float(longest or 0) + 1)


def _days(con, centre: Centre, period: Period | None, source: str) -> tuple[dt.date, dt.date]:
    """The local days whose instants the buckets must place: the period's, or (all data)
    those of both the staffing rows and the calls, a day wider for late answers."""
    if period is not None:
        return period.start, period.end
    table = quoted_identifier(source, "call source")
    first, last = con.execute(
        "SELECT min(t), max(t) FROM (SELECT interval_start AS t FROM staffing "
        f"WHERE centre_id = ? UNION ALL SELECT arrived_at FROM {table} WHERE centre_id = ?)",
        [centre.centre_id, centre.centre_id],
    ).fetchall()[0]
    if first is None:
        return dt.date(2000, 1, 1), dt.date(2000, 1, 1)
    zone = centre.tz
    one_day = dt.timedelta(days=1)
    return first.astimezone(zone).date() - one_day, last.astimezone(zone).date() + one_day
