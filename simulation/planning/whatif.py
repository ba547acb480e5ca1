"""What-if staffing for a planner's week: exact Erlang A per interval at once.

A planner takes a week — a week of the centre's history, calibrated from the store with
``cca calibrate``'s logic, or a week of a scenario pack — and its current plan (agents on
the phones per interval: the staffing table's agents available, else the calibration's
staffing proxy, else the pack's staffing). Then they pull levers and read, for every
interval and for the week, what exact Erlang A (M/M/n+M, ``simulation.formulas.erlang``) says:

* **volume ×** overall and per caller category (calls per interval are multiplied);
* **handling time ×** (every category's talk, hold and after-call work);
* **patience ×** (every category's patience);
* **shrinkage**: the share of the plan's agents who are not on the phones (breaks,
  training); agents on the phones = ⌊plan × (1 − shrinkage)⌋. 0 (the default) reads the
  plan as agents on the phones, as the staffing table's ``agents_available`` is;
* **agents per interval**: ``set_agents`` (edit cells) and ``add_agents`` (add or remove
  N agents over a time range) return a new plan;
* **targets** (``sl_offered_12>=0.8``, a max abandon rate): each interval is ``green``
  (meets every target), ``amber`` (misses one by at most ``amber_margin``: 5 points of a
  share, 20% of a time) or ``red``.

Each interval is one Erlang A queue, as ``cca staff`` sees it
(``simulation.planning.staffing.interval_traffic``): its expected calls, the load-weighted AHT of
its categories (Σ calls × AHT / Σ calls) and the call-weighted abandonment rate of their
patience (Erlang C when nobody hangs up). The week's totals weight each interval by its
calls (service levels, abandonment), by its answered calls (ASA) or by its agent time
(occupancy = Σ carried Erlangs × length / Σ agents × length).

Speed: exact Erlang A per interval is cached per (calls, length, AHT, patience, agents),
so a week of 30-minute intervals is computed once (``benchmarks/planner.py`` holds it to
its limit; figures in docs/measurements.md) and an edit of a few cells costs only those
cells.

The lever-applied week is also a scenario (``whatif_scenario``): per-category rates per
weekday, opening hours and agents per interval of that week, handling and patience
scaled. That is what "Simulate" runs, what ``scenario_toml_text`` writes (loadable by
``cca simulate --scenario``) and what ``plan_csv`` pairs with (``cca simulate
--staffing``). ``compare_weeks`` puts up to four results side by side and
``comparison_xlsx`` writes them to Excel.

Units: seconds; calls per interval; agents are whole people.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.clock import hhmm
from analytics.kpi.catalogue import is_share
from simulation.formulas.erlang import ErlangA, ErlangC, Target, staffing_targets
from simulation.queue.distributions import Distribution, Empirical, Exponential, Fixed, LogNormal
from simulation.queue.scenario import WEEKDAY_NAMES, Category, Scenario
from simulation.queue.scenario_file import scenario_from_dict, scenario_toml

DEFAULT_TARGETS = ("sl_offered_12>=0.8",)
MAX_COMPARED = 4  # the current plan, the previous one, what-if A and B
# Amber: a target missed by at most this much (absolute for shares, relative for times).
AMBER_SHARE = 0.05
AMBER_TIME = 0.20
KPIS = ("sl_offered_12", "sl_offered_30", "answer_rate", "abandon_rate", "asa_s", "occupancy")


# --------------------------------------------------------------------------- the week


@dataclass(frozen=True)
class PlannerWeek:
    """A week to plan: the base scenario of its days and its current plan.

    ``scenario`` covers exactly the week (its horizon); ``agents`` is the current plan,
    agents on the phones per horizon interval (closed intervals 0); ``source`` says
    where the week and the plan came from, for people; ``origin`` says it as data, for
    pages that word it in their reader's language: ``("scenario", name)`` or
    ``("history", centre_id, period_label, staffing_proxy)``.
    """

    scenario: Scenario
    agents: tuple[int, ...]
    source: str = ""
    origin: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _ = self._arrays  # built once when the week is loaded, not at every lever move

    @functools.cached_property
    def _arrays(self) -> dict[str, Any]:
        sc = self.scenario
        tl = sc.timeline()
        first = tl.first_recorded
        import pandas as pd

        origin = pd.Timestamp(sc.start_instant)
        starts = [
            (origin + pd.Timedelta(seconds=float(s))).to_pydatetime() for s in tl.starts_s[first:]
        ]
        return {
            "starts": starts,
            "lengths_s": tl.lengths_s[first:].copy(),
            "open": tl.open[first:].copy(),
            "calls": tl.expected[first:].copy(),  # (interval, category)
            "aht_s": np.array([c.aht_s for c in sc.categories]),
            "patience_s": np.array([c.patience.mean_s for c in sc.categories]),
        }

    @property
    def starts(self) -> list[dt.datetime]:
        """Local start of every interval of the week (aware datetimes)."""
        return self._arrays["starts"]

    @property
    def open(self) -> np.ndarray:
        return self._arrays["open"]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.scenario.categories)

    @property
    def interval_s(self) -> int:
        return self.scenario.interval_s

    def interval_index(self, when: dt.datetime) -> int:
        """The index of the interval containing ``when`` (aware, or local if naive)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.scenario.tz)
        offset = (when - self.scenario.start_instant).total_seconds()
        tl = self.scenario.timeline()
        starts = tl.starts_s[tl.first_recorded :]
        k = int(np.searchsorted(starts, offset, side="right")) - 1
        if not 0 <= k < len(starts):
            raise ValueError(f"{when.isoformat()} is outside the week ({self.scenario.start} + 7)")
        return k


def week_from_scenario(
    scenario: Scenario, start: dt.date | None = None, *, days: int = 7, source: str = ""
) -> PlannerWeek:
    """The week of ``scenario`` from ``start`` (default: its own start) with the pack's
    staffing as the current plan."""
    week = scenario.with_changes(start=start or scenario.start, days=days)
    tl = week.timeline()
    agents = tuple(int(a) for a in tl.agents[tl.first_recorded :])
    return PlannerWeek(
        week, agents, source or f"scenario {scenario.name}", ("scenario", scenario.name)
    )


def week_from_store(
    con,
    centre,
    start: dt.date,
    *,
    days: int = 7,
    interval_s: int = 1800,
    staffing_proxy: str = "fit",
) -> PlannerWeek:
    """A week of ``centre``'s history from ``start``, calibrated as ``cca calibrate``
    does over those days: its arrivals per interval and category, handling and patience,
    and as the plan the staffing table's agents available (else the calibration's
    ``staffing_proxy``). Raises ``ValueError`` when the week has no calls."""
    from analytics.periods import Period
    from simulation.calibration.fit import calibrate

    end = start + dt.timedelta(days=days - 1)
    period = Period(start, end, f"{start}..{end}")
    cal = calibrate(
        con, centre, period, interval_s=interval_s, days=days, staffing_proxy=staffing_proxy
    )
    week = week_from_scenario(cal.scenario, start, days=days)
    return PlannerWeek(
        week.scenario,
        week.agents,
        f"calibrated from {centre.centre_id} {period.label}; agents from {cal.staffing_source}",
        ("history", centre.centre_id, period.label, cal.staffing_proxy),
    )


# --------------------------------------------------------------------------- levers


@dataclass(frozen=True)
class Levers:
    """What-if multipliers: ``volume`` (all calls), ``volume_by_category`` (category
    name → multiplier, on top), ``handling`` (handling times), ``patience`` (callers'
    patience); ``shrinkage``: share of the plan's agents off the phones, in [0, 1)."""

    volume: float = 1.0
    volume_by_category: Mapping[str, float] = field(default_factory=dict)
    handling: float = 1.0
    patience: float = 1.0
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        for name in ("volume", "handling", "patience"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0) or (name != "volume" and v == 0):
                raise ValueError(f"levers.{name}: {v!r} must be a number > 0")
        for k, v in self.volume_by_category.items():
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"levers.volume_by_category.{k}: {v!r} must be a number >= 0")
        if not 0 <= self.shrinkage < 1:
            raise ValueError(f"levers.shrinkage: {self.shrinkage!r} must be in [0, 1)")

    def check(self, week: PlannerWeek) -> None:
        unknown = sorted(set(self.volume_by_category) - set(week.categories))
        if unknown:
            raise ValueError(
                f"levers.volume_by_category: no category {unknown[0]!r} "
                f"(the week has {', '.join(week.categories)})"
            )

    def category_factors(self, week: PlannerWeek) -> np.ndarray:
        self.check(week)
        return np.array(
            [self.volume * self.volume_by_category.get(c, 1.0) for c in week.categories]
        )


def on_phones(agents: Sequence[int] | np.ndarray, shrinkage: float) -> np.ndarray:
    """Agents on the phones: ⌊plan × (1 − shrinkage)⌋ (whole agents, rounding down)."""
    plan = np.asarray(agents, dtype=float)
    return np.floor(plan * (1.0 - shrinkage) + 1e-9).astype(np.int64)


def scheduled_for(on_phones_agents: Sequence[int], shrinkage: float) -> tuple[int, ...]:
    """The smallest plan putting at least these agents on the phones under ``shrinkage``
    (the inverse of ``on_phones``): ⌈agents / (1 − shrinkage)⌉, as ``cca staff``'s
    headcount. A plan "Find staffing" returns is agents on the phones; the planner's plan
    is agents scheduled."""
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage: {shrinkage!r} must be in [0, 1)")
    need = np.asarray(on_phones_agents, dtype=np.int64)
    plan = np.ceil(need / (1.0 - shrinkage) - 1e-9).astype(np.int64)
    plan = np.where(on_phones(plan, shrinkage) < need, plan + 1, plan)  # rounding's edge
    return tuple(int(x) for x in plan)


def set_agents(agents: Sequence[int], cells: Mapping[int, int]) -> tuple[int, ...]:
    """The plan with interval index → agents replaced (an edited grid cell)."""
    out = list(agents)
    for i, n in cells.items():
        if not 0 <= int(i) < len(out):
            raise ValueError(f"interval {i} is outside the week (0..{len(out) - 1})")
        if int(n) != n or n < 0:
            raise ValueError(f"interval {i}: {n!r} is not a whole number of agents >= 0")
        out[int(i)] = int(n)
    return tuple(out)


def add_agents(
    week: PlannerWeek,
    agents: Sequence[int],
    delta: int,
    first: int | dt.datetime,
    last: int | dt.datetime,
    *,
    open_only: bool = True,
) -> tuple[int, ...]:
    """The plan with ``delta`` agents added (negative: removed, never below 0) in the
    intervals ``first``..``last`` (indices or datetimes, both included); closed
    intervals are left alone unless ``open_only`` is False."""
    a = week.interval_index(first) if isinstance(first, dt.datetime) else int(first)
    b = week.interval_index(last) if isinstance(last, dt.datetime) else int(last)
    if not 0 <= a <= b < len(agents):
        raise ValueError(f"range {a}..{b} is not within the week's intervals 0..{len(agents) - 1}")
    out = np.asarray(agents, dtype=np.int64).copy()
    span = np.zeros(len(out), dtype=bool)
    span[a : b + 1] = True
    if open_only:
        span &= week.open
    out[span] = np.maximum(out[span] + int(delta), 0)
    return tuple(int(x) for x in out)


# --------------------------------------------------------------------------- Erlang A


def parse_targets(
    targets: Sequence[str | Target] = DEFAULT_TARGETS, max_abandon: float | None = None
) -> list[Target]:
    """Targets as ``simulation.formulas.erlang.Target`` (``abandon_rate`` is Erlang's ``p_abandon``)."""
    out = []
    for t in staffing_targets(list(targets), max_abandon=max_abandon):
        out.append(Target("p_abandon", t.op, t.value) if t.kpi == "abandon_rate" else t)
    return out


@functools.lru_cache(maxsize=65536)
def _interval_metrics(
    calls: float,
    per_s: float,
    aht_s: float,
    patience_s: float | None,
    agents: int,
    thresholds: tuple[float, ...],
    short_abandon_s: float,
) -> dict:
    model = (
        ErlangC(calls, per_s, aht_s)
        if patience_s is None
        else ErlangA(calls, per_s, aht_s, patience_s)
    )
    return model.outcomes(agents, thresholds, short_abandon_s).metrics(thresholds)


def _status(metrics: Mapping[str, Any], targets: Sequence[Target]) -> str:
    worst = "green"
    for t in targets:
        if t.met_by(metrics):
            continue
        value = metrics.get(t.key)
        if value is None:
            return "red"
        share = is_share(t.key)
        margin = AMBER_SHARE if share else AMBER_TIME * abs(t.value)
        shifted = value + margin if t.op in (">=", ">") else value - margin
        if not t.met_by({**metrics, t.key: shifted}):
            return "red"
        worst = "amber"
    return worst


@dataclass(frozen=True)
class WeekResult:
    """Erlang A for every interval of a week under one plan and set of levers.

    ``intervals``: one dict per interval that is open or has agents — ``index``,
    ``interval_start`` (local aware datetime), ``open``, ``calls``, ``aht_s``,
    ``patience_s`` (None: nobody abandons), ``plan`` (agents planned), ``agents`` (on the
    phones), ``sl_offered_12``, ``sl_offered_30`` (every threshold asked),
    ``answer_rate``, ``abandon_rate``, ``asa_s``, ``occupancy`` (None where there are no
    calls or no agents) and ``status`` (green / amber / red; ``closed`` where no call is
    expected). ``totals``: the week, weighted by calls (shares), answered calls (ASA) and
    agent time (occupancy), with ``calls``, ``agent_hours``, ``paid_hours`` (planned),
    and ``intervals_green`` / ``_amber`` / ``_red``.
    """

    intervals: list[dict[str, Any]]
    totals: dict[str, Any]
    agents: tuple[int, ...]  # the plan evaluated
    levers: Levers
    targets: tuple[Target, ...]


def erlang_week(
    week: PlannerWeek,
    agents: Sequence[int] | None = None,
    levers: Levers | None = None,
    targets: Sequence[str | Target] = DEFAULT_TARGETS,
    *,
    max_abandon: float | None = None,
) -> WeekResult:
    """Exact Erlang A for each interval of ``week`` with the plan ``agents`` (default:
    the week's current plan) under ``levers``, judged against ``targets`` (and
    ``max_abandon``, an abandon rate). See ``WeekResult`` for the shape."""
    levers = levers or Levers()
    plan = np.asarray(week.agents if agents is None else agents, dtype=np.int64)
    arr = week._arrays
    if len(plan) != len(arr["starts"]):
        raise ValueError(f"the plan has {len(plan)} intervals, the week {len(arr['starts'])}")
    if (plan < 0).any():
        raise ValueError(f"interval {int(np.argmax(plan < 0))}: agents must be >= 0")
    wanted = parse_targets(targets, max_abandon)
    sc = week.scenario
    thresholds = tuple(
        sorted({*(float(t) for t in sc.thresholds_s), 12.0, 30.0, *_thresholds(wanted)})
    )
    # The planner shows no short-abandon KPI, and a short-abandon time that is one of the
    # thresholds costs Erlang A no series of its own (a quarter of its time).
    short_s = thresholds[0]
    calls_c = arr["calls"] * levers.category_factors(week)[None, :]
    aht_c = arr["aht_s"] * levers.handling
    patience_c = arr["patience_s"] * levers.patience
    hazard_c = np.where(np.isinf(patience_c), 0.0, 1.0 / np.where(patience_c > 0, patience_c, 1))
    hazard_c = np.where(patience_c == 0, np.inf, hazard_c)
    staffed = on_phones(plan, levers.shrinkage)
    lengths = arr["lengths_s"]
    sl_keys = [f"sl_offered_{_name(t)}" for t in thresholds]  # named once, not per interval
    rows = []
    sums = {"calls": 0.0, "answered": 0.0, "wait": 0.0, "busy": 0.0, "staffed": 0.0}
    sums.update(dict.fromkeys(sl_keys, 0.0))
    sums["abandoned"] = 0.0
    counts = {"green": 0, "amber": 0, "red": 0}
    for i, start in enumerate(arr["starts"]):
        total = float(calls_c[i].sum())
        is_open = bool(arr["open"][i]) and lengths[i] > 0
        n = int(staffed[i])
        if not is_open and n == 0:
            continue
        row: dict[str, Any] = {
            "index": i,
            "interval_start": start,
            "open": bool(is_open),
            "calls": total,
            "aht_s": None,
            "patience_s": None,
            "plan": int(plan[i]),
            "agents": n,
        }
        metrics: dict[str, Any] = {}
        if total > 0 and is_open:
            aht = float(calls_c[i] @ aht_c) / total
            rate = float(calls_c[i] @ hazard_c) / total
            patience = None if rate == 0 else (0.0 if math.isinf(rate) else 1.0 / rate)
            row["aht_s"], row["patience_s"] = aht, patience
            if n > 0:
                metrics = _interval_metrics(
                    total, float(lengths[i]), aht, patience, n, thresholds, short_s
                )
            else:
                # nobody to answer: every caller abandons (or times out), nobody waits ≤ T
                metrics = {
                    **dict.fromkeys(sl_keys, 0.0),
                    "answer_rate": 0.0,
                    "abandon_rate": 1.0 if patience is not None else 0.0,
                    "p_abandon": 1.0 if patience is not None else 0.0,
                    "asa_s": None,
                    "occupancy": None,
                }
            for key in sl_keys:
                row[key] = metrics.get(key)
            for k in ("answer_rate", "abandon_rate", "asa_s", "occupancy"):
                row[k] = metrics.get(k)
            status = _status(metrics, wanted)
            counts[status] += 1
            row["status"] = status
            answered = total * (metrics.get("answer_rate") or 0.0)
            sums["calls"] += total
            sums["answered"] += answered
            sums["abandoned"] += total * (metrics.get("abandon_rate") or 0.0)
            sums["wait"] += answered * (metrics.get("asa_s") or 0.0)
            sums["busy"] += answered * aht
            for key in sl_keys:
                sums[key] += total * (metrics.get(key) or 0.0)
        else:
            row.update(dict.fromkeys(sl_keys))
            row.update(answer_rate=None, abandon_rate=None, asa_s=None)
            row["occupancy"] = 0.0 if n > 0 else None
            row["status"] = "closed"
        sums["staffed"] += n * float(lengths[i])
        rows.append(row)
    calls = sums["calls"]
    totals: dict[str, Any] = {
        "calls": calls,
        "agent_hours": float((staffed * lengths).sum()) / 3600,
        "paid_hours": float((plan * lengths).sum()) / 3600,
    }
    for key in sl_keys:
        totals[key] = sums[key] / calls if calls else None
    totals["answer_rate"] = sums["answered"] / calls if calls else None
    totals["abandon_rate"] = sums["abandoned"] / calls if calls else None
    totals["asa_s"] = sums["wait"] / sums["answered"] if sums["answered"] else None
    totals["occupancy"] = sums["busy"] / sums["staffed"] if sums["staffed"] else None
    totals.update({f"intervals_{k}": v for k, v in counts.items()})
    return WeekResult(rows, totals, tuple(int(a) for a in plan), levers, tuple(wanted))


def _thresholds(targets: Sequence[Target]) -> list[float]:
    return [t.threshold_s for t in targets if t.threshold_s is not None]


def _name(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:g}"


# --------------------------------------------------------------------------- scenario


def _scaled(d: Distribution | None, k: float) -> Distribution | None:
    """The distribution of k × X (seconds)."""
    if d is None or k == 1.0:
        return d
    if isinstance(d, Exponential):
        return Exponential(d.mean * k)
    if isinstance(d, LogNormal):
        return LogNormal(d.mu + math.log(k), d.sigma)
    if isinstance(d, Empirical):
        return Empirical(tuple(v * k for v in d.values), d.weights)
    if isinstance(d, Fixed):
        return Fixed(d.value * k)
    raise ValueError(f"cannot scale a {d.kind} distribution")


def whatif_scenario(
    week: PlannerWeek,
    agents: Sequence[int] | None = None,
    levers: Levers | None = None,
    *,
    name: str | None = None,
) -> Scenario:
    """The week under ``levers`` and the plan ``agents`` as a scenario of its own: each
    category's expected calls per interval as ``rates_by_weekday`` (the week has each
    weekday once), opening hours as the week's, handling and patience scaled, and the
    agents on the phones per interval (``per_interval``). Its Erlang A traffic is what
    ``erlang_week`` computes; it is what "Simulate" and ``cca simulate`` run."""
    levers = levers or Levers()
    base = week.scenario
    if base.days != 7:
        raise ValueError(f"a what-if scenario is one week (7 days), not {base.days}")
    plan = week.agents if agents is None else tuple(agents)
    staffed = on_phones(plan, levers.shrinkage)
    arr = week._arrays
    n = base.intervals_per_day
    calls = arr["calls"] * levers.category_factors(week)[None, :]
    open_ = arr["open"]
    weekday = [base.start + dt.timedelta(days=k) for k in range(7)]
    hours: dict[int, list[str]] = {}
    rates: list[dict[int, tuple[float, ...]]] = [{} for _ in base.categories]
    for k, day in enumerate(weekday):
        sl = slice(k * n, (k + 1) * n)
        slots = open_[sl]
        spans, s = [], 0
        while s < n:
            if slots[s]:
                e = s
                while e + 1 < n and slots[e + 1]:
                    e += 1
                spans.append(f"{hhmm(s * base.interval_s)}-{hhmm((e + 1) * base.interval_s)}")
                s = e + 1
            else:
                s += 1
        if spans:
            hours[day.isoweekday()] = spans
        for j in range(len(base.categories)):
            values = np.where(slots, calls[sl, j], 0.0)
            if values.any():
                rates[j][day.isoweekday()] = tuple(round(float(x), 6) for x in values)
    data: dict[str, Any] = {
        "name": name or f"{base.name}_whatif"[:64],
        "centre_id": base.centre_id,
        "description": f"what-if of {week.source or base.name}: volume x{levers.volume:g}, "
        f"handling x{levers.handling:g}, patience x{levers.patience:g}, "
        f"shrinkage {levers.shrinkage:g}",
        "timezone": base.timezone,
        "start": base.start,
        "days": 7,
        "interval_s": base.interval_s,
        "thresholds_s": [float(t) for t in base.thresholds_s],
        "short_abandon_s": float(base.short_abandon_s),
        "targets": list(base.targets),
        "warmup_s": float(base.warmup_s),
        "opening_hours": {WEEKDAY_NAMES[d]: v for d, v in sorted(hours.items())},
        "categories": {},
        "staffing": {"per_interval": [int(a) for a in staffed]},
    }
    if not hours:
        data["opening_hours"] = {}
    for j, c in enumerate(base.categories):
        table: dict[str, Any] = {"priority": c.priority, "queue": c.queue}
        if c.topics:
            table["topics"] = dict(c.topics)
        table["talk"] = _scaled(c.talk, levers.handling).to_toml()
        for part in ("hold", "acw"):
            d = getattr(c, part)
            if d is not None:
                table[part] = _scaled(d, levers.handling).to_toml()
        table["patience"] = _scaled(c.patience, levers.patience).to_toml()
        table["rates_by_weekday"] = {
            WEEKDAY_NAMES[d]: list(v) for d, v in sorted(rates[j].items())
        } or {WEEKDAY_NAMES[weekday[0].isoweekday()]: [0.0] * n}
        data["categories"][c.name] = table
    mix = {}
    if base.sites:
        mix["site"] = dict(base.sites)
    if base.channels:
        mix["channel"] = dict(base.channels)
    data["mix"] = mix
    if base.labels:
        data["labels"] = {k: dict(v) for k, v in base.labels.items()}
    return scenario_from_dict(data, source="what-if scenario")


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """A what-if scenario (from ``whatif_scenario``: rates per category, agents per
    interval) back as a TOML-shaped dict."""
    if scenario.volume.is_total or scenario.periods or scenario.closed_dates:
        raise ValueError(
            f"scenario {scenario.name}: only a what-if scenario (whatif_scenario: rates "
            "per category, no periods) can be written back"
        )
    data: dict[str, Any] = {
        "name": scenario.name,
        "centre_id": scenario.centre_id,
        "description": scenario.description,
        "timezone": scenario.timezone,
        "start": scenario.start,
        "days": scenario.days,
        "interval_s": scenario.interval_s,
        "thresholds_s": [float(t) for t in scenario.thresholds_s],
        "short_abandon_s": float(scenario.short_abandon_s),
    }
    if scenario.targets:
        data["targets"] = list(scenario.targets)
    if scenario.warmup_s:
        data["warmup_s"] = float(scenario.warmup_s)
    if scenario.opening_hours is not None:
        data["opening_hours"] = {
            WEEKDAY_NAMES[d]: [f"{a}-{b}" for a, b in spans]
            for d, spans in sorted(scenario.opening_hours.items())
        }
    cats: dict[str, Any] = {}
    for c in scenario.categories:
        cats[c.name] = _category_data(c)
    data["categories"] = cats
    data["staffing"] = {"per_interval": list(scenario.staffing.per_interval or ())}
    mix: dict[str, Any] = {"channel": dict(scenario.channels)}
    if scenario.sites:
        mix["site"] = dict(scenario.sites)
    data["mix"] = mix
    if scenario.labels:
        data["labels"] = {
            dim: {code: dict(names) for code, names in table.items()}
            for dim, table in scenario.labels.items()
        }
    return data


def _category_data(c: Category) -> dict[str, Any]:
    table: dict[str, Any] = {"priority": c.priority, "queue": c.queue}
    if c.topics:
        table["topics"] = dict(c.topics)
    table["talk"] = c.talk.to_toml()
    for part in ("hold", "acw"):
        d = getattr(c, part)
        if d is not None:
            table[part] = d.to_toml()
    table["patience"] = c.patience.to_toml()
    table["rates_by_weekday"] = {
        WEEKDAY_NAMES[d]: list(v) for d, v in sorted((c.rates_by_weekday or {}).items())
    }
    return table


def scenario_toml_text(scenario: Scenario) -> str:
    """TOML text of a what-if scenario, loadable by ``cca simulate --scenario FILE``."""
    header = f"# What-if scenario written by the planner: {scenario.description}\n\n"
    return header + scenario_toml(scenario_data(scenario))


def plan_csv(week: PlannerWeek, agents: Sequence[int] | None = None) -> str:
    """The plan as CSV ``interval_start,agents`` (local time with offset, every interval
    of the week), the staffing shape ``cca simulate --staffing FILE`` reads."""
    plan = week.agents if agents is None else agents
    if len(plan) != len(week.starts):
        raise ValueError(f"the plan has {len(plan)} intervals, the week {len(week.starts)}")
    lines = ["interval_start,agents"]
    lines += [f"{s.isoformat()},{int(a)}" for s, a in zip(week.starts, plan, strict=True)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- compare


def compare_weeks(
    results: Mapping[str, WeekResult], *, cost_per_agent_hour: float = 0.0
) -> list[dict[str, Any]]:
    """Up to four results side by side (the first is the baseline): per scenario its
    ``agent_hours``, ``paid_hours``, ``sl_offered_12``, ``sl_offered_30``,
    ``abandon_rate``, ``asa_s``, ``occupancy``, the intervals per colour, and against the
    baseline ``agent_hours_diff`` and ``cost_diff`` (paid hours difference ×
    ``cost_per_agent_hour``)."""
    if not results:
        raise ValueError("nothing to compare")
    if len(results) > MAX_COMPARED:
        raise ValueError(f"compare at most {MAX_COMPARED} scenarios, not {len(results)}")
    if not (math.isfinite(cost_per_agent_hour) and cost_per_agent_hour >= 0):
        raise ValueError(f"cost_per_agent_hour: {cost_per_agent_hour!r} must be >= 0")
    base = next(iter(results.values())).totals
    rows = []
    for name, r in results.items():
        t = r.totals
        row = {"scenario": name}
        for key in (
            "calls",
            "agent_hours",
            "paid_hours",
            "sl_offered_12",
            "sl_offered_30",
            "answer_rate",
            "abandon_rate",
            "asa_s",
            "occupancy",
            "intervals_green",
            "intervals_amber",
            "intervals_red",
        ):
            row[key] = t.get(key)
        row["agent_hours_diff"] = t["agent_hours"] - base["agent_hours"]
        row["paid_hours_diff"] = t["paid_hours"] - base["paid_hours"]
        row["cost_diff"] = row["paid_hours_diff"] * cost_per_agent_hour
        rows.append(row)
    return rows


def comparison_xlsx(
    rows: Sequence[Mapping[str, Any]],
    results: Mapping[str, WeekResult] | None = None,
    out=None,
) -> bytes | None:
    """The comparison as an Excel workbook (xlsxwriter): a ``comparison`` sheet with one
    row per scenario, and a sheet of intervals per scenario when ``results`` are given.
    Written to ``out`` (a path or binary file); with no ``out``, returns the bytes."""
    import xlsxwriter

    buffer = io.BytesIO() if out is None else None
    book = xlsxwriter.Workbook(buffer if out is None else out, {"in_memory": True})
    try:
        head = book.add_format({"bold": True})
        pct = book.add_format({"num_format": "0.0%"})
        num = book.add_format({"num_format": "#,##0.0"})
        sheet = book.add_worksheet("comparison")
        columns = list(rows[0].keys()) if rows else []
        sheet.write_row(0, 0, columns, head)
        for r, row in enumerate(rows, start=1):
            for c, key in enumerate(columns):
                _cell(sheet, r, c, key, row[key], pct, num)
        sheet.set_column(0, max(len(columns) - 1, 0), 14)
        for name, result in (results or {}).items():
            ws = book.add_worksheet(_sheet_name(name, book))
            cols = [k for k in result.intervals[0]] if result.intervals else []
            ws.write_row(0, 0, cols, head)
            for r, row in enumerate(result.intervals, start=1):
                for c, key in enumerate(cols):
                    value = row[key]
                    if isinstance(value, dt.datetime):
                        value = value.strftime("%Y-%m-%d %H:%M")
                    _cell(ws, r, c, key, value, pct, num)
            ws.set_column(0, max(len(cols) - 1, 0), 13)
    finally:
        book.close()
    return buffer.getvalue() if buffer is not None else None


def _cell(sheet, r: int, c: int, key: str, value: Any, pct, num) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(r, c, None)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, (int, float)):
        share = is_share(key)
        sheet.write_number(r, c, float(value), pct if share else num)
    else:
        sheet.write(r, c, str(value))


def _sheet_name(name: str, book) -> str:
    clean = "".join(ch if ch not in "[]:*?/\\" else "_" for ch in name)[:31] or "scenario"
    taken = {ws.get_name() for ws in book.worksheets()}
    k, out = 2, clean
    while out in taken or out == "comparison":
        out = f"{clean[:28]}_{k}"
        k += 1
    return out
