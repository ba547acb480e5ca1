"""Calibration: a scenario of a centre as its history shows it.

A planner's "what if" should start from "what is": how many calls of each caller
category arrive in each half hour of each weekday, how long agents spend on them, how
long callers are willing to wait, and how many agents were there. ``calibrate`` reads
these from the store (DuckDB aggregates over the period, never a loop over calls) and
returns a scenario that ``cca simulate`` and ``cca staff`` run:

* **arrival rates** per weekday × interval × category: the calls that arrived in that
  local interval over the period, divided by the number of those weekdays in the period
  that had any calls (a day without a single call is a closure or a gap in the log, not a
  quiet day);
* **opening hours**: the intervals in which calls arrived on at least half of that
  weekday's days (plus short gaps between such intervals that had some calls), or the
  centre's business calendar. Calls outside them are counted and left out;
* **handling time** per category: a lognormal fitted by maximum likelihood to talk + hold +
  after-call work of answered calls (μ and σ are the mean and the population standard
  deviation of the log durations, the MLE with location 0). It is written as the talk
  time of the scenario (hold and after-call work are inside it) with the MLE's σ and μ
  moved so that its mean is the sample mean: real handling times have a heavier tail
  than the lognormal, whose MLE mean overstates the load (measured on the bank's log in
  docs/measurements.md);
* **patience** per category by Kaplan–Meier, as in Brown et al., "Statistical analysis
  of a telephone call center" (JASA 2005): the wait of an abandoned call is an observed
  patience; answered and timed-out calls are censored at their wait (the caller would
  have waited at least that long). The naive mean wait of abandoned calls
  (``avg_abandon_wait_s``) underestimates patience badly, because the patient callers are
  the ones who get answered. The scenario gets the Kaplan–Meier distribution itself
  (``empirical``; the mass the curve leaves above the longest observed wait is spread
  over an exponential tail with the censored-exponential mean) or, on request, the
  exponential fit (mean = total waiting time of all calls / abandons, the censored MLE);
* **staffing**: mean agents available per weekday × interval from the store's staffing
  table. Without one, a proxy (``staffing_proxy``). By default ``fit``: the agents n for
  which exact Erlang A (the interval's calibrated calls, their load-weighted AHT and the
  call-weighted hazard of the categories' exponential patience) loses the share of
  callers that abandoned in that weekday × interval, pooled over the period's days of
  that weekday — the abandonment is what the log shows of how many agents there were.
  n is held between the agents busy on the answered calls (offered load × answered
  share) and a + 4√a + 1; an interval with fewer than ``FIT_MIN_CALLS`` calls or no
  abandon keeps ``busy``: the handling seconds of answered calls that fall in the
  interval (from the moment of answer) divided by its length, over a realistic
  occupancy (0.85). That occupancy is a guess, and a wrong one wherever the queue is
  quiet or overloaded. ``answering`` counts every agent who answered a call in the
  interval, ``shifts`` every agent between the first and the last call of their day;
  both overstate the agents working this queue, as agents in such logs also work other
  queues, outbound calls and breaks (how each proxy simulates the bank's February 1999
  against the real month: docs/measurements.md). Without agent ids or handling times,
  Erlang A's agents for ``sl_offered_T1 >= 0.8``.

Units: seconds for durations, calls per interval for rates.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from analytics.centres import Centre
from analytics.clock import hhmm, seconds_of_day
from analytics.errors import check_choice
from analytics.periods import Period
from simulation.calibration.abandonment import AgentsFit, agents_for_abandonment
from simulation.calibration.estimates import (
    Calibration,
    CategoryCalibration,
    HandlingFit,
    PatienceEstimate,
)
from simulation.calibration.patience import (
    KaplanMeier,
    exponential_patience_s,
    patience_distribution,
)
from simulation.calibration.queries import (
    agents_answering_sql,
    arrivals_sql,
    busy_agents_sql,
    handling_sql,
    mix_sql,
    outcomes_sql,
    patience_sql,
    presence_words,
    present_agents_sql,
    relative_wait_sql,
    staffing_sql,
)
from simulation.queue.distributions import Exponential, Fixed
from simulation.queue.scenario import WEEKDAY_NAMES, open_runs
from simulation.queue.scenario_file import scenario_from_dict, scenario_toml

STAFFING_PROXIES = ("fit", "busy", "shifts", "answering")
DEFAULT_OCCUPANCY = 0.85  # a typical inbound centre's share of logged-in time on calls
# The fit proxy reads agents off an interval's abandonment share only where it has at
# least this many calls (pooled over the period's days of that weekday) and one abandon.
# Below 50 calls one abandon more or less moves the share by 2 points or more, which is
# about the difference one agent makes at such loads (1–2 Erlangs), so the agents read
# off it would be noise of the size of the whole staffing; busy time is steadier there.
FIT_MIN_CALLS = 50
# The fit's ceiling: a + 4√a + 1 agents for a load of a Erlangs. Square-root staffing
# with β = 4 leaves Erlang C a chance of waiting of ~3e-5 (Halfin–Whitt), so abandonment
# above that staffing is invisible; a share that needs more came from something Erlang A
# does not model (a surge, a queue closed early), not from more agents.
FIT_CAP_BETA = 4.0
FIT_OUTCOMES = ("fit", "floor", "cap", "few_calls", "no_abandons")
PRIORITY_MODES = ("none", "data")
# Priority from waits (``priorities="data"``): a category whose callers wait, hour by hour,
# less than PRIORITY_HIGH times the callers around them is answered first; more than
# PRIORITY_LOW times, last. In between, by arrival. FIFO would give every category of an
# hour the same waits (up to patience), so a ratio far from 1 is the queue's discipline.
PRIORITY_HIGH = 0.75
PRIORITY_LOW = 1.25
_CATEGORY_NAME = re.compile(r"[^A-Za-z0-9_\-]")


def priority_levels(rows: Sequence[tuple[Any, int, float | None]]) -> dict[Any, int]:
    """Priority (0 first, 1, 2 last) per category from ``relative_wait_sql`` rows: below
    ``PRIORITY_HIGH`` 0, above ``PRIORITY_LOW`` 2, else 1; all 0 when every category
    falls in one class (nothing to tell apart)."""
    levels = {}
    for category, _calls, relative in rows:
        if relative is None:
            levels[category] = 1
        elif relative < PRIORITY_HIGH:
            levels[category] = 0
        elif relative > PRIORITY_LOW:
            levels[category] = 2
        else:
            levels[category] = 1
    if len(set(levels.values())) <= 1:
        return dict.fromkeys(levels, 0)
    return levels


# --------------------------------------------------------------------------- calibrate


def _scenario_category_names(values: Sequence[str | None]) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    used: set[str] = set()
    for v in values:
        base = "unknown" if v is None or not str(v).strip() else str(v).strip()
        base = _CATEGORY_NAME.sub("_", base)[:60]
        if not base[0].isalnum():
            base = "c" + base
        name, k = base, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        out[v] = name
    return out


def slot_spans(open_slots: np.ndarray, interval_s: int) -> tuple[tuple[str, str], ...]:
    return tuple(
        (hhmm(i * interval_s), hhmm((j + 1) * interval_s)) for i, j in open_runs(open_slots)
    )


def hours_from_data(
    days_with_calls: np.ndarray, calls: np.ndarray, days_observed: np.ndarray
) -> np.ndarray:
    """Open (weekday × slot): calls on at least half the weekday's days, plus gaps between
    open slots of the same day that had some calls."""
    open_ = days_with_calls * 2 >= np.maximum(days_observed, 1)[:, None]
    open_ &= days_observed[:, None] > 0
    for w in range(7):
        idx = np.flatnonzero(open_[w])
        if len(idx) > 1:
            inside = np.zeros_like(open_[w])
            inside[idx[0] : idx[-1] + 1] = True
            open_[w] |= inside & (calls[w] > 0)
    return open_


def _hours_from_calendar(centre: Centre, interval_s: int) -> np.ndarray:
    """The centre's weekly opening hours, widened to whole intervals."""
    n = 86400 // interval_s
    open_ = np.zeros((7, n), dtype=bool)
    for day, spans in centre.opening_hours.items():
        if day in centre.weekend:
            continue
        for start, end in spans:
            a = seconds_of_day(start, "opening hours")
            b = seconds_of_day(end, "opening hours")
            open_[day - 1, a // interval_s : math.ceil(b / interval_s)] = True
    return open_


# long: the calibration's steps in order (arrivals, categories and priorities, handling,
# patience, hours, agents), each recorded in the findings as it goes; the estimators are in
# queries, patience and abandonment
def calibrate(
    con,
    centre: Centre,
    period: Period,
    *,
    interval_s: int = 1800,
    days: int = 7,
    hours: str = "data",
    patience: str = "empirical",
    name: str | None = None,
    staffing_proxy: str = "fit",
    occupancy: float = DEFAULT_OCCUPANCY,
    priorities: str = "none",
    with_toml: bool = True,
) -> Calibration:
    """Calibrate a scenario of ``centre`` from its calls (and staffing) in ``period``.

    ``interval_s``: interval length (s) of the rates and staffing; ``days``: days the
    scenario simulates, from the first day of the period; ``hours``: ``data`` (where calls
    arrive) or ``calendar`` (the centre's business calendar); ``patience``: ``empirical``
    (Kaplan–Meier) or ``exponential`` (censored MLE). ``staffing_proxy`` (used when the
    store has no staffing for the period): ``fit`` (the Erlang A agents that give each
    weekday × interval's observed abandonment; ``busy`` where it cannot tell), ``busy``
    (busy agents / ``occupancy``), ``shifts`` (first to last call of each agent's day,
    less gaps of over 30 minutes)
    or ``answering`` (distinct agents answering). ``priorities``: ``none`` (every
    category answered in order of arrival) or ``data`` (``priority_levels``: categories
    whose callers waited far less than those around them go first, far more last).
    ``with_toml=False`` leaves ``toml`` empty (rendering it is a tenth of the work; the
    intraday projection never writes it).
    Raises ``ValueError`` when the period has no calls or an argument is out of range.
    """
    check_choice("priorities", priorities, PRIORITY_MODES)
    check_choice("staffing_proxy", staffing_proxy, STAFFING_PROXIES)
    if not 0 < occupancy <= 1:
        raise ValueError(f"occupancy must be in (0, 1], not {occupancy!r}")
    if hours not in ("data", "calendar"):
        raise ValueError(f"hours must be 'data' or 'calendar', not {hours!r}")
    if patience not in ("empirical", "exponential"):
        raise ValueError(f"patience must be 'empirical' or 'exponential', not {patience!r}")
    if interval_s < 60 or 86400 % interval_s:
        raise ValueError(f"interval_s {interval_s!r} must divide a day (900, 1800, 3600, …)")
    n_slots = 86400 // interval_s
    start, end = period.bounds(centre.tz)
    zone = centre.timezone
    bounds = [centre.centre_id, start, end]

    # Arrivals per (date, slot, category).
    arrivals = con.execute(arrivals_sql(), [zone, *bounds, interval_s]).fetchall()
    if not arrivals:
        raise ValueError(
            f"centre {centre.centre_id} has no calls in {period.label} "
            f"({period.start}..{period.end})"
        )
    source_names = sorted({r[2] for r in arrivals}, key=lambda v: (v is not None, str(v)))
    names = _scenario_category_names(source_names)
    col = {v: k for k, v in enumerate(source_names)}
    days_seen = sorted({r[0] for r in arrivals})
    days_observed = np.zeros(7, dtype=np.int64)
    for d in days_seen:
        days_observed[d.isoweekday() - 1] += 1
    calls = np.zeros((7, n_slots, len(source_names)))
    day_slot: set[tuple[dt.date, int]] = set()
    for day, slot, category, n in arrivals:
        calls[day.isoweekday() - 1, slot, col[category]] += n
        day_slot.add((day, slot))
    days_with_calls = np.zeros((7, n_slots), dtype=np.int64)
    for day, slot in day_slot:
        days_with_calls[day.isoweekday() - 1, slot] += 1
    total_calls = calls.sum(axis=2)
    if hours == "data":
        open_ = hours_from_data(days_with_calls, total_calls, days_observed)
    else:
        open_ = _hours_from_calendar(centre, interval_s)
    outside = int(total_calls[~open_].sum())
    rates = np.where(
        open_[:, :, None], calls / np.maximum(days_observed, 1)[:, None, None], 0.0
    )  # (weekday, slot, category) calls per interval

    # Handling times, patience and the KPI layer's naive figures.
    handling = {r[0]: r[1:] for r in con.execute(handling_sql(), bounds).fetchall()}
    km_rows: dict[Any, list[tuple[float, int, int]]] = {}
    for category, wait, events, censored in con.execute(patience_sql(), bounds).fetchall():
        km_rows.setdefault(category, []).append((wait, events, censored))
    from analytics.kpi import call_kpis

    kpis = {r["category"]: r for r in call_kpis(con, centre, period=period, by=("category",))}
    overall = handling_fit_of_all(con, bounds)
    mixes = {c: _mix(con, c, bounds) for c in ("topic", "site", "channel")}
    levels = (
        priority_levels(con.execute(relative_wait_sql(), [zone, *bounds]).fetchall())
        if priorities == "data"
        else {}
    )

    categories = []
    for source in source_names:
        rows = km_rows.get(source, [])
        km = KaplanMeier.from_counts(
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        )
        abandons = km.n_events
        exp_mean = exponential_patience_s(sum(r[0] * (r[1] + r[2]) for r in rows), abandons)
        if patience == "exponential":
            dist = Exponential(exp_mean) if math.isfinite(exp_mean) else Fixed(math.inf)
        else:
            dist = patience_distribution(km, exp_mean)
        answered, fitted, mu, sigma, mean = handling.get(source, (0, 0, None, None, None))
        fit = (
            HandlingFit(int(answered), int(fitted), float(mu), float(sigma or 0.0), float(mean))
            if fitted
            else HandlingFit(int(answered), 0, overall.mu, overall.sigma, overall.mean_s)
        )
        kpi = kpis.get(source, {})
        j = col[source]
        categories.append(
            CategoryCalibration(
                name=names[source],
                source_name=source,
                offered=int(calls[:, :, j].sum()),
                rates={w + 1: tuple(float(x) for x in rates[w, :, j]) for w in range(7)},
                handling=fit,
                patience=PatienceEstimate(
                    km=km,
                    abandoned=abandons,
                    exponential_mean_s=exp_mean,
                    naive_mean_s=kpi.get("avg_abandon_wait_s"),
                    distribution=dist,
                ),
                aht_s=kpi.get("aht_s"),
                topics=_shares(mixes["topic"], source),
                priority=levels.get(source, 0),
            )
        )

    opening_hours = {w + 1: slot_spans(open_[w], interval_s) for w in range(7)}
    staffing, staffing_source, staffing_used, agents_fit = _staffing(
        con,
        centre,
        [zone, *bounds, interval_s],
        open_,
        days_observed,
        categories,
        interval_s,
        staffing_proxy,
        occupancy,
    )
    data = _scenario_data(
        centre,
        period,
        interval_s=interval_s,
        days=days,
        name=name,
        opening_hours=opening_hours,
        categories=categories,
        staffing=staffing,
        sites=_shares(mixes["site"], None),
        channels=_shares(mixes["channel"], None),
    )
    scenario = scenario_from_dict(data, source="calibrated scenario")
    calibration = Calibration(
        centre=centre,
        period=period,
        interval_s=interval_s,
        days_observed={w + 1: int(days_observed[w]) for w in range(7)},
        categories=tuple(categories),
        opening_hours=opening_hours,
        hours_source="calls (intervals with calls on at least half the days)"
        if hours == "data"
        else "the centre's business calendar",
        staffing_source=staffing_source,
        calls_outside_hours=outside,
        data=data,
        scenario=scenario,
        toml="",
        staffing_proxy=staffing_used,
        agents_fit=agents_fit,
    )
    if not with_toml:
        return calibration
    text = _header(calibration) + scenario_toml(data)
    return replace(calibration, toml=text)


def handling_fits(con, bounds: list) -> dict[Any, HandlingFit]:
    """Lognormal handling-time fits per category (``handling_sql``) of the categories
    with a positive handling time. ``bounds``: centre id, start, end."""
    return {
        r[0]: HandlingFit(int(r[1]), int(r[2]), float(r[3]), float(r[4] or 0.0), float(r[5]))
        for r in con.execute(handling_sql(), bounds).fetchall()
        if r[2]
    }


def handling_fit_of_all(con, bounds: list) -> HandlingFit:
    """The lognormal fit over every category (a fallback for a category without any)."""
    row = con.execute(
        "WITH h AS (SELECT coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0) AS h "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        "AND outcome = 'answered') SELECT count(*), count_if(h > 0), "
        "avg(ln(greatest(h, 1e-300))) FILTER (WHERE h > 0), "
        "stddev_pop(ln(greatest(h, 1e-300))) FILTER (WHERE h > 0), "
        "avg(h) FILTER (WHERE h > 0) FROM h",
        bounds,
    ).fetchone()
    if not row[1]:
        raise ValueError("no answered call in the period has a handling time (talk_s etc.)")
    return HandlingFit(int(row[0]), int(row[1]), float(row[2]), float(row[3] or 0.0), float(row[4]))


def _mix(con, column: str, bounds: list) -> dict[Any, list[tuple[str, int]]]:
    out: dict[Any, list[tuple[str, int]]] = {}
    for category, value, n in con.execute(mix_sql(column), bounds).fetchall():
        out.setdefault(category, []).append((str(value), int(n)))
        out.setdefault(_ALL, []).append((str(value), int(n)))
    return out


_ALL = object()  # key of the mix over every category


def _shares(mix: Mapping[Any, list[tuple[str, int]]], category: Any) -> tuple:
    """Shares of each value among the calls of ``category`` (None: all calls), rounded so
    that they still add up to 1."""
    counts: dict[str, int] = {}
    for value, n in mix.get(_ALL if category is None else category, []):
        counts[value] = counts.get(value, 0) + n
    total = sum(counts.values())
    if not total:
        return ()
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shares = [(k, round(v / total, 6)) for k, v in items]
    drift = 1.0 - sum(s for _, s in shares)
    shares[0] = (shares[0][0], round(shares[0][1] + drift, 9))
    return tuple(shares)


def _per_weekday(
    rows: Sequence[tuple[dt.date, int, float]], n_slots: int, days_observed: np.ndarray
) -> np.ndarray:
    """Mean per weekday × slot of per-day values (days without a row count as 0)."""
    total = np.zeros((7, n_slots))
    for day, slot, value in rows:
        total[day.isoweekday() - 1, slot] += float(value)
    return total / np.maximum(days_observed, 1)[:, None]


def _staffing(
    con,
    centre: Centre,
    params: list,
    open_: np.ndarray,
    days_observed: np.ndarray,
    categories: Sequence[CategoryCalibration],
    interval_s: int,
    proxy: str = "fit",
    occupancy: float = DEFAULT_OCCUPANCY,
) -> tuple[dict[str, Any], str, str, AgentsFit | None]:
    """agents_by_weekday for the scenario, where the numbers came from (in words and
    as the proxy's name) and, for the ``fit`` proxy, what it did per interval."""
    n_slots = open_.shape[1]
    rows = con.execute(staffing_sql(), [*params[:4], *[interval_s] * 8]).fetchall()
    fit = None
    if rows:
        staffed_days = np.zeros(7, dtype=np.int64)
        for d in {r[0] for r in rows}:
            staffed_days[d.isoweekday() - 1] += 1
        agents = _per_weekday(rows, n_slots, staffed_days)
        source, used = "the staffing table (mean agents available)", "table"
    else:
        zone_bounds = params[:4]
        busy_text = (
            f"busy agents (handling seconds per interval / its length) at occupancy {occupancy:g}"
        )
        if proxy in ("busy", "fit"):
            rows = con.execute(busy_agents_sql(), [*zone_bounds, *[interval_s] * 8]).fetchall()
            what = f"{busy_text} (no staffing table)"
        elif proxy == "shifts":
            rows = con.execute(present_agents_sql(), [*zone_bounds, *[interval_s] * 8]).fetchall()
            what = f"agents present ({presence_words()}; no staffing table)"
        else:
            rows = con.execute(agents_answering_sql(), params).fetchall()
            what = "distinct agents answering calls (no staffing table)"
        if rows:
            agents = _per_weekday(rows, n_slots, days_observed)
            if proxy in ("busy", "fit"):
                # whole agents, at least one wherever calls were handled
                agents = np.where(agents > 0, np.maximum(agents / occupancy, 1.0), 0.0)
            source, used = what, proxy
            if proxy == "fit":
                outcomes = con.execute(outcomes_sql(), params).fetchall()
                fit = _fit_agents(outcomes, agents, open_, categories, interval_s)
                agents = fit.agents
                source = (
                    f"Erlang A agents that lose each weekday × interval's observed share of "
                    f"abandoned callers (load-weighted AHT, exponential patience) in "
                    f"{fit.count('fit')} intervals ({fit.count('floor')} more held at the busy "
                    f"agents, {fit.count('cap')} at the cap a + {FIT_CAP_BETA:g}√a + 1); "
                    f"{busy_text} in {fit.count('few_calls')} with fewer than "
                    f"{FIT_MIN_CALLS} calls and {fit.count('no_abandons')} without abandons "
                    "(no staffing table)"
                )
        else:
            agents = _erlang_agents(centre, categories, interval_s, n_slots)
            source = "Erlang A for sl_offered_T1 >= 0.8 (no staffing table, no agent ids)"
            used = "erlang_a"
    whole = np.where(open_, np.rint(agents), 0).astype(int)
    return (
        {"agents_by_weekday": {WEEKDAY_NAMES[w + 1]: whole[w].tolist() for w in range(7)}},
        source,
        used,
        fit,
    )


def _fit_agents(
    outcomes: Sequence[tuple[dt.date, int, int, int, int]],
    busy: np.ndarray,
    open_: np.ndarray,
    categories: Sequence[CategoryCalibration],
    interval_s: int,
) -> AgentsFit:
    """The ``fit`` proxy: per open weekday × slot, the Erlang A agents that lose the
    share of callers who abandoned there (pooled over the period's days of that weekday),
    from the calibrated calls per interval, their load-weighted AHT and the call-weighted
    hazard of the categories' exponential patience (censored MLE: the exponential that
    fits the same waits and abandons, as Erlang A's patience is exponential). Held
    between the agents busy on answered calls (offered load × answered share: fewer
    cannot carry what was carried) and a + 4√a + 1; intervals with fewer than
    ``FIT_MIN_CALLS`` calls or no abandon keep the busy proxy (``busy``)."""
    pooled = np.zeros((7, open_.shape[1], 3))  # offered, answered, abandoned
    for day, slot, offered, answered, abandoned in outcomes:
        pooled[day.isoweekday() - 1, slot] += (offered, answered, abandoned)
    calls = np.array([[c.rates[w + 1] for w in range(7)] for c in categories])  # (c, 7, s)
    aht = np.array([c.handling.distribution.mean_s for c in categories])
    hazard = np.array(
        [
            0.0
            if math.isinf(c.patience.exponential_mean_s)
            else 1.0 / c.patience.exponential_mean_s
            for c in categories
        ]
    )
    agents = busy.copy()
    how = np.full(open_.shape, "", dtype=object)
    for w, s in zip(*np.nonzero(open_), strict=True):
        offered, answered, abandoned = pooled[w, s]
        mix = calls[:, w, s]
        total = float(mix.sum())
        if offered < FIT_MIN_CALLS or total <= 0:
            how[w, s] = "few_calls"
            continue
        rate = float(mix @ hazard) / total
        if abandoned == 0 or rate == 0:
            how[w, s] = "no_abandons"
            continue
        mean_aht = float(mix @ aht) / total
        load = total * mean_aht / interval_s
        agents[w, s], how[w, s] = agents_for_abandonment(
            total,
            interval_s,
            mean_aht,
            1.0 / rate,
            min(abandoned / offered, 1 - 1e-9),
            floor=load * answered / offered,
            cap=load + FIT_CAP_BETA * math.sqrt(load) + 1.0,
        )
        if answered > 0:
            agents[w, s] = max(agents[w, s], 1.0)  # someone answered those calls
    return AgentsFit(agents=agents, busy=busy, how=how, interval_s=interval_s)


def _erlang_agents(
    centre: Centre, categories: Sequence[CategoryCalibration], interval_s: int, n_slots: int
) -> np.ndarray:
    from analytics.kpi import threshold_label
    from simulation.formulas.erlang import required_agents

    out = np.zeros((7, n_slots))
    t1 = centre.sl_thresholds_s[0]
    for w in range(7):
        for s in range(n_slots):
            calls = [c.rates[w + 1][s] for c in categories]
            total = sum(calls)
            if total <= 0:
                continue
            aht = (
                sum(
                    x * c.handling.distribution.mean_s
                    for x, c in zip(calls, categories, strict=True)
                )
                / total
            )
            hazard = (
                sum(
                    x / c.patience.distribution.mean_s
                    for x, c in zip(calls, categories, strict=True)
                )
                / total
            )
            out[w, s] = required_agents(
                total,
                interval_s,
                aht,
                targets=[f"sl_offered_{threshold_label(t1)}>=0.8"],
                patience_s=None if hazard == 0 else 1 / hazard,
                short_abandon_s=centre.short_abandon_s,
            )
    return out


def _scenario_data(
    centre: Centre,
    period: Period,
    *,
    interval_s: int,
    days: int,
    name: str | None,
    opening_hours: Mapping[int, tuple[tuple[str, str], ...]],
    categories: Sequence[CategoryCalibration],
    staffing: dict[str, Any],
    sites: tuple,
    channels: tuple,
) -> dict[str, Any]:
    label = re.sub(r"[^A-Za-z0-9_\-]", "_", period.label)
    data: dict[str, Any] = {
        "name": name or f"{centre.centre_id}_{label}"[:64],
        "centre_id": centre.centre_id,
        "description": f"calibrated from {centre.centre_id} calls of {period.label} "
        f"({period.start}..{period.end})",
        "timezone": centre.timezone,
        "start": period.start,
        "days": days,
        "interval_s": interval_s,
        "thresholds_s": [float(t) for t in centre.sl_thresholds_s],
        "short_abandon_s": float(centre.short_abandon_s),
        "opening_hours": {
            WEEKDAY_NAMES[w]: [f"{a}-{b}" for a, b in spans]
            for w, spans in opening_hours.items()
            if spans
        },
        "categories": {},
        "staffing": staffing,
    }
    for c in categories:
        table: dict[str, Any] = {}
        if c.priority:
            table["priority"] = c.priority
        if c.topics:
            table["topics"] = dict(c.topics)
        table["talk"] = c.handling.distribution.to_toml()
        table["patience"] = c.patience.distribution.to_toml()
        table["rates_by_weekday"] = {
            WEEKDAY_NAMES[w]: [round(x, 4) for x in r] for w, r in c.rates.items() if any(r)
        }
        data["categories"][c.name] = table
    mix = {}
    if sites:
        mix["site"] = dict(sites)
    if channels:
        mix["channel"] = dict(channels)
    if mix:
        data["mix"] = mix
    return data


def _header(cal: Calibration) -> str:
    days = ", ".join(f"{WEEKDAY_NAMES[w]} {n}" for w, n in cal.days_observed.items())
    lines = [
        f"# Calibrated by `cca calibrate` from centre {cal.centre.centre_id}, "
        f"period {cal.period.label} ({cal.period.start}..{cal.period.end}).",
        f"# Days with calls per weekday: {days}.",
        f"# Opening hours from {cal.hours_source}; {cal.calls_outside_hours} calls "
        "outside them were left out.",
        f"# Staffing from {cal.staffing_source}.",
        "# Talk = lognormal MLE of talk + hold + after-call work of answered calls.",
        "# Patience by Kaplan-Meier (abandons observed, answered and timed-out calls "
        "censored at their wait):",
    ]
    for c in cal.categories:
        r = c.report()
        km = r["patience_km_mean_s"]
        km_text = "none abandoned" if km is None else f"KM mean {km:.1f} s"
        if r["patience_km_mean_restricted"]:
            km_text += " (restricted to the longest wait)"
        median = r["patience_km_median_s"]
        naive = r["avg_abandon_wait_s"]
        lines.append(
            f"#   {c.name}: {km_text}, KM median "
            f"{'not reached' if median is None else f'{median:.1f} s'}, exponential fit "
            f"{_seconds(r['patience_exponential_mean_s'])}; naive mean abandon wait "
            f"{_seconds(naive)}"
        )
    return "\n".join(lines) + "\n\n"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"
