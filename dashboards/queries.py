"""What each page shows, as plain functions over the KPI layer (no Dash in here).

Each function takes an open connection, the centre, the period and the filters, calls
``analytics.kpi`` (and ``simulation.formulas.erlang`` for required agents) and returns plain
rows. Pages turn them into tiles and figures; tests call them directly and compare
with the KPI layer. Nothing here computes a KPI: it only picks which KPI-layer rows a
page needs (the period, the latest day, the last 30 days, by category ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from analytics import kpi, snapshot_cache
from analytics.centres import Centre
from analytics.freshness import CALL_TABLES, first_ticket, latest_call
from analytics.kpi import occupancy
from analytics.kpi.backlog import call_list, open_ticket_ages, ticket_list
from analytics.kpi.tickets import at_risk_tickets
from analytics.periods import Period

Filters = Mapping[str, Sequence[str]]
TICKET_DIMS = ("category", "topic", "channel", "site")
PERCENTILE_DAYS = 92  # the Categories table reads the exact p90 for periods up to ~3 months


def ticket_filters(filters: Filters) -> dict:
    return {k: v for k, v in filters.items() if k in TICKET_DIMS}


def day_period(day: dt.date, label: str | None = None) -> Period:
    return Period(day, day, label or day.isoformat())


def _kept_rows(con, function, centre: Centre, options: dict, tables=()) -> list[dict]:
    """``function(con, centre, **options)``'s rows (a KPI-layer function), computed once
    per snapshot of the store and kept for every page and user reading that snapshot
    (``snapshot_cache.read``: a snapshot never changes, so the rows are exact), and
    carried to a later one that changed none of ``tables`` (all it reads). Each caller
    gets its own copies."""
    key = (function.__qualname__, repr(centre), _hashable(options))
    rows = snapshot_cache.read(
        con, key, lambda: tuple(function(con, centre, **options)), tables=tables
    )
    return [dict(row) for row in rows]


def _hashable(value):
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def call_kpis(con, centre: Centre, **options) -> list[dict]:
    """``analytics.kpi.call_kpis``, kept per snapshot (``_kept_rows``)."""
    return _kept_rows(con, kpi.call_kpis, centre, options, tables=CALL_TABLES)


def ticket_kpis(con, centre: Centre, **options) -> list[dict]:
    """``analytics.kpi.ticket_kpis``, kept per snapshot (``_kept_rows``)."""
    return _kept_rows(con, kpi.ticket_kpis, centre, options)


def latest_day_with_calls(con, centre: Centre, on_or_before: dt.date) -> dt.date | None:
    """The last local day up to ``on_or_before`` that has calls (today, if any yet)."""
    lo, hi = day_period(on_or_before).bounds(centre.tz)
    latest = latest_call(con, centre, before=hi)
    return latest.date() if latest is not None else None


def has_any_tickets(con, centre: Centre) -> bool:
    return first_ticket(con, centre) is not None


def has_staffing(con, centre: Centre, period: Period) -> bool:
    lo, hi = period.bounds(centre.tz)
    return snapshot_cache.read(
        con,
        ("has staffing", centre.centre_id, lo, hi),
        lambda: bool(
            con.execute(
                "SELECT count(*) FROM (SELECT 1 FROM staffing WHERE centre_id = ? AND "
                "interval_start >= ? AND interval_start < ? LIMIT 1)",
                [centre.centre_id, lo, hi],
            ).fetchone()[0]
        ),
        tables=("staffing",),
    )


def trend_period(con, centre: Centre, period: Period, days: int = 30) -> Period | None:
    """The ``days`` days ending with the period's last day that has calls."""
    end = latest_day_with_calls(con, centre, period.end)
    if end is None:
        return None
    return Period(end - dt.timedelta(days=days - 1), end, f"last {days} days")


def comparisons(con, centre: Centre, period: Period, filters: Filters) -> list[tuple[Period, dict]]:
    """The period before ``period`` and the same period a year before, each with its
    KPI-layer row, where the history holds it (a period before the first call is left
    out rather than shown as zeros)."""
    from analytics.exports.report import covered, history_start, previous_period, year_before

    first = history_start(con, centre)
    out = []
    for other in (previous_period(period), year_before(period)):
        other = covered(other, first)
        if other is not None:
            # no exact p90 here: it reads every answered call of another period
            row = call_kpis(con, centre, period=other, filters=dict(filters), percentile=False)
            out.append((other, row[0]))
        else:
            out.append((None, None))
    return out


def month_trend(
    con, centre: Centre, period: Period, filters: Filters, months: int = 13
) -> list[dict]:
    """The KPI layer's monthly rows for up to ``months`` months ending with the period's
    month, from the first month with data."""
    from analytics.exports.report import history_start

    first = history_start(con, centre)
    if first is None:
        return []
    start = max(months_back(period.end, months), first.replace(day=1))
    span = Period(start, period.end, f"{start.isoformat()}..{period.end.isoformat()}")
    rows = call_kpis(
        con, centre, period=span, interval="month", filters=dict(filters), percentile=False
    )
    return [r for r in rows if r["offered"]]


def months_back(end: dt.date, months: int) -> dt.date:
    """The first day of the month ``months - 1`` months before ``end``'s."""
    y, m = end.year, end.month - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)


def overview(con, centre: Centre, period: Period, filters: Filters, today: dt.date) -> dict:
    """The Overview's rows: the period, today (or the latest day with calls), by caller
    category, 30-day daily trends overall and by category, and the tickets. Its call KPIs
    over the period, the one before, the year before, the months and the trend count from
    one read of the rollup, their percentiles from one read of the calls
    (``kpi.sharing_rollup``)."""
    from analytics.exports.report import previous_period, year_before

    starts = [period.start, months_back(period.end, 13), period.end - dt.timedelta(days=29)]
    starts += [p.start for p in (previous_period(period), year_before(period)) if p is not None]
    # the exact percentiles: of the period and of the trend's days
    trend = trend_period(con, centre, period) or period
    calls = Period(min(period.start, trend.start), max(period.end, trend.end), "percentiles")
    with kpi.sharing_rollup(con, centre, Period(min(starts), period.end, "overview"), calls):
        return _overview(con, centre, period, filters, today)


def _overview(con, centre: Centre, period: Period, filters: Filters, today: dt.date) -> dict:
    f = dict(filters)
    day = latest_day_with_calls(con, centre, today)
    has_tickets = has_any_tickets(con, centre)
    is_today = day == today
    trend = trend_period(con, centre, period)
    out = {
        "period": call_kpis(con, centre, period=period, filters=f)[0],
        "day": day,
        "day_is_today": is_today,
        "day_row": None,
        # a screen lists the categories with calls in the period, not every one of the year
        "by_category": call_kpis(
            con, centre, period=period, by=("category",), filters=f, empty_groups=False
        ),
        "trend": [],
        "trend_by_category": [],
        "tickets": (
            ticket_kpis(con, centre, period=period, filters=ticket_filters(f))[0]
            if has_tickets
            else None
        ),
        "ticket_trend": [],
        "compare": comparisons(con, centre, period, f),
        "months": month_trend(con, centre, period, f),
        # occupancy needs staffed time: without a staffing table there is none to read
        "occupancy": (
            occupancy(con, centre, period=period)[0] if has_staffing(con, centre, period) else None
        ),
    }
    if trend is not None:
        out["trend"] = call_kpis(con, centre, period=trend, interval="day", filters=f)
        # the latest day is the trend's last row when the period reaches it: no second query
        same = [r for r in out["trend"] if r["interval_start"].date() == day]
        if same:
            out["day_row"] = {k: v for k, v in same[0].items() if k != "interval_start"}
        out["trend_by_category"] = call_kpis(
            con, centre, period=trend, by=("category",), interval="day", filters=f
        )
        if has_tickets:
            out["ticket_trend"] = ticket_kpis(
                con, centre, period=trend, interval="day", filters=ticket_filters(f)
            )
    if day is not None and out["day_row"] is None:
        out["day_row"] = call_kpis(con, centre, period=day_period(day), filters=f)[0]
    return out


def categories(
    con,
    centre: Centre,
    period: Period,
    filters: Filters,
    *,
    category: str | None = None,
    interval: str = "day",
) -> dict:
    """Every KPI by caller category; volumes by category over time; for a chosen
    category its topics and its half hours of the day over the period (the KPI layer's
    ``daily-30min`` profile: ``interval_start`` on a reference day). One read of the
    rollup (``kpi.sharing_rollup``)."""
    with kpi.sharing_rollup(con, centre, period, period):
        return _categories(con, centre, period, filters, category, interval)


def _categories(con, centre, period, filters, category, interval) -> dict:
    # every category stays in the table and the chart, so another can be picked
    f = {k: v for k, v in filters.items() if k != "category"}
    # The exact 90th-percentile wait reads every answered call of the period: over a
    # year that is most of a second, so long periods show the rollup's KPIs without it.
    out = {
        "percentile": period.days <= PERCENTILE_DAYS,
        "by_category": call_kpis(
            con,
            centre,
            period=period,
            by=("category",),
            filters=f,
            percentile=period.days <= PERCENTILE_DAYS,
            empty_groups=False,
        ),
        # volumes only: no percentile to read from the calls
        "over_time": call_kpis(
            con,
            centre,
            period=period,
            by=("category",),
            interval=interval,
            filters=f,
            percentile=False,
        ),
        "topics": [],
        "intervals": [],
    }
    if category is not None:
        g = f | {"category": [category]}
        out["topics"] = call_kpis(
            con, centre, period=period, by=("topic",), filters=g, empty_groups=False
        )
        out["intervals"] = call_kpis(con, centre, period=period, interval="daily-30min", filters=g)
    return out


def weekly_profile(
    con, centre: Centre, period: Period, filters: Filters, interval: str = "weekly-30min"
) -> list[dict]:
    """The period folded onto weekday × half hour (the KPI layer's weekly profile, from
    the rollup): the intraday heat maps."""
    return call_kpis(con, centre, period=period, interval=interval, filters=dict(filters))


def day_intervals(
    con, centre: Centre, day: dt.date, filters: Filters, interval: str = "30min"
) -> list[dict]:
    return call_kpis(con, centre, period=day_period(day), interval=interval, filters=dict(filters))


def staffing_of_day(con, centre: Centre, day: dt.date) -> list[tuple[dt.datetime, float | None]]:
    """(interval start local, agents available) of the staffing table for one day, summed
    over queues and sites."""
    lo, hi = day_period(day).bounds(centre.tz)
    rows = con.execute(
        "SELECT interval_start, sum(agents_available) FROM staffing WHERE centre_id = ?"
        " AND interval_start >= ? AND interval_start < ? GROUP BY ALL ORDER BY 1",
        [centre.centre_id, lo, hi],
    ).fetchall()
    return [(start.astimezone(centre.tz), agents) for start, agents in rows]


def required_agents(
    rows: Sequence[dict],
    interval_s: float,
    target: str,
    patience_s: float | None,
    short_abandon_s: float,
) -> list[int | None]:
    """Agents Erlang A needs in each interval's row (its offered calls and AHT) to meet
    ``target`` (e.g. ``sl_offered_12>=0.8``): ``simulation.formulas.erlang`` does the maths.
    None where the KPI layer has no AHT (no answered call) or no n reaches it."""
    from simulation.formulas.erlang import required_agents as erlang_required

    needed: list[int | None] = []
    for row in rows:
        calls, aht = row.get("offered") or 0, row.get("aht_s")
        if not calls:
            needed.append(0)
        elif not aht:
            needed.append(None)
        else:
            needed.append(
                erlang_required(
                    calls,
                    interval_s,
                    aht,
                    targets=[target],
                    patience_s=patience_s,
                    max_agents=2_000,
                    short_abandon_s=short_abandon_s,
                )
            )
    return needed


def patience_estimate_s(row: dict) -> float | None:
    """Mean patience (s) over a period's calls, as ``cca calibrate`` estimates it
    (``simulation.calibration.patience.exponential_patience_s``: time callers waited, answered
    and abandoned, over abandons). None without abandons (Erlang C then)."""
    from simulation.calibration.patience import exponential_patience_s

    abandoned = row.get("abandoned") or 0
    if not abandoned:
        return None
    waited = (row.get("asa_s") or 0) * (row.get("answered") or 0)
    waited += (row.get("avg_abandon_wait_s") or 0) * abandoned
    return exponential_patience_s(waited, abandoned)


def tickets(
    con, centre: Centre, period: Period, filters: Filters, as_of: dt.datetime | None = None
) -> dict:
    f = ticket_filters(filters)
    return {
        "period": ticket_kpis(con, centre, period=period, filters=f, as_of=as_of)[0],
        "daily": ticket_kpis(con, centre, period=period, interval="day", filters=f, as_of=as_of),
        "by_category_channel": ticket_kpis(
            con, centre, period=period, by=("category", "channel"), filters=f, as_of=as_of
        ),
        "at_risk": at_risk_tickets(con, centre, as_of=as_of, filters=f),
        "ages": open_ticket_ages(con, centre, as_of=as_of, filters=f),
        "list": ticket_list(con, centre, period=period, as_of=as_of, filters=f),
    }


def calls_behind(con, centre: Centre, period: Period, filters: Filters, limit: int = 500):
    """(how many, the newest ``limit``) calls behind the figures of this selection (kept
    per snapshot, as ``_kept_rows``)."""
    options = {"period": period, "filters": dict(filters), "limit": limit}
    key = ("call_list", repr(centre), _hashable(options))
    total, rows = snapshot_cache.read(
        con, key, lambda: (lambda t, r: (t, tuple(r)))(*call_list(con, centre, **options))
    )
    return total, [dict(row) for row in rows]


def sites(con, centre: Centre, period: Period, filters: Filters) -> dict:
    f = dict(filters)
    with kpi.sharing_rollup(con, centre, period, period):  # by site and by channel: one read
        return _sites(con, centre, period, f)


def _sites(con, centre: Centre, period: Period, f: dict) -> dict:
    out = {
        "calls_by_site": call_kpis(
            con, centre, period=period, by=("site",), filters=f, empty_groups=False
        ),
        "calls_by_channel": call_kpis(
            con, centre, period=period, by=("channel",), filters=f, empty_groups=False
        ),
        "tickets_by_site": ticket_kpis(
            con, centre, period=period, by=("channel", "site"), filters=ticket_filters(f)
        ),
        # occupancy needs staffed time: without a staffing table there is none to read
        "occupancy": (
            occupancy(con, centre, period=period)[0]
            if has_staffing(con, centre, period)
            else {"handled_s": None, "staffed_s": 0.0, "occupancy": None}
        ),
    }
    return out
