"""Today as the store shows it at one instant: the plan the projection simulates.

``build_plan(con, centre, at, ...)`` reads, for the local day of ``at``:

* **the model** calibrated on the ``history_days`` days before that day
  (``simulation.calibration.fit.calibrate``: caller categories with their priorities read
  from their waits, handling times, Kaplan–Meier patience, opening hours);
* **the snapshot** at ``at`` from the call log (``snapshot_from_log``): the callers who
  had arrived and were neither answered nor gone by ``at`` (waiting, with their elapsed
  waits), the answered calls whose handling had begun but not ended (in service, with
  their elapsed handling), and the calls decided before ``at`` — today's actuals so far;
* **the arrivals after ``at``**: ``forecast`` — the latest saved forecast of the day
  trained on earlier days (``cca forecast --save``), re-forecast with a day-level
  correction (below), split over the caller categories by their calibrated shares of
  each interval; or ``actual`` — the day's real arrivals after ``at`` replayed (instants
  and categories), which tests the queue model alone on a past day;
* **the agents** of each interval (agents available, not paused): ``table`` — the
  store's staffing table for the day; ``presence`` — the agents present on the day as the
  backtest reads them off the log (``present_agents_sql``: each agent from the first to
  the last call of the day, less gaps of over 30 minutes) times the share of them the
  calibration's agents stood for per interval on the training days
  (``simulation.calibration.backtest.presence_share``, ``slot``), at least the offered load where
  calls come; where the log has no presence after ``at`` (today, live), the agents
  present at ``at`` stay to closing; ``roster`` — a staffing CSV (``weekday,time,agents``
  or ``interval_start,agents``, as ``cca simulate --staffing`` reads); ``live`` — the
  live feed's tables (not in this store yet: the message says what to use instead).

**Day-level re-forecast** (``simulation.intraday.reforecast``): the rest of today is
the forecast times r̂ = 1 + w (A / F − 1), A and F today's calls so far and their
forecast, w learnt from how far earlier days' afternoons followed their mornings'
deviation from their forecast at the same time of day (toward 0 early in the day, when a
morning's deviation is mostly noise); the level's remaining uncertainty is drawn per
replication (``volume_cv``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.periods import Period
from analytics.records import CALL_COLUMNS
from simulation.intraday.state import QueueState
from simulation.queue.scenario import WEEKDAY_NAMES, Scenario
from simulation.queue.scenario_file import scenario_from_dict

ARRIVALS = ("forecast", "actual")
STAFFING = ("live", "roster", "table", "presence")
HISTORY_DAYS = 28
# Today's morning tells how many of the agents the source gives answered calls: the
# agents are scaled by the factor at which the morning, replayed, answers the share of
# its calls that it did (at least MORNING_MIN_CALLS decided calls; factors tried below).
MORNING_FACTORS = (0.4, 0.55, 0.7, 0.85, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)
MORNING_MIN_CALLS = 100
MORNING_REPLICATIONS = 6
MORNING_SETTLED_S = 600  # callers of the last 10 minutes before `at` may still be waiting
INTERVAL_NAMES = {900: "15min", 1800: "30min", 3600: "60min"}


@dataclass(frozen=True)
class IntradayPlan:
    """What ``project`` simulates: the day's ``scenario`` (one local day from midnight,
    its staffing ``per_interval``), the ``state`` at ``at``, today's calls decided before
    ``at`` (``actual``: canonical records), the replayed arrivals (``replay``, or None for
    the forecast's Poisson arrivals with day-level ``volume_cv``) and what they came from
    (``notes``: flat, for the snapshot)."""

    centre: Centre
    scenario: Scenario
    state: QueueState
    actual: pd.DataFrame
    replay: tuple[np.ndarray, np.ndarray] | None = None
    volume_cv: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def at(self) -> dt.datetime:
        return self.state.at

    @property
    def at_s(self) -> float:
        return (self.state.at - self.scenario.start_instant).total_seconds()

    @property
    def agents(self) -> np.ndarray:
        """Agents per interval of the day (from local midnight)."""
        return np.asarray(self.scenario.staffing.per_interval, dtype=np.int64)

    def with_agents(self, agents: Sequence[int]) -> IntradayPlan:
        """The same plan with other agents per interval (a what-if)."""
        from dataclasses import replace

        from simulation.queue.scenario import Staffing

        staffing = Staffing(per_interval=tuple(int(max(a, 0)) for a in agents))
        return replace(self, scenario=self.scenario.with_changes(staffing=staffing))


def _local_seconds(t: dt.datetime) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def snapshot_sql() -> str:
    """Today's calls up to ``at`` with what was known of them then: ``decided`` (answered
    by ``at``, or gone by ``at``), the moment of answer and the handling (s). Parameters:
    centre id, day start, at."""
    return (
        "SELECT *, coalesce(answered_at, arrived_at + to_microseconds(CAST(round("
        "coalesce(wait_s, 0) * 1e6) AS BIGINT))) AS decided_at, "
        "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0) AS handling_s "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        "AND outcome IN ('answered', 'abandoned', 'timeout')"
    )


def snapshot_from_log(con, centre: Centre, at: dt.datetime, category_of) -> tuple:
    """(waiting, in service, today's decided calls) at ``at`` from the call log:
    ``waiting`` and ``in_service`` as (scenario category, elapsed s) pairs,
    ``category_of`` mapping a stored category to the scenario's."""
    local = at.astimezone(centre.tz)
    midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=centre.tz)
    frame = con.execute(snapshot_sql(), [centre.centre_id, midnight, at]).df()
    if frame.empty:
        return (), (), pd.DataFrame(columns=[*CALL_COLUMNS, "centre_id"])
    at_ts = pd.Timestamp(at)
    decided_at = pd.to_datetime(frame["decided_at"], utc=True)
    arrived = pd.to_datetime(frame["arrived_at"], utc=True)
    decided = decided_at <= at_ts
    waiting = tuple(
        (category_of(c), float((at_ts - a).total_seconds()))
        for c, a in zip(frame["category"][~decided], arrived[~decided], strict=True)
    )
    answered = (frame["outcome"] == "answered") & decided
    ends = decided_at + pd.to_timedelta(frame["handling_s"], unit="s")
    busy = answered & (ends > at_ts)
    in_service = tuple(
        (category_of(c), float((at_ts - s).total_seconds()))
        for c, s in zip(frame["category"][busy], decided_at[busy], strict=True)
    )
    actual = frame.loc[decided, [*CALL_COLUMNS, "centre_id"]].reset_index(drop=True)
    return waiting, in_service, actual


def _forecast_rows(con, centre: Centre, day: dt.date):
    from simulation.forecasting.saved import saved_forecast

    frame = saved_forecast(con, centre, day, day, trained_before=day)
    if frame is None:
        raise ValueError(
            f"centre {centre.centre_id} has no saved forecast of {day} trained on the days "
            f"before it: run `cca forecast --centre {centre.centre_id} --train "
            f"{day - dt.timedelta(days=56)}..{day - dt.timedelta(days=1)} --save` "
            "(or, on a past day, --arrivals actual to replay its calls)"
        )
    return frame


def build_plan(
    con,
    centre: Centre,
    at: dt.datetime,
    *,
    arrivals: str = "forecast",
    staffing: str = "presence",
    roster: str | Path | None = None,
    history_days: int = HISTORY_DAYS,
    interval_s: int = 1800,
    morning: bool = False,
    expected: Sequence[float] | None = None,
) -> IntradayPlan:
    """The plan of ``at``'s local day (module docstring). Raises ``ValueError`` saying
    what to do when ``at`` is outside opening hours, before any history, or the centre
    has no forecast (with ``arrivals="forecast"``). ``morning``: scale the agents by
    what this morning's calls say of them (``morning_factor``); ``expected``: calls per
    interval of the day (``interval_s``) to use instead of a saved forecast, taken as
    today's as they are (no day-level correction)."""
    from simulation.calibration.backtest import presence_share
    from simulation.calibration.fit import calibrate
    from simulation.calibration.queries import (
        arrivals_sql,
        presence_words,
        present_agents_sql,
        staffing_sql,
    )
    from simulation.forecasting.forecast import data_days
    from simulation.intraday.reforecast import Correction, day_correction

    if arrivals not in ARRIVALS:
        raise ValueError(f"arrivals must be one of {', '.join(ARRIVALS)}, not {arrivals!r}")
    if staffing not in STAFFING:
        raise ValueError(f"staffing must be one of {', '.join(STAFFING)}, not {staffing!r}")
    if at.tzinfo is None:
        at = at.replace(tzinfo=centre.tz)
    local = at.astimezone(centre.tz)
    day = local.date()
    days = data_days(con, centre)
    if days is None or days[0] >= day:
        since = "it has no calls" if days is None else f"its calls start on {days[0]}"
        raise ValueError(
            f"--at {local:%Y-%m-%d %H:%M}: centre {centre.centre_id} has no history before "
            f"{day} ({since}); the projection is calibrated on the weeks before the day: "
            "ingest earlier days or pick a later --at"
        )
    if staffing == "live":
        raise ValueError(
            "--staffing live reads the live feed's agent states (cca live follow), and "
            f"this store has none for centre {centre.centre_id}: use --staffing presence "
            "(agents read off the call log), table (the staffing table) or roster"
        )
    if staffing == "roster" and roster is None:
        raise ValueError(
            "--staffing roster needs --roster FILE.csv (weekday,time,agents or "
            "interval_start,agents, e.g. `cca staff --format csv`)"
        )
    forecast_frame = None
    if arrivals == "forecast" and expected is None:
        forecast_frame = _forecast_rows(con, centre, day)
        interval_s = {v: k for k, v in INTERVAL_NAMES.items()}.get(
            forecast_frame.attrs.get("interval"), interval_s
        )
    first = max(days[0], day - dt.timedelta(days=history_days))
    last = day - dt.timedelta(days=1)
    train = Period(first, last, f"{first}..{last}")
    cal = calibrate(con, centre, train, interval_s=interval_s, priorities="data")
    weekday = day.isoweekday()
    n = 86400 // interval_s
    spans = cal.opening_hours.get(weekday, ())
    hours_from = f"read off its calls of {train.label}"
    if not spans and (centre.opening_hours or {}).get(weekday):
        # no such weekday in the history (a first Sunday): the centre's calendar says
        spans = tuple(tuple(s) for s in centre.opening_hours[weekday])
        hours_from = "its calendar: no such weekday in the history"
    sec = _local_seconds(local)
    seconds = [
        (int(a[:2]) * 3600 + int(a[3:]) * 60, int(b[:2]) * 3600 + int(b[3:]) * 60) for a, b in spans
    ]
    if not any(a <= sec < b for a, b in seconds):
        hours = ", ".join(f"{a}-{b}" for a, b in spans) or "closed"
        raise ValueError(
            f"--at {local:%Y-%m-%d %H:%M} is outside centre {centre.centre_id}'s opening "
            f"hours on {WEEKDAY_NAMES[weekday]} ({hours}, {hours_from}): pick a time "
            "within them"
        )
    open_slots = np.zeros(n, dtype=bool)
    for a, b in seconds:
        open_slots[a // interval_s : b // interval_s] = True
    slot_now = sec // interval_s

    by_source = {c.source_name: c for c in cal.categories}
    largest = max(cal.categories, key=lambda c: c.offered)

    def category_of(source) -> str:
        c = by_source.get(source)
        if c is None and isinstance(source, float) and math.isnan(source):
            c = by_source.get(None)
        return (c or largest).name

    waiting, in_service, actual = snapshot_from_log(con, centre, at, category_of)
    names = [c.name for c in cal.categories]
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=centre.tz)
    end_of_day = midnight + dt.timedelta(days=1)
    bounds = [centre.timezone, centre.centre_id, midnight, end_of_day, interval_s]

    # ---- arrivals after `at`, per category and slot (expected calls)
    rates = np.zeros((len(names), n))
    replay = None
    volume_cv = 0.0
    notes: dict[str, Any] = {"arrivals": arrivals, "history": train.label}
    day_counts = np.zeros(n)
    for _, slot, _, count in con.execute(arrivals_sql(), bounds).fetchall():
        day_counts[slot] += count
    if arrivals == "actual":
        later = con.execute(
            "SELECT arrived_at, category FROM calls WHERE centre_id = ? AND arrived_at >= ? "
            "AND arrived_at < ? AND outcome IN ('answered', 'abandoned', 'timeout') "
            "ORDER BY arrived_at",
            [centre.centre_id, at, end_of_day],
        ).fetchall()
        if not later:
            raise ValueError(
                f"--arrivals actual replays the calls after --at, and centre "
                f"{centre.centre_id} has none after {local:%Y-%m-%d %H:%M} (the rest of "
                "today has not happened yet): use --arrivals forecast"
            )
        times = np.array([(t - midnight).total_seconds() for t, _ in later])
        cats = np.array([names.index(category_of(c)) for _, c in later], dtype=np.int64)
        replay = (times, cats)
        for k, t in zip(cats, times, strict=True):
            rates[k, min(int(t // interval_s), n - 1)] += 1.0
        notes["actual_after"] = len(later)
    else:
        fc = np.zeros(n)
        if expected is not None:
            fc[:] = np.asarray(expected, dtype=float)
            info = {"forecast_run": None}
        else:
            starts = pd.to_datetime(forecast_frame["interval_start"])
            for t, v in zip(starts, forecast_frame["offered"], strict=True):
                fc[(t.hour * 3600 + t.minute * 60) // interval_s] += float(v)
            info = {"forecast_run": forecast_frame.attrs.get("run_id")}
        # the forecast so far: whole intervals before `at` and the part of the current one
        frac = (sec - slot_now * interval_s) / interval_s
        f_so_far = fc[:slot_now].sum() + frac * fc[slot_now]
        a_so_far = float(len(actual) + len(waiting))
        if expected is None:
            correction = day_correction(
                con,
                centre,
                day,
                float(sec),
                interval_s,
                a_so_far,
                float(f_so_far),
                forecast_frame.attrs.get("method") or "profile",
            )
        else:  # the caller's expected calls are already today's
            correction = Correction(1.0, 0.0, 0.0, 0)
        r, volume_cv = correction.scale, correction.cv
        history = np.array(
            [[c.rates.get(weekday, (0.0,) * n)[k] for k in range(n)] for c in cal.categories]
        )
        total = history.sum(axis=0)
        overall = np.array([c.offered for c in cal.categories], dtype=float)
        overall = overall / overall.sum() if overall.sum() else np.full(len(names), 1 / len(names))
        share = np.where(total > 0, history / np.where(total > 0, total, 1.0), overall[:, None])
        rates = share * fc * r
        notes.update(
            **info,
            forecast_day=float(fc.sum()),
            forecast_so_far=float(f_so_far),
            actual_so_far=a_so_far,
            **correction.notes(),
        )
    outside = float(rates[:, ~open_slots].sum())
    rates[:, ~open_slots] = 0.0
    if outside:
        notes["calls_outside_hours"] = outside

    # ---- agents per slot
    agents = np.zeros(n)
    if staffing == "table":
        rows = con.execute(staffing_sql(), [*bounds[:4], *[interval_s] * 8]).fetchall()
        if not rows:
            raise ValueError(
                f"centre {centre.centre_id} has no staffing table rows for {day}: load one "
                "(cca ingest staffing) or use --staffing presence"
            )
        for _, slot, value in rows:
            agents[slot] += float(value)
        notes["staffing"] = f"the staffing table of {day} (mean agents available)"
    elif staffing == "roster":
        from simulation.queue.scenario_file import staffing_from_csv

        base = scenario_from_dict(
            _scenario_data(cal, centre, day, rates, np.zeros(n), interval_s, weekday, spans),
            "intraday",
        )
        roster_staffing = staffing_from_csv(roster, base)
        agents = base.with_changes(staffing=roster_staffing).timeline().agents[:n].astype(float)
        notes["staffing"] = f"the roster {roster}"
    else:
        present = np.zeros(n)
        for _, slot, value in con.execute(
            present_agents_sql(), [*bounds[:4], *[interval_s] * 8]
        ).fetchall():
            present[slot] += float(value)
        lo, hi = train.bounds(centre.tz)
        train_rows = con.execute(
            present_agents_sql(), [centre.timezone, centre.centre_id, lo, hi, *[interval_s] * 8]
        ).fetchall()
        if not train_rows or not present.any():
            raise ValueError(
                f"--staffing presence reads agents off answered calls' agent ids, and centre "
                f"{centre.centre_id} has none on {day} or in {train.label}: use --staffing "
                "table or roster"
            )
        fit = cal.agents_fit
        if fit is not None:
            calibrated = np.where(fit.how != "", fit.agents, 0.0)
        else:
            week = cal.scenario.staffing.agents_by_weekday
            calibrated = np.array([week.get(w, (0,) * n) for w in range(1, 8)], dtype=float)
        observed = [cal.days_observed.get(w, 0) for w in range(1, 8)]
        share = presence_share(calibrated, train_rows, observed, "slot")[weekday - 1]
        last_call = con.execute(
            "SELECT max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at < ?",
            [centre.centre_id, end_of_day],
        ).fetchone()[0]
        carried = last_call is None or last_call < at + dt.timedelta(seconds=interval_s)
        if carried:  # today, live: nobody's presence after `at` is known yet
            present[slot_now:] = present[slot_now]
        aht = np.array([c.handling.distribution.mean_s for c in cal.categories])
        load = (rates * aht[:, None]).sum(axis=0) / interval_s  # Erlangs per slot
        agents = present * share
        agents = np.where(rates.sum(axis=0) > 0, np.maximum(agents, np.maximum(load, 1.0)), agents)
        notes["staffing"] = (
            f"the agents present on {day} ({presence_words()}"
            + ("; those present at --at stay to closing" if carried else "")
            + ") × the share of them the calibration's agents were on "
            + train.label
        )
    agents = np.where(open_slots | (np.arange(n) == slot_now), agents, 0.0)
    if morning and staffing in ("presence", "table", "roster"):
        factor, how = morning_factor(
            con,
            centre,
            _scenario_data(cal, centre, day, rates, np.rint(agents), interval_s, weekday, spans),
            agents,
            at,
            category_of,
            names,
        )
        agents = agents * factor
        notes["morning_factor"] = factor
        notes["morning"] = how
    per_interval = np.rint(agents).astype(int)
    data = _scenario_data(cal, centre, day, rates, per_interval, interval_s, weekday, spans)
    scenario = scenario_from_dict(data, source=f"intraday {day}")
    busy = len(in_service)
    on_shift = int(per_interval[slot_now])
    state = QueueState(
        at,
        waiting=waiting,
        in_service=in_service,
        agents={"available": max(on_shift - busy, 0), "on_call": busy},
        source=f"the call log at {local:%Y-%m-%d %H:%M} and {notes['staffing']}",
    )
    return IntradayPlan(
        centre=centre,
        scenario=scenario,
        state=state,
        actual=actual,
        replay=replay,
        volume_cv=volume_cv,
        notes=notes,
    )


def morning_factor(con, centre, data, agents, at, category_of, names) -> tuple[float, str]:
    """The factor on ``agents`` (per slot) at which the day's morning, its real callers
    replayed from an empty centre at midnight, answers the share of them the centre
    answered (callers who came ``MORNING_SETTLED_S`` or more before ``at``), and what
    it was read from; (1, why not) with too few calls."""
    from simulation.intraday.state import QueueState, simulate_from_state
    from simulation.queue.model import ANSWERED
    from simulation.queue.replications import replication_seeds

    midnight = dt.datetime.combine(at.astimezone(centre.tz).date(), dt.time(0), tzinfo=centre.tz)
    settled = at - dt.timedelta(seconds=MORNING_SETTLED_S)
    rows = con.execute(
        "SELECT arrived_at, category, outcome FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ? AND outcome IN ('answered', 'abandoned', 'timeout') "
        "ORDER BY arrived_at",
        [centre.centre_id, midnight, settled],
    ).fetchall()
    if len(rows) < MORNING_MIN_CALLS:
        return 1.0, f"not read: {len(rows)} calls this morning (fewer than {MORNING_MIN_CALLS})"
    times = np.array([(t - midnight).total_seconds() for t, _, _ in rows])
    cats = np.array([names.index(category_of(c)) for _, c, _ in rows], dtype=np.int64)
    target = sum(o == "answered" for _, _, o in rows) / len(rows)
    seeds = replication_seeds(0, MORNING_REPLICATIONS)
    rates = []
    for factor in MORNING_FACTORS:
        data = {**data, "staffing": {"per_interval": [int(a) for a in np.rint(agents * factor)]}}
        scenario = scenario_from_dict(data, source="intraday morning")
        answered = 0
        for seed in seeds:
            _, model = simulate_from_state(
                scenario, QueueState(scenario.start_instant), seed, replay=(times, cats)
            )
            answered += sum(o == ANSWERED for o in model.outcome)
        rates.append(answered / (len(rows) * len(seeds)))
    rates = np.maximum.accumulate(rates)  # more agents answer no fewer calls
    factor = float(np.interp(target, rates, MORNING_FACTORS))
    return factor, (
        f"{len(rows)} calls this morning, {100 * target:.1f}% answered: the agents × "
        f"{factor:.2f} answer as many when the morning is replayed"
    )


def _scenario_data(cal, centre, day, rates, agents, interval_s, weekday, spans) -> dict:
    base = cal.scenario
    categories = {}
    for k, c in enumerate(cal.categories):
        sc_cat = next(x for x in base.categories if x.name == c.name)
        table: dict[str, Any] = {
            "priority": sc_cat.priority,
            "talk": sc_cat.talk.to_toml(),
            "patience": sc_cat.patience.to_toml(),
            "rates_by_weekday": {WEEKDAY_NAMES[weekday]: [float(x) for x in rates[k]]},
        }
        for part in ("hold", "acw"):
            d = getattr(sc_cat, part)
            if d is not None:
                table[part] = d.to_toml()
        categories[c.name] = table
    return {
        "name": f"{base.name}_{day.isoformat()}"[:64].replace(".", "_"),
        "centre_id": centre.centre_id,
        "timezone": centre.timezone,
        "start": day,
        "days": 1,
        "interval_s": interval_s,
        "thresholds_s": list(centre.sl_thresholds_s),
        "short_abandon_s": centre.short_abandon_s,
        "opening_hours": {WEEKDAY_NAMES[weekday]: [f"{a}-{b}" for a, b in spans]},
        "categories": categories,
        "staffing": {"per_interval": [int(a) for a in agents]},
    }
