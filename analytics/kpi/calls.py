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

The builder counts calls per group and outcome (with one comparison per threshold),
folds the outcomes into the counts of DESIGN.md, then forms the ratios. Groups are the
``by`` dimensions and the local interval; only groups with calls in the period appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.kpi.buckets import (
    as_local,
    check_dimensions,
    check_interval,
    fixed_offset_us,
    interval_key_sql,
    interval_start_sql,
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
    local_us: str = "epoch_us(timezone(?, c.arrived_at))",
    dates_table: str | None = None,
) -> str:
    """The SQL of ``call_kpis``. Its ``?`` parameters, in order: [the local-time
    parameter of ``local_us`` if ``interval``: the zone's fixed offset in µs or the
    zone name, see ``_local_us``], centre id, [start, end instants if ``bounded``], S, T₁..Tₙ.

    Two stages: the calls are first counted per group *and outcome* (so each row meets
    only a handful of threshold comparisons), then the outcomes are folded into the
    KPIs. This is about twice as fast as filtering every count by outcome.
    """
    table = quoted_identifier(source, "call source")
    keys = list(dims)
    base_cols = [f"c.{d}" for d in dims]
    join = ""
    if interval is not None:
        base_cols.append(f"{local_us} AS local_us")
        hijri = None
        if interval == "hijri-month":
            join = f" JOIN {dates_table} dd ON dd.date = CAST(make_timestamp(b.local_us) AS DATE)"
            hijri = "dd.hijri_month_start"
        key_sql = interval_key_sql(interval, "b.local_us", hijri)
        keys.append("interval_key")
    base_cols += ["c.outcome", "c.wait_s", "c.talk_s", "c.hold_s", "c.acw_s"]
    where = "c.centre_id = ?" + (" AND c.arrived_at >= ? AND c.arrived_at < ?" if bounded else "")
    base = f"SELECT {', '.join(base_cols)} FROM {table} c WHERE {where}"

    stage1 = [f"b.{d} AS {d}" for d in dims]
    if interval is not None:
        stage1.append(f"{key_sql} AS interval_key")
    stage1 += [
        "b.outcome",
        "count(*) AS n",
        "count_if(b.wait_s < ?) AS n_short",
        *(f"count_if(b.wait_s <= ?) AS n_within_{i}" for i in range(n_thresholds)),
        "sum(b.wait_s) AS wait_sum",
        "sum(coalesce(b.talk_s, 0) + coalesce(b.hold_s, 0) + coalesce(b.acw_s, 0)) AS handle_sum",
        "quantile_cont(b.wait_s, 0.9) FILTER (WHERE b.outcome = 'answered') AS p90",
    ]
    by_outcome = (
        f"SELECT {', '.join(stage1)} FROM base b{join} "
        f"GROUP BY {', '.join([*(f'b.{d}' for d in dims), *(['interval_key'] if interval else []), 'b.outcome'])}"
    )

    def n_of(outcomes: str, column: str = "n") -> str:
        return f"coalesce(CAST(sum({column}) FILTER (WHERE outcome IN {outcomes}) AS BIGINT), 0)"

    answered, abandoned, timeout = "('answered')", "('abandoned')", "('timeout')"
    stage2 = list(dims)
    if interval is not None:
        stage2.append(f"{interval_start_sql(interval, 'interval_key')} AS interval_start")
    stage2 += [
        f"{n_of(_OUTCOMES)} AS offered",
        f"{n_of(answered)} AS answered",
        f"{n_of(abandoned)} AS abandoned",
        f"{n_of(timeout)} AS timed_out",
        f"{n_of(abandoned, 'n_short')} AS short_abandoned",
        *(f"{n_of(answered, f'n_within_{i}')} AS answered_within_{i}" for i in range(n_thresholds)),
        *(
            f"{n_of(abandoned, f'n_within_{i}')} AS abandoned_within_{i}"
            for i in range(n_thresholds)
        ),
        "sum(wait_sum) FILTER (WHERE outcome = 'answered') AS answered_wait",
        "sum(wait_sum) FILTER (WHERE outcome = 'abandoned') AS abandoned_wait",
        "sum(handle_sum) FILTER (WHERE outcome = 'answered') AS answered_handle",
        "max(p90) FILTER (WHERE outcome = 'answered') AS p90_wait_s",
    ]
    group2 = f" GROUP BY {', '.join(keys)}" if keys else ""
    counted = f"SELECT {', '.join(stage2)} FROM by_outcome{group2}"

    def ratio(numerator: str, denominator: str) -> str:
        return f"CAST({numerator} AS DOUBLE) / nullif({denominator}, 0)"

    out_keys = list(dims) + (["interval_start"] if interval is not None else [])
    excl = "(offered - short_abandoned)"
    final = [
        *out_keys,
        "offered",
        "answered",
        "abandoned",
        "timed_out",
        "short_abandoned",
        f"{ratio('answered', 'offered')} AS answer_rate",
        f"{ratio('answered', excl)} AS answer_rate_excl_short",
        f"{ratio('abandoned', 'offered')} AS abandon_rate",
    ]
    # Service-level columns are numbered here; call_kpis renames them with the labels.
    for variant, num, den in (
        ("sl_answered", "answered_within_{i}", "answered"),
        ("sl_offered", "answered_within_{i}", "offered"),
        ("sl_excl_short", "answered_within_{i}", excl),
        ("sl_with_abandons", "(answered_within_{i} + abandoned_within_{i})", "offered"),
    ):
        final += [f"{ratio(num.format(i=i), den)} AS {variant}_{i}" for i in range(n_thresholds)]
    final += [
        f"{ratio('answered_wait', 'answered')} AS asa_s",
        f"{ratio('abandoned_wait', 'abandoned')} AS avg_abandon_wait_s",
        f"{ratio('answered_handle', 'answered')} AS aht_s",
        "p90_wait_s",
    ]
    order = f" ORDER BY {', '.join(f'{k} NULLS LAST' for k in out_keys)}" if out_keys else ""
    return (
        f"WITH base AS ({base}), by_outcome AS ({by_outcome}), counted AS ({counted}) "
        f"SELECT {', '.join(final)} FROM counted{order}"
    )


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


def _local_us(centre: Centre, days: tuple[dt.date, dt.date] | None) -> tuple[str, object]:
    """SQL (with its one parameter) of a call's local time in µs since the local epoch."""
    if days is not None:
        offset = fixed_offset_us(centre.tz, *days)
        if offset is not None:
            return "epoch_us(c.arrived_at) + ?", offset
    return "epoch_us(timezone(?, c.arrived_at))", centre.timezone


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
    ``interval`` there is exactly one row, even with no calls (counts 0, ratios None);
    otherwise a row per group (and interval) that has calls in the period.
    ``period`` None = all data. Thresholds and S (seconds) default to the centre's.
    """
    dims = check_dimensions(by, CALL_DIMENSIONS, "calls")
    check_interval(interval)
    thresholds = _thresholds(centre.sl_thresholds_s if thresholds_s is None else thresholds_s)
    short_s = centre.short_abandon_s if short_abandon_s is None else float(short_abandon_s)
    if short_s < 0:
        raise ValueError(f"short-abandon threshold {short_s} s is negative")
    table = quoted_identifier(source, "call source")

    params: list = []
    tables = {}
    local_sql = None
    if interval is not None:
        days = (period.start, period.end) if period else _data_days(con, table, centre)
        local_sql, local_param = _local_us(centre, days)
        params.append(local_param)
        if interval == "hijri-month":
            days = days or (dt.date(2000, 1, 1), dt.date(2000, 1, 1))
            tables["dates"] = BusinessCalendar(centre).date_dimension(*days)
    params.append(centre.centre_id)
    if period is not None:
        params += list(period.bounds(centre.tz))
    params.append(short_s)
    params += thresholds
    with registered(con, **tables) as names:
        sql = call_kpis_sql(
            source,
            dims,
            len(thresholds),
            interval=interval,
            bounded=period is not None,
            local_us=local_sql or "",
            dates_table=names.get("dates"),
        )
        try:
            rows = records(con.execute(sql, params))
        except (duckdb.BinderException, duckdb.CatalogException) as exc:
            # e.g. by=("scenario",) on real calls, or a simulation view not registered
            raise ValueError(f"call source {source!r} cannot give {list(dims)}: {exc}") from None

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
