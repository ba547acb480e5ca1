"""The calibration's SQL: named builders over the store's ``calls`` and ``staffing``.

Every builder returns a query with bound ``?`` parameters (time zone, centre, period,
interval length); the values are never formatted into the text.
"""

from __future__ import annotations

from analytics.records import OUTCOMES_SQL


def _local(expr: str) -> str:
    return f"timezone(?, {expr})"


_SLOT = "CAST(floor((hour(l) * 3600 + minute(l) * 60 + second(l)) / ?) AS INTEGER)"  # local slot


def arrivals_sql() -> str:
    """Calls per local date × interval slot × category. Parameters: zone, centre id,
    start, end instants, interval_s."""
    return (
        f"WITH c AS (SELECT {_local('arrived_at')} AS l, category FROM calls "
        "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        f"AND outcome IN {OUTCOMES_SQL}) "
        f"SELECT CAST(l AS DATE) AS day, {_SLOT} AS slot, category, count(*) AS n "
        "FROM c GROUP BY ALL"
    )


def handling_sql() -> str:
    """Lognormal MLE per category over answered calls with a positive handling time.
    Parameters: centre id, start, end."""
    return (
        "WITH h AS (SELECT category, coalesce(talk_s, 0) + coalesce(hold_s, 0) + "
        "coalesce(acw_s, 0) AS h FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ? AND outcome = 'answered') "
        "SELECT category, count(*) AS answered, count_if(h > 0) AS fitted, "
        # ln of a zero is an error since DuckDB 1.5 even where the FILTER drops the row
        "avg(ln(greatest(h, 1e-300))) FILTER (WHERE h > 0) AS mu, "
        "stddev_pop(ln(greatest(h, 1e-300))) FILTER (WHERE h > 0) AS sigma, "
        "avg(h) FILTER (WHERE h > 0) AS mean "
        "FROM h GROUP BY category"
    )


def patience_sql() -> str:
    """Abandons and censored calls per category and distinct wait, the input of
    Kaplan–Meier. Parameters: centre id, start, end."""
    return (
        "SELECT category, wait_s, count_if(outcome = 'abandoned') AS events, "
        "count_if(outcome <> 'abandoned') AS censored FROM calls "
        "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        f"AND outcome IN {OUTCOMES_SQL} AND wait_s IS NOT NULL "
        "GROUP BY ALL ORDER BY category NULLS FIRST, wait_s"
    )


def staffing_sql() -> str:
    """Mean agents available per local date × slot: rows of several queues or sites in
    one interval add up, and each row counts by the share of the slot it covers, so rows
    longer or shorter than the slot (a 30-minute table read in 15-minute slots) spread
    over the slots they overlap. Parameters: zone, centre id, start, end, interval_s × 8."""
    return (
        "WITH st AS (SELECT epoch(timezone(?, interval_start)) AS s, interval_s, "
        "sum(coalesce(agents_available, agents_scheduled)) AS agents FROM staffing "
        "WHERE centre_id = ? AND interval_start >= ? AND interval_start < ? "
        "GROUP BY ALL), spans AS (SELECT s, s + interval_s AS e, agents FROM st), "
        + _SPREAD
        + "SELECT DATE '1970-01-01' + CAST(floor(k * ? / 86400) AS INTEGER) AS day, "
        "CAST((k * ?) % 86400 / ? AS INTEGER) AS slot, sum(agents * overlap) / ? AS agents "
        "FROM o GROUP BY ALL"
    )


def agents_answering_sql() -> str:
    """Distinct agents who answered calls per local date × slot. Parameters: zone,
    centre id, start, end, interval_s."""
    return (
        f"WITH c AS (SELECT {_local('arrived_at')} AS l, agent_id FROM calls "
        "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        "AND outcome = 'answered' AND agent_id IS NOT NULL) "
        f"SELECT CAST(l AS DATE) AS day, {_SLOT} AS slot, count(DISTINCT agent_id) AS agents "
        "FROM c GROUP BY ALL"
    )


# Local epoch seconds of the moment an answered call reached its agent, and its handling
# seconds; shared by the two staffing proxies below.
_SERVICE = (
    "SELECT agent_id, epoch(timezone(?, coalesce(answered_at, arrived_at + "
    "to_microseconds(CAST(round(coalesce(wait_s, 0) * 1e6) AS BIGINT))))) AS s, "
    "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0) AS h FROM calls "
    "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? AND outcome = 'answered'"
)
# Spread [s, e) (local epoch s) over the intervals k it overlaps: local date, slot and
# the seconds of overlap. Parameters: interval_s four times.
_SPREAD = (
    "k AS (SELECT *, unnest(generate_series(CAST(floor(s / ?) AS BIGINT), "
    "CAST(floor(greatest(e - 1e-6, s) / ?) AS BIGINT))) AS k FROM spans), "
    "o AS (SELECT *, least(e, (k + 1) * ?) - greatest(s, k * ?) AS overlap FROM k) "
)


def busy_agents_sql() -> str:
    """Busy agents per local date × slot: the handling seconds (talk + hold + after-call
    work from the moment of answer) of answered calls that fall in the interval, divided
    by its length. Parameters: zone, centre id, start, end, interval_s × 8."""
    return (
        f"WITH c AS ({_SERVICE}), spans AS (SELECT s, s + h AS e FROM c WHERE h > 0), "
        + _SPREAD
        + "SELECT DATE '1970-01-01' + CAST(floor(k * ? / 86400) AS INTEGER) AS day, "
        "CAST((k * ?) % 86400 / ? AS INTEGER) AS slot, sum(overlap) / ? AS agents "
        "FROM o GROUP BY ALL"
    )


# An agent with no call for longer than this was away (a lunch or a meeting, a shift
# split in two), not waiting for calls: their day's presence breaks there. Breaks last
# 30 minutes and more; at 30 minutes the bank's backtest is most accurate (docs/measurements.md).
PRESENCE_GAP_S = 1800


def presence_words() -> str:
    """How ``present_agents_sql`` counts an agent present, for people."""
    return (
        "each agent from their first to their last call of the day, less gaps of over "
        f"{PRESENCE_GAP_S // 60} minutes without a call"
    )


def present_agents_sql() -> str:
    """Agents present per local date × slot, each agent from the answer of their first
    call of the day to the end of their last (a shift proxy), less the gaps of more than
    ``PRESENCE_GAP_S`` between the end of a call and the answer of their next one (away
    from the phones), counted by the share of the interval they cover. Parameters: zone,
    centre id, start, end, interval_s × 8."""
    return (
        f"WITH c AS ({_SERVICE} AND agent_id IS NOT NULL), "
        "g AS (SELECT *, floor(s / 86400) AS d, coalesce(s - max(s + h) OVER (PARTITION BY "
        "agent_id, floor(s / 86400) ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 "
        f"PRECEDING) > {int(PRESENCE_GAP_S)}, false)::INT AS brk FROM c), "
        "p AS (SELECT *, sum(brk) OVER (PARTITION BY agent_id, d ORDER BY s) AS part FROM g), "
        "spans AS (SELECT agent_id, min(s) AS s, max(s + h) AS e FROM p "
        "GROUP BY agent_id, d, part), "
        + _SPREAD
        + "SELECT DATE '1970-01-01' + CAST(floor(k * ? / 86400) AS INTEGER) AS day, "
        "CAST((k * ?) % 86400 / ? AS INTEGER) AS slot, sum(overlap) / ? AS agents "
        "FROM o GROUP BY ALL"
    )


def outcomes_sql() -> str:
    """Offered, answered and abandoned calls (every category) per local date × interval
    slot: the abandonment the ``fit`` proxy reads agents from. Parameters: zone, centre
    id, start, end, interval_s."""
    return (
        f"WITH c AS (SELECT {_local('arrived_at')} AS l, outcome FROM calls "
        "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        f"AND outcome IN {OUTCOMES_SQL}) "
        f"SELECT CAST(l AS DATE) AS day, {_SLOT} AS slot, count(*) AS offered, "
        "count_if(outcome = 'answered') AS answered, "
        "count_if(outcome = 'abandoned') AS abandoned FROM c GROUP BY ALL"
    )


def relative_wait_sql() -> str:
    """Per category: calls, and Σ wait / Σ (mean wait of every call of the same local
    day and hour) — how long its callers waited against the callers around them.
    Parameters: zone, centre id, start, end."""
    return (
        f"WITH c AS (SELECT category, wait_s, date_trunc('hour', {_local('arrived_at')}) AS h "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        f"AND outcome IN {OUTCOMES_SQL} AND wait_s IS NOT NULL), "
        "m AS (SELECT h, avg(wait_s) AS around FROM c GROUP BY h) "
        "SELECT category, count(*) AS calls, sum(wait_s) / nullif(sum(around), 0) AS relative "
        "FROM c JOIN m USING (h) WHERE around > 0 GROUP BY category"
    )


def mix_sql(column: str) -> str:
    """Calls per category and value of ``column`` (topic, site or channel; whitelisted)."""
    if column not in ("topic", "site", "channel"):
        raise ValueError(f"no mix of {column!r}")
    return (
        f"SELECT category, {column} AS value, count(*) AS n FROM calls "
        "WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        f"AND {column} IS NOT NULL GROUP BY ALL ORDER BY n DESC, value"
    )
