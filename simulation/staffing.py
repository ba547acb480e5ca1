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
   (``simulation.erlang.required_agents``).
2. **Verification by simulation**: the whole horizon is simulated with that plan
   (``replications`` runs, the same seeds every round, so two plans meet the same callers:
   common random numbers), and the KPI layer measures every interval (calls grouped by the
   interval in which they arrived, pooled over the replications). Where an interval misses
   a target it gets more agents: as many as Erlang A says are needed once it is corrected
   by the gap it showed between formula and simulation, at least one (an interval already
   at ``max_agents`` raises the interval before it instead, whose queue it inherits).
   Once every interval meets its targets, agents are taken away one at a time where the
   corrected formula says there is slack; a trim stands only if its interval still meets
   the targets by one binomial standard error (so that a lucky sample does not remove an
   agent) and the interval after it still meets them. This repeats until no interval
   changes or ``max_rounds`` is reached.

Precision: an interval's simulated service level rests on its calls × ``replications``
callers (standard error about sqrt(p (1 − p) / (calls × replications))); quiet intervals
need more replications for the same confidence.

Targets the simulation cannot measure per interval (``p_wait``, ``occupancy``) are held
by the formula alone (the plan never drops below Erlang A's agents for them);
``p_abandon`` is measured as the KPI ``abandon_rate``. Intervals that cannot be met
within ``max_agents`` are named in the plan, not raised as an error. Headcount is the
rostered staff after shrinkage: ceil(agents / (1 − shrinkage)).

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

from simulation.erlang import (
    ErlangA,
    ErlangC,
    Target,
    headcount,
    required_agents,
    staffing_targets,
    target_thresholds,
)
from simulation.scenario import WEEKDAY_NAMES, Scenario, Staffing

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

    @property
    def unmet(self) -> tuple[IntervalPlan, ...]:
        return tuple(p for p in self.intervals if not p.met)

    def agent_hours(self, which: str = "agents") -> float:
        """Σ agents × interval length (hours) of the plan (``agents``) or of Erlang A
        (``erlang_agents``)."""
        hours = self.scenario.interval_s / 3600
        return sum(getattr(p, which) for p in self.intervals) * hours

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
) -> int | None:
    """The fewest agents (searching up from agents + 1 when ``direction`` is +1) or whether
    agents − 1 still suffices (``direction`` −1: returns agents − 1 or None) by Erlang A
    shifted by the gap between formula and simulation seen at ``agents``."""
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
                row[t.key] = value - bias[t.key]
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


def _simulate(
    scenario: Scenario,
    agents: np.ndarray,
    seeds: Sequence[int],
    executor: Executor | None,
    thresholds: tuple[float, ...],
) -> dict[int, dict]:
    """KPIs per horizon interval (index → KPI dict) of ``scenario`` staffed with
    ``agents``, pooled over the replications, from the KPI layer."""
    import pandas as pd

    from analytics.kpi import call_kpis
    from simulation.model import run_replication
    from simulation.replications import SIM_SOURCE, sim_connection

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
    try:
        rows = call_kpis(
            con,
            planned.centre(),
            source=SIM_SOURCE,
            interval=KPI_INTERVALS[scenario.interval_s],
            thresholds_s=thresholds,
            short_abandon_s=scenario.short_abandon_s,
        )
    finally:
        con.close()
    tl = planned.timeline()
    origin = pd.Timestamp(planned.start_instant)
    out = {}
    for row in rows:
        offset = (pd.Timestamp(row["interval_start"]) - origin).total_seconds()
        k = int(np.searchsorted(tl.starts_s, offset, side="right")) - 1 - tl.first_recorded
        if k >= 0:
            out[k] = row
    return out


# --------------------------------------------------------------------------- the plan


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
    executor: Executor | None = None,
    workers: int | None = None,
    verify: bool = True,
) -> StaffingPlan:
    """The fewest agents per interval of ``scenario`` meeting ``targets`` (default: the
    scenario's) and the caps (``max_abandon``: abandon rate; ``max_occupancy``), verified
    and corrected by simulation (module docstring). ``shrinkage``: share of paid time off
    the phones, for the headcount. ``replications`` simulations per round from ``seed``,
    on ``executor`` or a local pool of ``workers`` processes (default: one per CPU).
    ``verify=False`` stops after Erlang A.
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
    if verify and scenario.interval_s not in KPI_INTERVALS:
        raise ValueError(
            f"verification by simulation measures 15, 30 or 60-minute intervals; the "
            f"scenario has interval_s = {scenario.interval_s}"
        )
    from analytics.kpi import call_kpi_names
    from simulation.replications import replication_seeds

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

    simulated: dict[int, dict] = {}
    rounds = 0
    if verify and active:
        seeds = replication_seeds(seed, replications)
        own = None
        if executor is None and replications > 1 and (workers is None or workers > 1):
            own = executor = ProcessPoolExecutor(
                max_workers=min(replications, workers or os.cpu_count() or 1)
            )
        try:
            agents, simulated, rounds = _verify(
                scenario,
                traffic,
                agents,
                floor,
                active,
                wanted,
                checked,
                thresholds,
                short_s,
                max_agents,
                max_rounds,
                seeds,
                executor,
            )
        finally:
            if own is not None:
                own.shutdown()

    tl = scenario.timeline()
    import pandas as pd

    origin = pd.Timestamp(scenario.start_instant)
    intervals = []
    for i in active:
        tr = traffic[i]
        kpis = simulated.get(i, {})
        if verify:
            missed = tuple(str(t) for t in checked if kpis and not t.met_by(_as_erlang(kpis)))
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
    )


def _met(target: Target, row: dict, offered: float, strict: bool) -> bool:
    """Whether a simulated KPI row meets ``target``; ``strict``: a proportion must meet it
    by one binomial standard error, sqrt(p (1 − p) / offered), so that taking an agent
    away is not justified by a lucky sample."""
    if not strict or not offered:
        return target.met_by(row)
    value = row.get(target.key)
    if value is None or target.key in ("asa_s",) or not 0 <= value <= 1:
        return target.met_by(row)
    margin = math.sqrt(value * (1 - value) / offered)
    shifted = value - margin if target.op in (">=", ">") else value + margin
    return target.met_by({**row, target.key: shifted})


def _as_erlang(kpis: dict) -> dict:
    """Simulated KPIs under the Erlang names targets use (abandon_rate is p_abandon)."""
    row = dict(kpis)
    row.setdefault("p_abandon", kpis.get("abandon_rate"))
    return row


def _verify(
    scenario: Scenario,
    traffic: list[_Traffic | None],
    agents: np.ndarray,
    floor: np.ndarray,
    active: list[int],
    wanted: list[Target],
    checked: list[Target],
    thresholds: tuple[float, ...],
    short_s: float,
    max_agents: int,
    max_rounds: int,
    seeds: list[int],
    executor: Executor | None,
) -> tuple[np.ndarray, dict[int, dict], int]:
    """Simulate, raise where targets are missed, trim where there is slack; repeat."""
    agents = agents.copy()
    trimmed: list[int] = []  # the last round's trims, given back where they cause misses
    frozen: set[int] = set()  # intervals not to be trimmed again
    capped: set[int] = set()  # missing at max_agents, and nothing before them can help
    rounds = 0
    simulated_agents = None
    simulated: dict[int, dict] = {}

    def misses(i: int, strict: bool = False) -> bool:
        kpis = simulated.get(i)
        if not kpis:
            return False  # no simulated call arrived there
        row = _as_erlang(kpis)
        return any(not _met(t, row, kpis.get("offered") or 0, strict) for t in checked)

    while rounds < max_rounds:
        simulated = _simulate(scenario, agents, seeds, executor, thresholds)
        simulated_agents = agents.copy()
        rounds += 1
        if trimmed:
            # A trim stands only if its interval still meets the targets by more than the
            # sampling error and the next interval (which inherits its queue) meets them.
            blamed = [j for j in trimmed if misses(j, strict=True) or misses(j + 1)]
            for j in blamed:
                agents[j] += 1
            frozen.update(trimmed)
            trimmed = []
            if blamed:
                continue
        missed = [i for i in active if misses(i) and i not in capped]
        if missed:
            for i in missed:
                step = _corrected_agents(
                    traffic[i],
                    int(agents[i]),
                    simulated[i],
                    wanted,
                    checked,
                    thresholds,
                    short_s,
                    max_agents,
                    +1,
                )
                target = min(max_agents, max(int(agents[i]) + 1, step or 0))
                frozen.add(i)
                if target > agents[i]:
                    agents[i] = target
                    continue
                # At max_agents: only the interval before, whose queue it inherits, can help.
                prev = i - 1
                if prev >= 0 and traffic[prev] is not None and agents[prev] < max_agents:
                    agents[prev] += 1
                    frozen.add(prev)
                else:
                    capped.add(i)
            continue
        candidates = []
        for i in active:
            if i in frozen or agents[i] <= floor[i] or not simulated.get(i):
                continue
            fewer = _corrected_agents(
                traffic[i],
                int(agents[i]),
                simulated[i],
                wanted,
                checked,
                thresholds,
                short_s,
                max_agents,
                -1,
            )
            if fewer is not None:
                candidates.append(i)
        if not candidates:
            break
        for i in candidates:
            agents[i] -= 1
        trimmed = candidates
    for i in trimmed:  # out of rounds before the last trims were checked: give them back
        agents[i] += 1
    if simulated_agents is None or not np.array_equal(simulated_agents, agents):
        simulated = _simulate(scenario, agents, seeds, executor, thresholds)
        rounds += 1
    return agents, simulated, rounds
