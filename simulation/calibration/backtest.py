"""Backtest: how well does the calibrated model predict this centre?

A planner trusts a simulation only as far as it has predicted the past. ``backtest``
calibrates the model on one period (``train``, with ``cca calibrate``'s logic,
``simulation.calibration.fit``) and simulates another (``test``) that it has not seen,
feeding it what a planner would know in advance or could not have planned away:

* **the test period's own arrivals**: each test day is simulated with that day's
  calls per interval and caller category as its expected calls (the model draws a
  Poisson number around them), on that day's hours (from the first to the last interval
  with calls). Predicting the volume is forecasting's job (``cca forecast``); this
  measures the queue model;
* **the staffing table** of the test days when the store has one (mean agents available
  per interval). Without one, and when answered calls carry agent ids,
  ``staffing="presence"`` (the default then): the agents present on each test day per
  interval (each agent from the answer of their first call of the day to the end of
  their last, less the gaps of over 30 minutes without a call, ``present_agents_sql``:
  what the centre rostered that day, read off the log as the day's arrivals are, not
  the KPIs being predicted) times a share of them
  (its agents also worked other queues, outbound calls and breaks). By default
  (``presence_share_by="load"``) the share depends on the interval's offered load per
  agent present and is learnt by simulating the *training* days with candidate shares
  until each class of load answers the share of calls the centre answered there
  (``learn_load_share``; the shares learnt on the bank's log are in docs/measurements.md). ``slot``, ``period`` and ``weekday_slot`` instead take the share that
  the calibration's agents (the ``fit`` proxy, exact Erlang A) stood for on the training
  days (``presence_share``), with at least the offered load in agents. No waiting or
  abandonment of a test day sets its agents. A day on which more agents were present
  gets more agents, which nothing in the arrivals tells the other modes;
* otherwise the calibration's staffing of that weekday (the ``fit`` proxy), which
  ``staffing="day"`` (the default without agent ids) makes follow the day, as a centre
  rosters for the day it expects: the weekday's agents n = a + β√a for its calibrated
  load a (Erlangs) keep their β — the service grade — at the day's load a × r, r = the
  day's offered load / the weekday's (square-root staffing, Halfin–Whitt), so a quiet
  day keeps relatively more agents than a proportional cut would give it (at least one
  agent, and the busy agents of the day's load, where calls came; at most twice the
  weekday's);
* handling time per caller category: by default (``handling="test"``) the lognormal
  fitted to the test period's own answered calls, the workload taken as given as the
  arrivals are (a forecast gives both); ``"train"``: as calibrated. Patience per caller
  category and the categories' priorities as calibrated on the training period
  (``priorities="data"``: the caller types whose callers waited far less than those
  around them are answered first, far more last — the bank's call-backs ahead,
  prospective customers and internet consulting behind).

It then compares, per test day and for the whole period, the simulated KPIs (mean of
``replications`` replications with a 95% confidence interval) against the actual ones
from the KPI layer: ``answer_rate``, ``abandon_rate``, ``asa_s``, ``sl_offered_12`` and
``sl_offered_30`` (the centre's thresholds), with the error in percentage points for
rates and in percent for ASA.

Units: seconds; rates are shares of offered calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.clock import hhmm
from analytics.errors import check_choice
from analytics.periods import Period
from simulation.queue.scenario import WEEKDAY_NAMES

BACKTEST_KPIS = ("answer_rate", "abandon_rate", "asa_s")
STAFFING_MODES = ("presence", "day", "weekday")
DAY_STAFFING_MAX = 2.0  # a day's agents are at most this multiple of the weekday's
PRESENCE_SHARE_BY = ("load", "slot", "period", "weekday_slot")
# ``load``: candidate shares of the agents present, each simulated on the training days
LOAD_SHARES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
LOAD_BANDS = 4  # classes of offered load per agent present (quartiles of the training calls)
LOAD_REPLICATIONS = 10  # replications of each training day per candidate share, at least
# ... and at least this many simulated training days per candidate share: one week of
# training days with 10 replications left the learnt shares a few hundredths apart from
# seed to seed, which on an overloaded week moves ASA by several percent
LOAD_SIMULATED_DAYS = 140
HANDLING_SOURCES = ("train", "test")


def kpi_names(thresholds_s: Sequence[float]) -> tuple[str, ...]:
    from analytics.kpi.calls import threshold_label

    return (*BACKTEST_KPIS, *(f"sl_offered_{threshold_label(t)}" for t in thresholds_s))


def error_of(kpi: str, predicted: float | None, actual: float | None) -> float | None:
    """Prediction error: percentage points for rates, percent of the actual for ASA."""
    if predicted is None or actual is None:
        return None
    if kpi == "asa_s":
        return None if actual == 0 else (predicted / actual - 1.0) * 100.0
    return (predicted - actual) * 100.0


@dataclass(frozen=True)
class Backtest:
    """``rows``: one per test day (``day`` = ISO date) and a last one for the whole
    period (``day`` = ``all``), each with ``offered_actual``, ``offered_predicted`` and
    per KPI ``<kpi>_actual``, ``<kpi>_predicted``, ``<kpi>_ci_low``, ``<kpi>_ci_high``,
    ``<kpi>_error``. ``staffing_source``: where the agents came from, in words, and
    ``staffing`` as the mode used (``table`` when the store had a staffing table for the
    test days, else ``presence``, ``day`` or ``weekday``); ``agents``: the
    agents simulated per interval of each test day (ISO date → one per interval from
    local midnight)."""

    centre_id: str
    train: Period
    test: Period
    replications: int
    seed: int
    kpis: tuple[str, ...]
    rows: list[dict[str, Any]]
    staffing_source: str
    agents: dict[str, tuple[int, ...]] = field(default_factory=dict)
    presence_fit: dict[str, Any] = field(default_factory=dict)
    staffing: str = ""

    @property
    def total(self) -> dict[str, Any]:
        return self.rows[-1]


def presence_share(
    agents: np.ndarray,
    presence: Sequence[tuple[dt.date, int, float]],
    days_observed: Sequence[int],
    by: str = "slot",
) -> np.ndarray:
    """The share of the agents present (``present_agents_sql`` rows of the training
    days) that the calibration's ``agents`` (weekday × slot, ISO weekday − 1) stand for,
    per weekday × slot: Σ calibrated agents / Σ agents present over the training days,
    pooled over the whole period (``by="period"``), per slot of the day (``slot``) or
    per weekday × slot (``weekday_slot``); where a pool has no presence, the period's."""
    n = agents.shape[1]
    present = np.zeros((7, n))
    for day, slot, value in presence:
        present[day.isoweekday() - 1, slot] += float(value)
    days = np.asarray(days_observed, dtype=float)[:, None]
    present = np.where(agents > 0, present, 0.0)  # only where the calibration staffed
    staffed = np.where(present > 0, agents, 0.0) * days  # agent-slots over the training days
    total = present.sum()
    overall = staffed.sum() / total if total > 0 else 1.0
    if by == "period":
        return np.full((7, n), overall)
    if by == "slot":
        num, den = staffed.sum(axis=0), present.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(den > 0, num / den, overall)
        return np.broadcast_to(share, (7, n)).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(present > 0, staffed / present, overall)


# long: one scenario per test day, each from the same day's arrivals, opening hours, agents and
# handling; the agent sources (table, presence by slot or by load) differ only in a few lines of
# the loop
def _day_scenarios(
    cal,
    arrivals: Sequence[tuple[dt.date, int, Any, int]],
    staffing_rows: Sequence[tuple[dt.date, int, float]],
    test: Period,
    staffing: str,
    presence: tuple[np.ndarray, Sequence[tuple[dt.date, int, float]]] | None = None,
    handling: Mapping[Any, Any] | None = None,
    floor_load: bool = True,
) -> tuple[list, str]:
    """One scenario per test day with calls: the day's arrivals, hours and agents.
    ``presence``: (share, presence rows), the share per ISO weekday − 1 × slot or a
    function ``share(day, present, load)`` of the day's agents present and offered load
    (Erlangs) per slot. ``floor_load``: at least the offered load in agents where calls
    came (else at least one)."""
    from simulation.calibration.queries import presence_words
    from simulation.queue.scenario_file import scenario_from_dict

    base = cal.scenario
    interval_s = base.interval_s
    n = base.intervals_per_day
    by_source = {c.source_name: c for c in cal.categories}
    largest = max(cal.categories, key=lambda c: c.offered)
    cats = {c.name: c for c in base.categories}
    days: dict[dt.date, dict[Any, np.ndarray]] = {}
    for day, slot, category, count in arrivals:
        if test.start <= day <= test.end:
            row = days.setdefault(day, {}).setdefault(category, np.zeros(n))
            row[slot] += count
    table: dict[dt.date, np.ndarray] = {}
    for day, slot, agents in staffing_rows:
        table.setdefault(day, np.zeros(n))[slot] += agents
    week = {
        w: np.asarray(v, dtype=float)
        for w, v in ((d, base.staffing.agents_by_weekday.get(d, (0,) * n)) for d in WEEKDAY_NAMES)
    }
    # Offered load (Erlangs) per weekday × slot that the calibration staffed for.
    calib_load = {w: np.zeros(n) for w in WEEKDAY_NAMES}
    for c in cal.categories:
        aht = c.handling.distribution.mean_s
        for w, rates in c.rates.items():
            calib_load[w] += np.asarray(rates) * aht / interval_s
    present: dict[dt.date, np.ndarray] = {}
    if presence is not None:
        for day, slot, value in presence[1]:
            present.setdefault(day, np.zeros(n))[slot] += float(value)
    if table:
        source = "the staffing table of the test days (mean agents available)"
    elif staffing == "presence" and callable(presence[0]):
        source = (
            f"the agents present on each test day ({presence_words()}) × a share per "
            "interval that depends on its offered load per agent present, learnt by "
            "simulating the training days until each load class answers as the centre did"
        )
    elif staffing == "presence":
        source = (
            f"the agents present on each test day ({presence_words()}) × the share of them "
            f"the calibration's agents ({cal.staffing_proxy}) were on the training days"
        )
    elif staffing == "day":
        source = (
            f"the calibration's agents per weekday ({cal.staffing_proxy}) at each day's "
            "offered load, same square-root service grade"
        )
    else:
        source = f"the calibration's agents per weekday ({cal.staffing_proxy})"
    scenarios = []
    for day in sorted(days):
        counts = days[day]
        total = sum(counts.values())
        slots = np.flatnonzero(total > 0)
        first, last = int(slots[0]), int(slots[-1])
        w = day.isoweekday()
        categories: dict[str, Any] = {}
        load = np.zeros(n)
        for source_name, row in counts.items():
            c = by_source.get(source_name, largest)
            name = c.name if source_name in by_source else f"{largest.name}_other"
            sc_cat = cats[c.name]
            fit = (handling or {}).get(source_name)
            talk = sc_cat.talk if fit is None else fit.distribution
            table_cat: dict[str, Any] = {
                "priority": sc_cat.priority,
                "talk": talk.to_toml(),
                "patience": sc_cat.patience.to_toml(),
                "rates_by_weekday": {WEEKDAY_NAMES[w]: [float(x) for x in row]},
            }
            if name in categories:
                prev = categories[name]["rates_by_weekday"][WEEKDAY_NAMES[w]]
                table_cat["rates_by_weekday"][WEEKDAY_NAMES[w]] = [
                    a + b for a, b in zip(prev, row, strict=True)
                ]
            categories[name] = table_cat
            load += row * talk.mean_s / interval_s
        if table:
            agents = table.get(day, np.zeros(n))
        elif staffing == "presence":
            agents = np.zeros(n)  # the day's hours only: a last call may end after them
            here = present.get(day, np.zeros(n))
            share = presence[0]
            share = share(day, here, load) if callable(share) else share[w - 1]
            agents[first : last + 1] = (here * share)[first : last + 1]
            # a share learnt by simulation already staffs busy intervals as the centre
            # did; the `fit` proxy's share needs the busy agents of the load as a floor
            floor = np.maximum(load, 1.0) if floor_load else 1.0
            agents = np.where(total > 0, np.maximum(agents, floor), agents)
        else:
            agents = week[w].copy()
            if staffing == "day":
                # Square-root staffing: the weekday's agents n = a + β√a for its load a
                # keep their β (the service grade the centre staffed for) at the load of
                # this day, a × (the day's offered load / the weekday's).
                seen = calib_load[w][first : last + 1].sum()
                ratio = load[first : last + 1].sum() / seen if seen > 0 else 1.0
                a = calib_load[w]
                with np.errstate(divide="ignore", invalid="ignore"):
                    beta = np.where(a > 0, (agents - a) / np.sqrt(a), 0.0)
                scaled = a * ratio + beta * np.sqrt(a * ratio)
                agents = np.where(a > 0, np.minimum(scaled, agents * DAY_STAFFING_MAX), agents)
            # someone answers wherever calls came, at least the agents the load keeps busy
            agents = np.where(total > 0, np.maximum(agents, np.maximum(load, 1.0)), agents)
        agents = np.rint(agents).astype(int)
        data = {
            "name": f"{base.name}_{day.isoformat()}"[:64],
            "centre_id": base.centre_id,
            "timezone": base.timezone,
            "start": day,
            "days": 1,
            "interval_s": interval_s,
            "thresholds_s": list(base.thresholds_s),
            "short_abandon_s": base.short_abandon_s,
            "opening_hours": {
                WEEKDAY_NAMES[w]: [f"{hhmm(first * interval_s)}-{hhmm((last + 1) * interval_s)}"]
            },
            "categories": categories,
            "staffing": {"per_interval": [int(a) for a in agents]},
        }
        scenarios.append(scenario_from_dict(data, source=f"backtest day {day}"))
    return scenarios, source


def _presence(con, centre, cal, train: Period, test: Period, interval_s: int, by: str):
    """(share of presence per weekday × slot learnt on ``train``, presence rows of
    ``test``, presence rows of ``train``), or None when either period has no agent ids on
    answered calls."""
    from simulation.calibration.queries import present_agents_sql

    rows = {}
    for name, period in (("train", train), ("test", test)):
        start, end = period.bounds(centre.tz)
        rows[name] = con.execute(
            present_agents_sql(),
            [centre.timezone, centre.centre_id, start, end, *[interval_s] * 8],
        ).fetchall()
        if not rows[name]:
            return None
    fit = cal.agents_fit
    if fit is not None:
        agents = np.where(fit.how != "", fit.agents, 0.0)  # before rounding, open slots
    else:
        week = cal.scenario.staffing.agents_by_weekday
        n = cal.scenario.intervals_per_day
        agents = np.array([week.get(w, (0,) * n) for w in range(1, 8)], dtype=float)
    days = [cal.days_observed.get(w, 0) for w in range(1, 8)]
    return presence_share(agents, rows["train"], days, by), rows["test"], rows["train"]


# long: the learning loop of one estimate: simulate the training days at each share, read each
# interval's answered share, fit the share per class of load; its steps share the days'
# scenarios and seeds
def learn_load_share(
    con,
    centre,
    cal,
    train: Period,
    present,
    interval_s: int,
    run,
    seed: int,
    *,
    replications_min: int = LOAD_REPLICATIONS,
    simulated_days: int = LOAD_SIMULATED_DAYS,
):
    """A share of the agents present that depends on the interval's offered load per
    agent present (Erlangs / agents present), learnt on ``train`` by simulation alone.

    The training days are simulated (``LOAD_REPLICATIONS`` each, more when there are
    fewer than ``LOAD_SIMULATED_DAYS`` / ``LOAD_REPLICATIONS`` of them; their own arrivals and
    agents present, the calibration's handling times and patience) with each of
    ``LOAD_SHARES`` × their agents present; their intervals fall in ``LOAD_BANDS``
    classes of load per agent present (quantiles weighted by the training calls), and
    each class gets the share at which the simulation answers the share of that class's
    calls that the centre answered (interpolated between the candidates). A quiet
    interval and a busy one thus get the share that reproduces the centre *there*:
    the `fit` proxy (exact Erlang A) and the simulation disagree on quiet intervals.

    ``present``: the training days' ``present_agents_sql`` rows. Returns
    (``share(day, present, load)`` → share per slot, the fit as a dict). ``run(jobs)``
    runs ``run_replication`` jobs in order. ``replications_min`` and ``simulated_days``:
    the budget (``LOAD_REPLICATIONS``, ``LOAD_SIMULATED_DAYS``; the intraday projection
    learns on fewer)."""
    import pandas as pd

    from analytics.kpi import call_kpis
    from simulation.calibration.queries import arrivals_sql

    name = {900: "15min", 1800: "30min", 3600: "60min"}.get(interval_s)
    if name is None:  # before the simulations, not after them
        raise ValueError(
            f"presence_share_by load needs 15, 30 or 60-min intervals, not {interval_s} s"
        )
    start, end = train.bounds(centre.tz)
    params = [centre.timezone, centre.centre_id, start, end, interval_s]
    arrivals = _in_order(con.execute(arrivals_sql(), params).fetchall())
    ratio: dict[dt.date, np.ndarray] = {}  # training day -> load per agent present per slot

    def load_per_agent(here, load):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(here > 0, load / here, np.inf)

    def constant(value):
        def share(day, here, load):
            ratio[day] = load_per_agent(here, load)
            return np.full(len(here), value)

        return share

    jobs, tags = [], []
    # Each training day draws its own streams (the same for every candidate share, so
    # the candidates are compared on the same calls). One set of seeds for all days would
    # give every day the same handling-time and patience draws: their luck would not
    # average out over the days, and the learnt share would move with the seed by
    # several hundredths, which on the bank's overloaded hours is several points.
    day_seeds: dict[dt.date, list[int]] = {}
    training_days = len({r[0] for r in arrivals})
    replications = max(replications_min, -(-simulated_days // max(training_days, 1)))

    def seeds_of(day: dt.date) -> list[int]:
        if day not in day_seeds:
            entropy = [seed + 1, day.toordinal()]  # not the test days' streams
            day_seeds[day] = [
                int(c.generate_state(1, dtype=np.uint64)[0])
                for c in np.random.SeedSequence(entropy).spawn(replications)
            ]
        return day_seeds[day]

    for value in LOAD_SHARES:
        scenarios, _ = _day_scenarios(
            cal, arrivals, [], train, "presence", (constant(value), present), floor_load=False
        )
        for sc in scenarios:
            jobs.extend((sc, s, k) for k, s in enumerate(seeds_of(sc.start)))
            tags.extend([value] * replications)
    parts = []
    for value, frame in zip(tags, run(jobs), strict=True):
        t = frame["arrived_at"]
        parts.append(
            pd.DataFrame(
                {
                    "share": value,
                    "day": t.dt.date,
                    "slot": (t.dt.hour * 3600 + t.dt.minute * 60 + t.dt.second) // interval_s,
                    "answered": frame["outcome"] == "answered",
                }
            )
        )
    simulated = pd.concat(parts).groupby(["share", "day", "slot"])["answered"].agg(["size", "sum"])
    rows = []
    for r in call_kpis(con, centre, period=train, interval=name, percentile=False):
        t = r["interval_start"]
        day, slot = t.date(), (t.hour * 3600 + t.minute * 60) // interval_s
        if r["offered"] and day in ratio:
            rows.append((day, slot, r["offered"], r["answered"], ratio[day][slot]))
    actual = pd.DataFrame(rows, columns=["day", "slot", "offered", "answered", "x"])
    finite = actual[np.isfinite(actual["x"])].sort_values("x")
    if finite.empty:
        edges = np.zeros(0)
    else:
        weight = finite["offered"].cumsum().to_numpy(dtype=float)
        q = np.arange(1, LOAD_BANDS) / LOAD_BANDS * weight[-1]
        edges = np.interp(q, weight, finite["x"].to_numpy())
    actual["band"] = np.searchsorted(edges, actual["x"].to_numpy())
    shares = []
    for band in range(LOAD_BANDS):
        cells = actual[actual["band"] == band]
        keys = pd.MultiIndex.from_frame(cells[["day", "slot"]])
        rates = []
        for value in LOAD_SHARES:
            sim = simulated.loc[value].reindex(keys, fill_value=0)
            rates.append(sim["sum"].sum() / sim["size"].sum() if sim["size"].sum() else 0.0)
        rates = np.maximum.accumulate(rates)  # more agents answer no fewer calls
        if cells["offered"].sum():
            target = cells["answered"].sum() / cells["offered"].sum()
            shares.append(float(np.interp(target, rates, LOAD_SHARES)))
        else:
            shares.append(shares[-1] if shares else 1.0)

    def share(day, here, load):
        return np.asarray(shares)[np.searchsorted(edges, load_per_agent(here, load))]

    return share, {
        "load_per_agent_edges": [float(e) for e in edges],
        "shares": shares,
        "replications": replications,  # of each training day per candidate share
    }


def _in_order(arrivals):
    """Arrival rows by day, slot and category: SQL's GROUP BY returns them in any order,
    and the order of a day's categories sets which random streams they draw, so the same
    seed would not give the same replications without it."""
    return sorted(arrivals, key=lambda r: (r[0], r[1], str(r[2])))


# long: the backtest's pipeline in order (calibrate on train, build each test day, simulate on
# the executor, compare with the day's actuals, report), sharing the executor, seeds and
# progress
def backtest_model(
    con,
    centre,
    train: Period,
    test: Period,
    *,
    replications: int = 10,
    seed: int = 0,
    interval_s: int = 1800,
    staffing: str | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    calibration_options: dict[str, Any] | None = None,
    presence_share_by: str = "load",
    handling: str = "test",
) -> Backtest:
    """Calibrate ``centre`` on ``train`` and simulate ``test`` with its own arrivals (see
    the module docstring); ``replications`` per day from ``seed``. ``staffing``, when
    the store has no staffing table for the test days: ``presence`` (each test day's
    agents present × a share learnt on the training days: ``presence_share_by="load"``
    per class of load per agent present, by simulation; ``slot``, ``period`` or
    ``weekday_slot``, the calibrated agents over the agents present, pooled so; needs
    agent ids), ``day`` (the
    calibration's agents follow each day's load) or ``weekday`` (as calibrated); None:
    ``presence`` where the calls carry agent ids, else ``day``. ``handling``: handling
    times per category of the ``test`` period (default) or of the ``train`` period.
    ``presence_fit``: the load classes' edges and shares learnt (``load``). Replications
    run on ``executor``, else a local pool of ``workers`` processes.
    ``calibration_options``: keyword arguments of ``calibrate`` (default
    ``priorities="data"``)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    from analytics.kpi import call_kpis
    from simulation.calibration.fit import calibrate, handling_fits
    from simulation.calibration.queries import arrivals_sql, staffing_sql
    from simulation.queue.model import run_replication
    from simulation.queue.replications import (
        progress_bar,
        replication_kpis,
        replication_seeds,
        summarise,
    )

    if staffing is not None:
        check_choice("staffing", staffing, STAFFING_MODES)
    check_choice("presence_share_by", presence_share_by, PRESENCE_SHARE_BY)
    check_choice("handling", handling, HANDLING_SOURCES)
    if replications < 1:
        raise ValueError(f"replications: {replications!r} must be >= 1")
    if test.start <= train.end and train.start <= test.end:
        raise ValueError(f"test {test.label} overlaps train {train.label}: hold out other days")
    options = {"priorities": "data", **(calibration_options or {})}
    cal = calibrate(con, centre, train, interval_s=interval_s, **options)
    start, end = test.bounds(centre.tz)
    params = [centre.timezone, centre.centre_id, start, end, interval_s]
    arrivals = _in_order(con.execute(arrivals_sql(), params).fetchall())
    if not arrivals:
        raise ValueError(f"centre {centre.centre_id} has no calls in {test.label}")
    staffed = con.execute(staffing_sql(), [*params[:4], *[interval_s] * 8]).fetchall()
    presence = None
    if not staffed and staffing in (None, "presence"):
        presence = _presence(con, centre, cal, train, test, interval_s, presence_share_by)
        if presence is None and staffing == "presence":
            raise ValueError(
                f"staffing presence needs agent ids on answered calls of {train.label} and "
                f"{test.label}; centre {centre.centre_id} has none"
            )
    if staffing is None:
        staffing = "presence" if presence is not None else "day"
    own_handling = (
        handling_fits(con, [centre.centre_id, start, end]) if handling == "test" else None
    )
    own = None
    if executor is None and (workers is None or workers > 1):
        own = executor = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)

    frames = []
    try:
        with progress_bar(progress) as bar:

            def run(jobs, what="learning the presence shares on " + train.label):
                task = bar.add_task(f"backtest {centre.centre_id}: {what}", total=len(jobs))
                if executor is None:
                    results = (run_replication(*j) for j in jobs)
                else:
                    futures = [executor.submit(run_replication, *j) for j in jobs]
                    results = (f.result() for f in futures)
                for frame in results:
                    yield frame
                    bar.advance(task)

            by_load = (
                presence is not None and staffing == "presence" and presence_share_by == "load"
            )
            if by_load:
                share, fit = learn_load_share(
                    con, centre, cal, train, presence[2], interval_s, run, seed
                )
                presence = (share, presence[1])
            scenarios, source = _day_scenarios(
                cal,
                arrivals,
                staffed,
                test,
                staffing,
                presence,
                own_handling,
                floor_load=not by_load,
            )
            if by_load:
                source += (
                    " (shares "
                    + ", ".join(f"{v:.2f}" for v in fit["shares"])
                    + " for Erlangs per agent present split at "
                    + ", ".join(f"{e:.2f}" for e in fit["load_per_agent_edges"])
                    + ")"
                )
            seeds = replication_seeds(seed, replications)
            jobs = [(sc, s, k) for sc in scenarios for k, s in enumerate(seeds)]
            frames.extend(run(jobs, f"simulating {test.label}"))
    finally:
        if own is not None:
            own.shutdown()
    records = pd.concat(frames, ignore_index=True)
    for col in ("category", "topic", "site", "channel", "agent_id", "scenario", "queue"):
        if col in records.columns and records[col].dtype == object:
            records[col] = records[col].astype("category")
    thresholds = tuple(centre.sl_thresholds_s)
    names = kpi_names(thresholds)
    ref = scenarios[0]
    sims_day = summarise(
        replication_kpis(records, ref, interval="day", thresholds_s=thresholds),
        range(replications),
        ["offered", *names],
        ["interval_start"],
    )
    sim_all = summarise(
        replication_kpis(records, ref, thresholds_s=thresholds),
        range(replications),
        ["offered", *names],
    )[0]
    actual_day = {
        r["interval_start"].date(): r
        for r in call_kpis(con, centre, period=test, interval="day", thresholds_s=thresholds)
    }
    actual_all = call_kpis(con, centre, period=test, thresholds_s=thresholds)[0]
    rows = []
    for sim in sorted(sims_day, key=lambda r: r["interval_start"]):
        day = sim["interval_start"].date()
        rows.append(_row(day.isoformat(), sim, actual_day.get(day, {}), names))
    rows.append(_row("all", sim_all, actual_all, names))
    return Backtest(
        centre_id=centre.centre_id,
        train=train,
        test=test,
        replications=replications,
        seed=seed,
        kpis=names,
        rows=rows,
        staffing_source=source,
        agents={sc.start.isoformat(): tuple(sc.staffing.per_interval) for sc in scenarios},
        presence_fit=fit if by_load else {},
        staffing="table" if staffed else staffing,
    )


def _row(day: str, sim: dict, actual: dict, names: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "day": day,
        "offered_actual": actual.get("offered"),
        "offered_predicted": sim.get("offered"),
    }
    for k in names:
        a, p = actual.get(k), sim.get(k)
        row[f"{k}_actual"] = a
        row[f"{k}_predicted"] = p
        row[f"{k}_ci_low"] = sim.get(f"{k}_ci_low")
        row[f"{k}_ci_high"] = sim.get(f"{k}_ci_high")
        row[f"{k}_error"] = error_of(k, p, a)
    return row
