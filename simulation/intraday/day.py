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
  present at ``at`` stay to closing; ``roster`` — a saved roster (``cca roster --format
  csv`` or ``json``, the planner's roster CSV: its shifts less their breaks,
  ``roster_agents``) or a staffing CSV (``weekday,time,agents`` or
  ``interval_start,agents``, as ``cca simulate --staffing`` reads); ``live`` — the
  live feed's tables (``cca live follow``; ``live_snapshot``): the callers waiting and
  the agents by state replace the log's snapshot, the agents on shift (available,
  ringing, on a call, in wrap-up; not paused) stay to closing.

**Day-level re-forecast** (``simulation.intraday.reforecast``): the rest of today is
the forecast times r̂ = 1 + w (A / F − 1), A and F today's calls so far and their
forecast, w learnt from how far earlier days' afternoons followed their mornings'
deviation from their forecast at the same time of day (toward 0 early in the day, when a
morning's deviation is mostly noise); the level's remaining uncertainty is drawn per
replication (``volume_cv``).
"""
# long: today's plan read in one place (the snapshot, arrivals, handling, opening hours by
# kind of day, staffing from four sources), so that every projection starts from the same

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.errors import check_choice
from analytics.periods import Period, hijri_date
from analytics.records import OUTCOMES_SQL
from simulation.calibration.backtest import learn_load_share, presence_share
from simulation.calibration.fit import calibrate, handling_fits
from simulation.calibration.queries import (
    arrivals_sql,
    presence_words,
    present_agents_sql,
    staffing_sql,
)
from simulation.forecasting.forecast import data_days
from simulation.forecasting.saved import saved_forecast
from simulation.intraday.reforecast import Correction, day_correction, forecast_cv
from simulation.intraday.roster_file import roster_agents
from simulation.intraday.snapshot import live_snapshot, snapshot_from_log, unknown_handling
from simulation.intraday.state import QueueState, simulate_from_state
from simulation.queue.model import ANSWERED, run_replication
from simulation.queue.replications import replication_seeds
from simulation.queue.scenario import WEEKDAY_NAMES, Scenario, Staffing
from simulation.queue.scenario_file import scenario_from_dict, staffing_from_csv

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
# ``--staffing presence``: the share of the agents present that answered this queue.
# ``slot`` (default): the share the calibration's agents (Erlang A fit) stood for per
# slot on the training days; ``load``: per class of offered load per agent present,
# learnt by simulating the LOAD_TRAIN_DAYS days before today with candidate shares until
# each class answers as the centre did there (``simulation.calibration.backtest.learn_load_share``, on a smaller
# budget: LOAD_SIMULATED_DAYS simulated days per candidate). On the bank's February
# ``load`` did worse day by day than ``slot`` (docs/measurements.md).
PRESENCE_SHARES = ("load", "slot")
LOAD_TRAIN_DAYS = 7
LOAD_SIMULATED_DAYS = 21
# ``handling``: ``history`` (default) as calibrated; ``today`` fits each caller
# category's handling time to today's answered
# calls that arrived HANDLING_SETTLED_S or more before ``at`` (their handling is over by
# then, nearly always) when at least HANDLING_MIN_CALLS of them.
HANDLING = ("today", "history")
HANDLING_SETTLED_S = 1800
HANDLING_MIN_CALLS = 50
_LOAD_SHARE_CACHE: dict[tuple, tuple] = {}
# calibrations kept in this process (``_calibration``): today's and the model error's
# earlier days' (7 a day, each on its own 28 days)
CALIBRATIONS_KEPT = 32
_CALIBRATIONS: dict[tuple, Any] = {}


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
        staffing = Staffing(per_interval=tuple(int(max(a, 0)) for a in agents))
        return replace(self, scenario=self.scenario.with_changes(staffing=staffing))


class CannotPlan(ValueError):
    """``build_plan`` cannot plan the day as asked. The message says what to run (for
    ``cca``); ``reason`` names the case in one word for a screen to put in its reader's
    words: ``no_forecast``, ``no_history``, ``closed``, ``no_agents``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _local_seconds(t: dt.datetime) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _forecast_rows(con, centre: Centre, day: dt.date):
    frame = saved_forecast(con, centre, day, day, trained_before=day)
    if frame is None:
        raise CannotPlan(
            "no_forecast",
            f"centre {centre.centre_id} has no saved forecast of {day} trained on the days "
            f"before it: run `cca forecast --centre {centre.centre_id} --train "
            f"{day - dt.timedelta(days=56)}..{day - dt.timedelta(days=1)} --save` "
            "(or, on a past day, --arrivals actual to replay its calls)",
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
    presence_share_by: str = "slot",
    handling: str = "history",
) -> IntradayPlan:
    """The plan of ``at``'s local day (module docstring). Raises ``ValueError`` saying
    what to do when ``at`` is outside opening hours, before any history, or the centre
    has no forecast (with ``arrivals="forecast"``). ``morning``: scale the agents by
    what this morning's calls say of them (``morning_factor``); ``expected``: calls per
    interval of the day (``interval_s``) to use instead of a saved forecast, taken as
    today's as they are (no day-level correction). ``presence_share_by``: ``load`` or
    ``slot`` (``PRESENCE_SHARES``); ``handling``: ``today`` or ``history`` (``HANDLING``)."""
    _check_choices(arrivals, staffing, presence_share_by, handling)
    if at.tzinfo is None:
        at = at.replace(tzinfo=centre.tz)
    local = at.astimezone(centre.tz)
    day = local.date()
    days = data_days(con, centre)
    if days is None or days[0] >= day:
        since = "it has no calls" if days is None else f"its calls start on {days[0]}"
        raise CannotPlan(
            "no_history",
            f"--at {local:%Y-%m-%d %H:%M}: centre {centre.centre_id} has no history before "
            f"{day} ({since}); the projection is calibrated on the weeks before the day: "
            "ingest earlier days or pick a later --at",
        )
    live = live_snapshot(con, centre, at) if staffing == "live" else None
    if staffing == "roster" and roster is None:
        raise ValueError(
            "--staffing roster needs --roster FILE: a saved roster (`cca roster --format "
            "csv` or `json`, the planner's roster CSV) or a staffing CSV (weekday,time,agents "
            "or interval_start,agents, e.g. `cca staff --format csv`)"
        )
    forecast_frame = None
    if arrivals == "forecast" and expected is None:
        forecast_frame = _forecast_rows(con, centre, day)
        interval_s = {v: k for k, v in INTERVAL_NAMES.items()}.get(
            forecast_frame.attrs.get("interval"), interval_s
        )
    d = _read_day(con, centre, at, local, days, history_days, interval_s, handling)
    waiting, in_service, actual = snapshot_from_log(con, centre, at, d.category_of)
    if live is not None:  # the queue as the live feed holds it, not as the log has it
        waiting = tuple((d.category_of(c), e) for c, e in live["waiting"])
        in_service = tuple((d.category_of(None), e) for e in live["in_service"])
        actual.attrs["in_service_rows"] = []  # the log's finished calls only
    cal, day, interval_s, weekday, spans = d.cal, d.day, d.interval_s, d.weekday, d.spans
    category_of, names, talk, slot_now = d.category_of, d.names, d.talk, d.slot_now
    rates, replay, volume_cv, notes, day_counts = _arrivals_after(
        d, arrivals, expected, forecast_frame, actual, waiting
    )
    agents = _agents_per_slot(
        d, staffing, roster, live, rates, day_counts, arrivals, presence_share_by, notes
    )
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
    data = _scenario_data(cal, centre, day, rates, per_interval, interval_s, weekday, spans, talk)
    if talk:
        notes["handling"] = (
            "today's answered calls before "
            f"{(local - dt.timedelta(seconds=HANDLING_SETTLED_S)):%H:%M} for "
            + ", ".join(sorted(talk))
        )
    scenario = scenario_from_dict(data, source=f"intraday {day}")
    actual = unknown_handling(actual, scenario, in_service)
    state = _queue_state(at, local, waiting, in_service, live, int(per_interval[slot_now]), notes)
    return IntradayPlan(
        centre=centre,
        scenario=scenario,
        state=state,
        actual=actual,
        replay=replay,
        volume_cv=volume_cv,
        notes=notes,
    )


def _check_choices(arrivals: str, staffing: str, presence_share_by: str, handling: str) -> None:
    check_choice("arrivals", arrivals, ARRIVALS)
    check_choice("staffing", staffing, STAFFING)
    check_choice("presence_share_by", presence_share_by, PRESENCE_SHARES)
    check_choice("handling", handling, HANDLING)


def _queue_state(at, local, waiting, in_service, live, on_shift: int, notes) -> QueueState:
    """The queue at ``at``: its callers and, from the live feed or the plan's agents on
    shift, its agents by state."""
    busy = len(in_service)
    state = QueueState(
        at,
        waiting=waiting,
        in_service=in_service,
        agents=(
            {
                "available": live["by_state"].get("available", 0),
                "on_call": live["by_state"].get("on_call", 0) + live["by_state"].get("ringing", 0),
                "wrap_up": live["by_state"].get("wrap_up", 0),
                "paused": live["by_state"].get("paused", 0),
            }
            if live is not None
            else {"available": max(on_shift - busy, 0), "on_call": busy}
        ),
        source=f"the call log at {local:%Y-%m-%d %H:%M} and {notes['staffing']}",
    )
    return state


@dataclass(frozen=True)
class _Day:
    """What ``build_plan`` has read of the day before its arrivals and agents: the
    calibration, the open slots, the instant ``at`` and its slot."""

    con: Any
    centre: Centre
    at: dt.datetime
    local: dt.datetime
    day: dt.date
    first_day: dt.date  # the first day of the centre's calls
    train: Period
    cal: Any  # simulation.calibration.fit.Calibration
    interval_s: int
    weekday: int
    spans: tuple
    hours_from: str  # where the opening hours were read (``day_hours``)
    sec: int  # local seconds of `at` since midnight
    slot_now: int
    open_slots: np.ndarray
    names: list
    category_of: Callable[[Any], str]
    bounds: list  # time zone, centre, midnight, end of day, interval (s): SQL parameters
    midnight: dt.datetime
    end_of_day: dt.datetime
    talk: dict

    @property
    def n(self) -> int:
        return 86400 // self.interval_s


def _calibration(con, centre: Centre, train: Period, interval_s: int):
    """``calibrate`` on ``train``, kept per centre, days, interval and what the store
    holds of them (their calls' and staffing rows' count, last arrival and newest load
    batch: a load that touches them calibrates again), so the page's 5-minute recomputes
    and the model error's replays of the day's next interval (``model_error``) reuse it."""
    lo, hi = train.bounds(centre.tz)
    seen = con.execute(
        "SELECT (SELECT [count(*)::VARCHAR, max(arrived_at)::VARCHAR, max(batch_id)::VARCHAR] "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?), "
        "(SELECT [count(*)::VARCHAR, max(batch_id)::VARCHAR] FROM staffing "
        "WHERE centre_id = ? AND interval_start >= ? AND interval_start < ?)",
        [centre.centre_id, lo, hi, centre.centre_id, lo, hi],
    ).fetchone()
    key = (repr(centre), train.start, train.end, interval_s, tuple(map(tuple, seen)))
    if key not in _CALIBRATIONS:
        cal = calibrate(
            con, centre, train, interval_s=interval_s, priorities="data", with_toml=False
        )
        keep_calibrations({key: cal})
    return _CALIBRATIONS[key]


def kept_calibrations() -> dict:
    """The calibrations kept in this process, by key (a copy)."""
    return dict(_CALIBRATIONS)


def keep_calibrations(calibrations: dict) -> None:
    """Keep ``calibrations`` (by key, as ``_calibration`` makes them: a learning pool's
    workers make them for this process)."""
    for key, cal in calibrations.items():
        if len(_CALIBRATIONS) >= CALIBRATIONS_KEPT:
            for old in list(_CALIBRATIONS)[: CALIBRATIONS_KEPT // 2]:
                _CALIBRATIONS.pop(old, None)
        _CALIBRATIONS[key] = cal


def hours_kind(day: dt.date) -> str:
    """The kind of day whose opening hours ``day`` keeps: ``ramadan`` (a day of the Umm
    al-Qura month 9, its last before Eid included: Ramadan's shorter hours) or
    ``ordinary`` (every other day; holidays and Eid are closed and have no calls to
    read hours off)."""
    h = hijri_date(day)
    return "ramadan" if h is not None and h[1] == 9 else "ordinary"


def day_hours(con, centre: Centre, day: dt.date, train: Period, learnt, interval_s: int):
    """The opening spans of ``day`` ("HH:MM" pairs) and where they were read.

    ``learnt``: the calibration's hours per weekday, read off the calls of every day of
    ``train``. When those days are all of ``day``'s kind (``hours_kind``) they stand. When
    some are not (the days after Ramadan, trained on Ramadan's shorter days; the first
    days of Ramadan, trained on ordinary ones), the hours are read off the calls of the
    training days of ``day``'s kind and weekday alone (the calibration's rule: intervals
    with calls on at least half of those days), and without any such day with calls they
    are the centre's calendar's for the weekday. A weekday the history lacks (a first
    Sunday) also takes the calendar's."""
    from simulation.calibration.fit import hours_from_data, slot_spans

    weekday = day.isoweekday()
    kind = hours_kind(day)
    days = [train.start + dt.timedelta(days=k) for k in range((train.end - train.start).days + 1)]
    own = (centre.opening_hours or {}).get(weekday)
    own = tuple(tuple(s) for s in own) if own else ()
    if all(hours_kind(d) == kind for d in days):
        spans = learnt.get(weekday, ())
        if spans or not own:
            return spans, f"read off its calls of {train.label}"
        return own, "its calendar: no such weekday in the history"
    like = {d for d in days if d.isoweekday() == weekday and hours_kind(d) == kind}
    lo, hi = train.bounds(centre.tz)
    n = 86400 // interval_s
    w = weekday - 1  # the calibration's arrays are weekday × slot
    calls = np.zeros((7, n))
    seen = set()  # (day, slot) with calls: the rows are per category
    for d, slot, _, count in con.execute(
        arrivals_sql(), [centre.timezone, centre.centre_id, lo, hi, interval_s]
    ).fetchall():
        if d in like:
            calls[w, slot] += count
            seen.add((d, slot))
    with_calls = np.zeros((7, n), dtype=np.int64)
    for _, slot in seen:
        with_calls[w, slot] += 1
    observed = np.zeros(7, dtype=np.int64)
    observed[w] = len({d for d, _ in seen})
    what = f"{kind} {WEEKDAY_NAMES[weekday]}"
    if observed[w]:
        open_ = hours_from_data(with_calls, calls, observed)[w]
        return slot_spans(open_, interval_s), (
            f"read off its calls on the {observed[w]} {what}(s) of {train.label}"
        )
    if own:
        return own, f"its calendar: no {what} with calls in {train.label}"
    return learnt.get(weekday, ()), f"read off its calls of {train.label}"


def forget_calibrations() -> None:
    """Forget the calibrations kept in this process (benchmarks: a first projection)."""
    _CALIBRATIONS.clear()


def _read_day(con, centre, at, local, days, history_days, interval_s, handling) -> _Day:
    """``at``'s day as the history before it shows it: the calibration on the
    ``history_days`` before it, the opening hours (``ValueError`` when ``at`` is outside
    them), the categories and, with ``handling="today"``, today's handling times."""
    day = local.date()
    first = max(days[0], day - dt.timedelta(days=history_days))
    last = day - dt.timedelta(days=1)
    train = Period(first, last, f"{first}..{last}")
    cal = _calibration(con, centre, train, interval_s)
    weekday = day.isoweekday()
    n = 86400 // interval_s
    spans, hours_from = day_hours(con, centre, day, train, cal.opening_hours, interval_s)
    sec = _local_seconds(local)
    seconds = [
        (int(a[:2]) * 3600 + int(a[3:]) * 60, int(b[:2]) * 3600 + int(b[3:]) * 60) for a, b in spans
    ]
    if not any(a <= sec < b for a, b in seconds):
        hours = ", ".join(f"{a}-{b}" for a, b in spans) or "closed"
        raise CannotPlan(
            "closed",
            f"--at {local:%Y-%m-%d %H:%M} is outside centre {centre.centre_id}'s opening "
            f"hours on {WEEKDAY_NAMES[weekday]} ({hours}, {hours_from}): pick a time "
            "within them",
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

    names = [c.name for c in cal.categories]
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=centre.tz)
    end_of_day = midnight + dt.timedelta(days=1)
    bounds = [centre.timezone, centre.centre_id, midnight, end_of_day, interval_s]
    talk: dict[str, Any] = {}  # category -> today's handling time, where it has enough calls
    if handling == "today":
        settled = at - dt.timedelta(seconds=HANDLING_SETTLED_S)
        fits = (
            handling_fits(con, [centre.centre_id, midnight, settled]) if settled > midnight else {}
        )
        for c in cal.categories:
            f = fits.get(c.source_name)
            if f is not None and f.fitted >= HANDLING_MIN_CALLS:
                talk[c.name] = f.distribution

    return _Day(
        con=con,
        centre=centre,
        at=at,
        local=local,
        day=day,
        first_day=days[0],
        train=train,
        cal=cal,
        interval_s=interval_s,
        weekday=weekday,
        spans=spans,
        hours_from=hours_from,
        sec=sec,
        slot_now=slot_now,
        open_slots=open_slots,
        names=names,
        category_of=category_of,
        bounds=bounds,
        midnight=midnight,
        end_of_day=end_of_day,
        talk=talk,
    )


def _arrivals_after(d: _Day, arrivals, expected, forecast_frame, actual, waiting):
    """Expected calls per category and slot after ``at`` (the forecast re-forecast, or
    the day's own calls replayed), (rates, replay, volume_cv, notes, the day's calls per
    slot)."""
    con, centre, at, local = d.con, d.centre, d.at, d.local
    day, cal, train, n = d.day, d.cal, d.train, d.n
    names, interval_s, weekday, sec = d.names, d.interval_s, d.weekday, d.sec
    slot_now, open_slots, bounds, midnight = d.slot_now, d.open_slots, d.bounds, d.midnight
    end_of_day, category_of = d.end_of_day, d.category_of
    rates = np.zeros((len(names), n))
    replay = None
    volume_cv = 0.0
    notes: dict[str, Any] = {
        "arrivals": arrivals,
        "history": train.label,
        "hours": ", ".join(f"{a}-{b}" for a, b in d.spans) + f" ({d.hours_from})",
    }
    day_counts = np.zeros(n)
    for _, slot, _, count in con.execute(arrivals_sql(), bounds).fetchall():
        day_counts[slot] += count
    if arrivals == "actual":
        later = offered_calls(con, centre, at, end_of_day)
        if not later:
            raise ValueError(
                f"--arrivals actual replays the calls after --at, and centre "
                f"{centre.centre_id} has none after {local:%Y-%m-%d %H:%M} (the rest of "
                "today has not happened yet): use --arrivals forecast"
            )
        times = np.array([(t - midnight).total_seconds() for t, _, _ in later])
        cats = np.array([names.index(category_of(c)) for _, c, _ in later], dtype=np.int64)
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
            local_start = pd.to_datetime(forecast_frame["interval_start"])
            rest_fc = forecast_frame[
                [(t.hour * 3600 + t.minute * 60) // interval_s >= slot_now for t in local_start]
            ]
            correction = day_correction(
                con,
                centre,
                day,
                float(sec),
                interval_s,
                a_so_far,
                float(f_so_far),
                forecast_frame.attrs.get("method") or "profile",
                prior_cv=forecast_cv(
                    *(
                        rest_fc[c].to_numpy(dtype=float)
                        for c in ("offered", "offered_low", "offered_high")
                    )
                ),
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

    return rates, replay, volume_cv, notes, day_counts


def _agents_per_slot(d: _Day, staffing, roster, live, rates, day_counts, arrivals, share_by, notes):
    """Agents available per slot from ``staffing`` (module docstring); the source goes
    into ``notes["staffing"]``."""
    con, centre, local, day = d.con, d.centre, d.local, d.day
    cal, n, interval_s, weekday = d.cal, d.n, d.interval_s, d.weekday
    spans, slot_now, open_slots, bounds = d.spans, d.slot_now, d.open_slots, d.bounds
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
        shifts = roster_agents(roster, centre, day, interval_s)
        if shifts is not None:
            agents = shifts
            notes["staffing"] = f"the roster {roster} (its shifts, less their breaks)"
        else:
            base = scenario_from_dict(
                _scenario_data(cal, centre, day, rates, np.zeros(n), interval_s, weekday, spans),
                "intraday",
            )
            roster_staffing = staffing_from_csv(roster, base)
            timeline = base.with_changes(staffing=roster_staffing).timeline()
            agents = timeline.agents[:n].astype(float)
            notes["staffing"] = f"the staffing table {roster}"
    elif staffing == "live":
        agents[slot_now:] = live["on_shift"]
        notes["staffing"] = (
            f"the live feed's agents on shift at {local:%H:%M} ("
            + ", ".join(f"{n} {state}" for state, n in sorted(live["by_state"].items()))
            + "; paused and logged out not counted), staying to closing"
        )
    else:
        agents = _present_agents(d, rates, day_counts, arrivals, share_by, notes)
    agents = np.where(open_slots | (np.arange(n) == slot_now), agents, 0.0)
    return agents


def _present_agents(d: _Day, rates, day_counts, arrivals, presence_share_by, notes):
    """``--staffing presence``: the agents present on the day, read off the log, times the
    share of them the calibration's agents stood for (per slot, or per class of load)."""
    con, centre, at, day = d.con, d.centre, d.at, d.day
    cal, train, n, interval_s = d.cal, d.train, d.n, d.interval_s
    weekday, slot_now, bounds, end_of_day = d.weekday, d.slot_now, d.bounds, d.end_of_day
    talk = d.talk
    days = (d.first_day,)
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
        raise CannotPlan(
            "no_agents",
            f"--staffing presence reads agents off answered calls' agent ids, and centre "
            f"{centre.centre_id} has none on {day} or in {train.label}: use --staffing "
            "table or roster",
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
    aht = np.array([(talk.get(c.name) or c.handling.distribution).mean_s for c in cal.categories])
    load = (rates * aht[:, None]).sum(axis=0) / interval_s  # Erlangs per slot
    if presence_share_by == "load":
        # the day's calls per slot: the replayed day's own, or the re-forecast
        calls = day_counts if arrivals == "actual" else rates.sum(axis=0)
        mean_aht = float(np.average(aht, weights=np.maximum(rates.sum(axis=1), 1e-9)))
        learnt, fit_words = learnt_load_share(con, centre, cal, day, interval_s, days[0])
        agents = present * learnt(day, present, calls * mean_aht / interval_s)
        # at least the busy agents of the load: a burst beyond the training days'
        # classes (the bank's 235-call evening hour of 14 February) is staffed as the
        # centre evidently did, not at a share learnt on ordinary hours
        agents = np.where(rates.sum(axis=0) > 0, np.maximum(agents, np.maximum(load, 1.0)), agents)
        share_words = f"a share per class of load per agent present ({fit_words})"
    else:
        agents = present * share
        agents = np.where(rates.sum(axis=0) > 0, np.maximum(agents, np.maximum(load, 1.0)), agents)
        share_words = f"the share of them the calibration's agents were on {train.label}"
    notes["staffing"] = (
        f"the agents present on {day} ({presence_words()}"
        + ("; those present at --at stay to closing" if carried else "")
        + ") × "
        + share_words
    )
    return agents


def learnt_load_share(con, centre: Centre, cal, day: dt.date, interval_s: int, first: dt.date):
    """(``share(day, present, load)``, words) learnt on the ``LOAD_TRAIN_DAYS`` days
    before ``day`` (from ``first``) by simulation (``PRESENCE_SHARES``); kept per centre,
    day and the training days' calls, so the what-ifs and the page's reloads reuse it."""
    start = max(first, day - dt.timedelta(days=LOAD_TRAIN_DAYS))
    train = Period(start, day - dt.timedelta(days=1), f"{start}..{day - dt.timedelta(days=1)}")
    lo, hi = train.bounds(centre.tz)
    seen = con.execute(
        "SELECT count(*), max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ?",
        [centre.centre_id, lo, hi],
    ).fetchone()
    key = (centre.centre_id, day, interval_s, train.label, seen)
    if key not in _LOAD_SHARE_CACHE:
        present = con.execute(
            present_agents_sql(), [centre.timezone, centre.centre_id, lo, hi, *[interval_s] * 8]
        ).fetchall()

        def run(jobs, what=""):
            return (run_replication(*j) for j in jobs)

        share, fit = learn_load_share(
            con,
            centre,
            cal,
            train,
            present,
            interval_s,
            run,
            0,
            replications_min=1,
            simulated_days=LOAD_SIMULATED_DAYS,
        )
        words = (
            "learnt on "
            + train.label
            + ": "
            + ", ".join(f"{v:.2f}" for v in fit["shares"])
            + " for Erlangs per agent present split at "
            + ", ".join(f"{e:.2f}" for e in fit["load_per_agent_edges"])
        )
        if len(_LOAD_SHARE_CACHE) > 64:
            _LOAD_SHARE_CACHE.clear()
        _LOAD_SHARE_CACHE[key] = (share, words)
    return _LOAD_SHARE_CACHE[key]


def offered_calls(con, centre, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(arrived_at, category, outcome) of the calls offered from ``start`` to ``end``, in
    the order they came (the calls a replay puts back in the queue)."""
    return con.execute(
        "SELECT arrived_at, category, outcome FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        f"AND arrived_at < ? AND outcome IN {OUTCOMES_SQL} ORDER BY arrived_at, call_id",
        [centre.centre_id, start, end],
    ).fetchall()


def morning_factor(con, centre, data, agents, at, category_of, names) -> tuple[float, str]:
    """The factor on ``agents`` (per slot) at which the day's morning, its real callers
    replayed from an empty centre at midnight, answers the share of them the centre
    answered (callers who came ``MORNING_SETTLED_S`` or more before ``at``), and what
    it was read from; (1, why not) with too few calls."""
    midnight = dt.datetime.combine(at.astimezone(centre.tz).date(), dt.time(0), tzinfo=centre.tz)
    settled = at - dt.timedelta(seconds=MORNING_SETTLED_S)
    rows = offered_calls(con, centre, midnight, settled)
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


def _scenario_data(cal, centre, day, rates, agents, interval_s, weekday, spans, talk=None) -> dict:
    base = cal.scenario
    categories = {}
    for k, c in enumerate(cal.categories):
        sc_cat = next(x for x in base.categories if x.name == c.name)
        table: dict[str, Any] = {
            "priority": sc_cat.priority,
            "talk": ((talk or {}).get(c.name) or sc_cat.talk).to_toml(),
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
