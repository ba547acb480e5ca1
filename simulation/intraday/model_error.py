"""The queue model's own day-to-day error, learnt from earlier days, in the service-level band.

The projection's band (``simulation.intraday.projection``) carries the luck of the rest of
the day (who calls, how long they talk, how long they wait) and, with ``--arrivals
forecast``, the re-forecast's error (``simulation.intraday.reforecast``). It does not carry
the model's own error: on some afternoons fewer of the agents the source gives worked
this queue than on the training days, and the service level runs off by points that no
replication draws. On the bank's February 1999 the service level's band caught the real
afternoon on 12 of 18 days where offered calls, answer rate and ASA were caught on 15.

``learn_model_error(con, centre, at, ...)`` learns that error as the re-forecast learns
its own: each of the last ``DAYS`` earlier days with calls after ``at``'s time of day is
cut there and projected with its real arrivals replayed (``--arrivals actual``: the queue
model alone) and the same staffing source; e_d = projected − real service level of the
calls arriving after the cut. What the projection's own replications explain of it (the
real afternoon is one draw of them: their p10–p90 read as a normal's) is taken off:

    s² = mean(e_d²) − mean(σ_d²)

and s is widened by Student's t for the few days it was read off
(``reforecast.small_sample_factor``). ``widen(projection, error)`` adds it to the band of
every service level of ``rest_of_day`` and, in proportion to the calls still to come, of
``day`` (the medians stay): p10 = m − √((m − p10)² + (z·s)²), and p90 alike, within 0–1.
``widen`` also widens each remaining interval's band by s (the error is mostly the
day's: fewer or more of the source's agents on this queue all afternoon).

It is on by default (``cca intraday``, the dashboards' today view) because it is learnt
once and kept: what it learns depends only on the earlier days and the time of day of the
cut, so ``model_error(con, centre, at, ...)`` cuts at ``at``'s interval start (12:10 and
12:25 share 12:00's) and keeps the result per centre, cut, options and the earlier days'
data as the store holds them (``data_seen``: their calls' count, first and last arrival
and newest load batch, and the staffing table's; a load that touches them learns again):
in this process (the page's 5-minute recomputes, a what-if) and, given an ``AppState``,
in its ``model_errors`` table (the next ``cca intraday`` of the day and interval). The
replays read an in-memory copy of those days (``earlier_days``: a statement on the lake
costs 10-35 ms of catalogue reading, and they make ~220); with ``workers`` > 1 they are
replayed on as many processes, each holding its own copy (the same numbers: the bank's
first projection of an interval on two workers 2.45 s against 3.60 s, docs/
measurements.md). Each earlier day's error is also kept in this process per centre, cut
and options (and that day's calls), so the next day's learning replays one new day, not 7.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from analytics.centres import Centre
from simulation.intraday.day import keep_calibrations

DAYS = 7  # earlier days looked at
LOOK_BACK = 14  # calendar days searched for them
MIN_DAYS = 2  # fewer: no model error (the band as it was)
REPLICATIONS = 30  # per earlier day's replay
Z90 = 1.2815515655446004  # the normal's 90th percentile
_CACHE: dict[tuple, dict[str, tuple[float, float]] | None] = {}


@dataclass(frozen=True)
class ModelError:
    """``sd`` per service-level KPI name (a share: 0.05 is 5 points) beyond the
    replications' own spread, widened for the ``days`` it was learnt from."""

    sd: dict[str, float]
    days: int
    cut: str | None = None  # the local time of day the earlier days were cut at

    def notes(self) -> dict[str, Any]:
        return {
            "model_error_days": self.days,
            **({"model_error_cut": self.cut} if self.cut else {}),
            **{f"model_error_{k}": v for k, v in self.sd.items()},
        }


METHOD = 1  # bump when what is learnt changes: the app state's rows of before are not read
KEPT = 64  # learnt errors kept in this process
KEPT_DAYS = 30  # the app state's rows older than this are dropped
_LEARNT: dict[str, ModelError] = {}
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
# learnt: replayed the earlier days; reused: kept in this process; read: from the app state
MODEL_ERROR_STATS = {"learnt": 0, "reused": 0, "read": 0}


def arrived_kpis(con, centre: Centre, lo: dt.datetime, hi: dt.datetime, thresholds_s=None) -> dict:
    """Every call KPI (``call_kpis``) of the calls that arrived in [lo, hi)."""
    from analytics.kpi import call_kpis

    frame = con.execute(
        "SELECT * FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?",
        [centre.centre_id, lo, hi],
    ).df()
    name = "intraday_arrived"
    con.register(name, frame)
    try:
        return call_kpis(con, centre, source=name, thresholds_s=thresholds_s)[0]
    finally:
        con.unregister(name)


def _day_key(con, centre: Centre, at: dt.datetime, names, plan_options) -> tuple:
    """What an earlier day's error is kept under: the centre, cut, KPIs, options and that
    day's calls as the store holds them."""
    seen = con.execute(
        "SELECT count(*), max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ?",
        [centre.centre_id, at - dt.timedelta(days=1), _end_of_day(at)],
    ).fetchone()
    return (centre.centre_id, at, tuple(names), tuple(sorted(plan_options.items())), seen)


def _end_of_day(at: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(0), tzinfo=at.tzinfo)


def _replayed_error(con, centre, at, names, thresholds_s, plan_options) -> dict | None:
    """{name: (e, σ²)} of one earlier day cut at ``at`` (None: no projection), replayed."""
    from simulation.intraday.day import build_plan
    from simulation.intraday.projection import rest_of_day

    real = arrived_kpis(con, centre, at, _end_of_day(at), thresholds_s)
    if not real["offered"]:
        return None
    try:
        plan = build_plan(con, centre, at, arrivals="actual", **plan_options)
    except ValueError:  # closed then, before any history, no agents
        return None
    rest = rest_of_day(plan, REPLICATIONS, 0, thresholds_s=thresholds_s, con=con)
    out = {}
    for k in names:
        m, lo, hi, r = rest[k], rest[f"{k}_p10"], rest[f"{k}_p90"], real[k]
        if None not in (m, lo, hi, r):
            out[k] = (m - r, ((hi - lo) / (2 * Z90)) ** 2)
    return out


def _day_errors(con, centre, cuts, names, thresholds_s, plan_options, executor=None) -> list:
    """``_replayed_error`` of each of ``cuts`` (earlier days), kept per day (``_day_key``):
    those not kept yet are replayed in this process or, given ``executor`` (a pool opened
    by ``_learning_pool`` on the same days), on its workers at once."""
    keys = [_day_key(con, centre, cut, names, plan_options) for cut in cuts]
    found = {k: _CACHE[k] for k in keys if k in _CACHE}
    todo = [(cut, k) for cut, k in zip(cuts, keys, strict=True) if k not in found]
    if executor is None:
        for cut, k in todo:
            found[k] = _replayed_error(con, centre, cut, names, thresholds_s, plan_options)
    else:
        futures = {
            k: executor.submit(_worker_error, centre, cut, names, thresholds_s, plan_options)
            for cut, k in todo
        }
        for k, future in futures.items():
            found[k], calibrations = future.result()
            keep_calibrations(calibrations)
    for k in keys:
        if len(_CACHE) > 512:
            _CACHE.clear()
        _CACHE[k] = found[k]
    return [found[k] for k in keys]


def _calls_after(con, centre: Centre, at: dt.datetime) -> bool:
    """Whether calls were offered from ``at`` to the end of its day."""
    from analytics.records import OUTCOMES_SQL

    return bool(
        con.execute(
            "SELECT count(*) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
            f"AND arrived_at < ? AND outcome IN {OUTCOMES_SQL}",
            [centre.centre_id, at, _end_of_day(at)],
        ).fetchone()[0]
    )


def learn_model_error(
    con,
    centre: Centre,
    at: dt.datetime,
    names,
    thresholds_s=None,
    *,
    executor=None,
    workers: int = 1,
    **plan_options,
) -> ModelError:
    """The queue model's error on the service levels ``names`` (module docstring), learnt
    on the ``DAYS`` earlier days before ``at``'s with calls after its time of day;
    ``plan_options``: ``build_plan``'s (staffing, presence_share_by, handling, …) but
    ``arrivals``. An sd of 0 with fewer than ``MIN_DAYS`` days. ``executor``: a pool
    of ``workers`` processes from ``_learning_pool`` on ``con``'s days to replay them on
    (the same numbers)."""
    local = at.astimezone(centre.tz)
    cuts = [
        dt.datetime.combine(local.date() - dt.timedelta(days=back), local.time(), tzinfo=centre.tz)
        for back in range(1, LOOK_BACK + 1)
    ]
    # a day without calls after its cut has no error (``_replayed_error``): left out
    # before the batches, so that a closed afternoon costs no round of replays
    cuts = [cut for cut in cuts if _calls_after(con, centre, cut)]
    errors: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
    days = 0
    while days < DAYS and cuts:
        # the days still wanted, nearest first: each yields an error or none (closed at
        # its cut), so no day beyond the DAYS nearest with one counts. On a pool the
        # batch fills its last round (7 days on 2 workers: 8), the next day replayed in
        # the round's idle slot in case one of them has none (the bank's Saturdays,
        # closed at noon, open in the evening)
        size = DAYS - days
        if executor is not None:
            size = -(-size // workers) * workers
        batch, cuts = cuts[:size], cuts[size:]
        for found in _day_errors(
            con, centre, batch, list(names), thresholds_s, plan_options, executor
        ):
            if not found or days >= DAYS:
                continue
            days += 1
            for k, v in found.items():
                errors[k].append(v)
    return ModelError({k: error_sd(pairs) for k, pairs in errors.items()}, days)


def error_sd(pairs) -> float:
    """s from (e_d, σ_d²) of the earlier days (module docstring): the root mean square
    error beyond the replications' own variance, widened by Student's t; 0 with fewer
    than ``MIN_DAYS``."""
    from simulation.intraday.reforecast import small_sample_factor

    if len(pairs) < MIN_DAYS:
        return 0.0
    var = sum(e * e for e, _ in pairs) / len(pairs) - sum(s for _, s in pairs) / len(pairs)
    return math.sqrt(max(var, 0.0)) * small_sample_factor(len(pairs))


def _wider(row: dict, name: str, sd: float) -> None:
    m, lo, hi = row.get(name), row.get(f"{name}_p10"), row.get(f"{name}_p90")
    if None in (m, lo, hi) or sd <= 0:
        return
    extra = (Z90 * sd) ** 2
    row[f"{name}_p10"] = max(0.0, m - math.sqrt((m - lo) ** 2 + extra))
    row[f"{name}_p90"] = min(1.0, m + math.sqrt((hi - m) ** 2 + extra))


def widen(projection, error: ModelError):
    """``projection`` with ``error`` added to its service levels' bands: the rest of the
    day's and each interval's by s, the whole day's by s times the share of its calls
    still to come (module docstring); the medians and every other KPI as they were."""
    rest, day = dict(projection.rest_of_day), dict(projection.day)
    intervals = [dict(r) for r in projection.intervals]
    share = (rest.get("offered") or 0) / day["offered"] if day.get("offered") else 1.0
    for name, sd in error.sd.items():
        _wider(rest, name, sd)
        _wider(day, name, sd * min(share, 1.0))
        for row in intervals:
            _wider(row, name, sd)
    snapshot = {**projection.snapshot, **error.notes()}
    return replace(projection, rest_of_day=rest, day=day, intervals=intervals, snapshot=snapshot)


def cut_of(centre: Centre, at: dt.datetime, interval_s: int) -> dt.datetime:
    """``at`` (local to ``centre``) down to the start of its interval of ``interval_s``."""
    local = at.astimezone(centre.tz)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    start = seconds - seconds % interval_s
    return dt.datetime.combine(
        local.date(), dt.time(start // 3600, start % 3600 // 60), tzinfo=centre.tz
    )


def _window(centre: Centre, day: dt.date, history_days: int) -> tuple[dt.datetime, dt.datetime]:
    """The instants of the days the learning reads: the ``LOOK_BACK`` days before
    ``day`` and the ``history_days`` each of them is calibrated on."""
    lo = day - dt.timedelta(days=LOOK_BACK + history_days)
    return (
        dt.datetime.combine(lo, dt.time(0), tzinfo=centre.tz),
        dt.datetime.combine(day, dt.time(0), tzinfo=centre.tz),
    )


def data_seen(con, centre: Centre, day: dt.date, history_days: int) -> tuple:
    """What the learning reads of the store (``_window``), as a fingerprint: the calls'
    count, first and last arrival and newest load batch, and the staffing table's count
    and newest batch (a calibration reads it whatever the staffing source), in one
    statement."""
    lo, hi = _window(centre, day, history_days)
    seen = con.execute(
        "SELECT (SELECT [count(*)::VARCHAR, min(arrived_at)::VARCHAR, max(arrived_at)::VARCHAR, "
        "max(batch_id)::VARCHAR] FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ?), (SELECT [count(*)::VARCHAR, sum(agents_available)::VARCHAR, "
        "max(batch_id)::VARCHAR] FROM staffing WHERE centre_id = ? AND interval_start >= ? "
        "AND interval_start < ?)",
        [centre.centre_id, lo, hi, centre.centre_id, lo, hi],
    ).fetchone()
    return tuple(tuple(part) for part in seen)


def model_error(
    con,
    centre: Centre,
    at: dt.datetime,
    names,
    thresholds_s=None,
    *,
    interval_s: int = 1800,
    state=None,
    workers: int | None = 1,
    **plan_options,
) -> ModelError:
    """The queue model's error (``learn_model_error``) at ``at``'s interval start, learnt
    once per centre, cut, options and earlier days' data and kept (module docstring): in
    this process and, given ``state`` (an ``analytics.appstate.AppState``), in its
    ``model_errors`` table. ``interval_s``: the plan's interval; ``workers``: processes
    the earlier days are replayed on (1: this one; None: one per CPU, as ``project``
    takes it; the same numbers either way)."""
    from simulation.intraday.day import HISTORY_DAYS

    workers = workers or os.cpu_count() or 1
    cut = cut_of(centre, at, interval_s)
    history_days = plan_options.get("history_days", HISTORY_DAYS)
    seen = data_seen(con, centre, cut.date(), history_days)
    options = sorted((k, str(v)) for k, v in plan_options.items())
    thresholds = None if thresholds_s is None else [float(t) for t in thresholds_s]
    parts = [
        METHOD,
        DAYS,
        LOOK_BACK,
        MIN_DAYS,
        REPLICATIONS,
        repr(centre),
        cut.isoformat(),
        sorted(names),
        thresholds,
        options,
        seen,
    ]
    key = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # one learns while the others (the page's users) wait for it
        if key in _LEARNT:
            MODEL_ERROR_STATS["reused"] += 1
            return _LEARNT[key]
        found = _read(state, key)
        if found is not None:
            MODEL_ERROR_STATS["read"] += 1
        else:
            with (
                earlier_days(con, centre, cut.date(), history_days, workers) as (mem, pool),
            ):
                learnt = learn_model_error(
                    mem,
                    centre,
                    cut,
                    names,
                    thresholds_s,
                    executor=pool,
                    workers=workers,
                    **plan_options,
                )
            found = replace(learnt, cut=f"{cut:%H:%M}")
            MODEL_ERROR_STATS["learnt"] += 1
            _write(state, key, centre, cut, found)
        with _GUARD:
            if len(_LEARNT) >= KEPT:
                for old in list(_LEARNT)[: KEPT // 2]:
                    _LEARNT.pop(old, None)
                    _LOCKS.pop(old, None)
            _LEARNT[key] = found
        return found


@contextmanager
def earlier_days(con, centre: Centre, day: dt.date, history_days: int, workers: int = 1):
    """(an in-memory DuckDB connection, a process pool or None): the connection holds the
    store's calls and staffing rows of the days the learning reads (``_window``), read in
    one statement each: the replays' ~20 statements a day then cost a millisecond each
    instead of the lake's 10-35 ms (docs/stores.md, "What a statement costs"), and give
    the same answers. With ``workers`` > 1 the pool's workers each hold the same copy
    (``_learning_pool``), to replay the days on. Without a rollup there the KPI layer
    counts from the calls."""
    lo, hi = _window(centre, day, history_days)
    zone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    tables = {
        table: con.execute(
            f"SELECT * FROM {table} WHERE centre_id = ? AND {column} >= ? AND {column} < ?",
            [centre.centre_id, lo, hi],
        ).fetch_arrow_table()  # a table, read now (``arrow()`` streams: one at a time)
        for table, column in (("calls", "arrived_at"), ("staffing", "interval_start"))
    }
    mem = _memory_copy(zone, tables)
    pool = _learning_pool(zone, tables, workers) if workers > 1 else None
    try:
        yield mem, pool
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        mem.close()


def _memory_copy(zone: str, tables: dict):
    """An in-memory DuckDB connection with ``tables`` (name: Arrow table) and an empty
    rollup cut, its session in ``zone`` (instants come back in it, as from the store's
    connection)."""
    import duckdb

    mem = duckdb.connect()
    mem.execute(f"SET TimeZone = '{zone.replace(chr(39), '')}'")
    for table, rows in tables.items():
        mem.register("earlier_rows", rows)
        mem.execute(f"CREATE TABLE {table} AS SELECT * FROM earlier_rows")
        mem.unregister("earlier_rows")
    mem.execute(
        "CREATE TABLE call_interval_state (centre_id VARCHAR, sl_thresholds_s DOUBLE[], "
        "short_abandon_s DOUBLE)"
    )
    return mem


_WORKER_COPY = None  # a learning pool's worker: its in-memory copy of the earlier days


def _learning_pool(zone: str, tables: dict, workers: int):
    """A pool of ``workers`` processes, each opening its own ``_memory_copy`` of
    ``tables`` as it starts (forked, they are handed the tables, not sent them) and
    keeping the calibrations this process holds."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers, initializer=_open_worker_copy, initargs=(zone, tables)
    )


def _open_worker_copy(zone: str, tables: dict) -> None:
    global _WORKER_COPY
    _WORKER_COPY = _memory_copy(zone, tables)


def _worker_error(centre, at, names, thresholds_s, plan_options):
    """``_replayed_error`` on a learning pool's worker, with the calibrations it made on
    the way (to be kept by the process that asked: its next learning reuses them)."""
    from simulation.intraday.day import kept_calibrations

    before = kept_calibrations()
    found = _replayed_error(_WORKER_COPY, centre, at, names, thresholds_s, plan_options)
    made = {k: v for k, v in kept_calibrations().items() if k not in before}
    return found, made


def _read(state, key: str) -> ModelError | None:
    if state is None:
        return None
    try:
        with state.connect() as db:
            row = db.execute(
                "SELECT days, sd, cut FROM model_errors WHERE key = ?", [key]
            ).fetchone()
    except (OSError, sqlite3.Error):  # a cache: what cannot be read is learnt again
        return None
    if row is None:
        return None
    return ModelError(
        {k: float(v) for k, v in json.loads(row["sd"]).items()},
        int(row["days"]),
        dt.datetime.fromisoformat(row["cut"]).strftime("%H:%M"),
    )


def _write(state, key: str, centre: Centre, cut: dt.datetime, error: ModelError) -> None:
    if state is None:
        return
    from analytics.appstate import utc_now

    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=KEPT_DAYS)).isoformat(timespec="seconds")
    try:
        with state.connect() as db:
            db.execute("DELETE FROM model_errors WHERE created_at < ?", [old])
            db.execute(
                "INSERT OR REPLACE INTO model_errors (key, centre_id, cut, days, sd, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    key,
                    centre.centre_id,
                    cut.isoformat(),
                    error.days,
                    json.dumps(error.sd),
                    utc_now(),
                ],
            )
    except (OSError, sqlite3.Error):  # a cache: not kept on disk this time
        pass


def forget_model_errors() -> None:
    """Forget every error learnt in this process (benchmarks: a first projection)."""
    with _GUARD:
        _LEARNT.clear()
        _LOCKS.clear()
        _CACHE.clear()
    from simulation.intraday.day import forget_calibrations

    forget_calibrations()
