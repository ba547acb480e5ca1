"""The projection: many replications of the rest of the day, summed up as a band.

``project(plan, replications=100)`` runs ``state.run_from_state`` once per replication
(seeds spawned from ``seed`` as ``simulation.queue.replications`` does, so replication k sees
the same callers whatever the staffing: a what-if differs from the base by the change
alone) and reads every call KPI of the KPI layer (``analytics.kpi.call_kpis``, the same
SQL as history) per replication over three sets of calls:

* ``rest_of_day``: the calls arriving from ``at`` to close;
* ``day``: the whole day — today's calls decided before ``at`` (the same in every
  replication) with the simulated ones (the callers waiting at ``at`` and those after);
* ``intervals``: the day's calls per interval from the interval containing ``at`` on
  (its calls before ``at`` included), one row each with ``interval_start``.

Each KPI is given as the median over replications (``<name>``) with the 10th and 90th
percentiles (``<name>_p10``, ``<name>_p90``): the band within which the day should close
eight times out of ten, as far as the model and the forecast are right. A replication
without calls in a group counts 0 for the counts and leaves the ratios out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.intraday.day import INTERVAL_NAMES, IntradayPlan
from simulation.intraday.state import simulate_from_state

COUNT_KPIS = ("offered", "answered", "abandoned", "timed_out", "short_abandoned")
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Projection:
    """``rest_of_day``, ``day`` (dicts) and ``intervals`` (list of dicts with
    ``interval_start``): every call KPI as the median with ``_p10`` / ``_p90``;
    ``snapshot``: what the projection started from; ``per_replication``: the ``day``
    KPIs of each replication (for what-if searches)."""

    rest_of_day: dict[str, Any]
    day: dict[str, Any]
    intervals: list[dict[str, Any]]
    snapshot: dict[str, Any]
    kpi_names: tuple[str, ...]
    per_replication: list[dict[str, Any]]
    interval_rows: list[dict[str, Any]] = ()  # every interval of the day per replication

    def as_json(self) -> dict[str, Any]:
        """The object ``cca intraday --format json`` prints."""
        return {
            "rest_of_day": self.rest_of_day,
            "day": self.day,
            "intervals": self.intervals,
            "snapshot": self.snapshot,
        }


def point_of_no_return(
    projection: Projection, parts, target: float, at, interval_s: int
) -> tuple[Any, list[float | None]]:
    """The first interval end from ``at`` on after which the day can no longer close at
    ``target`` even if every call after it were served within target, by the median of
    replications; and that best closing value at each interval end from the interval
    containing ``at``.

    ``parts(row) -> (numerator, denominator)`` of the KPI in an interval row (a service
    level's calls within T and the calls it counts). Returns (the instant or None, the
    medians per interval end)."""
    per_rep: dict[int, dict] = {}
    for row in projection.interval_rows:
        per_rep.setdefault(row["replication"], {})[row["interval_start"]] = parts(row)
    step = pd.Timedelta(seconds=interval_s)
    starts = sorted({r["interval_start"] for r in projection.interval_rows})
    starts = [t for t in starts if t + step > at]
    best: list[list[float]] = [[] for _ in starts]
    for by_start in per_rep.values():
        total = sum(d for _, d in by_start.values())
        if total <= 0:
            continue
        for j, t in enumerate(starts):
            done = sum(n for s, (n, _) in by_start.items() if s <= t)
            later = sum(d for s, (_, d) in by_start.items() if s > t)
            best[j].append((done + later) / total)
    medians = [float(np.median(b)) if b else None for b in best]
    for t, m in zip(starts, medians, strict=True):
        if m is not None and m < target:
            return t + step, medians
    return None, medians


def band(
    rows: Sequence[dict], replications: int, names: Sequence[str], keys: Sequence[str] = ()
) -> list[dict]:
    """Median, p10 and p90 over replications of each KPI in ``names`` per group of
    ``keys`` (rows carry ``replication``)."""
    groups: dict[tuple, dict[int, dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), {})[row["replication"]] = row
    if not keys and not groups:
        groups[()] = {}
    out = []
    for key, per_rep in groups.items():
        summary: dict[str, Any] = dict(zip(keys, key, strict=True))
        for name in names:
            if name in COUNT_KPIS:
                values = [per_rep.get(r, {}).get(name) or 0 for r in range(replications)]
            else:
                values = [
                    per_rep[r][name]
                    for r in range(replications)
                    if r in per_rep and per_rep[r].get(name) is not None
                ]
            values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
            if values:
                p10, p50, p90 = (float(q) for q in np.quantile(values, QUANTILES))
            else:
                p10 = p50 = p90 = None
            summary[name] = p50
            summary[f"{name}_p10"] = p10
            summary[f"{name}_p90"] = p90
        out.append(summary)
    return out


def replication_records(plan: IntradayPlan, seeds: Sequence[int], first: int = 0) -> pd.DataFrame:
    """Records of replications ``first``, ``first + 1``, … (one per seed) of ``plan``."""
    from simulation.queue.model import call_records_many

    runs = []
    for k, seed in enumerate(seeds):
        arrivals, centre = simulate_from_state(
            plan.scenario, plan.state, seed, replay=plan.replay, volume_cv=plan.volume_cv
        )
        runs.append((arrivals, centre, first + k))
    # one frame for all of them: building a frame per replication cost more than the
    # simulations (the what-if's 2 s)
    return call_records_many(plan.scenario, runs) if runs else pd.DataFrame()


def simulate(
    plan: IntradayPlan,
    replications: int = 100,
    seed: int = 0,
    *,
    executor: Executor | None = None,
    workers: int | None = 1,
) -> pd.DataFrame:
    """The records of ``replications`` replications of ``plan`` (column ``replication``);
    in this process (``workers=1``, the default: a replication of the rest of a day takes
    milliseconds), on ``executor``, or on a pool of ``workers`` processes (None: one per
    CPU), in chunks."""
    from simulation.queue.replications import replication_seeds

    seeds = replication_seeds(seed, replications)
    own = None
    if executor is None and (workers is None or workers > 1):
        n = min(replications, workers or os.cpu_count() or 1)
        own = executor = ProcessPoolExecutor(max_workers=n) if n > 1 else None
    try:
        if executor is None:
            return replication_records(plan, seeds)
        n_chunks = min(replications, 4 * (workers or os.cpu_count() or 1))
        bounds = np.linspace(0, replications, n_chunks + 1).astype(int)
        futures = [
            executor.submit(replication_records, plan, seeds[a:b], int(a))
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
            if b > a
        ]
        return pd.concat([f.result() for f in futures], ignore_index=True)
    finally:
        if own is not None:
            own.shutdown()


def _connection(plan: IntradayPlan, records: pd.DataFrame, replications: int):
    """An in-memory DuckDB connection with the views ``intraday_rest`` (the simulated
    calls from ``at`` on) and ``intraday_day`` (today's decided calls in every
    replication with the simulated ones), both with ``replication``."""
    from simulation.queue.replications import sim_connection

    con = sim_connection(records)
    if plan.actual.empty:  # nothing decided yet today (or a plan made by hand)
        con.execute("CREATE OR REPLACE VIEW intraday_day AS SELECT * FROM sim_calls")
        return _rest_view(con, plan)
    actual = plan.actual.copy()
    for col in actual.columns:
        if isinstance(actual[col].dtype, pd.CategoricalDtype):
            actual[col] = actual[col].astype(object)
    con.register("intraday_actual", actual)
    columns = ", ".join(f'"{c}"' for c in actual.columns)
    con.execute(
        "CREATE OR REPLACE VIEW intraday_day AS "
        f"SELECT {columns}, replication FROM sim_calls UNION ALL "
        f"SELECT {', '.join(f'a.{c}' for c in actual.columns)}, "
        "CAST(r.replication AS INTEGER) AS replication FROM intraday_actual a, "
        f"(SELECT range AS replication FROM range({int(replications)})) r"
    )
    return _rest_view(con, plan)


def _rest_view(con, plan: IntradayPlan):
    # a view cannot take a bound parameter: the instant goes in as epoch microseconds
    at_us = int(round(plan.at.timestamp() * 1e6))
    con.execute(
        "CREATE OR REPLACE VIEW intraday_rest AS SELECT * FROM sim_calls "
        f"WHERE arrived_at >= make_timestamptz({at_us})"
    )
    return con


def rest_of_day(
    plan: IntradayPlan,
    replications: int = 100,
    seed: int = 0,
    *,
    thresholds_s: Sequence[float] | None = None,
    con=None,
) -> dict[str, Any]:
    """``project(plan, replications, seed, thresholds_s=...).rest_of_day`` alone, the same
    numbers, without reading the whole day's and each interval's KPIs (the queue model's
    error replays earlier days and reads nothing else of them: ``model_error``). ``con``:
    an open DuckDB connection to read them on (its views ``sim_calls`` and
    ``intraday_rest`` are replaced, then dropped), as opening one is not free."""
    from analytics.kpi import call_kpi_names, call_kpis
    from simulation.queue.replications import sim_connection

    if replications < 1:
        raise ValueError(f"replications: {replications!r} must be >= 1")
    records = simulate(plan, replications, seed)
    thresholds = tuple(plan.centre.sl_thresholds_s if thresholds_s is None else thresholds_s)
    own = con is None
    con = _rest_view(sim_connection(records, con), plan)
    try:
        rows = call_kpis(
            con, plan.centre, source="intraday_rest", by=("replication",), thresholds_s=thresholds
        )
    finally:
        if own:
            con.close()
        else:
            con.execute("DROP VIEW intraday_rest")
            con.execute("DROP VIEW sim_calls")
            con.unregister("sim_records")
    return band(rows, replications, call_kpi_names(thresholds))[0]


def day_median(
    plan: IntradayPlan, target, replications: int, seed: int = 0, *, workers: int | None = 1
) -> float | None:
    """The median over replications of the whole day's KPI that ``target``
    (``simulation.formulas.erlang.Target``) names."""
    from analytics.kpi import call_kpis

    records = simulate(plan, replications, seed, workers=workers)
    thresholds = tuple(plan.centre.sl_thresholds_s)
    if target.threshold_s is not None and target.threshold_s not in thresholds:
        thresholds = (*thresholds, target.threshold_s)
    con = _connection(plan, records, replications)
    try:
        rows = call_kpis(
            con, plan.centre, source="intraday_day", by=("replication",), thresholds_s=thresholds
        )
    finally:
        con.close()
    return band(rows, replications, [target.key])[0][target.key]


def project(
    plan: IntradayPlan,
    replications: int = 100,
    seed: int = 0,
    *,
    executor: Executor | None = None,
    workers: int | None = 1,
    records: pd.DataFrame | None = None,
    thresholds_s: Sequence[float] | None = None,
) -> Projection:
    """Simulate ``plan`` ``replications`` times from ``seed`` and sum it up (module
    docstring); ``records``: replications already simulated (``simulate``);
    ``thresholds_s``: service-level thresholds (default the centre's)."""
    from analytics.kpi import call_kpi_names, call_kpis

    if replications < 1:
        raise ValueError(f"replications: {replications!r} must be >= 1")
    if records is None:
        records = simulate(plan, replications, seed, executor=executor, workers=workers)
    centre = plan.centre
    thresholds = tuple(centre.sl_thresholds_s if thresholds_s is None else thresholds_s)
    names = call_kpi_names(thresholds)
    interval = INTERVAL_NAMES.get(plan.scenario.interval_s)
    con = _connection(plan, records, replications)
    options = {"by": ("replication",), "thresholds_s": thresholds}
    try:
        rest_rows = call_kpis(con, centre, source="intraday_rest", **options)
        day_rows = call_kpis(con, centre, source="intraday_day", **options)
        all_rows = (
            call_kpis(con, centre, source="intraday_day", interval=interval, **options)
            if interval
            else []
        )
    finally:
        con.close()
    current = plan.scenario.start_instant + pd.Timedelta(
        seconds=(plan.at_s // plan.scenario.interval_s) * plan.scenario.interval_s
    )
    interval_rows = [r for r in all_rows if r["interval_start"] >= current]
    intervals = sorted(
        band(interval_rows, replications, names, ("interval_start",)),
        key=lambda r: r["interval_start"],
    )
    agents = plan.agents
    slot = {
        plan.scenario.start_instant + pd.Timedelta(seconds=k * plan.scenario.interval_s): int(a)
        for k, a in enumerate(agents)
    }
    for row in intervals:
        row["agents"] = slot.get(row["interval_start"])
    snapshot = {**plan.state.summary(), **plan.notes, "replications": replications, "seed": seed}
    return Projection(
        rest_of_day=band(rest_rows, replications, names)[0],
        day=band(day_rows, replications, names)[0],
        intervals=intervals,
        snapshot=snapshot,
        kpi_names=tuple(names),
        per_replication=day_rows,
        interval_rows=all_rows,
    )
