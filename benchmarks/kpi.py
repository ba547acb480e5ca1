"""How fast is the KPI layer on a big store, and against pandas on the same data?

Builds (once, cached under benchmarks/.data/) a store of N calls (default 10,000,000)
spread over 2024 at a centre in Riyadh, 08:00-20:00 local, with caller categories
(employer 80%, worker 15%, other 5%), outcomes (answered 90%, abandoned 9%, timeout 1%)
and random waits and handling times. Then it times, in the same run:

* ``call_kpis`` for September 2024 by category, every KPI and every service-level
  variant at T = 12 and 30 s (goal <= 0.5 s);
* ``call_kpis`` for September 2024 by 30-minute interval (goal <= 0.1 s);
* both again with ``use_rollup=False``: the counts from the calls themselves instead of
  the quarter-hour rollup (``analytics/kpi/rollup.py``), as for a query at thresholds
  other than the centre's, by topic or agent, or on a simulation's calls;
* the same KPIs computed with pandas ``groupby`` on the same rows (by category with the
  same zero rows for categories seen within a year either side), two ways: (a) on all
  calls already loaded in memory as a DataFrame with categorical columns (loading not
  counted: pandas' best case), and (b) end to end, fetching the month's calls from the
  same store into a DataFrame and grouping them (what a pandas KPI layer would do per
  request). The ratio pandas / ours is printed for both (goal >= 5).

Then, on a second cached store of M tickets (default 1,000,000, created over
2023-2024 at a Riyadh centre open Sunday-Thursday 08:00-16:00 with Saudi holidays), it
times ``ticket_kpis`` for September 2024: the month, by category and by day (goal <= 0.5 s).

The machine's load average is printed too: on a shared machine every wall-clock
figure is inflated, DuckDB's (multi-threaded) more than pandas' (single-threaded).

Each figure is the median of several runs after one warm-up. Usage:

    .venv/bin/python benchmarks/kpi.py [N [M]]   # N calls (10_000_000), M tickets (1_000_000)
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.call_log import save_centre  # noqa: E402
from analytics.centres import Centre, get_centre  # noqa: E402
from analytics.kpi import call_kpis, rollup, ticket_kpis  # noqa: E402
from analytics.periods import parse_period  # noqa: E402
from analytics.store import Store  # noqa: E402

# DuckDB's .df() triggers a pandas deprecation notice that is not ours to fix.
warnings.filterwarnings("ignore", message="The inplace keyword")

CENTRE = Centre("bench_riyadh", timezone="Asia/Riyadh")
PERIOD = "2024-09"
REPEATS = 7


def build_store(n: int) -> Store:
    path = ROOT / "benchmarks" / ".data" / f"kpi_{n}.duckdb"
    store = Store(path)
    if path.exists():
        return store
    print(f"building {path} with {n:,} calls ...", file=sys.stderr)
    per_day = -(-n // 366)
    with store.writer() as con:
        save_centre(con, CENTRE)
        con.execute("SELECT setseed(0.42)")
        # Rows in time order (as a nightly load leaves them); local 08:00-20:00.
        con.execute(
            """
            INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, talk_s, hold_s,
                               acw_s, category, topic, queue, site, channel, agent_id)
            SELECT 'bench_riyadh', 'c' || i,
                   TIMESTAMPTZ '2024-01-01 08:00:00+03:00' + to_days(CAST(i // ? AS INTEGER))
                       + to_microseconds(CAST((i % ?) * (43200e6 / ?) AS BIGINT)),
                   CASE WHEN u < 0.90 THEN 'answered' WHEN u < 0.99 THEN 'abandoned'
                        ELSE 'timeout' END,
                   round(-ln(1 - random()) * 15, 1),
                   CASE WHEN u < 0.90 THEN round(60 - ln(1 - random()) * 180, 1) END,
                   CASE WHEN u < 0.90 AND random() < 0.2 THEN round(random() * 60, 1) END,
                   CASE WHEN u < 0.90 THEN round(random() * 40, 1) END,
                   CASE WHEN c < 0.80 THEN 'employer' WHEN c < 0.95 THEN 'worker'
                        ELSE 'other' END,
                   'topic_' || CAST(floor(random() * 6) AS INTEGER),
                   'main', 'riyadh', 'phone',
                   'agent_' || CAST(floor(random() * 120) AS INTEGER)
            FROM (SELECT i, random() AS u, random() AS c FROM range(?) r(i))
            ORDER BY i
            """,
            [per_day, per_day, per_day, n],
        )
        rollup.refresh(con, CENTRE)  # as ingest does
    return store


TICKET_CENTRE = Centre(
    "bench_riyadh_tickets",
    timezone="Asia/Riyadh",
    opening_hours={d: ((("08:00", "16:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)},
    weekend=(5, 6),
    holiday_country="SA",
)
TICKET_AS_OF = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)


def build_ticket_store(n: int) -> Store:
    """N tickets created over 2023-2024 (time order), first answered after ~6 h and
    resolved after ~3 days on average; 5% never answered, 3% still open."""
    path = ROOT / "benchmarks" / ".data" / f"kpi_tickets_{n}.duckdb"
    store = Store(path)
    if path.exists():
        return store
    print(f"building {path} with {n:,} tickets ...", file=sys.stderr)
    with store.writer() as con:
        save_centre(con, TICKET_CENTRE)
        con.execute("SELECT setseed(0.24)")
        con.execute(
            """
            INSERT INTO tickets (centre_id, ticket_id, created_at, first_response_at,
                                 resolved_at, status, category, channel, priority)
            SELECT 'bench_riyadh_tickets', 't' || i, created,
                   CASE WHEN u >= 0.05 THEN created + to_seconds(CAST(-ln(1 - random()) * 21600
                        AS BIGINT)) END,
                   CASE WHEN u >= 0.03 THEN created + to_seconds(CAST(-ln(1 - random()) * 259200
                        AS BIGINT)) END,
                   NULL,
                   CASE WHEN c < 0.80 THEN 'employer' WHEN c < 0.95 THEN 'worker'
                        ELSE 'other' END,
                   'email', 'normal'
            FROM (SELECT i, random() AS u, random() AS c,
                         TIMESTAMPTZ '2023-01-01 00:00:00+03:00'
                             + to_microseconds(CAST(i * (63072000e6 / ?) AS BIGINT)) AS created
                  FROM range(?) r(i))
            ORDER BY i
            """,
            [n, n],
        )
        # a resolution before the first response is not a real ticket
        con.execute(
            "UPDATE tickets SET first_response_at = resolved_at "
            "WHERE first_response_at > resolved_at"
        )
    return store


def median_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def pandas_kpis(df: pd.DataFrame, start, end, keys: str, zone: str) -> pd.DataFrame:
    """The same call KPIs (T = 12, 30 s; S = 5 s) with pandas groupby."""
    month = df[(df["arrived_at"] >= start) & (df["arrived_at"] < end)]
    if keys == "interval_start":
        key = month["arrived_at"].dt.tz_convert(zone).dt.floor("30min").rename("interval_start")
    else:
        key = month[keys]
    answered = month["outcome"] == "answered"
    abandoned = month["outcome"] == "abandoned"
    wait = month["wait_s"]
    flags = pd.DataFrame(
        {
            "offered": month["outcome"].isin(["answered", "abandoned", "timeout"]),
            "answered": answered,
            "abandoned": abandoned,
            "timed_out": month["outcome"] == "timeout",
            "short_abandoned": abandoned & (wait < 5),
            "answered_12": answered & (wait <= 12),
            "answered_30": answered & (wait <= 30),
            "abandoned_12": abandoned & (wait <= 12),
            "abandoned_30": abandoned & (wait <= 30),
            "answered_wait": wait.where(answered, 0.0),
            "abandoned_wait": wait.where(abandoned, 0.0),
            "handle": (
                month["talk_s"].fillna(0) + month["hold_s"].fillna(0) + month["acw_s"].fillna(0)
            ).where(answered, 0.0),
        }
    )
    sums = flags.groupby(key, observed=True).sum()
    if keys != "interval_start":
        # like call_kpis: every group with calls within a year either side gets a row
        year = pd.Timedelta(days=366)
        near = df["arrived_at"].between(start - year, end + year, inclusive="left")
        known = df.loc[near, keys].dropna().unique()
        sums = sums.reindex(sums.index.union(pd.Index(known)), fill_value=0)
    p90 = wait[answered].groupby(key[answered], observed=True).quantile(0.9)
    out = pd.DataFrame(index=sums.index)
    for c in ("offered", "answered", "abandoned", "timed_out", "short_abandoned"):
        out[c] = sums[c]
    offered = sums["offered"].replace(0, np.nan)
    answered_n = sums["answered"].replace(0, np.nan)
    excl = (sums["offered"] - sums["short_abandoned"]).replace(0, np.nan)
    out["answer_rate"] = sums["answered"] / offered
    out["answer_rate_excl_short"] = sums["answered"] / excl
    out["abandon_rate"] = sums["abandoned"] / offered
    for t in ("12", "30"):
        out[f"sl_answered_{t}"] = sums[f"answered_{t}"] / answered_n
        out[f"sl_offered_{t}"] = sums[f"answered_{t}"] / offered
        out[f"sl_excl_short_{t}"] = sums[f"answered_{t}"] / excl
        out[f"sl_with_abandons_{t}"] = (sums[f"answered_{t}"] + sums[f"abandoned_{t}"]) / offered
    out["asa_s"] = sums["answered_wait"] / answered_n
    out["avg_abandon_wait_s"] = sums["abandoned_wait"] / sums["abandoned"].replace(0, np.nan)
    out["aht_s"] = sums["handle"] / answered_n
    out["p90_wait_s"] = p90
    return out


def max_difference(ours: list[dict], theirs: pd.DataFrame, key: str) -> float:
    worst = 0.0
    for row in ours:
        k = row[key]
        other = theirs.loc[pd.Timestamp(k) if key == "interval_start" else k]
        for name, value in row.items():
            if name == key or value is None:
                continue
            worst = max(worst, abs(float(value) - float(other[name])))
    return worst


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    ticket_n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    store = build_store(n)
    period = parse_period(PERIOD)
    with store.reader() as con:
        centre = get_centre(con, CENTRE.centre_id)
        month_calls = call_kpis(con, centre, period=period)[0]["offered"]
        by_category_s, ours_cat = median_time(
            lambda: call_kpis(con, centre, period=period, by=("category",))
        )
        by_interval_s, ours_int = median_time(
            lambda: call_kpis(con, centre, period=period, interval="30min")
        )
        # the same KPIs without the quarter-hour rollup: what a query at other thresholds,
        # by topic or agent, or on a simulation's calls costs
        scan_category_s, _ = median_time(
            lambda: call_kpis(con, centre, period=period, by=("category",), use_rollup=False)
        )
        scan_interval_s, scan_int = median_time(
            lambda: call_kpis(con, centre, period=period, interval="30min", use_rollup=False)
        )
        rollup_rows = con.execute(
            "SELECT count(*) FROM call_intervals WHERE centre_id = ?", [centre.centre_id]
        ).fetchall()[0][0]
        df = con.execute(
            "SELECT arrived_at, outcome, wait_s, talk_s, hold_s, acw_s, category FROM calls "
            "WHERE centre_id = ?",
            [centre.centre_id],
        ).df()
    df["outcome"] = df["outcome"].astype("category")
    df["category"] = df["category"].astype("category")
    start, end = (pd.Timestamp(b) for b in period.bounds(centre.tz))
    pd_category_s, theirs_cat = median_time(
        lambda: pandas_kpis(df, start, end, "category", centre.timezone), repeats=3
    )
    pd_interval_s, theirs_int = median_time(
        lambda: pandas_kpis(df, start, end, "interval_start", centre.timezone), repeats=3
    )

    def fetch_and_group(key: str) -> pd.DataFrame:
        with store.reader() as con:
            month = con.execute(
                "SELECT arrived_at, outcome, wait_s, talk_s, hold_s, acw_s, category FROM calls"
                " WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?",
                [centre.centre_id, start.to_pydatetime(), end.to_pydatetime()],
            ).df()
        return pandas_kpis(month, start, end, key, centre.timezone)

    e2e_category_s, _ = median_time(lambda: fetch_and_group("category"), repeats=3)
    e2e_interval_s, _ = median_time(lambda: fetch_and_group("interval_start"), repeats=3)
    agree = max(
        max_difference(ours_cat, theirs_cat, "category"),
        max_difference(ours_int, theirs_int, "interval_start"),
        max_difference(scan_int, theirs_int, "interval_start"),
    )

    print(f"store: {n:,} calls; {PERIOD}: {month_calls:,} calls; median of {REPEATS} runs")
    print(
        f"month by category, all KPIs and SL variants at 12/30 s: {by_category_s * 1000:7.1f} ms"
        f"  (goal <= 500 ms: {by_category_s / 0.5:.2f} of the limit)"
    )
    print(
        f"month by 30-minute interval ({len(ours_int)} rows):         {by_interval_s * 1000:7.1f} ms"
        f"  (goal <= 100 ms: {by_interval_s / 0.1:.2f} of the limit)"
    )
    print(
        f"  (the same without the quarter-hour rollup ({rollup_rows:,} rows for {n:,} calls),"
        f" scanning the calls: by category {scan_category_s * 1000:.1f} ms, by 30-minute "
        f"interval {scan_interval_s * 1000:.1f} ms)"
    )
    print(
        f"pandas groupby, by category (data already in memory):  {pd_category_s * 1000:7.1f} ms"
        f"  ratio pandas/ours = {pd_category_s / by_category_s:.1f}x (goal >= 5x)"
    )
    print(
        f"pandas groupby, by 30-minute interval:                 {pd_interval_s * 1000:7.1f} ms"
        f"  ratio pandas/ours = {pd_interval_s / by_interval_s:.1f}x (goal >= 5x)"
    )
    print(
        f"pandas end to end (fetch the month, groupby), category: {e2e_category_s * 1000:7.1f} ms"
        f"  ratio pandas/ours = {e2e_category_s / by_category_s:.1f}x"
    )
    print(
        f"pandas end to end, 30-minute interval:                  {e2e_interval_s * 1000:7.1f} ms"
        f"  ratio pandas/ours = {e2e_interval_s / by_interval_s:.1f}x"
    )
    print(
        f"  without the rollup: ratio pandas/ours by category "
        f"{pd_category_s / scan_category_s:.1f}x, by 30-minute interval "
        f"{pd_interval_s / scan_interval_s:.1f}x"
    )
    print(f"largest difference between our KPIs and pandas': {agree:.3g}")
    tickets(ticket_n)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def tickets(n: int) -> None:
    """A month's ticket KPIs on an N-ticket store (goal <= 0.5 s), checked against a
    count of the month's tickets in Python."""
    store = build_ticket_store(n)
    period = parse_period(PERIOD)
    with store.reader() as con:
        centre = get_centre(con, TICKET_CENTRE.centre_id)
        total_s, (row,) = median_time(
            lambda: ticket_kpis(con, centre, period=period, as_of=TICKET_AS_OF), repeats=5
        )
        by_category_s, _ = median_time(
            lambda: ticket_kpis(con, centre, period=period, by=("category",), as_of=TICKET_AS_OF),
            repeats=5,
        )
        daily_s, _ = median_time(
            lambda: ticket_kpis(con, centre, period=period, interval="day", as_of=TICKET_AS_OF),
            repeats=5,
        )
        lo, hi = period.bounds(centre.tz)
        created_at, resolved_at = con.execute(
            "SELECT list(created_at), list(resolved_at) FROM tickets WHERE centre_id = ?",
            [centre.centre_id],
        ).fetchone()
    # independent recount of the plain counts (working-time figures are in the tests)
    created = sum(lo <= c < hi for c in created_at)
    resolved = sum(r is not None and lo <= r < hi for r in resolved_at)
    backlog = sum(
        c < hi and (r is None or r >= hi) for c, r in zip(created_at, resolved_at, strict=True)
    )
    agree = (row["created"], row["resolved"], row["backlog"]) == (created, resolved, backlog)
    print(f"tickets: {n:,} in the store; {PERIOD}: {row['created']:,} created, "
          f"backlog {row['backlog']:,}; median of 5 runs")  # fmt: skip
    print(
        f"tickets, month total:        {total_s * 1000:7.1f} ms"
        f"  (goal <= 500 ms: {total_s / 0.5:.2f} of the limit)"
    )
    print(
        f"tickets, month by category:  {by_category_s * 1000:7.1f} ms"
        f"  (goal <= 500 ms: {by_category_s / 0.5:.2f} of the limit)"
    )
    print(
        f"tickets, month by day:       {daily_s * 1000:7.1f} ms"
        f"  (goal <= 500 ms: {daily_s / 0.5:.2f} of the limit)"
    )
    print(f"created/resolved/backlog agree with a recount in Python: {agree}")


if __name__ == "__main__":
    main()
