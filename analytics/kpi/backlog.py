"""The open tickets' ages, the ticket list and the call list: the records behind a figure.

* ``open_ticket_ages``: tickets open at ``as_of`` (created before it, not resolved
  before it), each aged in working days on the centre's business calendar (open
  seconds since creation over a full working day, as ``resolution_wd`` is measured),
  counted in buckets bounded by the ticket SLA, with the oldest open ticket;
* ``ticket_list``: the period's tickets (created in it) with their state at ``as_of``;
* ``call_list``: the period's calls with wait, outcome, category, topic, queue, site,
  channel, handling time and agent. The caller's pseudonym (``caller_hash``) is never
  returned: a list is for seeing what happened, not who called.

Filters are those of ``call_kpis`` / ``ticket_kpis`` (bound parameters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.kpi import rollup
from analytics.kpi.buckets import check_filters, filter_sql
from analytics.kpi.calls import CALL_DIMENSIONS, rollup_columns
from analytics.kpi.tickets import TICKET_DIMENSIONS, clock_sql
from analytics.periods import Period
from analytics.records import CALL_TEXTS

Filters = Mapping[str, Sequence[str] | str] | None


def age_buckets(sla_wd: float) -> list[tuple[float, float | None]]:
    """[lo, hi) working-day bounds: under a day, up to the SLA, past it, past twice it."""
    edges = sorted({1.0, float(sla_wd), 2.0 * float(sla_wd)})
    edges = [e for e in edges if e > 0]
    bounds = [0.0, *edges]
    return [(lo, hi) for lo, hi in zip(bounds, [*bounds[1:], None], strict=True)]


def _open_ages(con, centre: Centre, as_of: dt.datetime, filters: Filters) -> list[tuple]:
    """(ticket_id, created_at, age_wd, category, topic, channel, site) of tickets open
    at ``as_of``, oldest first."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime (an instant)")
    flt = check_filters(filters, TICKET_DIMENSIONS, "tickets")
    flt_sql, flt_params = filter_sql(flt, "k")
    first = con.execute(
        "SELECT min(created_at) FROM tickets WHERE centre_id = ? AND created_at < ?"
        " AND (resolved_at IS NULL OR resolved_at >= ?)",
        [centre.centre_id, as_of, as_of],
    ).fetchone()[0]
    if first is None:
        return []
    calendar = BusinessCalendar(centre)
    zone = centre.tz
    spans = calendar.work_spans(
        first.astimezone(zone).date() - dt.timedelta(days=1), as_of.astimezone(zone).date()
    )
    with registered(con, spans=spans) as names:
        sp = names["spans"]
        sql = f"""
WITH opened AS (
    SELECT k.ticket_id, k.created_at, k.category, k.topic, k.channel, k.site,
           {clock_sql("k.created_at", "sc")} AS created_clock
    FROM tickets k ASOF LEFT JOIN {sp} sc ON k.created_at >= sc.span_start
    WHERE k.centre_id = ? AND k.created_at < ? AND (k.resolved_at IS NULL OR k.resolved_at >= ?)
          {flt_sql}
),
now_clock AS (
    SELECT {clock_sql("a.at", "sn")} AS clock_s
    FROM (SELECT CAST(? AS TIMESTAMPTZ) AS at) a ASOF LEFT JOIN {sp} sn ON a.at >= sn.span_start
)
SELECT o.ticket_id, o.created_at, greatest(n.clock_s - o.created_clock, 0) / ? AS age_wd,
       o.category, o.topic, o.channel, o.site
FROM opened o, now_clock n
ORDER BY o.created_at, o.ticket_id
"""
        params = [centre.centre_id, as_of, as_of, *flt_params, as_of, calendar.full_day_s]
        return con.execute(sql, params).fetchall()


def open_ticket_ages(
    con, centre: Centre, *, as_of: dt.datetime | None = None, filters: Filters = None
) -> dict:
    """``{"open": n, "buckets": [{"lo", "hi", "open"}], "oldest": {...} | None}``: the
    tickets open at ``as_of`` (default now) by age in working days."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    rows = _open_ages(con, centre, as_of, filters)
    buckets = [
        {"lo": lo, "hi": hi, "open": 0, "past_sla": lo >= centre.ticket_sla_wd}
        for lo, hi in age_buckets(centre.ticket_sla_wd)
    ]
    for row in rows:
        age = row[2] or 0.0
        for b in buckets:
            if age >= b["lo"] and (b["hi"] is None or age < b["hi"]):
                b["open"] += 1
                break
    oldest = None
    if rows:
        tid, created, age, category, topic, channel, site = rows[0]
        oldest = {
            "ticket_id": tid,
            "created_at": created.astimezone(centre.tz),
            "age_wd": age,
            "category": category,
            "topic": topic,
            "channel": channel,
            "site": site,
        }
    return {"open": len(rows), "buckets": buckets, "oldest": oldest}


def ticket_list(
    con,
    centre: Centre,
    *,
    period: Period,
    as_of: dt.datetime | None = None,
    filters: Filters = None,
    limit: int = 1000,
) -> list[dict]:
    """The tickets created in ``period`` (filters applied), open ones first then newest:
    ticket_id, created_at, first_response_at, resolved_at (local; a resolution at or
    after ``as_of`` is not known yet: None), open, category, topic, channel, priority,
    site."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    flt = check_filters(filters, TICKET_DIMENSIONS, "tickets")
    flt_sql, flt_params = filter_sql(flt, "k")
    lo, hi = period.bounds(centre.tz)
    rows = con.execute(
        f"""
SELECT ticket_id, created_at,
       CASE WHEN first_response_at < ? THEN first_response_at END,
       CASE WHEN resolved_at < ? THEN resolved_at END,
       category, topic, channel, priority, site
FROM tickets k
WHERE k.centre_id = ? AND k.created_at >= ? AND k.created_at < least(?, ?) {flt_sql}
ORDER BY (resolved_at IS NULL OR resolved_at >= ?) DESC, created_at DESC, ticket_id
LIMIT ?""",
        [as_of, as_of, centre.centre_id, lo, hi, as_of, *flt_params, as_of, limit],
    ).fetchall()
    zone = centre.tz
    out = []
    for tid, created, first, resolved, category, topic, channel, priority, site in rows:
        out.append(
            {
                "ticket_id": tid,
                "created_at": created.astimezone(zone),
                "first_response_at": first.astimezone(zone) if first else None,
                "resolved_at": resolved.astimezone(zone) if resolved else None,
                "open": resolved is None,
                "category": category,
                "topic": topic,
                "channel": channel,
                "priority": priority,
                "site": site,
            }
        )
    return out


CALL_LIST_COLUMNS = (
    "call_id",
    "arrived_at",
    "outcome",
    "wait_s",
    "handle_s",
    *CALL_TEXTS,
)


def _rollup_total(con, centre: Centre, period: Period, flt: dict) -> int | None:
    """How many calls the period and filters hold, from the quarter-hour rollup when it
    gives the exact count (routing filters, offsets in whole quarter-hours), else None."""
    dims = tuple(flt)
    columns = rollup_columns(
        con, centre, dims, centre.sl_thresholds_s[:1], centre.short_abandon_s, period, None
    )
    if columns is None:
        return None
    lo, hi = period.bounds(centre.tz)
    flt_sql, flt_params = filter_sql(flt, "c")
    return con.execute(
        "SELECT coalesce(CAST(sum(c.n) AS BIGINT), 0) FROM call_interval_deltas c "
        f"WHERE c.centre_id = ? AND c.quarter >= ? AND c.quarter < ? {flt_sql}",
        [centre.centre_id, rollup.quarter_of(lo), rollup.quarter_of(hi), *flt_params],
    ).fetchone()[0]


def call_list(
    con, centre: Centre, *, period: Period, filters: Filters = None, limit: int = 1000
) -> tuple[int, list[dict]]:
    """(how many calls the period and filters hold, up to ``limit`` of them newest
    first) with CALL_LIST_COLUMNS: handle_s is talk + hold + after-call work of an
    answered call. The caller's pseudonym is not read."""
    flt = check_filters(filters, CALL_DIMENSIONS, "calls")
    flt_sql, flt_params = filter_sql(flt, "c")
    lo, hi = period.bounds(centre.tz)
    where = f"c.centre_id = ? AND c.arrived_at >= ? AND c.arrived_at < ? {flt_sql}"
    params = [centre.centre_id, lo, hi, *flt_params]
    total = _rollup_total(con, centre, period, flt)
    if total is None:
        total = con.execute(f"SELECT count(*) FROM calls c WHERE {where}", params).fetchone()[0]
    # The newest calls of the period's last day, then of the last 8, 64 ... days, until
    # ``limit`` are found: the files' statistics skip the rest of a long period (a year's
    # list read every column of 10M calls in 1.2 s).
    span, rows = dt.timedelta(days=1), []
    while total:
        start = max(lo, hi - span)
        rows = con.execute(
            f"""
SELECT call_id, arrived_at, outcome, wait_s,
       CASE WHEN outcome = 'answered'
            THEN coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0) END,
       category, topic, queue, site, channel, agent_id
FROM calls c WHERE {where} AND c.arrived_at >= ?
ORDER BY arrived_at DESC, call_id LIMIT ?""",
            [*params, start, limit],
        ).fetchall()
        if len(rows) >= limit or start == lo:
            break
        span *= 8
    out = []
    for row in rows:
        record = dict(zip(CALL_LIST_COLUMNS, row, strict=True))
        record["arrived_at"] = record["arrived_at"].astimezone(centre.tz)
        out.append(record)
    return total, out
