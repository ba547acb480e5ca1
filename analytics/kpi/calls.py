"""Call KPIs: the one SQL definition of every call measure in DESIGN.md.

A call is *offered* to a queue and ends ``answered``, ``abandoned`` (the caller hung
up while waiting) or ``timeout`` (the system ended the wait). With T a service-level
threshold and S the short-abandon threshold (seconds):

* ``short_abandoned`` = abandoned with wait_s < S: callers who gave up before a "normal"
  wait; ``answer_rate_excl_short`` leaves them out of the denominator. This is how a
  centre can truthfully say both 90.9% (10,000 / 11,000) and 98.9% (10,000 / (11,000 −
  889)) from one log: the name says which definition is meant.
* ``sl_answered_T``  answered within T / answered
* ``sl_offered_T``   answered within T / offered
* ``sl_excl_short_T`` answered within T / (offered − short_abandoned)
* ``sl_with_abandons_T`` (answered within T + abandoned within T) / offered
  ("within T" is wait_s ≤ T: a call answered at exactly 12 s meets a 12 s target.)
* ``asa_s``, ``avg_abandon_wait_s``: mean waits of answered / abandoned calls;
  ``aht_s``: mean talk + hold + after-call work of answered calls (missing parts are 0);
  ``p90_wait_s``: the 90th percentile (linear interpolation) of answered waits.

Every ratio with a zero denominator is NULL (``nullif``), never 0.

The builder makes one aggregate pass: counts with ``FILTER`` for every threshold, then
the ratios over those counts. Groups are the ``by`` dimensions and the local interval.
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
    local_bucket_sql,
    quoted_identifier,
    records,
)
from analytics.periods import Period

CALL_DIMENSIONS = (
    "category",
    "topic",
    "queue",
    "site",
    "channel",
    "agent_id",
    "scenario",
    "replication",
)
SL_VARIANTS = ("sl_answered", "sl_offered", "sl_excl_short", "sl_with_abandons")
_OUTCOMES = "('answered', 'abandoned', 'timeout')"


def threshold_label(threshold_s: float) -> str:
    """``12`` for 12.0 s, ``7.5`` for 7.5 s: the suffix of a service-level name."""
    value = float(threshold_s)
    return str(int(value)) if value.is_integer() else repr(value)


def _thresholds(thresholds_s: Sequence[float]) -> list[float]:
    seen: list[float] = []
    for t in thresholds_s:
        t = float(t)
        if t < 0:
            raise ValueError(f"service-level threshold {t} s is negative")
        if t not in seen:
            seen.append(t)
    if not seen:
        raise ValueError("at least one service-level threshold is needed")
    return seen


def call_kpi_names(thresholds_s: Sequence[float]) -> list[str]:
    """Every call KPI name in DESIGN.md order, service levels at each threshold."""
    names = [
        "offered",
        "answered",
        "abandoned",
        "timed_out",
        "short_abandoned",
        "answer_rate",
        "answer_rate_excl_short",
        "abandon_rate",
    ]
    labels = [threshold_label(t) for t in _thresholds(thresholds_s)]
    for variant in SL_VARIANTS:
        names += [f"{variant}_{label}" for label in labels]
    names += ["asa_s", "avg_abandon_wait_s", "aht_s", "p90_wait_s"]
    return names


def call_kpis_sql(
    source: str,
    dims: Sequence[str],
    n_thresholds: int,
    *,
    interval: str | None,
    bounded: bool,
    all_groups: bool,
    dates_table: str | None = None,
) -> str:
    """The SQL of ``call_kpis``; its ``?`` parameters, in order, are

    time zone (if ``interval``), centre id, [start, end instants if ``bounded``], S,
    T₁..Tₙ (answered within), T₁..Tₙ (abandoned within), [centre id if ``all_groups``].
    """
    table = quoted_identifier(source, "call source")
    select_dims = [f"c.{d} AS {d}" for d in dims]
    from_clause = f"{table} c"
    if interval is not None:
        local, hijri = "timezone(?, c.arrived_at)", None
        if interval == "hijri-month":
            # The Hijri month of a call is a join on its local date; the zone is bound once.
            from_clause = (
                f"(SELECT *, timezone(?, arrived_at) AS local_at FROM {table}) c"
                f" JOIN {dates_table} dd ON dd.date = CAST(c.local_at AS DATE)"
            )
            local, hijri = "c.local_at", "dd.hijri_month_start"
        select_dims.append(f"{local_bucket_sql(interval, local, hijri)} AS interval_start")
    keys = list(dims) + (["interval_start"] if interval is not None else [])
    where = "c.centre_id = ?" + (" AND c.arrived_at >= ? AND c.arrived_at < ?" if bounded else "")
    cols = ", ".join(select_dims + ["c.outcome", "c.wait_s", "c.talk_s", "c.hold_s", "c.acw_s"])
    counts = [
        f"count(*) FILTER (WHERE outcome IN {_OUTCOMES}) AS offered",
        "count(*) FILTER (WHERE outcome = 'answered') AS answered",
        "count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned",
        "count(*) FILTER (WHERE outcome = 'timeout') AS timed_out",
        "count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s < ?) AS short_abandoned",
    ]
    counts += [
        f"count(*) FILTER (WHERE outcome = 'answered' AND wait_s <= ?) AS answered_within_{i}"
        for i in range(n_thresholds)
    ]
    counts += [
        f"count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s <= ?) AS abandoned_within_{i}"
        for i in range(n_thresholds)
    ]
    counts += [
        "avg(wait_s) FILTER (WHERE outcome = 'answered') AS asa_s",
        "avg(wait_s) FILTER (WHERE outcome = 'abandoned') AS avg_abandon_wait_s",
        "avg(coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0))"
        " FILTER (WHERE outcome = 'answered') AS aht_s",
        "quantile_cont(wait_s, 0.9) FILTER (WHERE outcome = 'answered') AS p90_wait_s",
    ]
    group_by = f" GROUP BY {', '.join(keys)}" if keys else ""
    aggregate = f"SELECT {', '.join(keys + counts)} FROM base{group_by}"

    def ratio(numerator: str, denominator: str) -> str:
        return f"CAST({numerator} AS DOUBLE) / nullif({denominator}, 0)"

    excl = "(offered - short_abandoned)"
    ratios = [
        "offered",
        "answered",
        "abandoned",
        "timed_out",
        "short_abandoned",
        f"{ratio('answered', 'offered')} AS answer_rate",
        f"{ratio('answered', excl)} AS answer_rate_excl_short",
        f"{ratio('abandoned', 'offered')} AS abandon_rate",
    ]
    # Column names of the service levels are given by the caller (labels); here index i.
    for variant, num, den in (
        ("sl_answered", "answered_within_{i}", "answered"),
        ("sl_offered", "answered_within_{i}", "offered"),
        ("sl_excl_short", "answered_within_{i}", excl),
        ("sl_with_abandons", "(answered_within_{i} + abandoned_within_{i})", "offered"),
    ):
        ratios += [f"{ratio(num.format(i=i), den)} AS {variant}_{i}" for i in range(n_thresholds)]
    ratios += ["asa_s", "avg_abandon_wait_s", "aht_s", "p90_wait_s"]

    if all_groups:
        # Every group the centre has ever had gets a row, so a category with no calls in
        # the period reads offered 0 and null rates instead of vanishing.
        on = " AND ".join(f"g.{d} IS NOT DISTINCT FROM a.{d}" for d in dims)
        count_cols = ["offered", "answered", "abandoned", "timed_out", "short_abandoned"]
        count_cols += [f"answered_within_{i}" for i in range(n_thresholds)]
        count_cols += [f"abandoned_within_{i}" for i in range(n_thresholds)]
        filled = [f"g.{d} AS {d}" for d in dims]
        filled += [f"coalesce(a.{c}, 0) AS {c}" for c in count_cols]
        filled += [f"a.{c} AS {c}" for c in ("asa_s", "avg_abandon_wait_s", "aht_s", "p90_wait_s")]
        groups = f"SELECT DISTINCT {', '.join(dims)} FROM {table} WHERE centre_id = ?"
        # The aggregate comes first in the text so that its ? parameters bind first.
        counted = f"SELECT {', '.join(filled)} FROM ({aggregate}) a RIGHT JOIN ({groups}) g ON {on}"
    else:
        counted = aggregate
    order = f" ORDER BY {', '.join(f'{k} NULLS LAST' for k in keys)}" if keys else ""
    return (
        f"WITH base AS (SELECT {cols} FROM {from_clause} WHERE {where}), "
        f"counted AS ({counted}) "
        f"SELECT {', '.join(keys + ratios)} FROM counted{order}"
    )


def _data_days(con, table: str, centre: Centre) -> tuple[dt.date, dt.date] | None:
    row = con.execute(
        f"SELECT CAST(min(timezone(?, arrived_at)) AS DATE), "
        f"CAST(max(timezone(?, arrived_at)) AS DATE) FROM {table} WHERE centre_id = ?",
        [centre.timezone, centre.timezone, centre.centre_id],
    ).fetchall()[0]
    return None if row[0] is None else (row[0], row[1])


def call_kpis(
    con,
    centre: Centre,
    *,
    period: Period | None = None,
    by: Sequence[str] = (),
    interval: str | None = None,
    source: str = "calls",
    thresholds_s: Sequence[float] | None = None,
    short_abandon_s: float | None = None,
) -> list[dict]:
    """Call KPIs of ``centre`` from table/view ``source``, one dict per group.

    Keys: the ``by`` dimensions in order, then ``interval_start`` (local, aware) when
    ``interval`` is given, then ``call_kpi_names(thresholds)``. Without ``by`` and
    ``interval`` there is exactly one row, even with no calls (counts 0, ratios None).
    With ``by`` alone, every group the centre has in ``source`` gets a row; with an
    interval, only (group, interval) pairs that have calls. ``period`` None = all data.
    Thresholds and S (seconds) default to the centre's settings.
    """
    dims = check_dimensions(by, CALL_DIMENSIONS, "calls")
    check_interval(interval)
    thresholds = _thresholds(centre.sl_thresholds_s if thresholds_s is None else thresholds_s)
    short_s = centre.short_abandon_s if short_abandon_s is None else float(short_abandon_s)
    if short_s < 0:
        raise ValueError(f"short-abandon threshold {short_s} s is negative")
    table = quoted_identifier(source, "call source")
    all_groups = bool(dims) and interval is None

    tables = {}
    if interval == "hijri-month":
        days = (period.start, period.end) if period else _data_days(con, table, centre)
        if days is None:
            days = (dt.date(2000, 1, 1), dt.date(2000, 1, 1))
        tables["dates"] = BusinessCalendar(centre).date_dimension(*days)
    with registered(con, **tables) as names:
        sql = call_kpis_sql(
            source,
            dims,
            len(thresholds),
            interval=interval,
            bounded=period is not None,
            all_groups=all_groups,
            dates_table=names.get("dates"),
        )
        params: list = []
        if interval is not None:
            params.append(centre.timezone)
        params.append(centre.centre_id)
        if period is not None:
            params += list(period.bounds(centre.tz))
        params.append(short_s)
        params += thresholds + thresholds
        if all_groups:
            params.append(centre.centre_id)
        rows = records(con.execute(sql, params))

    labels = [threshold_label(t) for t in thresholds]
    renames = {
        f"{variant}_{i}": f"{variant}_{label}"
        for variant in SL_VARIANTS
        for i, label in enumerate(labels)
    }
    names_in_order = list(dims) + (["interval_start"] if interval else [])
    names_in_order += call_kpi_names(thresholds)
    zone = centre.tz
    result = []
    for row in rows:
        out = {renames.get(k, k): v for k, v in row.items()}
        if interval is not None:
            out["interval_start"] = as_local(out["interval_start"], zone)
        result.append({k: out[k] for k in names_in_order})
    return result
