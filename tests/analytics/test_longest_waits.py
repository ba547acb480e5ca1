"""The 90th percentiles read by rank from a sorted copy of the longest waits
(``analytics.kpi.longest_waits``) are DuckDB's own ``quantile_cont`` over the same calls,
to the very float: by dimensions with NULLs among their values, by time buckets across a
daylight-saving change, kept by filters, and after the copy has grown."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import duckdb
import pyarrow as pa
import pytest

from analytics.kpi.buckets import interval_key_sql, local_us_sql
from analytics.kpi.calls import _p90_plan, _prunes_enough
from analytics.kpi.longest_waits import LongestWaits

ZONE = zoneinfo.ZoneInfo("Europe/London")  # summer time from 31 March 2024, 01:00 UTC
FIRST, LAST = dt.date(2024, 3, 25), dt.date(2024, 4, 7)


def answered_calls(seed: int, n: int) -> pa.Table:
    """Answered calls between FIRST and LAST local: many waits tied (whole seconds and
    a few fixed values), some categories and queues missing."""
    rng = random.Random(seed)
    start = dt.datetime.combine(FIRST, dt.time(), ZONE).astimezone(dt.UTC)
    span_s = int((LAST - FIRST).days * 86_400)
    rows = {"arrived_at": [], "wait_s": [], "category": [], "queue": [], "site": []}
    for _ in range(n):
        rows["arrived_at"].append(start + dt.timedelta(seconds=rng.randrange(span_s)))
        rows["wait_s"].append(
            rng.choice([12.0, 30.0, float(rng.randrange(120)), round(rng.expovariate(1 / 40), 1)])
        )
        rows["category"].append(rng.choice(["employer", "worker", None]))
        rows["queue"].append(rng.choice(["main", "vip", None]))
        rows["site"].append(rng.choice(["manama", "muharraq"]))
    return pa.table(
        {
            "arrived_at": pa.array(rows["arrived_at"], pa.timestamp("us", "UTC")),
            "wait_s": pa.array(rows["wait_s"], pa.float64()),
            **{d: pa.array(rows[d], pa.string()) for d in ("category", "queue", "site")},
        }
    )


def quantiles_in_sql(con, dims, key_sql, key_params, lo, hi, filters) -> dict:
    """{group key: quantile_cont(wait_s, 0.9)} and {group key: calls} of the calls
    table."""
    select = [f"c.{d}" for d in dims] + ([key_sql] if key_sql else [])
    where = "c.arrived_at >= ? AND c.arrived_at < ?" + "".join(
        f" AND list_contains(?, c.{d})" for d in filters
    )
    rows = con.execute(
        f"SELECT {', '.join([*select, 'quantile_cont(c.wait_s, 0.9)', 'count(*)'])} "
        f"FROM calls c WHERE {where} GROUP BY ALL",
        [*key_params, lo, hi, *filters.values()],
    ).fetchall()
    return {row[:-2]: row[-2] for row in rows}, {row[:-2]: row[-1] for row in rows}


CASES = [
    ((), None, {}),
    (("category",), None, {}),
    (("category", "queue"), None, {"site": ["manama"]}),
    ((), "day", {}),
    (("queue",), "60min", {"category": ["worker", "no such"]}),
    ((), "month", {}),
    (("site",), "daily-30min", {}),
]


@pytest.mark.parametrize("dims, interval, filters", CASES)
def test_each_groups_percentile_is_duckdbs_own(dims, interval, filters):
    calls = answered_calls(1, 3_000)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("calls", calls)
    copy = LongestWaits(answered_calls(1, 1_500)).grown(calls.slice(1_500))
    assert copy.wait.tolist() == sorted(calls.column("wait_s").to_pylist(), reverse=True)
    lo = dt.datetime(2024, 3, 27, 10, tzinfo=ZONE)
    hi = dt.datetime(2024, 4, 5, 16, 30, tzinfo=ZONE)
    key_sql, key_params, bucket = None, [], None
    if interval is not None:
        local, key_params = local_us_sql(ZONE, FIRST, LAST, "c.arrived_at")
        key_sql = interval_key_sql(interval, local)
        asked = f"epoch_us({key_sql})" if interval == "month" else key_sql
        bucket = copy.bucket_codes(con, asked, "", key_params)
    expected, counts = quantiles_in_sql(con, dims, key_sql, key_params, lo, hi, filters)
    assert len(expected) >= 2 or not (dims or interval)
    # every group's ranks among all its waits (no floor: the copy holds them all)
    n_keys = len(dims) + (interval is not None)
    rows = [(*key, "answered", n, 0, 0) for key, n in counts.items()]
    plan = _p90_plan(rows, n_keys, [-1.0])
    found = copy.p90(plan, dims, bucket, lo, hi, filters)
    assert found == expected
    # a group the copy lacks is left out, as the SQL's join leaves it out
    missing = ("nobody",) * len(dims) + ((0,) if interval else ())
    if dims:
        plan[2][missing] = (1, 1, 0.0)
        assert missing not in copy.p90(plan, dims, bucket, lo, hi, filters)


def test_a_floor_keeps_only_the_waits_above_it_and_ranks_count_from_the_longest():
    """With a floor, only waits above it are ranked: the ranks the plan gives for a
    group whose waits at or under the floor are at most its k-th give the same float."""
    calls = answered_calls(2, 2_000)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("calls", calls)
    lo = dt.datetime(2024, 3, 25, tzinfo=ZONE)
    hi = dt.datetime(2024, 4, 7, tzinfo=ZONE)
    expected, counts = quantiles_in_sql(con, ("category",), None, [], lo, hi, {})
    within = dict(
        con.execute(
            "SELECT category, count(*) FILTER (WHERE wait_s <= 30) FROM calls GROUP BY 1"
        ).fetchall()
    )
    rows = [(*key, "answered", n, 0, within[key[0]]) for key, n in counts.items()]
    plan = _p90_plan(rows, 1, [30.0])
    assert plan is not None and plan[0] == 30.0
    above = calls.filter(pa.compute.greater(calls.column("wait_s"), 30.0))
    assert LongestWaits(above).p90(plan, ("category",), None, lo, hi, {}) == expected


def test_a_plan_is_read_only_when_it_leaves_out_at_least_half_the_answered_calls():
    """``_prunes_enough``: reading the waits above the floor pays only when most answered
    calls are under it (rows: key, outcome, answered, short, within 12 s, within 30 s)."""
    thresholds = [12.0, 30.0]
    few_above = [("a", "answered", 100, 0, 60, 85), ("b", "answered", 50, 0, 20, 44)]
    plan = _p90_plan(few_above, 1, thresholds)
    assert plan[0] == 30.0 and _prunes_enough(few_above, 1, plan, thresholds)  # 21 of 150
    many_above = [("a", "answered", 100, 0, 2, 30), ("b", "abandoned", 400, 0, 400, 400)]
    plan = _p90_plan(many_above, 1, thresholds)
    assert plan[0] == 30.0 and not _prunes_enough(many_above, 1, plan, thresholds)  # 70 of 100
