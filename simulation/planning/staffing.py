"""Staffing: the fewest agents per interval that meet the service targets.

A planner asks "how many agents does each half hour need for 80% of calls answered
within 12 s and at most 5% abandoned?". Erlang A answers it for one interval in
isolation, as if the interval were an endless steady state. It is not: queues carry over
from one interval to the next, so the interval after a peak inherits a queue the formula
does not see (it needs more agents than Erlang A says), the first interval of a day
starts empty (it may need fewer), and handling times are not exponential. So
``staffing_plan`` works in two steps:

1. **Erlang A per interval**: calls per interval and the load-weighted AHT of the
   scenario's categories (Σ calls × AHT / Σ calls, seconds), the callers' patience as the
   call-weighted abandonment rate of the categories (1 / Σ (share / mean patience); Erlang
   C if nobody hangs up), the fewest agents meeting every target
   (``simulation.formulas.erlang.required_agents``).
2. **Verification by simulation**: the whole horizon is simulated with that plan
   (the same seeds every round, so two plans meet the same callers: common random
   numbers), and the KPI layer measures every interval (calls grouped by the interval in
   which they arrived, pooled over the replications, and per replication). Where an
   interval misses a target it gets more agents: as many as Erlang A says are needed once
   it is corrected by the gap it showed between formula and simulation, at least one (an
   interval already at ``max_agents`` raises the interval before it instead, whose queue
   it inherits). Once every interval meets its targets, agents are taken away one at a
   time where the corrected formula says there is slack; a trim stands only if its
   interval and the interval after it (which inherits the queue) still meet the targets.
   This repeats until no interval changes or ``max_rounds`` is reached.

**Honest verification.** A sample that meets the target is not proof: a quiet interval
of 8 calls × 8 replications rests on 64 callers, and a plan that stops at the first agent
count whose sample meets the target keeps the lucky samples (an interval after a peak
can look comfortably above the target on the plan's seeds and fall well below it on
fresh ones; docs/measurements.md). So:

* an interval *meets* a target only by ``margin_se`` standard errors (default 1), for
  raises and trims alike (``_judge``). The standard error is that of a ratio estimator
  clustered by replication (``standard_error``): the callers of one replication and
  interval share its queue, so they are not independent samples, and the binomial
  error understates the spread by the design effect (2–4 after a peak). For a share it
  is taken at the target value (a score test), so a sample of 5 callers all answered
  at once still carries the uncertainty of 5 callers;
* quiet intervals get more callers: the replications per round grow from
  ``replications`` until the quietest open interval pools ``min_pooled_calls`` calls
  (320: a standard error of about 0.022 around 0.8 before the design effect), at most
  ``max_replications``;
* a share with too few calls for even a perfect sample to clear the margin is judged on
  the sample (it cannot be decided by simulation at that volume).

The price is a few agents in intervals whose true value sits just above the target
(what it costs and what it buys on the benchmark week, against the bare-sample rule
``margin_se=0, min_pooled_calls=0``: docs/measurements.md, ``benchmarks/staffing.py``).

Targets the simulation cannot measure per interval (``p_wait``, ``occupancy``) are held
by the formula alone (the plan never drops below Erlang A's agents for them);
``p_abandon`` is measured as the KPI ``abandon_rate``. Intervals that cannot be met
within ``max_agents`` are named in the plan, not raised as an error. Headcount is the
rostered staff after shrinkage: ceil(agents / (1 − shrinkage)).

The simulations run as ``run_replications`` runs them: on a given executor, on the Dask
cluster that ``scheduler`` or ``DASK_SCHEDULER_ADDRESS`` names, or on a local process
pool; replication k always gets the same seed, so the plan does not depend on where it
was computed.

Units: seconds; calls per interval; agents are whole people on the phones.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.kpi import catalogue
from simulation.formulas.erlang import (
    ErlangA,
    ErlangC,
    Target,
    headcount,
    required_agents,
    staffing_targets,
    target_thresholds,
)
from simulation.queue.scenario import WEEKDAY_NAMES, Scenario, Staffing

KPI_INTERVALS = {900: "15min", 1800: "30min", 3600: "60min"}
# Erlang names of KPIs the call KPI layer measures under another name
_SIMULATED_AS = {"p_abandon": "abandon_rate"}


@dataclass(frozen=True)
class IntervalPlan:
    """The plan for one open interval of the horizon.

    ``calls``: expected calls; ``aht_s``/``patience_s``: what Erlang A used (patience None:
    Erlang C); ``erlang_agents``: Erlang A's answer; ``agents``: after verification by
    simulation; ``headcount``: after shrinkage; ``simulated``: the KPIs of the simulated
    calls that arrived in the interval (pooled over replications); ``missed``: the targets
    it still misses.
    """

    index: int
    start: Any  # local aware datetime
    calls: float
    aht_s: float
    patience_s: float | None
    erlang_agents: int
    agents: int
    headcount: int
    simulated: dict[str, float | None]
    missed: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return not self.missed


@dataclass(frozen=True)
class StaffingPlan:
    """The staffing plan of a scenario: one ``IntervalPlan`` per open interval with calls.

    ``scenario`` is the input scenario with the verified agents as its staffing
    (``per_interval``), ready for ``run_replications``; ``unmet`` names the intervals whose
    targets could not be met; ``rounds`` counts the simulations run.
    """

    scenario: Scenario
    targets: tuple[Target, ...]
    intervals: tuple[IntervalPlan, ...]
    shrinkage: float
    replications: int
    seed: int
    rounds: int
    max_agents: int
    sim_kpis: tuple[str, ...] = field(default=())
    margin_se: float = 0.0

    @property
    def unmet(self) -> tuple[IntervalPlan, ...]:
        return tuple(p for p in self.intervals if not p.met)

    def agent_hours(self, which: str = "agents") -> float:
        """Σ agents × interval length (hours) of the plan (``agents``) or of Erlang A
        (``erlang_agents``)."""
        hours = self.scenario.interval_s / 3600
        return sum(getattr(p, which) for p in self.intervals) * hours

    def roster(self, shifts: Sequence, start_step_s: int | None = None, **options):
        """Shifts (``simulation.planning.rostering.roster``, the one roster model) covering the
        plan's headcount per interval at the least paid hours; ``shifts`` are
        ``ShiftTemplate``s or lengths in seconds (no break), starting every
        ``start_step_s`` (default: every interval); ``options`` go to ``roster``."""
        import pandas as pd

        from simulation.planning.rostering import roster

        tl = self.scenario.timeline()
        n = len(tl.starts_s) - tl.first_recorded
        need = np.zeros(n, dtype=np.int64)
        for p in self.intervals:
            need[p.index] = p.headcount
        origin = pd.Timestamp(self.scenario.start_instant)
        starts = [
            (origin + pd.Timedelta(seconds=float(t))).to_pydatetime()
            for t in tl.starts_s[tl.first_recorded :]
        ]
        return roster(
            need,
            self.scenario.interval_s,
            shifts,
            start_step_s=start_step_s,
            starts=starts,
            **options,
        )

    def rows(self) -> list[dict[str, Any]]:
        """Flat records: interval, calls, agents by Erlang A and by simulation, headcount,
        the simulated KPIs, and what is missed (empty when met)."""
        out = []
        for p in self.intervals:
            row: dict[str, Any] = {
                "interval_start": p.start,
                "weekday": WEEKDAY_NAMES[p.start.isoweekday()],
                "calls": round(p.calls, 3),
                "aht_s": round(p.aht_s, 2),
                "erlang_agents": p.erlang_agents,
                "agents": p.agents,
                "headcount": p.headcount,
            }
            row.update(p.simulated)
            row["missed"] = ", ".join(p.missed)
            out.append(row)
        return out


# --------------------------------------------------------------------------- the formula


@dataclass(frozen=True)
class _Traffic:
    calls: float
    per_s: float
    aht_s: float
    patience_s: float | None

    def model(self):
        if self.patience_s is None:
            return ErlangC(self.calls, self.per_s, self.aht_s)
        return ErlangA(self.calls, self.per_s, self.aht_s, self.patience_s)


def interval_traffic(scenario: Scenario) -> list[_Traffic | None]:
    """Per interval of the horizon: the Erlang traffic (calls, length s, load-weighted
    AHT s, patience s or None) or None when the centre is closed or expects no calls."""
    tl = scenario.timeline()
    first = tl.first_recorded
    aht = np.array([c.aht_s for c in scenario.categories])
    hazard = np.array(
        [
            0.0 if math.isinf(c.patience.mean_s) else 1.0 / c.patience.mean_s
            for c in scenario.categories
        ]
    )
    out: list[_Traffic | None] = []
    for i in range(first, len(tl.starts_s)):
        calls = tl.expected[i]
        total = float(calls.sum())
        if not tl.open[i] or total <= 0 or tl.lengths_s[i] <= 0:
            out.append(None)
            continue
        rate = float(calls @ hazard) / total
        out.append(
            _Traffic(
                calls=total,
                per_s=float(tl.lengths_s[i]),
                aht_s=float(calls @ aht) / total,
                patience_s=None if rate == 0 else 1.0 / rate,
            )
        )
    return out


def _formula_agents(
    traffic: _Traffic, targets: Sequence[Target], max_agents: int, short_abandon_s: float
) -> int | None:
    return required_agents(
        traffic.calls,
        traffic.per_s,
        traffic.aht_s,
        targets=list(targets),
        patience_s=traffic.patience_s,
        max_agents=max_agents,
        short_abandon_s=short_abandon_s,
    )


def _sim_key(target: Target) -> str:
    return _SIMULATED_AS.get(target.key, target.key)


def _corrected_agents(
    traffic: _Traffic,
    agents: int,
    simulated: dict[str, float | None],
    targets: Sequence[Target],
    checked: Sequence[Target],
    thresholds: tuple[float, ...],
    short_abandon_s: float,
    max_agents: int,
    direction: int,
    margins: dict[str, float] | None = None,
) -> int | None:
    """The fewest agents (searching up from agents + 1 when ``direction`` is +1) or whether
    agents − 1 still suffices (``direction`` −1: returns agents − 1 or None) by Erlang A
    shifted by the gap between formula and simulation seen at ``agents``. ``margins``:
    per target KPI, how far beyond the target the shifted formula must be (the margin the
    simulation will be judged by)."""
    margins = margins or {}
    model = traffic.model()

    def metrics(n: int) -> dict:
        return model.outcomes(n, thresholds, short_abandon_s).metrics(thresholds)

    here = metrics(agents)
    bias = {}
    for t in checked:
        sim = simulated.get(_sim_key(t))
        formula = here.get(t.key)
        if sim is not None and formula is not None:
            bias[t.key] = formula - sim

    def meets(n: int) -> bool:
        row = metrics(n)
        for t in targets:
            value = row.get(t.key)
            if value is not None and t.key in bias:
                value -= bias[t.key]
                m = margins.get(t.key, 0.0)
                row[t.key] = value - m if t.op in (">=", ">") else value + m
            if not t.met_by(row):
                return False
        return True

    if direction < 0:
        return agents - 1 if agents > 1 and meets(agents - 1) else None
    for n in range(agents + 1, max_agents + 1):
        if meets(n):
            return n
    return None


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class IntervalSample:
    """What the simulation measured in one interval: ``kpis`` pooled over the
    replications (the KPI layer over every replication's calls), and ``per_replication``
    the KPI rows of each replication (None where no call arrived in that replication)."""

    kpis: dict[str, Any]
    per_replication: tuple[dict[str, Any] | None, ...]


def _denominator(name: str, row: dict[str, Any]) -> float | None:
    """The calls a call KPI is a share (or mean) of, from the KPI row: the catalogue's
    denominator (None for a KPI that is not a share or mean of calls)."""
    found = catalogue.find(name)
    if found is None or found[0].subject != "calls":
        return None
    return found[0].denominator_of(row)


def standard_error(name: str, sample: IntervalSample, null: float | None = None) -> float | None:
    """Standard error of the pooled ratio KPI ``name`` (Σ numerators / Σ denominators over
    replications) in one interval, None when it cannot be estimated.

    Calls of one replication and interval share its queue, so they are not independent:
    the variance is the cluster (replication) one of a ratio estimator,
    R / (R − 1) Σ_r (x_r − p̂ n_r)² / (Σ n_r)². For a share, the test is against ``null``
    (the target): the binomial variance τ (1 − τ) / n at the target times the design
    effect (cluster over binomial variance at p̂, at least 1), so a sample of all
    successes (p̂ = 1, no spread) still carries the uncertainty of its few calls.
    """
    value = sample.kpis.get(name)
    if value is None:
        return None
    xs, ns = [], []
    for row in sample.per_replication:
        if row is None:
            xs.append(0.0)
            ns.append(0.0)
            continue
        n = _denominator(name, row)
        v = row.get(name)
        if n is None:
            return None
        xs.append(0.0 if v is None or not n else float(v) * n)
        ns.append(float(n))
    x, n = np.array(xs), np.array(ns)
    total = n.sum()
    r = len(n)
    if total <= 0 or r < 2:
        return None
    cluster = r / (r - 1) * float(((x - value * n) ** 2).sum()) / total**2
    if name == "asa_s":
        return math.sqrt(cluster)
    binomial = value * (1 - value) / total
    deff = max(1.0, cluster / binomial) if binomial > 0 else 1.0
    p = value if null is None else min(max(null, 0.0), 1.0)
    return math.sqrt(p * (1 - p) / total * deff)


def _simulate(
    scenario: Scenario,
    agents: np.ndarray,
    seeds: Sequence[int],
    executor: Executor | None,
    thresholds: tuple[float, ...],
) -> dict[int, IntervalSample]:
    """KPIs per horizon interval (index → sample) of ``scenario`` staffed with
    ``agents``: pooled over the replications and per replication, from the KPI layer."""
    import pandas as pd

    from analytics.kpi import call_kpis
    from simulation.queue.model import run_replication
    from simulation.queue.replications import SIM_SOURCE, sim_connection

    planned = scenario.with_changes(staffing=Staffing(per_interval=tuple(int(a) for a in agents)))
    planned.timeline()  # computed once, shipped to the workers with the scenario
    args = [(planned, s, k) for k, s in enumerate(seeds)]
    if executor is None:
        frames = [run_replication(*a) for a in args]
    else:
        frames = list(executor.map(run_replication, *zip(*args, strict=True)))
    records = pd.concat(frames, ignore_index=True)
    for col in records.columns:  # agent_id categories differ between replications
        if records[col].dtype == object and isinstance(frames[0][col].dtype, pd.CategoricalDtype):
            records[col] = records[col].astype("category")
    con = sim_connection(records)
    options = {
        "source": SIM_SOURCE,
        "interval": KPI_INTERVALS[scenario.interval_s],
        "thresholds_s": thresholds,
        "short_abandon_s": scenario.short_abandon_s,
    }
    try:
        pooled = call_kpis(con, planned.centre(), **options)
        by_replication = call_kpis(con, planned.centre(), by=("replication",), **options)
    finally:
        con.close()
    tl = planned.timeline()
    origin = pd.Timestamp(planned.start_instant)

    def index(row) -> int:
        offset = (pd.Timestamp(row["interval_start"]) - origin).total_seconds()
        return int(np.searchsorted(tl.starts_s, offset, side="right")) - 1 - tl.first_recorded

    per_rep: dict[int, list] = {}
    for row in by_replication:
        k = index(row)
        if k >= 0:
            per_rep.setdefault(k, [None] * len(seeds))[int(row["replication"])] = row
    out = {}
    for row in pooled:
        k = index(row)
        if k >= 0:
            out[k] = IntervalSample(row, tuple(per_rep.get(k, [None] * len(seeds))))
    return out


# --------------------------------------------------------------------------- the plan


def verification_replications(
    traffic: Sequence[_Traffic | None],
    replications: int,
    min_pooled_calls: float,
    max_replications: int,
) -> int:
    """Replications per round: at least ``replications``, more (up to
    ``max_replications``) until the quietest open interval pools ``min_pooled_calls``
    simulated calls (calls × replications)."""
    calls = [tr.calls for tr in traffic if tr is not None]
    if not calls or min_pooled_calls <= 0:
        return replications
    wanted = math.ceil(min_pooled_calls / min(calls))
    return max(replications, min(wanted, max_replications))


# long: one search: the Erlang A start, then rounds of simulation that adjust the agents per
# interval until every checked target holds within the margin; the rounds share the
# replications and their pooled results
def staffing_plan(
    scenario: Scenario,
    targets: Sequence[Target | str] | None = None,
    *,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
    max_agents: int = 500,
    replications: int = 10,
    seed: int = 0,
    max_rounds: int = 40,
    margin_se: float = 1.0,
    min_pooled_calls: float = 320.0,
    max_replications: int = 40,
    executor: Executor | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    verify: bool = True,
) -> StaffingPlan:
    """The fewest agents per interval of ``scenario`` meeting ``targets`` (default: the
    scenario's) and the caps (``max_abandon``: abandon rate; ``max_occupancy``), verified
    and corrected by simulation (module docstring). ``shrinkage``: share of paid time off
    the phones, for the headcount.

    Verification: at least ``replications`` simulations per round from ``seed`` (more, up
    to ``max_replications``, until the quietest interval pools ``min_pooled_calls``
    calls); an interval passes when it meets every target by ``margin_se`` standard
    errors (0: the bare sample decides, which favours lucky samples). They run on
    ``executor``, else on the Dask cluster that ``scheduler`` or
    ``$DASK_SCHEDULER_ADDRESS`` names, else on a local pool of ``workers`` processes
    (default: one per CPU), as ``run_replications`` does; the plan depends only on the
    arguments, not on the executor. ``verify=False`` stops after Erlang A.
    """
    wanted = staffing_targets(
        list(scenario.targets if targets is None else targets),
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
    )
    if not wanted:
        raise ValueError("no targets: give one like sl_offered_12>=0.8 (or set the scenario's)")
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    if max_agents < 1:
        raise ValueError(f"max_agents must be >= 1, got {max_agents!r}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications!r}")
    if not (math.isfinite(margin_se) and margin_se >= 0):
        raise ValueError(f"margin_se must be >= 0, got {margin_se!r}")
    if verify and scenario.interval_s not in KPI_INTERVALS:
        raise ValueError(
            f"verification by simulation measures 15, 30 or 60-minute intervals; the "
            f"scenario has interval_s = {scenario.interval_s}"
        )
    from analytics.kpi import call_kpi_names
    from simulation.queue.replications import dask_executor, replication_seeds

    thresholds = tuple(sorted({*target_thresholds(wanted), *scenario.thresholds_s}))
    short_s = scenario.short_abandon_s
    sim_names = set(call_kpi_names(thresholds))
    checked = [t for t in wanted if _sim_key(t) in sim_names]
    formula_only = [t for t in wanted if t not in checked]

    traffic = interval_traffic(scenario)
    n = len(traffic)
    erlang = np.zeros(n, dtype=np.int64)
    floor = np.zeros(n, dtype=np.int64)
    for i, tr in enumerate(traffic):
        if tr is None:
            continue
        need = _formula_agents(tr, wanted, max_agents, short_s)
        erlang[i] = max_agents if need is None else need
        if formula_only:
            hold = _formula_agents(tr, formula_only, max_agents, short_s)
            floor[i] = max_agents if hold is None else hold
        floor[i] = max(floor[i], 1)
    agents = erlang.copy()
    active = [i for i, tr in enumerate(traffic) if tr is not None]
    report_names = [_sim_key(t) for t in checked]
    for extra in ("abandon_rate", "asa_s"):
        if extra not in report_names:
            report_names.append(extra)

    if verify:
        replications = verification_replications(
            traffic, replications, min_pooled_calls, max_replications
        )
    simulated: dict[int, IntervalSample] = {}
    rounds = 0
    if verify and active:
        seeds = replication_seeds(seed, replications)
        scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        own = client = None
        if executor is None:
            if scheduler:
                client, executor = dask_executor(scheduler)
            elif replications > 1 and (workers is None or workers > 1):
                own = executor = ProcessPoolExecutor(
                    max_workers=min(replications, workers or os.cpu_count() or 1)
                )
        try:
            agents, simulated, rounds = _verify(
                _Verification(
                    scenario=scenario,
                    traffic=traffic,
                    floor=floor,
                    active=active,
                    wanted=wanted,
                    checked=checked,
                    thresholds=thresholds,
                    short_s=short_s,
                    max_agents=max_agents,
                    margin_se=margin_se,
                    seeds=seeds,
                    executor=executor,
                ),
                agents,
                max_rounds,
            )
        finally:
            if own is not None:
                own.shutdown()
            if client is not None:
                client.close()

    tl = scenario.timeline()
    import pandas as pd

    origin = pd.Timestamp(scenario.start_instant)
    intervals = []
    for i in active:
        tr = traffic[i]
        sample = simulated.get(i)
        kpis = sample.kpis if sample else {}
        if verify and sample:
            missed = tuple(str(t) for t in checked if not _judge(t, sample, margin_se))
        else:
            missed = ()
        if agents[i] >= max_agents and erlang[i] >= max_agents:
            row = tr.model().outcomes(max_agents, thresholds, short_s).metrics(thresholds)
            missed = tuple(dict.fromkeys([*missed, *(str(t) for t in wanted if not t.met_by(row))]))
        start = origin + pd.Timedelta(seconds=float(tl.starts_s[tl.first_recorded + i]))
        intervals.append(
            IntervalPlan(
                index=i,
                start=start.to_pydatetime(),
                calls=tr.calls,
                aht_s=tr.aht_s,
                patience_s=tr.patience_s,
                erlang_agents=int(erlang[i]),
                agents=int(agents[i]),
                headcount=headcount(int(agents[i]), shrinkage),
                simulated={k: kpis.get(k) for k in report_names} if verify else {},
                missed=missed,
            )
        )
    planned = scenario.with_changes(staffing=Staffing(per_interval=tuple(int(a) for a in agents)))
    return StaffingPlan(
        scenario=planned,
        targets=tuple(wanted),
        intervals=tuple(intervals),
        shrinkage=shrinkage,
        replications=replications,
        seed=seed,
        rounds=rounds,
        max_agents=max_agents,
        sim_kpis=tuple(report_names) if verify else (),
        margin_se=margin_se if verify else 0.0,
    )


def _is_share(name: str) -> bool:
    return catalogue.is_share(name) and _denominator(name, {}) is not None


def _judge(target: Target, sample: IntervalSample, margin_se: float) -> bool:
    """Whether an interval's simulated calls meet ``target`` by ``margin_se`` standard
    errors (``standard_error``), so that neither raising nor trimming stops at a lucky
    sample. KPIs without a standard error (p90, a single replication) are judged on the
    sample; so is a share whose calls are too few for even a perfect sample (all within
    the threshold, none abandoned) to clear the margin."""
    row = _as_erlang(sample.kpis)
    if not target.met_by(row):
        return False
    name = _sim_key(target)
    if margin_se <= 0 or _denominator(name, {}) is None:
        return True
    share = _is_share(name)
    se = standard_error(name, sample, null=target.value if share else None)
    if se is None:
        return True
    if share:
        calls = _denominator(name, sample.kpis) or 0
        tau = min(max(target.value, 0.0), 1.0)
        best = 1.0 if target.op in (">=", ">") else 0.0
        reach = margin_se * math.sqrt(tau * (1 - tau) / calls) if calls else math.inf
        if abs(best - tau) < reach:
            return True  # undecidable with so few calls
    value = row[target.key]
    shifted = value - margin_se * se if target.op in (">=", ">") else value + margin_se * se
    return target.met_by({**row, target.key: shifted})


def _as_erlang(kpis: dict) -> dict:
    """Simulated KPIs under the Erlang names targets use (abandon_rate is p_abandon)."""
    row = dict(kpis)
    row.setdefault("p_abandon", kpis.get("abandon_rate"))
    return row


@dataclass(frozen=True)
class _Verification:
    """What stays fixed while the plan is verified."""

    scenario: Scenario
    traffic: list[_Traffic | None]
    floor: np.ndarray
    active: list[int]
    wanted: list[Target]
    checked: list[Target]
    thresholds: tuple[float, ...]
    short_s: float
    max_agents: int
    margin_se: float
    seeds: list[int]
    executor: Executor | None

    def simulate(self, agents: np.ndarray) -> dict[int, IntervalSample]:
        return _simulate(self.scenario, agents, self.seeds, self.executor, self.thresholds)

    def margins(self, sample: IntervalSample) -> dict[str, float]:
        """Per target KPI: how far beyond the target the corrected formula must be (one
        margin of standard errors, as the simulation will be judged)."""
        out = {}
        for t in self.checked:
            name = _sim_key(t)
            se = standard_error(name, sample, null=t.value if _is_share(name) else None)
            if se is not None:
                out[t.key] = self.margin_se * se
        return out

    def corrected(self, i: int, agents: int, sample: IntervalSample, direction: int):
        return _corrected_agents(
            self.traffic[i],
            agents,
            sample.kpis,
            self.wanted,
            self.checked,
            self.thresholds,
            self.short_s,
            self.max_agents,
            direction,
            self.margins(sample),
        )


def _verify(
    v: _Verification, agents: np.ndarray, max_rounds: int
) -> tuple[np.ndarray, dict[int, IntervalSample], int]:
    """Simulate, raise where targets are missed, trim where there is slack; repeat."""
    agents = agents.copy()
    trimmed: list[int] = []  # the last round's trims, given back where they cause misses
    frozen: set[int] = set()  # intervals not to be trimmed again
    capped: set[int] = set()  # missing at max_agents, and nothing before them can help
    rounds = 0
    simulated_agents = None
    simulated: dict[int, IntervalSample] = {}
    active = set(v.active)

    def misses(i: int) -> bool:
        sample = simulated.get(i)
        if sample is None or i not in active:
            return False  # no simulated call arrived there
        return any(not _judge(t, sample, v.margin_se) for t in v.checked)

    while rounds < max_rounds:
        simulated = v.simulate(agents)
        simulated_agents = agents.copy()
        rounds += 1
        if trimmed:
            # A trim stands only if its interval and the next one (which inherits its
            # queue) still meet the targets by the margin.
            blamed = [j for j in trimmed if misses(j) or misses(j + 1)]
            for j in blamed:
                agents[j] += 1
            frozen.update(trimmed)
            trimmed = []
            if blamed:
                continue
        missed = [i for i in v.active if misses(i) and i not in capped]
        if missed:
            for i in missed:
                step = v.corrected(i, int(agents[i]), simulated[i], +1)
                target = min(v.max_agents, max(int(agents[i]) + 1, step or 0))
                # Not frozen: a raise made while the interval before still missed (its
                # queue carries over) may prove too much, and one trim is checked anyway.
                if target > agents[i]:
                    agents[i] = target
                    continue
                # At max_agents: only the interval before, whose queue it inherits, can help.
                prev = i - 1
                if prev >= 0 and v.traffic[prev] is not None and agents[prev] < v.max_agents:
                    agents[prev] += 1
                    frozen.add(prev)
                else:
                    capped.add(i)
            continue
        candidates = []
        for i in v.active:
            if i in frozen or agents[i] <= v.floor[i] or i not in simulated:
                continue
            if v.corrected(i, int(agents[i]), simulated[i], -1) is not None:
                candidates.append(i)
        if not candidates:
            break
        for i in candidates:
            agents[i] -= 1
        trimmed = candidates
    for i in trimmed:  # out of rounds before the last trims were checked: give them back
        agents[i] += 1
    if simulated_agents is None or not np.array_equal(simulated_agents, agents):
        simulated = v.simulate(agents)
        rounds += 1
    return agents, simulated, rounds
