"""Ticket KPIs: e-support measured in working time on the centre's business calendar.

A ticket is created, perhaps first answered, and perhaps resolved. Its clock runs only
while the centre is open (``analytics.calendars``): a ticket created on Thursday at
18:00 and resolved on Sunday at 09:00 at a centre open Sunday–Thursday 08:00–16:00 took
one working hour, not 63 hours. Each KPI is counted at its own event time:

* ``created`` / ``resolved``: tickets created / resolved in the period (or bucket);
* ``frt_wh_p50`` / ``frt_wh_p90``: first response time in working hours, median and 90th
  percentile (linear interpolation), of tickets first answered in the period;
* ``resolution_wd_p50`` / ``_p90``: working hours from creation to resolution divided by
  the hours of a full working day, of tickets resolved in the period;
* ``sla_met_rate``: of the tickets created in the period that, at ``as_of``, are
  resolved or past their deadline (created_at + the SLA in working days), the share
  resolved by the deadline. A ticket still open past its deadline is a breach;
  one still open before its deadline is not judged yet. Like periods, ``as_of`` is
  half-open: the report knows what happened strictly before it;
* ``backlog``: tickets open at the end of the period (or at ``as_of`` if earlier);
* ``at_risk``: of those, the ones whose deadline falls within the next working day
  (after the end of the period and at most one full working day of open time later).

Working time comes from ASOF joins with the calendar's ``work_spans`` table; buckets
come from a spine of (start, end) instants built in Python in the centre's zone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pyarrow as pa

from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.kpi.buckets import (
    as_local,
    check_dimensions,
    check_filters,
    check_interval,
    filter_sql,
    records,
)
from analytics.kpi.catalogue import names
from analytics.periods import Period, interval_starts, local_midnight, next_interval_start

TICKET_DIMENSIONS = ("category", "topic", "channel", "priority", "site", "agent_id")
TICKET_KPI_NAMES = names("tickets")  # the catalogue's order


def ticket_kpi_names() -> list[str]:
    return list(TICKET_KPI_NAMES)


def clock_sql(instant: str, span: str) -> str:
    """The working clock (open seconds) at ``instant`` from its ASOF-joined span."""
    return (
        f"{span}.clock_s + least(greatest(date_diff('microsecond', {span}.span_start, "
        f"{instant}) / 1e6, 0), {span}.span_s)"
    )


def _instant_at_clock_sql(target: str, span: str) -> str:
    """The instant where the working clock reaches ``target`` (its span ASOF-joined)."""
    return (
        f"{span}.span_start + to_microseconds(CAST(round(({target} - {span}.clock_s) * 1e6)"
        f" AS BIGINT))"
    )


def ticket_kpis_sql(
    dims: Sequence[str], spans: str, spine: str, *, keep_empty: bool, filters: Sequence[str] = ()
) -> str:
    """The SQL of ``ticket_kpis``. Parameters, in order: those of ``_RELEVANT``, a list
    of values to keep for each of ``filters`` (dimension names), SLA in seconds of open
    time, as_of (three times), seconds of a full working day (three times)."""
    kept = "".join(f" AND list_contains(?, k.{d})" for d in filters)
    dim_cols = ", ".join(f"k.{d}" for d in dims)
    dim_select = (dim_cols + ", ") if dims else ""
    created_in = "t.created_at >= b.s AND t.created_at < b.e"
    resolved_in = "t.resolved_at >= b.s AND t.resolved_at < b.e"
    responded_in = "t.first_response_at >= b.s AND t.first_response_at < b.e"
    open_at_ref = "t.created_at < b.ref AND (t.resolved_at IS NULL OR t.resolved_at >= b.ref)"
    keys = ["b.interval_start"] + [f"t.{d}" for d in dims]
    join = "LEFT JOIN" if keep_empty else "JOIN"
    return f"""
WITH open_spans AS (
    -- inverse clock lookups skip the zero-length sentinel, which shares clock 0
    SELECT * FROM {spans} WHERE span_s > 0
),
created AS (
    SELECT {dim_select}k.created_at, k.first_response_at, k.resolved_at,
           {clock_sql("k.created_at", "sc")} AS created_clock
    FROM tickets k ASOF LEFT JOIN {spans} sc ON k.created_at >= sc.span_start
    WHERE {_RELEVANT.replace("t.", "k.")}{kept}
),
due AS (
    SELECT c.*, c.created_clock + ? AS deadline_clock FROM created c
),
deadlined AS (
    SELECT d.*, {_instant_at_clock_sql("d.deadline_clock", "sd")} AS deadline
    FROM due d ASOF LEFT JOIN open_spans sd ON d.deadline_clock > sd.clock_s
),
responded AS (
    SELECT d.*, {clock_sql("d.first_response_at", "sr")} AS response_clock
    FROM deadlined d ASOF LEFT JOIN {spans} sr ON d.first_response_at >= sr.span_start
),
measured AS (
    SELECT r.*, {clock_sql("r.resolved_at", "sz")} AS resolution_clock
    FROM responded r ASOF LEFT JOIN {spans} sz ON r.resolved_at >= sz.span_start
),
t AS (
    SELECT m.*,
           (m.response_clock - m.created_clock) / 3600.0 AS frt_wh,
           -- The report knows what happened before as_of (half-open, like periods):
           -- a ticket resolved at or after as_of is still open as far as it knows.
           CASE WHEN m.resolved_at < ? THEN m.resolved_at END AS resolved_by_as_of,
           CASE WHEN m.resolved_at IS NULL OR m.resolved_at >= ? THEN 'infinity'::TIMESTAMPTZ
                ELSE greatest(m.resolved_at, coalesce(m.first_response_at, m.resolved_at))
           END AS alive_until,
           m.deadline < ? AS past_deadline
    FROM measured m
),
spine AS (
    SELECT b.*, {clock_sql("b.ref", "sb")} AS ref_clock
    FROM {spine} b ASOF LEFT JOIN {spans} sb ON b.ref >= sb.span_start
),
horizon AS (
    SELECT s.*, {_instant_at_clock_sql("s.ref_clock + ?", "sh")} AS risk_until
    FROM spine s ASOF LEFT JOIN open_spans sh ON s.ref_clock + ? > sh.clock_s
),
counted AS (
    SELECT {", ".join(f"{k} AS {k.split('.')[1]}" for k in keys)},
        count(t.created_at) FILTER (WHERE {created_in}) AS created,
        count(t.created_at) FILTER (WHERE {resolved_in}) AS resolved,
        quantile_cont(t.frt_wh, 0.5) FILTER (WHERE {responded_in}) AS frt_wh_p50,
        quantile_cont(t.frt_wh, 0.9) FILTER (WHERE {responded_in}) AS frt_wh_p90,
        quantile_cont(t.resolution_wd, 0.5) FILTER (WHERE {resolved_in}) AS resolution_wd_p50,
        quantile_cont(t.resolution_wd, 0.9) FILTER (WHERE {resolved_in}) AS resolution_wd_p90,
        count(t.created_at) FILTER (
            WHERE {created_in} AND t.resolved_by_as_of <= t.deadline) AS sla_met,
        count(t.created_at) FILTER (
            WHERE {created_in} AND (t.resolved_by_as_of IS NOT NULL OR t.past_deadline))
            AS sla_judged,
        count(t.created_at) FILTER (WHERE {open_at_ref}) AS backlog,
        count(t.created_at) FILTER (
            WHERE {open_at_ref} AND t.deadline > b.ref AND t.deadline <= b.risk_until)
            AS at_risk
    FROM horizon b {join} (
        SELECT *, (resolution_clock - created_clock) / nullif(?, 0) AS resolution_wd FROM t
    ) t ON t.created_at < b.e AND t.alive_until >= b.s
    GROUP BY {", ".join(keys)}
)
SELECT {", ".join(k.split(".")[1] for k in keys)}, created, resolved,
       frt_wh_p50, frt_wh_p90, resolution_wd_p50, resolution_wd_p90,
       CAST(sla_met AS DOUBLE) / nullif(sla_judged, 0) AS sla_met_rate, backlog, at_risk
FROM counted
ORDER BY {", ".join(f"{k.split('.')[1]} NULLS LAST" for k in keys[1:] + keys[:1])}
"""


# The tickets a report over [lo, hi) can see: created before hi and alive at lo or after
# (alive_until >= lo, written on the stored columns so DuckDB filters while it scans).
# Parameters: centre id, hi, as_of, lo, lo. Without it every KPI query computed the
# working clocks of every ticket the centre ever had (~1.3 s a month on 1M tickets).
_RELEVANT = (
    "t.centre_id = ? AND t.created_at < ? AND (t.resolved_at IS NULL OR t.resolved_at >= ?"
    " OR t.resolved_at >= ? OR t.first_response_at >= ?)"
)


def _relevant_params(centre: Centre, lo, hi, as_of: dt.datetime) -> list:
    return [centre.centre_id, hi, as_of, lo, lo]


def _ticket_days(con, centre: Centre, where: str = "t.centre_id = ?", params=None):
    """First and last local day of any event of the tickets matching ``where`` (the
    instants converted in Python: cheaper than a time-zone conversion per row)."""
    row = con.execute(
        "SELECT min(t.created_at), max(greatest(t.created_at, coalesce(t.first_response_at,"
        " t.created_at), coalesce(t.resolved_at, t.created_at))) FROM tickets t WHERE " + where,
        params if params is not None else [centre.centre_id],
    ).fetchall()[0]
    if row[0] is None:
        return None
    zone = centre.tz
    return row[0].astimezone(zone).date(), row[1].astimezone(zone).date()


def _spine(
    centre: Centre, first: dt.date, last: dt.date, interval: str | None, as_of: dt.datetime
) -> pa.Table:
    """Buckets as (interval_start local, s, e, ref) with instants clipped to the period."""
    zone = centre.tz
    lo, hi = local_midnight(first, zone), local_midnight(last + dt.timedelta(days=1), zone)
    if interval is None:
        starts = [None]
        bounds = [(lo, hi)]
    else:
        starts, bounds = [], []
        for start in interval_starts(first, last, interval):
            end = next_interval_start(start, interval)
            s = max(start.replace(tzinfo=zone), lo)
            e = min(end.replace(tzinfo=zone), hi)
            starts.append(start)
            bounds.append((s, e))
    utc = dt.UTC
    return pa.table(
        {
            "interval_start": starts,
            "s": [s.astimezone(utc) for s, _ in bounds],
            "e": [e.astimezone(utc) for _, e in bounds],
            "ref": [min(e, as_of).astimezone(utc) for _, e in bounds],
        },
        schema=pa.schema(
            [
                ("interval_start", pa.timestamp("us")),
                ("s", pa.timestamp("us", tz="UTC")),
                ("e", pa.timestamp("us", tz="UTC")),
                ("ref", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )


def ticket_kpis(
    con,
    centre: Centre,
    *,
    period: Period | None = None,
    by: Sequence[str] = (),
    interval: str | None = None,
    as_of: dt.datetime | None = None,
    filters: Mapping[str, Sequence[str] | str] | None = None,
) -> list[dict]:
    """Ticket KPIs of ``centre``, one dict per group (see the module docstring).

    Keys: the ``by`` dimensions, ``interval_start`` (local, aware) when ``interval``
    is given, then ``TICKET_KPI_NAMES``. ``as_of`` (default now) is the moment the
    report is made: SLA breaches of open tickets and the backlog are judged then.
    Without ``by`` every bucket (one, without ``interval``) gets a row. ``filters``
    ({dimension: [values]}) keeps only the tickets whose dimension is one of the values.
    """
    dims = check_dimensions(by, TICKET_DIMENSIONS, "tickets")
    flt = check_filters(filters, TICKET_DIMENSIONS, "tickets")
    flt_sql, flt_params = filter_sql(flt, "t")
    check_interval(interval)
    as_of = as_of or dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime (an instant)")
    calendar = BusinessCalendar(centre)
    full_day_s = calendar.full_day_s
    sla_s = centre.ticket_sla_wd * full_day_s

    as_of_day = as_of.astimezone(centre.tz).date()
    if period is not None:
        first, last = period.start, period.end
    else:
        first, last = _ticket_days(con, centre) or (as_of_day, as_of_day)
    lo, hi = (
        local_midnight(first, centre.tz),
        local_midnight(last + dt.timedelta(days=1), centre.tz),
    )
    relevant = _relevant_params(centre, lo, hi, as_of)
    data_days = _ticket_days(con, centre, _RELEVANT + flt_sql, [*relevant, *flt_params])
    # The calendar must cover every event, the report moment and the deadlines after them.
    cal_first = min(first, data_days[0] if data_days else first) - dt.timedelta(days=1)
    slack = dt.timedelta(days=14 * math.ceil(centre.ticket_sla_wd + 1) + 31)
    cal_last = max(last, as_of_day, data_days[1] if data_days else last) + slack

    tables = {
        "spans": calendar.work_spans(cal_first, cal_last),
        "spine": _spine(centre, first, last, interval, as_of),
    }
    with registered(con, **tables) as names:
        sql = ticket_kpis_sql(
            dims, names["spans"], names["spine"], keep_empty=not dims, filters=tuple(flt)
        )
        params = [
            *relevant,
            *flt_params,
            sla_s,
            as_of,
            as_of,
            as_of,
            full_day_s,
            full_day_s,
            full_day_s,
        ]
        rows = records(con.execute(sql, params))

    zone = centre.tz
    keys = list(dims) + (["interval_start"] if interval else [])
    result = []
    for row in rows:
        if interval:
            row["interval_start"] = as_local(row["interval_start"], zone)
        result.append({k: row[k] for k in keys + list(TICKET_KPI_NAMES)})
    return result


def at_risk_tickets(
    con,
    centre: Centre,
    *,
    as_of: dt.datetime | None = None,
    filters: Mapping[str, Sequence[str] | str] | None = None,
    limit: int = 500,
) -> list[dict]:
    """The tickets ``at_risk`` counts, one dict each, soonest deadline first: open at
    ``as_of`` (default now) with their SLA deadline after it and at most one full working
    day of open time later — the list to work before they breach. Keys: ticket_id,
    created_at, deadline (local, aware), working_hours_left, category, topic, channel,
    priority, site, agent_id."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime (an instant)")
    flt = check_filters(filters, TICKET_DIMENSIONS, "tickets")
    flt_sql, flt_params = filter_sql(flt, "k")
    calendar = BusinessCalendar(centre)
    full_day_s = calendar.full_day_s
    sla_s = centre.ticket_sla_wd * full_day_s
    first = con.execute(
        "SELECT min(created_at) FROM tickets WHERE centre_id = ? AND created_at < ?"
        " AND (resolved_at IS NULL OR resolved_at >= ?)",
        [centre.centre_id, as_of, as_of],
    ).fetchall()[0][0]
    if first is None:
        return []
    zone = centre.tz
    slack = dt.timedelta(days=14 * math.ceil(centre.ticket_sla_wd + 1) + 31)
    cal_first = min(first.astimezone(zone).date(), as_of.astimezone(zone).date())
    cal_last = as_of.astimezone(zone).date() + slack
    spans = calendar.work_spans(cal_first - dt.timedelta(days=1), cal_last)
    with registered(con, spans=spans) as names:
        sp = names["spans"]
        sql = f"""
WITH open_spans AS (SELECT * FROM {sp} WHERE span_s > 0),
opened AS (
    SELECT k.*, {clock_sql("k.created_at", "sc")} + ? AS deadline_clock
    FROM tickets k ASOF LEFT JOIN {sp} sc ON k.created_at >= sc.span_start
    WHERE k.centre_id = ? AND k.created_at < ? AND (k.resolved_at IS NULL OR k.resolved_at >= ?)
          {flt_sql}
),
dated AS (
    SELECT o.*, {_instant_at_clock_sql("o.deadline_clock", "sd")} AS deadline
    FROM opened o ASOF LEFT JOIN open_spans sd ON o.deadline_clock > sd.clock_s
),
now_clock AS (
    SELECT {clock_sql("CAST(? AS TIMESTAMPTZ)", "sn")} AS clock_s
    FROM (SELECT CAST(? AS TIMESTAMPTZ) AS at) a ASOF LEFT JOIN {sp} sn ON a.at >= sn.span_start
),
horizon AS (
    SELECT n.clock_s, {_instant_at_clock_sql("n.clock_s + ?", "sh")} AS risk_until
    FROM now_clock n ASOF LEFT JOIN open_spans sh ON n.clock_s + ? > sh.clock_s
)
SELECT d.ticket_id, d.created_at, d.deadline,
       (d.deadline_clock - h.clock_s) / 3600.0 AS working_hours_left,
       d.category, d.topic, d.channel, d.priority, d.site, d.agent_id
FROM dated d, horizon h
WHERE d.deadline > ? AND d.deadline <= h.risk_until
ORDER BY d.deadline, d.ticket_id
LIMIT ?
"""
        params = [
            sla_s,
            centre.centre_id,
            as_of,
            as_of,
            *flt_params,
            as_of,
            as_of,
            full_day_s,
            full_day_s,
            as_of,
            int(limit),
        ]
        rows = records(con.execute(sql, params))
    for row in rows:
        row["created_at"] = row["created_at"].astimezone(zone)
        row["deadline"] = row["deadline"].astimezone(zone)
    return rows
