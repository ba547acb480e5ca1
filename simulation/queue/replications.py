"""Replications: many independent runs of a scenario, their KPIs and confidence intervals.

One simulated month is one sample of what the month could be; planners need the spread.
A run of R replications gives each replication its own seed, derived from the run's
seed with ``numpy.random.SeedSequence(seed).spawn(R)``, so replication k always gets
the same random numbers whichever executor runs it and however many workers there are.

Replications run through a ``concurrent.futures.Executor``: a process pool on this
machine by default, or a Dask cluster when ``scheduler=`` or ``DASK_SCHEDULER_ADDRESS``
names one (``dask scheduler`` + ``dask worker ADDRESS`` on any machines that have this
package installed). Any other executor can be passed in.

KPIs of simulated calls come from the KPI layer, the same SQL as real history: the
records are registered in an in-memory DuckDB database as ``sim_calls`` and
``analytics.kpi.call_kpis`` gives one row per replication. For each KPI the result
carries the mean over replications and a 95% Student-t confidence interval,
``<name>``, ``<name>_ci_low``, ``<name>_ci_high``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.kpi.catalogue import is_share
from simulation.queue.model import run_replication
from simulation.queue.scenario import Scenario

COUNT_KPIS = ("offered", "answered", "abandoned", "timed_out", "short_abandoned")
SIM_SOURCE = "sim_calls"


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seed of each replication, independent streams spawned from ``seed``."""
    if replications < 1:
        raise ValueError(f"replications: {replications!r} must be >= 1")
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def mean_ci(values: Sequence[float | None], level: float = 0.95) -> tuple:
    """Mean and Student-t confidence interval (low, high) of the non-null values.

    With fewer than two values the interval is (None, None); with none, all three are None.
    """
    xs = np.array([v for v in values if v is not None and not _isnan(v)], dtype=float)
    if len(xs) == 0:
        return None, None, None
    mean = float(xs.mean())
    if len(xs) < 2:
        return mean, None, None
    # Student's t quantile from scipy.special, imported here: scipy.stats costs half a
    # second to import, a fifth of a quick `cca simulate`, which may not need it at all.
    from scipy import special

    t = special.stdtrit(len(xs) - 1, 0.5 + level / 2)
    half = float(t * xs.std(ddof=1) / math.sqrt(len(xs)))
    return mean, mean - half, mean + half


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def sim_connection(records: pd.DataFrame, con=None):
    """An in-memory DuckDB connection with ``records`` as the view ``sim_calls``; ``con``:
    an open one to reuse (the view is replaced), as opening one is not free."""
    import duckdb

    con = duckdb.connect() if con is None else con
    con.register("sim_records", records)
    categorical = [c for c in records.columns if isinstance(records[c].dtype, pd.CategoricalDtype)]
    casts = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in categorical)
    select = (
        f"SELECT * REPLACE ({casts}) FROM sim_records" if casts else "SELECT * FROM sim_records"
    )
    con.execute(f"CREATE OR REPLACE VIEW {SIM_SOURCE} AS {select}")
    return con


def replication_kpis(
    records: pd.DataFrame,
    scenario: Scenario,
    *,
    by: Sequence[str] = (),
    interval: str | None = None,
    thresholds_s: Sequence[float] | None = None,
    short_abandon_s: float | None = None,
    con=None,
) -> list[dict]:
    """KPIs of simulated records per replication (and ``by`` groups / ``interval``),
    computed by ``analytics.kpi.call_kpis`` over the view ``sim_calls``. ``con``: an open
    in-memory connection to reuse (it stays open, the records go), else a new one."""
    from analytics.kpi import call_kpis

    own = con is None
    con = sim_connection(records, con)
    try:
        return call_kpis(
            con,
            scenario.centre(),
            source=SIM_SOURCE,
            by=("replication", *by),
            interval=interval,
            thresholds_s=thresholds_s,
            short_abandon_s=short_abandon_s,
        )
    finally:
        if own:
            con.close()
        else:
            con.unregister("sim_records")


def summarise(
    rows: Sequence[dict],
    replications: Sequence[int],
    names: Sequence[str],
    keys: Sequence[str] = (),
) -> list[dict]:
    """Mean and 95% CI over replications of each KPI in ``names``, per group of ``keys``.

    A replication without a row in a group had no calls there: its counts are 0 and its
    ratios are missing (left out of that ratio's mean).
    """
    groups: dict[tuple, dict[int, dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), {})[row["replication"]] = row
    if not keys and not groups:
        groups[()] = {}  # no calls at all: counts 0, ratios None
    out = []
    for key, per_rep in groups.items():
        summary = dict(zip(keys, key, strict=True))
        summary["replications"] = len(replications)
        for name in names:
            if name in COUNT_KPIS:
                values = [per_rep.get(r, {}).get(name) or 0 for r in replications]
            else:
                values = [per_rep[r][name] for r in replications if r in per_rep]
            mean, low, high = mean_ci(values)
            if low is not None:
                # Every KPI is >= 0 and every rate <= 1: the true value lies in the part of
                # the interval inside that range, so cutting the rest loses no coverage.
                low = max(low, 0.0)
                high = min(high, 1.0) if is_share(name) else high
            summary[name] = mean
            summary[f"{name}_ci_low"] = low
            summary[f"{name}_ci_high"] = high
        out.append(summary)
    return out


@dataclass
class SimulationResult:
    """The outcome of ``run_replications``.

    ``records``: every replication's per-call records (canonical schema plus ``scenario``
    and ``replication``), or None when not kept; ``replication_kpis``: one KPI dict per
    replication; ``summary``: the mean and 95% CI of every call KPI over replications.
    """

    scenario: Scenario
    seed: int
    seeds: list[int]
    replication_kpis: list[dict]
    summary: dict
    records: pd.DataFrame | None = None
    kpi_names: list[str] = field(default_factory=list)

    def kpis(
        self,
        by: Sequence[str] = (),
        interval: str | None = None,
        thresholds_s: Sequence[float] | None = None,
        short_abandon_s: float | None = None,
    ) -> list[dict]:
        """Mean and CI over replications per ``by`` group and/or ``interval``
        (``30min``, ``day``, … as ``cca kpi``), e.g. service level per half hour."""
        from analytics.kpi import call_kpi_names

        if self.records is None:
            raise ValueError("records were not kept (keep_records=False)")
        rows = replication_kpis(
            self.records,
            self.scenario,
            by=by,
            interval=interval,
            thresholds_s=thresholds_s,
            short_abandon_s=short_abandon_s,
        )
        keys = list(by) + (["interval_start"] if interval else [])
        names = call_kpi_names(thresholds_s or self.scenario.thresholds_s)
        out = summarise(rows, range(len(self.seeds)), names, keys)
        return sorted(out, key=lambda r: tuple(str(r[k]) for k in keys))


def progress_bar(enabled: bool | None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if enabled is None:
        enabled = sys.stderr.isatty()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


def dask_executor(address: str):
    """(client, executor) for the Dask scheduler at ``address`` (e.g. tcp://127.0.0.1:8786).

    Dask is an optional part (``pip install 'contact-centre-analytics[dask]'``); without
    it the process pool runs the replications."""
    try:
        from distributed import Client
    except ImportError:  # the commands report ConnectionError as "cannot use the scheduler"
        raise ConnectionError(
            f"a Dask scheduler ({address}) needs Dask: pip install "
            "'contact-centre-analytics[dask]' (without a scheduler a process pool runs)"
        ) from None

    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    return client, client.get_executor()


def run_replications(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    executor: Executor | None = None,
    scheduler: str | None = None,
    *,
    workers: int | None = None,
    progress: bool | None = None,
    keep_records: bool = True,
) -> SimulationResult:
    """Run ``replications`` independent replications of ``scenario`` from ``seed``.

    ``executor``: any ``concurrent.futures.Executor`` (not shut down here). Otherwise a
    Dask cluster when ``scheduler`` or ``$DASK_SCHEDULER_ADDRESS`` names one, else a process
    pool of ``workers`` processes (default: one per CPU, at most one per replication); a
    single replication runs in this process. ``progress``: a bar on standard error
    (default: when it is a terminal). The numbers depend only on (scenario, replications,
    seed).
    """
    from analytics.kpi import call_kpi_names

    seeds = replication_seeds(seed, replications)
    scenario.timeline()  # computed once here, shipped to workers with the scenario
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    client = None
    own_executor = None
    if executor is None:
        if scheduler:
            client, executor = dask_executor(scheduler)
        elif replications > 1 and (workers is None or workers > 1):
            n = min(replications, workers or os.cpu_count() or 1)
            own_executor = executor = ProcessPoolExecutor(max_workers=n)
    names = call_kpi_names(scenario.thresholds_s)
    frames: list[pd.DataFrame | None] = [None] * replications
    rows: list[dict] = []
    try:
        with progress_bar(progress) as bar:
            task = bar.add_task(f"simulating {scenario.name}", total=replications)
            if executor is None:
                futures = None
                results = (run_replication(scenario, s, k) for k, s in enumerate(seeds))
            else:
                futures = [
                    executor.submit(run_replication, scenario, s, k) for k, s in enumerate(seeds)
                ]
                results = (f.result() for f in futures)
            for k, frame in enumerate(results):
                rows.extend(replication_kpis(frame, scenario))
                if keep_records:
                    frames[k] = frame
                bar.advance(task)
    finally:
        if own_executor is not None:
            own_executor.shutdown()
        if client is not None:
            client.close()
    rows.sort(key=lambda r: r["replication"])
    summary = {"scenario": scenario.name, "seed": seed}
    summary.update(summarise(rows, range(replications), names)[0])
    records = pd.concat(frames, ignore_index=True) if keep_records else None
    if records is not None:
        for col in records.columns:  # same categories in every replication except agent_id
            if records[col].dtype == object and isinstance(
                frames[0][col].dtype, pd.CategoricalDtype
            ):
                records[col] = records[col].astype("category")
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        seeds=seeds,
        replication_kpis=rows,
        summary=summary,
        records=records,
        kpi_names=names,
    )
