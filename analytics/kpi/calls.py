# long: the one definition of the call KPIs and every way of reading them (the rollup, the
# calls, a page's shared copies, the exact percentile): they share one private query plan
# (_CountQuery) and call_kpis, and split apart they would import each other.
"""Call KPIs: the one SQL definition of every call measure in docs/kpis.md.

A call is *offered* to a queue and ends ``answered``, ``abandoned`` (the caller hung
up while waiting) or ``timeout`` (the system ended the wait). With T a service-level
threshold and S the short-abandon threshold (seconds):

* ``short_abandoned`` = abandoned with wait_s < S: callers who gave up before a "normal"
  wait; ``answer_rate_excl_short`` leaves them out of the denominator. This is how a
  centre can truthfully quote two answer rates from one log (docs/kpis.md's worked
  example): the name says which definition is meant.
* ``sl_answered_T``  answered within T / answered
* ``sl_offered_T``   answered within T / offered
* ``sl_excl_short_T`` answered within T / (offered − short_abandoned)
* ``sl_with_abandons_T`` (answered within T + abandoned within T) / offered
  ("within T" is wait_s ≤ T: a call answered at exactly 12 s meets a 12 s target.)
* ``asa_s``, ``avg_abandon_wait_s``: mean waits of answered / abandoned calls;
  ``aht_s``: mean talk + hold + after-call work of answered calls (missing parts are 0);
  ``p90_wait_s``: the 90th percentile (linear interpolation) of answered waits; each of
  these to the nanosecond.

Every ratio with a zero denominator is None (SQL NULL), never 0.

Per group and outcome, the calls are counted (within S and each T) with their wait and
handling sums, and the exact 90th percentile of answered waits is taken; ``fold_outcomes``
folds the outcomes into the counts and ratios of docs/kpis.md. The counts and sums come from
the quarter-hour rollup (``analytics.kpi.rollup``) whenever it gives exactly the same
answer, else from one SQL aggregate over the calls (``call_counts_sql``); the percentile
always comes from the calls. Groups are the ``by`` dimensions and the local interval (cut by epoch
arithmetic with the zone's offsets, see ``buckets.local_us_sql``). A breakdown by
dimension over a period also lists, with zero counts, the groups that had calls within
a year either side of it ("a category with no calls"); interval rows exist only where
there are calls.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from analytics import direct_reads, snapshot_cache
from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.kpi import rollup
from analytics.kpi.buckets import (
    MAX_OFFSET_CHANGES,
    as_local,
    check_dimensions,
    check_filters,
    check_interval,
    filter_sql,
    interval_key_sql,
    interval_start_of,
    local_us_sql,
    offset_changes,
    quoted_identifier,
)
from analytics.kpi.catalogue import SL_VARIANTS
from analytics.kpi.catalogue import names as catalogue_names
from analytics.kpi.longest_waits import LongestWaits
from analytics.periods import Period
from analytics.records import CALL_TEXTS

CALL_DIMENSIONS = (*CALL_TEXTS, "scenario", "replication")


def threshold_label(threshold_s: float) -> str:
    """``12`` for 12.0 s, ``7.5`` for 7.5 s: the suffix of a service-level name.

    The one spelling of a threshold in every KPI name (``cca kpi``, ``cca erlang``,
    simulation reports, staffing targets, exports): a whole number without a decimal
    point, otherwise the shortest text that reads back as the same float (``repr``),
    so two different thresholds never share a name and ``sl_offered_12.3456789`` is
    named the same by every command."""
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
    """Every call KPI name in the catalogue's order, service levels at each threshold."""
    return list(_call_names(tuple(threshold_label(t) for t in _thresholds(thresholds_s))))


@functools.lru_cache(maxsize=64)
def _call_names(labels: tuple[str, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for name in catalogue_names("calls"):
        names += [f"{name}_{label}" for label in labels] if name in SL_VARIANTS else [name]
    return tuple(names)


def call_counts_sql(
    source: str,
    dims: Sequence[str],
    n_thresholds: int,
    *,
    interval: str | None,
    bounded: bool,
    local_us: str = "",
    dates_table: str | None = None,
    filters: Sequence[str] = (),
    percentile: bool = True,
) -> str:
    """The one aggregate of ``call_kpis``: per group, bucket and *outcome*, the call
    count, the counts within S and each T, the wait and handling sums and the 90th
    percentile of the waits. ``fold_outcomes`` turns its rows into the KPIs.

    Its ``?`` parameters, in order: [those of ``local_us`` if ``interval``], S,
    T₁..Tₙ, centre id, [start, end instants if ``bounded``], a list of values to keep
    for each of ``filters`` (dimension names).

    Why this shape (benchmarks/kpi.py; figures in docs/measurements.md): grouping by
    outcome costs each row one threshold comparison per count instead of an outcome
    test per count; summing talk, hold and after-call work separately is faster than
    summing their row-wise coalesced total (the sums are equal: NULL parts count as 0
    either way); the percentile is taken per outcome group without a FILTER (the
    answered group's is the one used); and a single flat aggregate plans much faster
    than the former three-stage CTE.
    """
    table = quoted_identifier(source, "call source")
    select = [f"c.{d} AS {d}" for d in dims]
    join = ""
    if interval is not None:
        hijri = None
        if interval == "hijri-month":
            join = f" JOIN {dates_table} dd ON dd.date = CAST(make_timestamp({local_us}) AS DATE)"
            hijri = "dd.hijri_month_start"
        select.append(f"{interval_key_sql(interval, local_us, hijri)} AS interval_key")
    select += [
        "c.outcome AS outcome",
        "count(*) AS n",
        "count_if(c.wait_s < ?) AS n_short",
        *(f"count_if(c.wait_s <= ?) AS n_within_{i}" for i in range(n_thresholds)),
        "sum(c.wait_s) AS wait_sum",
        "sum(c.talk_s) AS talk_sum",
        "sum(c.hold_s) AS hold_sum",
        "sum(c.acw_s) AS acw_sum",
        "quantile_cont(c.wait_s, 0.9) AS p90" if percentile else "NULL AS p90",
    ]
    where = "c.centre_id = ?" + (" AND c.arrived_at >= ? AND c.arrived_at < ?" if bounded else "")
    where += "".join(f" AND list_contains(?, c.{d})" for d in filters)
    return f"SELECT {', '.join(select)} FROM {table} c{join} WHERE {where} GROUP BY ALL"


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator as a float; None (SQL NULL) for a zero denominator."""
    return numerator / denominator if denominator else None


_OUTCOME_SLOT = {"answered": 0, "abandoned": 1, "timeout": 2}


def _p90_value(p90) -> float | None:
    """The percentile as reported: to the nanosecond. DuckDB's ``quantile_cont`` and
    the interpolation of the pruned read (``_answered_p90``) can differ in the last bit
    of a double; rounded, both give the same figure."""
    return None if p90 is None else round(float(p90), 9)


def _ns(seconds: float) -> float:
    return round(seconds, 9)


def fold_outcomes(answered_row, abandoned_row, timeout_row, labels: tuple[str, ...]) -> dict:
    """The call KPIs of one group by name (in ``call_kpi_names`` order), from its rows of
    ``call_counts_sql`` for each outcome (None when the group has no such call);
    ``labels``: the thresholds' ``threshold_label``s.

    Each row is the tail of a result row from its ``n`` column on: n, n_short,
    n_within_0..n_within_(n-1), wait_sum, talk_sum, hold_sum, acw_sum, p90. This is
    where docs/kpis.md's definitions are written down; it runs in plain Python over
    the few aggregated rows because a second SQL stage cost more to plan than this
    costs to run.
    """
    n_thresholds = len(labels)
    w = 2 + n_thresholds  # index of wait_sum
    answered = answered_row[0] if answered_row else 0
    abandoned = abandoned_row[0] if abandoned_row else 0
    timed_out = timeout_row[0] if timeout_row else 0
    offered = answered + abandoned + timed_out
    short = abandoned_row[1] if abandoned_row else 0
    excl = offered - short
    within = answered_row[2:w] if answered_row else (0,) * n_thresholds
    within_ab = abandoned_row[2:w] if abandoned_row else (0,) * n_thresholds
    out = {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "timed_out": timed_out,
        "short_abandoned": short,
        "answer_rate": _ratio(answered, offered),
        "answer_rate_excl_short": _ratio(answered, excl),
        "abandon_rate": _ratio(abandoned, offered),
    }
    # (written out rather than through _ratio: this runs for every group and interval)
    sl = _sl_names(labels)
    for t, x in zip(sl["sl_answered"], within, strict=True):
        out[t] = x / answered if answered else None
    for t, x in zip(sl["sl_offered"], within, strict=True):
        out[t] = x / offered if offered else None
    for t, x in zip(sl["sl_excl_short"], within, strict=True):
        out[t] = x / excl if excl else None
    for t, x, y in zip(sl["sl_with_abandons"], within, within_ab, strict=True):
        out[t] = (x + y) / offered if offered else None
    # float(): a view may carry DECIMAL or integer seconds; NULL parts count as 0
    # Means are reported to the nanosecond, like the percentile: the lake sums a
    # column's doubles in no fixed order, so the last bit of a sum moved between runs
    # (and between a page and its download).
    abandon_wait = _ns(float(abandoned_row[w]) / abandoned) if abandoned else None
    if answered:
        wait, talk, hold, acw, p90 = answered_row[w : w + 5]
        out["asa_s"] = _ns(float(wait) / answered)
        out["avg_abandon_wait_s"] = abandon_wait
        out["aht_s"] = _ns((float(talk or 0) + float(hold or 0) + float(acw or 0)) / answered)
        out["p90_wait_s"] = _p90_value(p90)
    else:
        out["asa_s"] = None
        out["avg_abandon_wait_s"] = abandon_wait
        out["aht_s"] = out["p90_wait_s"] = None
    return out


@functools.lru_cache(maxsize=64)
def _sl_names(labels: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {v: tuple(f"{v}_{label}" for label in labels) for v in SL_VARIANTS}


def _known_groups(
    con,
    table: str,
    dims: Sequence[str],
    centre: Centre,
    period: Period,
    seen: Sequence[tuple],
    *,
    from_rollup: bool = False,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> list:
    """The ``dims`` values of the centre's calls within a year either side of ``period``:
    the groups a breakdown shows even when they have no call in the period. A group
    without a value (calls that carry no category, as a queue_log feed's) is no group of
    its own: it is listed only when it has calls in the period.

    With one dimension the values ``seen`` in the period are filtered out while
    scanning, which makes the query cheaper (fewer rows to hash)."""
    lo, hi = period.bounds(centre.tz)
    year = dt.timedelta(days=366)
    cols = ", ".join(f"c.{d}" for d in dims)
    params: list = [centre.centre_id, lo - year, hi + year]
    if from_rollup:
        # the same groups from the (much smaller) rollup: its deltas, grouped by the
        # dimensions alone (a key's deltas net to its calls, never below 0, so a group has
        # calls exactly when its deltas' sum is not 0), not the view's every sum per key
        sql = (
            f"SELECT {cols} FROM call_interval_deltas c "
            "WHERE c.centre_id = ? AND c.quarter >= ? AND c.quarter < ?"
        )
        params[1:] = [rollup.quarter_of(b) for b in params[1:]]
    else:
        sql = (
            f"SELECT DISTINCT {cols} FROM {table} c "
            "WHERE c.centre_id = ? AND c.arrived_at >= ? AND c.arrived_at < ?"
        )
    flt_sql, flt_params = filter_sql(filters or {})
    sql += flt_sql + "".join(f" AND c.{d} IS NOT NULL" for d in dims)
    params += flt_params
    values = [key[0] for key in seen if key[0] is not None]
    if len(dims) == 1 and values:
        sql += f" AND NOT list_contains(?, c.{dims[0]})"
        params.append(values)
    if from_rollup:
        sql += f" GROUP BY {cols} HAVING sum(c.n) <> 0"
    return con.execute(sql, params).fetchall()


def _data_days(con, table: str, centre: Centre) -> tuple[dt.date, dt.date] | None:
    """First and last local day with calls (instants converted in Python: cheaper than
    converting every row in SQL)."""
    first, last = con.execute(
        f"SELECT min(arrived_at), max(arrived_at) FROM {table} WHERE centre_id = ?",
        [centre.centre_id],
    ).fetchall()[0]
    if first is None:
        return None
    zone = centre.tz
    return first.astimezone(zone).date(), last.astimezone(zone).date()


# long: one query: the options checked, the counts read from the rollup or the calls (with the
# percentile beside them), then folded per group; the SQL is built by the named *_sql builders
# above
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
    use_rollup: bool = True,
    filters: Mapping[str, Sequence[str] | str] | None = None,
    percentile: bool = True,
    empty_groups: bool = True,
) -> list[dict]:
    """Call KPIs of ``centre`` from table/view ``source``, one dict per group.

    Keys: the ``by`` dimensions in order, then ``interval_start`` (local, aware) when
    ``interval`` is given, then ``call_kpi_names(thresholds)``. Without ``by`` and
    ``interval`` there is exactly one row, even with no calls (counts 0, ratios None).
    With ``by`` alone and a ``period``, every group (with a value) that has calls within a
    year either side of the period gets a row, with zeros and nulls if it has none in the period
    (a report's months line up); ``empty_groups=False`` leaves those out, as a screen
    listing the groups of one period does; otherwise a row per group (and interval) that
    has calls in the period.
    ``period`` None = all data. Thresholds and S (seconds) default to the centre's.
    ``filters`` ({dimension: [values]}) keeps only the calls whose dimension is one of
    the values (the dashboards' category, topic, channel, site and queue filters).
    ``interval`` may also be a profile (``buckets.PROFILE_INTERVALS``: ``weekly-30min``
    folds the period onto weekday × half hour, ``daily-30min`` onto the half hours of a
    day), whose ``interval_start`` lies in a reference week (Sunday 1970-01-04) or day.
    ``percentile=False`` leaves ``p90_wait_s`` None without reading the calls for it
    (a chart of volumes needs no percentile; the other KPIs are the same).

    The additive counts come from the quarter-hour rollup (``analytics.kpi.rollup``)
    when it gives the exact answer, else from the calls; ``use_rollup=False`` always
    scans the calls (the tests compare both ways).
    """
    dims = check_dimensions(by, CALL_DIMENSIONS, "calls")
    flt = check_filters(filters, CALL_DIMENSIONS, "calls")
    check_interval(interval, profiles=True)
    thresholds = _thresholds(centre.sl_thresholds_s if thresholds_s is None else thresholds_s)
    short_s = centre.short_abandon_s if short_abandon_s is None else float(short_abandon_s)
    if short_s < 0:
        raise ValueError(f"short-abandon threshold {short_s} s is negative")
    table = quoted_identifier(source, "call source")

    days = None
    tables = {}
    if interval is not None:
        days = (period.start, period.end) if period else _data_days(con, table, centre)
        days = days or (dt.date(2000, 1, 1), dt.date(2000, 1, 1))
        if interval == "hijri-month":
            tables["dates"] = BusinessCalendar(centre).date_dimension(*days)
    within = None
    if use_rollup and source == "calls":
        within = rollup_columns(con, centre, (*dims, *flt), thresholds, short_s, period, days)
    with registered(con, **tables) as names:
        dates = names.get("dates")
        try:
            asked = _CountQuery(
                centre, source, dims, thresholds, short_s, interval, period, days, dates, flt
            )
            if within is not None:
                counts, p90_of = _rollup_counts(con, asked, within, percentile)
            else:
                counts, p90_of = _scan_counts(con, asked, percentile), None
            known = []
            if dims and period is not None and interval is None and empty_groups:
                seen = {row[: len(dims)] for row in counts}
                known = _known_groups(
                    con,
                    table,
                    dims,
                    centre,
                    period,
                    list(seen),
                    from_rollup=within is not None,
                    filters=flt,
                )
        except (duckdb.BinderException, duckdb.CatalogException) as exc:
            # e.g. by=("scenario",) on real calls, or a simulation view not registered
            raise ValueError(f"call source {source!r} cannot give {list(dims)}: {exc}") from None

    n_keys = len(dims) + (1 if interval is not None else 0)
    groups: dict[tuple, list] = {}
    for row in counts:
        slots = groups.get(row[:n_keys])
        if slots is None:
            slots = groups[row[:n_keys]] = [None, None, None]
        slot = _OUTCOME_SLOT.get(row[n_keys])
        if slot is not None:  # an outcome outside docs/kpis.md's three is not offered
            slots[slot] = row[n_keys + 1 :]
    for key in known:
        groups.setdefault(tuple(key), [None, None, None])
    if not dims and interval is None and not groups:
        groups[()] = [None, None, None]

    names = list(dims) + (["interval_start"] if interval is not None else [])
    labels = tuple(threshold_label(t) for t in thresholds)
    zone = centre.tz
    result = []
    nulls = any(None in key for key in groups)
    ordered = sorted(groups, key=_nulls_last) if nulls else sorted(groups)
    for key in ordered:
        values = fold_outcomes(*groups[key], labels)
        if interval is not None:
            key = (*key[:-1], as_local(interval_start_of(interval, key[-1]), zone))
        row = dict(zip(names, key, strict=True))
        row.update(values)
        result.append(row)
    if p90_of is not None:  # the rollup path's percentiles, computed meanwhile
        p90 = p90_of()
        for key, row in zip(ordered, result, strict=True):
            if row["answered"]:
                row["p90_wait_s"] = _p90_value(p90[key])
    return result


@dataclass(frozen=True)
class _CountQuery:
    """What ``call_kpis`` counts, checked: the calls of ``centre`` in ``source`` (within
    ``period``, None = all; ``days`` the local days an ``interval`` spans), grouped by
    ``dims`` and ``interval`` (``dates`` the registered Hijri calendar, if any), kept by
    the filters ``flt``, counted within ``short_s`` and each of ``thresholds``."""

    centre: Centre
    source: str
    dims: tuple[str, ...]
    thresholds: list[float]
    short_s: float
    interval: str | None
    period: Period | None
    days: tuple[dt.date, dt.date] | None
    dates: str | None
    flt: dict[str, list[str]]


def _scan_counts(con, q: _CountQuery, percentile: bool = True) -> list[tuple]:
    """``call_counts_sql``'s rows, scanning the calls."""
    params: list = []
    local_sql, local_params = "", []
    if q.interval is not None:
        local_sql, local_params = local_us_sql(q.centre.tz, *q.days, "c.arrived_at")
    # in the order of the ?s in the text: [key], S, T..., [join], centre, [bounds]
    if q.interval is not None and q.interval != "hijri-month":
        params += local_params
    params.append(q.short_s)
    params += q.thresholds
    if q.interval == "hijri-month":
        params += local_params
    params.append(q.centre.centre_id)
    if q.period is not None:
        params += list(q.period.bounds(q.centre.tz))
    params += filter_sql(q.flt)[1]
    sql = call_counts_sql(
        q.source,
        q.dims,
        len(q.thresholds),
        interval=q.interval,
        bounded=q.period is not None,
        local_us=local_sql,
        dates_table=q.dates,
        filters=tuple(q.flt),
        percentile=percentile,
    )
    return con.execute(sql, params).fetchall()


def rollup_columns(con, centre: Centre, dims, thresholds, short_s, period, days) -> list | None:
    """The rollup's columns of calls within each threshold if it answers this query exactly,
    else None: see ``analytics.kpi.rollup``. Local buckets and period bounds are sums of
    UTC quarter-hours only where the zone's offsets (and their changes) are whole
    quarter-hours over the days concerned."""
    columns = rollup.within_columns(con, centre, dims, thresholds, short_s)
    if columns is None:
        return None
    span = days or ((period.start, period.end) if period is not None else None)
    if span is not None:
        changes = offset_changes(centre.tz, *span)
        if len(changes) - 1 > MAX_OFFSET_CHANGES or not rollup.aligned(changes):
            return None
    return columns


def _rollup_counts(
    con, q: _CountQuery, within: list, percentile: bool = True
) -> tuple[list[tuple], Callable[[], dict] | None]:
    """``call_counts_sql``'s rows from the rollup (counts and sums, without the percentile
    column) and a function that returns the exact 90th percentile of answered waits per
    group, {group key: p90}, taken from the calls themselves."""
    select = [f"c.{d} AS {d}" for d in q.dims]
    join, key_params, join_params = "", [], []
    raw_select, raw_join, raw_params, raw_join_params = list(select), "", [], []
    days = _shared_days(con, q)  # the page's copy summed per local day, if it serves
    if q.interval is not None:
        if days is not None:
            local_sql, key_params = "c.local_day_us", []
        else:
            local_sql, key_params = local_us_sql(
                q.centre.tz, *q.days, "", epoch_us=f"c.quarter * {rollup.QUARTER_US}"
            )
        raw_local, raw_params = local_us_sql(q.centre.tz, *q.days, "c.arrived_at")
        hijri = None
        if q.interval == "hijri-month":
            join = f" JOIN {q.dates} dd ON dd.date = CAST(make_timestamp({local_sql}) AS DATE)"
            raw_join = f" JOIN {q.dates} dd ON dd.date = CAST(make_timestamp({raw_local}) AS DATE)"
            hijri = "dd.hijri_month_start"
            join_params, key_params = key_params, []
            raw_join_params, raw_params = raw_params, []
        select.append(f"{interval_key_sql(q.interval, local_sql, hijri)} AS interval_key")
        raw_select.append(f"{interval_key_sql(q.interval, raw_local, hijri)} AS interval_key")
    # within: the rollup's column names (from a fixed list) for the query's thresholds
    sums = [f"CAST(sum(c.{column}) AS BIGINT) AS n_within_{i}" for i, column in enumerate(within)]
    select += [
        "c.outcome AS outcome",
        "CAST(sum(c.n) AS BIGINT) AS n",
        "CAST(sum(c.n_short) AS BIGINT) AS n_short",
        *sums,
        "sum(c.wait_sum) AS wait_sum",
        # a sum none of whose calls has the part is NULL, as the calls' own sum would be
        "CASE WHEN sum(c.n_talk) <> 0 THEN sum(c.talk_sum) END AS talk_sum",
        "CASE WHEN sum(c.n_hold) <> 0 THEN sum(c.hold_sum) END AS hold_sum",
        "CASE WHEN sum(c.n_acw) <> 0 THEN sum(c.acw_sum) END AS acw_sum",
        "NULL AS p90",  # filled in by the caller from the calls
    ]
    where, bounds = "c.centre_id = ?", []
    raw_where, raw_bounds = "c.centre_id = ? AND c.outcome = 'answered'", []
    if q.period is not None:
        lo, hi = q.period.bounds(q.centre.tz)
        if days is not None:  # whole local days: the period's first to the day after its last
            where += " AND c.local_day_us >= ? AND c.local_day_us < ?"
            bounds = [_local_day_us(q.period.start), _local_day_us(q.period.end) + _DAY_US]
        else:
            where += " AND c.quarter >= ? AND c.quarter < ?"
            bounds = [rollup.quarter_of(lo), rollup.quarter_of(hi)]
        raw_where += " AND c.arrived_at >= ? AND c.arrived_at < ?"
        raw_bounds = [lo, hi]
    flt_sql, flt_params = filter_sql(q.flt)
    where += flt_sql
    raw_where += flt_sql
    bounds += flt_params
    raw_bounds += flt_params
    # Straight from the rollup's deltas, not the view that sums them per key first (a
    # third of the time): the deltas of a group net to its calls, and a group and outcome
    # whose calls were all taken away again nets to no call and is left out, as the view
    # leaves out such a key.
    deltas = days or _shared_deltas(con, q) or "call_interval_deltas"
    counts = con.execute(
        f"SELECT {', '.join(select)} FROM {deltas} c{join} WHERE {where} "
        "GROUP BY ALL HAVING sum(c.n) <> 0",
        [*key_params, *join_params, q.centre.centre_id, *bounds],
    ).fetchall()
    if not percentile:
        return counts, None
    n_keys = len(q.dims) + (1 if q.interval is not None else 0)
    plan = _p90_plan(counts, n_keys, q.thresholds)
    raw = (
        raw_select,
        raw_params,
        raw_join,
        raw_where,
        [*raw_join_params, q.centre.centre_id, *raw_bounds],
    )
    # The percentile reads the calls: on a read-only connection it runs on a second one
    # while the caller folds the counts. A read-write connection may hold changes the
    # second would not see, and a registered calendar is visible only to this one: those
    # read it here instead.
    key_types = ["VARCHAR"] * len(q.dims)
    if q.interval is not None:
        key_types.append("TIMESTAMP" if q.interval in ("month", "hijri-month") else "BIGINT")
    copy = _shared_calls(con, q, plan)
    if copy is not None:  # the page's copy, sorted: each group's ranks picked (longest_waits)
        bucket = None
        if q.interval is not None:
            key_sql = raw_select[-1].rsplit(" AS ", 1)[0]
            if key_types[-1] == "TIMESTAMP":
                key_sql = f"epoch_us({key_sql})"
            bucket = copy.bucket_codes(con, key_sql, raw_join, [*raw_params, *raw_join_params])
        p90 = copy.p90(plan, q.dims, bucket, *q.period.bounds(q.centre.tz), q.flt)
        return counts, lambda: p90
    if plan is not None and not _prunes_enough(counts, n_keys, plan, q.thresholds):
        plan = None  # most answered calls waited longer than the floor: read them all
    sql, params = _p90_query(raw, plan, key_types)
    if q.dates is not None or not _read_only(con):
        rows = con.execute(sql, params).fetchall()
    else:
        started = threading.Event()
        pending = _background().submit(_fetch_on_cursor, con.cursor(), sql, params, started)
        # Python switches threads only every few ms: wait until the query is in
        # DuckDB's hands before folding the counts, or it would wait for the folding.
        started.wait()
        return counts, lambda: {row[:-1]: row[-1] for row in pending.result()}
    return counts, lambda: {row[:-1]: row[-1] for row in rows}


@dataclass
class _Shared:
    """A block's promise (``sharing_rollup``): the centre's rollup rows of quarters
    [lo, hi), read once when a query first needs them, registered as ``name``; its
    answered calls of instants [calls_lo, calls_hi) that waited longer than
    ``calls_floor`` seconds, read when a percentile first needs them, as ``calls``."""

    centre_id: str
    lo: int
    hi: int
    name: str | None = None
    calls_lo: dt.datetime | None = None
    calls_hi: dt.datetime | None = None
    calls_floor: float | None = None
    calls: LongestWaits | None = None
    span_days: tuple[dt.date, dt.date] = (dt.date(1970, 1, 1), dt.date(1970, 1, 1))
    days_name: str | None = None
    inserted: dict = field(default_factory=dict)  # (first, last) -> rollup deltas inserted


_SHARED: dict[int, _Shared] = {}  # id(connection) -> the block it is in


@contextmanager
def sharing_rollup(
    con, centre: Centre, span: Period, calls_span: Period | None = None
) -> Iterator[None]:
    """Inside this block, the call KPIs asked of ``con`` for ``centre`` over periods within
    ``span`` count from one read of the rollup: the centre's deltas over the whole span are
    read into memory when the first such query needs them, and each query groups that copy
    with its own SQL, as it would group the table. On a lake store each scan of a table
    costs tens of milliseconds of catalogue reads whatever it reads (docs/stores.md, "What
    a statement costs"), and a page asks for its period, the one before, its months, its
    trend ... (the Overview: seven scans, now one). The copy holds every row of the centre
    in the span at the connection's snapshot: the same rows, the same answers.

    ``calls_span`` (within ``span``): the exact 90th percentiles of periods within it
    read one copy of the calls as well. A percentile needs only the answered calls that
    waited longer than a threshold its counts allow (``_p90_plan``); the first such query
    copies the calls of the whole ``calls_span`` above its threshold, and every later
    one whose threshold is no lower reads the copy (the Overview's period, by category,
    by day and by category and day: one read of the calls instead of four)."""
    lo, hi = span.bounds(centre.tz)
    shared = _Shared(centre.centre_id, rollup.quarter_of(lo), rollup.quarter_of(hi))
    shared.span_days = (span.start, span.end)
    if calls_span is not None:
        shared.calls_lo, shared.calls_hi = calls_span.bounds(centre.tz)
    previous = _SHARED.get(id(con))
    _SHARED[id(con)] = shared
    try:
        yield
    finally:
        if previous is None:
            _SHARED.pop(id(con), None)
        else:
            _SHARED[id(con)] = previous
        for name in (shared.name, shared.days_name):
            if name is not None:
                try:
                    con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
                except duckdb.Error:  # a closed connection has nothing to drop
                    pass


def _shared_deltas(con, q: _CountQuery) -> str | None:
    """The name of the block's copy of the rollup when it holds every row ``q`` counts."""
    shared = _SHARED.get(id(con))
    if shared is None or q.period is None or shared.centre_id != q.centre.centre_id:
        return None
    lo, hi = q.period.bounds(q.centre.tz)
    if not shared.lo <= rollup.quarter_of(lo) <= rollup.quarter_of(hi) <= shared.hi:
        return None
    if shared.name is None:
        rows = _kept_copy(
            con,
            ("rollup copy", shared.centre_id, shared.lo, shared.hi),
            "call_interval_deltas",
            "*",
            "centre_id = ? AND quarter >= ? AND quarter < ?",
            [shared.centre_id, shared.lo, shared.hi],
            inserted=lambda first, last: _inserted_deltas(con, shared, first, last),
        )
        shared.name = _shared_table(con, "cca_deltas", rows)
    return shared.name


# Buckets that are whole local days or unions of them: a query by these (or by none) may
# count from the page's copy summed per local day.
_DAY_INTERVALS = (None, "day", "week", "month", "hijri-month")
_DAY_US = 86_400_000_000
# the rollup's counts and sums, as the day copy holds them per local day
_DAY_SUMS = (*rollup.DELTA_COUNTS, *rollup.DELTA_SUMS)


def _local_day_us(day: dt.date) -> int:
    """The local midnight starting ``day`` in µs since the local epoch."""
    return (day - dt.date(1970, 1, 1)).days * _DAY_US


def _shared_days(con, q: _CountQuery) -> str | None:
    """The name of the block's copy of the rollup summed per local day (made now if the
    block has none yet) when it answers ``q``: a query over whole days (its period)
    bucketed by nothing finer than a day, within the block's span.

    Why: a page's queries by period, day, week and month grouped the quarter-hour copy
    (some 100,000 rows for the Overview's 13 months on 10M calls, 6-17 ms a query);
    summed per day it is a fraction of that. A local day is a whole number of UTC
    quarter-hours where the zone's offsets are (``rollup_columns`` allows the rollup only
    then), so each quarter-hour's delta falls in one day and the day's sums are its
    quarter-hours' sums."""
    shared = _SHARED.get(id(con))
    if (
        shared is None
        or q.interval not in _DAY_INTERVALS
        or q.period is None
        or shared.centre_id != q.centre.centre_id
    ):
        return None
    lo, hi = q.period.bounds(q.centre.tz)
    if not shared.lo <= rollup.quarter_of(lo) <= rollup.quarter_of(hi) <= shared.hi:
        return None
    if shared.days_name is None:
        changes = offset_changes(q.centre.tz, *shared.span_days)
        if len(changes) - 1 > MAX_OFFSET_CHANGES or not rollup.aligned(changes):
            return None  # a day of the span is not whole quarter-hours: the copy by quarter
        rows = _kept_days(con, shared, q.centre)
        shared.days_name = _shared_table(con, "cca_days", rows)
    return shared.days_name


def _shared_table(con, prefix: str, rows) -> str:
    """A temp table of ``rows`` (Arrow) on ``con``, for the block's queries; its name.
    A table, not the Arrow registered as a view: a page's queries group it several times,
    and DuckDB's own storage is read in two thirds of the time of an Arrow scan (a copy of
    20,000 rows: 2.5 against 3.9 ms a query)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    con.register(f"{name}_arrow", rows)
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")
    return name


def _kept_days(con, shared: _Shared, centre: Centre):
    """The centre's rollup over the block's span summed per local day (``local_day_us``,
    µs since the local epoch of the day's midnight), kept per snapshot and grown by the
    deltas inserted since, summed the same way (a day held twice is summed by each
    query's own GROUP BY, as the deltas are)."""
    import pyarrow as pa

    local_sql, local_params = local_us_sql(
        centre.tz, *shared.span_days, "", epoch_us=f"quarter * {rollup.QUARTER_US}"
    )
    day = f"(({local_sql}) // {_DAY_US}) * {_DAY_US}"
    sums = ", ".join(f"sum({column}) AS {column}" for column in _DAY_SUMS)
    select = f"centre_id, outcome, {', '.join(rollup.ROLLUP_DIMENSIONS)}, {day} AS local_day_us"
    where = "centre_id = ? AND quarter >= ? AND quarter < ?"
    params = [shared.centre_id, shared.lo, shared.hi]

    def whole():
        return con.execute(
            f"SELECT {select}, {sums} FROM call_interval_deltas WHERE {where} GROUP BY ALL",
            [*local_params, *params],
        ).to_arrow_table()

    def grow(old, first: int, last: int):
        inserted = _inserted_deltas(con, shared, first, last)
        if not inserted.num_rows:
            return old
        name = f"cca_inserted_{secrets.token_hex(4)}"
        con.register(name, inserted)
        try:
            added = con.execute(
                f"SELECT {select}, {sums} FROM {name} WHERE {where} GROUP BY ALL",
                [*local_params, *params],
            ).to_arrow_table()
        finally:
            con.unregister(name)
        return pa.concat_tables([old, added.cast(old.schema)]) if added.num_rows else old

    return snapshot_cache.read(
        con,
        ("rollup days", shared.centre_id, shared.lo, shared.hi, centre.tz.key),
        whole,
        tables=("call_interval_deltas",),
        grows=("call_interval_deltas", grow),
    )


_DELTA_COLUMNS = (*rollup.DELTA_KEYS, *_DAY_SUMS)


def _inserted_deltas(con, shared: _Shared, first: int, last: int):
    """The block's centre's rollup deltas of its quarters inserted by snapshots
    ``first``..``last``, read once for both copies that grow by them (by quarter-hour
    and per day)."""
    key = (first, last)
    if key not in shared.inserted:
        rows, params = direct_reads.inserted(con, "call_interval_deltas", first, last)
        shared.inserted[key] = con.execute(
            f"SELECT {', '.join(_DELTA_COLUMNS)} FROM {rows} "
            "WHERE centre_id = ? AND quarter >= ? AND quarter < ?",
            [*params, shared.centre_id, shared.lo, shared.hi],
        ).to_arrow_table()
    return shared.inserted[key]


def _kept_copy(
    con, key: tuple, table: str, columns: str, where: str, params: list, kept=None, inserted=None
):
    """``SELECT columns FROM table WHERE where`` as an Arrow table, kept per snapshot
    (``snapshot_cache.read``) and grown by the rows inserted since when the table only
    gained rows (a live feed's commits add calls and rollup deltas): the copy a page's
    queries share is then read once, not after every commit. ``kept``: a class that
    holds the rows (made from them, and ``grown(added)``) instead of the bare table;
    ``inserted(first, last)``: the rows inserted meanwhile, if the caller has them."""
    import pyarrow as pa

    def whole():
        rows = con.execute(f"SELECT {columns} FROM {table} WHERE {where}", params).to_arrow_table()
        return rows if kept is None else kept(rows)

    def grow(old, first: int, last: int):
        names = (old if kept is None else old.rows).column_names
        added = inserted(first, last) if inserted is not None else None
        if added is None or not set(names) <= set(added.column_names):
            rows, inserted_params = direct_reads.inserted(con, table, first, last)
            added = con.execute(
                f"SELECT {', '.join(names)} FROM {rows} WHERE {where}",
                [*inserted_params, *params],
            ).to_arrow_table()
        added = added.select(names)
        if kept is not None:
            return old.grown(added)
        return pa.concat_tables([old, added.cast(old.schema)]) if added.num_rows else old

    return snapshot_cache.read(con, key, whole, tables=(table,), grows=(table, grow))


def _shared_calls(con, q: _CountQuery, plan) -> LongestWaits | None:
    """The block's copy of the calls when it holds every call the percentile of ``q``
    read as ``plan`` says needs (made now if the block has none yet)."""
    shared = _SHARED.get(id(con))
    if (
        shared is None
        or shared.calls_lo is None
        or plan is None
        or q.period is None
        or shared.centre_id != q.centre.centre_id
    ):
        return None
    lo, hi = q.period.bounds(q.centre.tz)
    if not shared.calls_lo <= lo <= hi <= shared.calls_hi:
        return None
    floor = plan[0]
    if shared.calls is None:
        # the rollup answers only queries by and filtered on its dimensions: those columns
        columns = ", ".join(rollup.ROLLUP_DIMENSIONS)
        rows = _kept_copy(
            con,
            ("calls copy", shared.centre_id, shared.calls_lo, shared.calls_hi, floor),
            "calls",
            f"centre_id, outcome, arrived_at, wait_s, {columns}",
            "centre_id = ? AND outcome = 'answered' AND arrived_at >= ? AND arrived_at < ? "
            "AND wait_s > ?",
            [shared.centre_id, shared.calls_lo, shared.calls_hi, floor],
            kept=LongestWaits,
        )
        shared.calls, shared.calls_floor = rows, floor
    return shared.calls if floor >= shared.calls_floor else None


def _p90_plan(counts: list[tuple], n_keys: int, within_s: Sequence[float]):
    """How to read the 90th percentile of answered waits with as few calls as possible.

    With N answered calls in a group the percentile interpolates the sorted waits at
    ranks k = floor(0.9 (N - 1)) and k + 1 (DuckDB's and pandas' linear rule), i.e. the
    (N - k)-th and (N - k - 1)-th longest. If in every group at most k calls waited no
    longer than a threshold T (the rollup counts those), both lie among the calls that
    waited longer than T, and only those need reading: at a busy centre, the slowest
    tenth or so. Returns None (read every answered call) or (T, the most longest waits
    any group needs, {group key: (index of rank k, of rank k + 1, fraction)}), indexes
    1-based among a group's longest waits."""
    answered = [row for row in counts if row[n_keys] == "answered" and row[n_keys + 1]]
    if not answered:
        return None
    for i in sorted(range(len(within_s)), key=lambda i: -within_s[i]):
        ranks = {}
        for row in answered:
            n, within = row[n_keys + 1], row[n_keys + 3 + i]
            position = (n - 1) * 0.9
            k = math.floor(position)
            if within > k:
                break
            ranks[row[:n_keys]] = (n - k, n - math.ceil(position), position - k)
        else:
            return within_s[i], max(lo for lo, _, _ in ranks.values()), ranks
    return None


# Above this share of answered calls waiting longer than the floor, a plan's read is
# slower than DuckDB's quantile over every answered call of each group: keeping each
# group's longest waits (a heap of a tenth of the group) costs more than selecting one
# rank. Measured on the lake (calls of one month): 74% above the floor, by category
# 68 ms planned against 38 ms plain, by day 39 against 34; 13% above, by hour 29
# against 41, by day 27 against 38, the total 20 against 35.
PRUNED_SHARE = 0.5


def _prunes_enough(counts: list[tuple], n_keys: int, plan, within_s: Sequence[float]) -> bool:
    """Whether ``plan`` reads at most ``PRUNED_SHARE`` of the answered calls."""
    column = n_keys + 3 + list(within_s).index(plan[0])
    answered = [row for row in counts if row[n_keys] == "answered" and row[n_keys + 1]]
    total = sum(row[n_keys + 1] for row in answered)
    above = sum(row[n_keys + 1] - row[column] for row in answered)
    return above <= PRUNED_SHARE * total


def _p90_query(raw, plan, key_types: Sequence[str]) -> tuple[str, list]:
    """SQL and parameters of the 90th percentile of answered waits per group, read
    from the calls as ``plan`` (from ``_p90_plan``) says; rows are (*group
    key, p90).
    The pruned read gets each group's ranks as list parameters, unnested: no table to
    register, so it can run on another connection without Python's help."""
    select, select_params, join, where, params = raw
    if plan is None:
        columns = ", ".join([*select, "quantile_cont(c.wait_s, 0.9)"])
        sql = f"SELECT {columns} FROM calls c{join} WHERE {where} GROUP BY ALL"
        return sql, [*select_params, *params]
    floor_s, longest, ranks = plan
    keys = list(ranks)
    aliases = [column.rsplit(" AS ", 1)[1] for column in select]
    unnested = [
        f"unnest(?::{key_type}[]) AS {alias}"
        for alias, key_type in zip(aliases, key_types, strict=True)
    ]
    unnested += [
        "unnest(?::BIGINT[]) AS lo",
        "unnest(?::BIGINT[]) AS hi",
        "unnest(?::DOUBLE[]) AS frac",
    ]
    rank_params = [[key[j] for key in keys] for j in range(len(aliases))]
    rank_params += [[ranks[key][i] for key in keys] for i in range(3)]
    on = " AND ".join(f"t.{a} IS NOT DISTINCT FROM r.{a}" for a in aliases) or "TRUE"
    if aliases or longest < SORT_FROM:  # each group's list of its longest waits
        picked = "t.top[r.lo] * (1 - r.frac) + t.top[r.hi] * r.frac"
        inner = ", ".join([*select, "max(c.wait_s, ?) AS top"])
        sql = (
            f"SELECT {', '.join([*(f't.{a}' for a in aliases), picked])} "
            f"FROM (SELECT {inner} FROM calls c{join} WHERE {where} AND c.wait_s > ? "
            f"GROUP BY ALL) t JOIN (SELECT {', '.join(unnested)}) r ON {on}"
        )
        return sql, [*select_params, longest, *params, floor_s, *rank_params]
    # each group's waits above the floor numbered longest first, the two ranks picked
    at_lo = "max(t.wait_s) FILTER (WHERE t.rn = r.lo)"
    picked = f"{at_lo} * (1 - r.frac) + max(t.wait_s) FILTER (WHERE t.rn = r.hi) * r.frac"
    partition = f"PARTITION BY {', '.join(aliases)} " if aliases else ""
    keyed = ", ".join([*select, "c.wait_s AS wait_s"])
    numbered = ", ".join(
        [*aliases, "wait_s", f"row_number() OVER ({partition}ORDER BY wait_s DESC) AS rn"]
    )
    grouped = ", ".join([*(f"t.{a}" for a in aliases), "r.lo", "r.hi", "r.frac"])
    sql = (
        f"SELECT {', '.join([*(f't.{a}' for a in aliases), picked])} "
        f"FROM (SELECT {numbered} FROM (SELECT {keyed} FROM calls c{join} "
        f"WHERE {where} AND c.wait_s > ?)) t "
        f"JOIN (SELECT {', '.join(unnested)}) r ON {on} AND t.rn IN (r.lo, r.hi) "
        f"GROUP BY {grouped}"
    )
    return sql, [*select_params, *params, floor_s, *rank_params]


# From how many longest waits the total (no groups) needs on, they are numbered (a sort of
# the waits above the floor) rather than kept as a list (``max(wait_s, n)``): a month's
# total on 10M calls needs some 70,000, and numbering them took 12 ms against 40 (1M
# calls in benchmarks/store.py: 44 against 68 ms). With groups the lists were as fast or
# faster there (by category 57 against 70 ms on the single file; by day and hour lists of
# a few thousand), though by category on 10M calls the numbering was (54 against 73 ms).
SORT_FROM = 20_000


def _fetch_on_cursor(cursor, sql: str, params: list, started: threading.Event) -> list:
    """Rows of ``sql`` on ``cursor`` (closed after); ``started`` is set as the query is
    handed to DuckDB, which then runs without holding Python's lock."""
    try:
        started.set()
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def _read_only(con) -> bool:
    return con.execute("SELECT current_setting('access_mode')").fetchall()[0][0] == "read_only"


_POOL: ThreadPoolExecutor | None = None


def _background() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cca-kpi")
    return _POOL


def _forget_pool() -> None:
    # A forked child inherits the pool without its threads: it would wait forever.
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


def _nulls_last(key: tuple) -> tuple:
    return tuple((value is None, value) for value in key)
