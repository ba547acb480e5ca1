"""The quarter-hour call rollup: additive call counts kept beside the calls.

A month's intraday report reads some 800,000 calls at a big centre; most of what it
computes (counts, counts within the service-level thresholds, short abandons, wait and
handling sums) is additive, so it can be read from a rollup a few dozen times smaller.
``call_intervals`` holds, per centre, UTC quarter-hour, outcome and routing dimension
(category, queue, site, channel), the number of calls, of short ones (wait < S) and of
those within each of the centre's thresholds (wait <= T; the first four, ascending),
with their wait and handling sums.

Every UTC quarter-hour lies inside one local 15-minute bucket wherever the zone's UTC
offsets and their change instants are whole quarter-hours (every zone in use today), so
any local interval of 15 minutes or more, any period of whole local days and any subset
of the routing dimensions is a sum of rollup rows, exactly. The 90th percentile is not
additive: ``call_kpis`` takes it from the calls themselves (answered calls only).

The rollup is cut at the centre's thresholds and S. ``call_kpis`` uses it only when it
can give the exact answer: the query's thresholds are among those, S is the same, the
dimensions are routing ones, the offsets are aligned and the rollup exists for the
centre (``call_interval_state``); otherwise it scans the calls, as it does for topic,
agent, other thresholds and simulation views. Every write that changes calls rebuilds
the quarter-hours it touched (``refresh``), inside the same transaction, so a reader
never sees calls and rollup disagree; a change of the centre's thresholds rebuilds the
centre's whole rollup. Those writes go through one path, ``analytics.call_log``
(``changing_calls``, ``save_centre``), which calls this module: nothing else needs to
remember the rollup.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Sequence

import duckdb

from analytics import direct_reads, snapshot_cache
from analytics.centres import Centre

QUARTER_S = 900
QUARTER_US = QUARTER_S * 1_000_000
ROLLUP_DIMENSIONS = ("category", "queue", "site", "channel")
ROLLUP_THRESHOLDS = 4  # columns n_within_1..4
# The deltas' columns: a key, then counts and sums that add up across rows.
DELTA_KEYS = ("centre_id", "quarter", "outcome", *ROLLUP_DIMENSIONS)
DELTA_COUNTS = (
    "n",
    "n_short",
    *(f"n_within_{i + 1}" for i in range(ROLLUP_THRESHOLDS)),
    "n_talk",
    "n_hold",
    "n_acw",
)
DELTA_SUMS = ("wait_sum", "talk_sum", "hold_sum", "acw_sum")


def _cut(centre: Centre) -> tuple[list[float], float]:
    """The thresholds (ascending, distinct, at most four) and S a rollup of ``centre``
    is cut at."""
    thresholds = sorted({float(t) for t in centre.sl_thresholds_s})[:ROLLUP_THRESHOLDS]
    return thresholds, float(centre.short_abandon_s)


def quarter_of(instant: dt.datetime) -> int:
    """The UTC quarter-hour of ``instant`` as the rollup numbers it (floored)."""
    return math.floor(instant.timestamp() / QUARTER_S)


def _state(con: duckdb.DuckDBPyConnection, centre_id: str) -> tuple[list[float], float] | None:
    """The thresholds and S the centre's rollup was cut at; None without a rollup. Read
    once per snapshot of the store (``analytics.snapshot_cache``)."""
    row = snapshot_cache.value(
        con,
        ("rollup cut", centre_id),
        lambda: con.execute(
            "SELECT sl_thresholds_s, short_abandon_s FROM call_interval_state WHERE centre_id = ?",
            [centre_id],
        ).fetchall(),
        tables=("call_interval_state",),
    )
    return (list(row[0][0]), row[0][1]) if row else None


def quarter_sql(instant: str) -> str:
    """SQL of the UTC quarter-hour of ``instant``: floor(epoch seconds / 900), also
    before 1970 (DuckDB's ``//`` truncates towards zero; ingest refuses such calls, but
    a refresh must agree with ``quarter_of`` whatever the table holds)."""
    e = f"epoch_us({instant})"
    return f"(({e}) - ((({e}) % {QUARTER_US}) + {QUARTER_US}) % {QUARTER_US}) // {QUARTER_US}"


def _write_state(con: duckdb.DuckDBPyConnection, cid: str, cut: tuple[list[float], float]) -> None:
    """Record the cut of a centre's rollup, only when it changed (rewriting the row on
    every write would make every two writers of a centre conflict)."""
    if _state(con, cid) == cut:
        return
    snapshot_cache.forget(con, ("rollup cut", cid))
    con.execute("DELETE FROM call_interval_state WHERE centre_id = ?", [cid])
    con.execute("INSERT INTO call_interval_state VALUES (?, ?, ?)", [cid, cut[0], cut[1]])


def refresh(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    first: dt.datetime | None = None,
    last: dt.datetime | None = None,
) -> None:
    """Rebuild the centre's rollup for the quarter-hours holding ``first``..``last``
    (instants, both included), or all of it when they are None: its delta rows there are
    replaced by the rows of the calls. Writes that add or remove known calls append
    deltas instead (``add_delta``), which never conflict with another writer."""
    thresholds, short_s = _cut(centre)
    cid = centre.centre_id
    rebuild_all = first is None or last is None or _state(con, cid) != (thresholds, short_s)
    where, params = "c.centre_id = ?", [cid]
    if rebuild_all:
        con.execute("DELETE FROM call_interval_deltas WHERE centre_id = ?", [cid])
    else:
        lo, hi = quarter_of(first), quarter_of(last) + 1
        con.execute(
            "DELETE FROM call_interval_deltas WHERE centre_id = ? AND quarter >= ? AND quarter < ?",
            [cid, lo, hi],
        )
        where += " AND c.arrived_at >= ? AND c.arrived_at < ?"
        params += [
            dt.datetime.fromtimestamp(lo * QUARTER_S, dt.UTC),
            dt.datetime.fromtimestamp(hi * QUARTER_S, dt.UTC),
        ]
    con.execute(
        f"INSERT INTO call_interval_deltas BY NAME {_rollup_sql(len(thresholds), where)}",
        [short_s, *thresholds, *params],
    )
    _write_state(con, cid, (thresholds, short_s))


def can_add_deltas(con: duckdb.DuckDBPyConnection, centre: Centre) -> bool:
    """Whether the centre's rollup exists and is cut as the centre is now: then a write
    may append the deltas of the calls it changes (``add_delta``)."""
    return _state(con, centre.centre_id) == _cut(centre)


def add_delta(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    where: str,
    params: list | dict,
    sign: int,
    source: str = "calls",
) -> None:
    """Append the rollup rows of the centre's calls matching ``where`` (over the columns
    of ``calls``, values bound as ``?`` or ``$name`` as in ``params``), counted ``sign``
    times: +1 after inserting them, -1 before deleting them. ``source``: a table of the
    shape of ``calls`` holding them (the rows about to be inserted), else ``calls``."""
    thresholds, short_s = _cut(centre)
    rows = _rollup_sql(len(thresholds), where, named=isinstance(params, dict), source=source)
    if isinstance(params, dict):
        bound: list | dict = {
            **params,
            "rollup_short": short_s,
            **{f"rollup_t{i}": t for i, t in enumerate(thresholds)},
        }
    else:
        bound = [short_s, *thresholds, *params]
    counts = [
        "n",
        "n_short",
        *(f"n_within_{i + 1}" for i in range(len(thresholds))),
        "n_talk",
        "n_hold",
        "n_acw",
    ]
    sums = ["wait_sum", "talk_sum", "hold_sum", "acw_sum"]
    keys = ["centre_id", "quarter", "outcome", *ROLLUP_DIMENSIONS]
    signed = ", ".join(keys + [f"{sign} * {c} AS {c}" for c in counts + sums])
    con.execute(f"INSERT INTO call_interval_deltas BY NAME SELECT {signed} FROM ({rows})", bound)


def fold(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the rollup's deltas into one row per key (inside a writer; for compaction).
    Rows another writer appends meanwhile are kept: they are not in this snapshot.
    Returns the number of rows after folding."""
    keys = ", ".join(DELTA_KEYS)
    sums = ", ".join(
        [f"CAST(sum({c}) AS BIGINT) AS {c}" for c in DELTA_COUNTS]
        + ["sum(wait_sum) AS wait_sum"]
        + [
            f"CASE WHEN sum(n_{k}) <> 0 THEN sum({k}_sum) END AS {k}_sum"
            for k in ("talk", "hold", "acw")
        ]
    )
    con.execute(
        f"CREATE TEMP TABLE folded_intervals AS SELECT {keys}, {sums} "
        "FROM call_interval_deltas GROUP BY ALL HAVING sum(n) <> 0"
    )
    try:
        con.execute("DELETE FROM call_interval_deltas")
        return con.execute(
            "INSERT INTO call_interval_deltas BY NAME SELECT * FROM folded_intervals"
        ).fetchall()[0][0]
    finally:
        con.execute("DROP TABLE folded_intervals")


def _rollup_sql(
    n_thresholds: int, where: str, named: bool = False, stored: bool = True, source: str = "calls"
) -> str:
    """The rollup rows of the calls ``c`` selected by ``where``; parameters: S,
    T1..Tn, then those of ``where`` (``named``: $rollup_short, $rollup_t0.. instead).
    ``stored``: with the counts of calls having each handling time, as the deltas
    table keeps them (not in the view's shape)."""
    counts = (
        ", count(c.talk_s) AS n_talk, count(c.hold_s) AS n_hold, count(c.acw_s) AS n_acw"
        if stored
        else ""
    )
    short = "$rollup_short" if named else "?"
    within = [
        f"count_if(c.wait_s <= {f'$rollup_t{i}' if named else '?'}) AS n_within_{i + 1}"
        for i in range(n_thresholds)
    ]
    dims = ", ".join(f"c.{d}" for d in ROLLUP_DIMENSIONS)
    return f"""
        SELECT c.centre_id, {quarter_sql("c.arrived_at")} AS quarter, c.outcome,
               {dims}, count(*) AS n, count_if(c.wait_s < {short}) AS n_short,
               {", ".join(within)},
               sum(c.wait_s) AS wait_sum, sum(c.talk_s) AS talk_sum,
               sum(c.hold_s) AS hold_sum, sum(c.acw_s) AS acw_sum{counts}
        FROM {source} c WHERE {where}
        GROUP BY ALL
        """


def stale_rows(con: duckdb.DuckDBPyConnection, centre: Centre) -> int:
    """How many rows of the centre's stored rollup differ from one rebuilt from its calls
    now (missing, extra, other counts, or sums off by more than rounding): 0 when the
    rollup is in step with the calls. A check for tests and for the curious."""
    thresholds, short_s = _cut(centre)
    keys = ["quarter", "outcome", *ROLLUP_DIMENSIONS]
    counts = ["n", "n_short", *(f"n_within_{i + 1}" for i in range(ROLLUP_THRESHOLDS))]
    sums = ["wait_sum", "talk_sum", "hold_sum", "acw_sum"]
    on = " AND ".join(f"s.{k} IS NOT DISTINCT FROM f.{k}" for k in keys)
    differs = " OR ".join(
        [f"s.{c} IS DISTINCT FROM f.{c}" for c in counts]
        + [
            f"(s.{c} IS NULL) <> (f.{c} IS NULL) OR abs(s.{c} - f.{c}) > 1e-9 * (1 + abs(f.{c}))"
            for c in sums
        ]
    )
    padding = ", ".join(
        f"NULL::BIGINT AS n_within_{i + 1}" for i in range(len(thresholds), ROLLUP_THRESHOLDS)
    )
    return con.execute(
        f"""
        WITH fresh AS (SELECT *{", " + padding if padding else ""}
                       FROM ({_rollup_sql(len(thresholds), "c.centre_id = ?", stored=False)})),
             stored AS (SELECT * FROM call_intervals WHERE centre_id = ?)
        SELECT count(*) FROM stored s FULL OUTER JOIN fresh f ON {on}
        WHERE s.quarter IS NULL OR f.quarter IS NULL OR {differs}
        """,
        [short_s, *thresholds, centre.centre_id, centre.centre_id],
    ).fetchall()[0][0]


def sync_thresholds(con: duckdb.DuckDBPyConnection, centre: Centre) -> None:
    """After a centre's settings are saved: a rollup cut at other thresholds or S is
    rebuilt whole (a centre without a rollup keeps none)."""
    state = _state(con, centre.centre_id)
    if state is not None and state != _cut(centre):
        refresh(con, centre)


def within_columns(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    dims: Sequence[str],
    thresholds_s: Sequence[float],
    short_abandon_s: float,
) -> list[str] | None:
    """For each query threshold, the rollup column counting the calls within it — or
    None when the centre's rollup cannot answer this query exactly (no rollup, other
    thresholds or S, a dimension it does not keep)."""
    if any(d not in ROLLUP_DIMENSIONS for d in dims):
        return None
    state = _state(con, centre.centre_id)
    if state is None or state[1] != float(short_abandon_s):
        return None
    cut = state[0]
    try:
        return [f"n_within_{cut.index(float(t)) + 1}" for t in thresholds_s]
    except ValueError:
        return None


def aligned(changes: Sequence[tuple[int | None, int]]) -> bool:
    """Whether every UTC offset and every change instant (µs, from
    ``buckets.offset_changes``) is a whole quarter-hour."""
    return all(
        offset % QUARTER_US == 0 and (at is None or at % QUARTER_US == 0) for at, offset in changes
    )


def kept_for(con: duckdb.DuckDBPyConnection, centre_id: str) -> bool:
    """Whether the centre has a rollup (read once per snapshot)."""
    return _state(con, centre_id) is not None


def quarter_span(con: duckdb.DuckDBPyConnection, centre_id: str) -> tuple[int, int] | None:
    """The first and the last UTC quarter-hour with calls of the centre, from its rollup
    ((None, None) without calls); None when the centre has no rollup. A few thousand rollup
    rows answer what the calls' min and max would read every call's arrival for."""
    found = summary(con, centre_id)
    if found is None:
        return None
    quarters = found[1]
    return (quarters[0], quarters[-1]) if quarters else (None, None)


def summary(
    con: duckdb.DuckDBPyConnection, centre_id: str
) -> tuple[dict[str, tuple[str, ...]], tuple[int, ...]] | None:
    """What the dashboards' every page asks of the centre's rollup, from one read of it:
    the codes each routing dimension has among its calls ({dimension: sorted codes}) and
    every UTC quarter-hour with calls, ascending. None when the centre has no rollup. A
    key's deltas net to its calls (never below 0), so a code or quarter-hour has calls
    exactly when its deltas' sum is not 0. Kept per snapshot, and carried past snapshots
    that did not write the rollup (``snapshot_cache.read``)."""
    if not kept_for(con, centre_id):
        return None

    def compute():
        dims = ", ".join(ROLLUP_DIMENSIONS)
        sets = ", ".join(f"({d})" for d in (*ROLLUP_DIMENSIONS, "quarter"))
        nulls = ", ".join("NULL" for _ in ROLLUP_DIMENSIONS)
        rows = con.execute(
            f"WITH g AS MATERIALIZED (SELECT {dims}, quarter FROM call_interval_deltas "
            f"WHERE centre_id = ? GROUP BY GROUPING SETS ({sets}) HAVING sum(n) <> 0) "
            f"SELECT {dims}, NULL FROM g WHERE quarter IS NULL "
            f"UNION ALL SELECT {nulls}, list(quarter ORDER BY quarter) FROM g "
            "WHERE quarter IS NOT NULL",
            [centre_id],
        ).fetchall()
        codes: dict[str, set[str]] = {}
        quarters: tuple[int, ...] = ()
        for *values, listed in rows:
            if listed is not None:
                quarters = tuple(listed)
            for name, code in zip(ROLLUP_DIMENSIONS, values, strict=True):
                if code is not None:
                    codes.setdefault(name, set()).add(code)
        return {name: tuple(sorted(found)) for name, found in codes.items()}, quarters

    def grow(old, first: int, last: int):
        # deltas only ever added: a key whose sum was not 0 stays so (sums never go below
        # 0) unless a delta takes calls away, and one that was 0 has calls if it gained
        dims = ", ".join(ROLLUP_DIMENSIONS)
        rows, params = direct_reads.inserted(con, "call_interval_deltas", first, last)
        added = con.execute(
            f"SELECT {dims}, quarter, n FROM {rows} WHERE centre_id = ? AND n <> 0",
            [*params, centre_id],
        ).fetchall()
        if any(row[-1] < 0 for row in added):
            return None  # calls taken away: a code or quarter-hour may have none left
        codes = {name: set(found) for name, found in old[0].items()}
        quarters = list(old[1])
        for *values, quarter, _n in added:
            for name, code in zip(ROLLUP_DIMENSIONS, values, strict=True):
                if code is not None:
                    codes.setdefault(name, set()).add(code)
            at = bisect.bisect_left(quarters, quarter)
            if at == len(quarters) or quarters[at] != quarter:
                quarters.insert(at, quarter)
        return {name: tuple(sorted(found)) for name, found in codes.items()}, tuple(quarters)

    return snapshot_cache.read(
        con,
        ("rollup summary", centre_id),
        compute,
        tables=("call_interval_deltas",),
        grows=("call_interval_deltas", grow),
    )


def quarter_start(quarter: int) -> dt.datetime:
    """The UTC instant a rollup quarter-hour starts at (``quarter_of``'s inverse)."""
    return dt.datetime.fromtimestamp(quarter * QUARTER_S, dt.UTC)
