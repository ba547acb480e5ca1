"""Forecasting: calls offered (or tickets created) per interval for the weeks ahead.

A planner staffs next week from a forecast of how many calls each half hour will bring.
Contact-centre volume has three shapes laid over each other: a *level* that drifts from
week to week, a *weekly* pattern (Sunday is the Gulf's Monday; Friday and Saturday are
quiet or closed) and an *intraday* curve per kind of day. Special days break the
pattern, and the calendar names them in advance, so each day of the horizon gets a
**day type** (``DayCalendar``):

* ``regular`` days, by weekday. Weekdays with the same intraday curve share it: the
  centre's working weekdays whose volume is at least 60% of the busiest weekday's form
  one group (so a Friday half-day of a bank whose settings say Saturday–Sunday still
  gets a curve of its own); every other weekday is its own type;
* ``holiday``: a public holiday of the centre's country (``holidays``), a closure of
  its own, or a date the planner adds (``extra_holidays``: moon sighting moves Eid by a
  day; ``removed_holidays`` takes one away);
* ``eid``: a holiday within two days of Eid al-Fitr (1–3 Shawwal) or Eid al-Adha
  (10–13 Dhu al-Hijja) of the Umm al-Qura calendar (``hijridate``); ``pre_eid`` the two
  days before such a block and ``post_eid`` the three days after it;
* ``pre_holiday`` and ``post_holiday``: the day before and the first non-weekend day
  after another holiday block;
* ``ramadan``: the days of Ramadan (month 9), numbered by day of Ramadan. Ramadan moves
  eleven days a year, so no yearly season can follow it: its volume per day of Ramadan
  (relative to the same weekday of ordinary weeks around it) and its intraday curve are
  learnt from the previous Ramadan in the history and applied to this one.

A special type's volume is learnt as the ratio of its days' calls to the mean of the
same weekday's regular days within six weeks around it (``ratio``); a type with no day
in the history is forecast as a regular day, except a holiday, which is forecast as
closed (the business calendar's rule).

**Methods.** ``profile`` (the default): daily volume = level × weekday factor × day-type
ratio, spread over the day by the day type's intraday profile of recent weeks, with
everything chosen on the training days alone. A working day's half hour far outside
its expected count (a burst, an outage: ``_CLIP_SD`` Poisson standard deviations) is
clipped first. Working weekdays share one curve unless leave-one-day-out errors show
that they differ by more than their noise (``_Season._weekday_groups``: a weekday's own
curve from 3–8 days is mostly noise, but the bank's Monday and Wednesday afternoons
are not); curves are smoothed over neighbouring intervals. The level of the
deseasonalised daily totals is flat or a damped linear trend, by discounted least
squares, whichever forecast the training days best a week ahead from rolling origins
inside the training period (``_choose_level``: the bank's February fell 3–8% a week,
which a flat level cannot follow). Alternatives from ``statsmodels``: ``ets``
(Holt–Winters exponential smoothing of the daily totals with weekly seasonality, spread
by the same profiles), ``mstl`` (MSTL decomposition of the interval series with daily
and weekly periods), ``glm`` (a Poisson regression with day-group × interval and
weekday terms and a trend). ``auto``
picks the method with the lowest WAPE in rolling-origin backtests on the training
weeks. ``statsforecast`` was left out: it pulls in numba, fugue and a different pandas,
and its MSTL/AutoETS are in statsmodels.

**Prediction intervals (80%).** Counts are overdispersed Poisson: a negative binomial
with variance μ + φμ², φ measured on the training period's last week forecast from the
weeks before it (so it carries the level's error too, not only Poisson noise); the
bounds are mid-p quantiles interpolated between counts, so that a count falls inside
them about 80% of the time even where μ is small.

**Intraday re-forecast** (``reforecast_today``): the rest of today is the forecast
scaled by today's actual calls so far over the forecast so far (shrunk towards 1 while
little has been seen).

**Backtests** (``backtest``): rolling origin, a week per fold; WAPE = Σ|y − ŷ| / Σy over
the intervals, MAPE over intervals with at least 10 calls, and the Poisson noise floor:
the WAPE a perfect rate forecast would still have, Σ E|Y − λ| / Σλ with λ the actual
counts (E|Y − λ| = 2e^{−λ}λ^{⌊λ⌋+1}/⌊λ⌋! for a Poisson λ).

Units: calls (or tickets) per interval; intervals of 15, 30 or 60 minutes or a day;
times are the centre's local wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.periods import Period
from simulation.forecasting.accuracy import accuracy, poisson_mad
from simulation.forecasting.day_types import DayCalendar
from simulation.forecasting.intervals import LEVEL, dispersion, prediction_bounds
from simulation.forecasting.methods import METHODS, forecast_matrix

INTERVAL_SECONDS = {"15min": 900, "30min": 1800, "60min": 3600, "day": 86400}
KINDS = ("calls", "tickets")


# --------------------------------------------------------------------------- history


def interval_seconds(interval: str) -> int:
    if interval not in INTERVAL_SECONDS:
        raise ValueError(f"interval {interval!r}: forecasts are by {', '.join(INTERVAL_SECONDS)}")
    return INTERVAL_SECONDS[interval]


def history_counts(
    con,
    centre: Centre,
    period: Period,
    *,
    kind: str = "calls",
    interval: str = "30min",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Calls offered (``kind="calls"``) or tickets created per local interval of
    ``period`` from the KPI layer: columns ``interval_start`` (naive local), the ``by``
    keys, ``count``; intervals without any are left out."""
    from analytics.kpi import call_kpis, ticket_kpis

    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "calls":
        rows = call_kpis(con, centre, period=period, by=tuple(by), interval=interval)
        column = "offered"
    else:
        end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), centre.tz)
        rows = ticket_kpis(con, centre, period=period, by=tuple(by), interval=interval, as_of=end)
        column = "created"
    frame = pd.DataFrame(rows, columns=[*by, "interval_start", column])
    frame = frame[frame[column].fillna(0) > 0]
    out = pd.DataFrame({k: frame[k].to_numpy() for k in by})
    out["interval_start"] = [t.replace(tzinfo=None) for t in frame["interval_start"]]
    out["count"] = frame[column].to_numpy(dtype=float)
    return out


def data_days(con, centre: Centre, kind: str = "calls") -> tuple[dt.date, dt.date] | None:
    """First and last local day with calls (tickets) of the centre, or None."""
    table, column = ("calls", "arrived_at") if kind == "calls" else ("tickets", "created_at")
    first, last = con.execute(
        f"SELECT min({column}), max({column}) FROM {table} WHERE centre_id = ?",
        [centre.centre_id],
    ).fetchone()
    if first is None:
        return None
    return first.astimezone(centre.tz).date(), last.astimezone(centre.tz).date()


def day_matrix(counts: pd.DataFrame, first: dt.date, days: int, interval_s: int) -> np.ndarray:
    """``counts`` (``interval_start``, ``count``) as a days × intervals-of-day matrix
    from ``first``; missing intervals are 0."""
    slots = 86400 // interval_s
    y = np.zeros((days, slots))
    if len(counts):
        starts = pd.to_datetime(counts["interval_start"])
        day = (starts.dt.normalize() - pd.Timestamp(first)).dt.days.to_numpy()
        slot = ((starts - starts.dt.normalize()).dt.total_seconds() // interval_s).to_numpy()
        keep = (day >= 0) & (day < days)
        np.add.at(y, (day[keep].astype(int), slot[keep].astype(int)), counts["count"][keep])
    return y


# --------------------------------------------------------------------------- the API


@dataclass(frozen=True)
class ForecastSpec:
    """The choices of a forecast: ``train`` (local days; default the last 8 weeks of
    history), ``horizon_days``, ``interval``, ``by`` dimensions, ``method`` (``auto`` or
    one of ``METHODS``), ``kind`` (``calls`` or ``tickets``), holiday overrides."""

    train: Period | None = None
    horizon_days: int = 14
    interval: str = "30min"
    by: tuple[str, ...] = ()
    method: str = "profile"
    kind: str = "calls"
    extra_holidays: Mapping[dt.date, str] = field(default_factory=dict)
    removed_holidays: frozenset[dt.date] = frozenset()
    level: float = LEVEL
    folds: int = 3

    def __post_init__(self) -> None:
        interval_seconds(self.interval)
        if self.horizon_days < 1:
            raise ValueError(f"horizon {self.horizon_days} days: give at least 1 day")
        if self.method != "auto" and self.method not in METHODS:
            raise ValueError(f"method {self.method!r} is not one of auto, {', '.join(METHODS)}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0 < self.level < 1:
            raise ValueError(f"level {self.level} must be between 0 and 1")


@dataclass(frozen=True)
class Forecast:
    """A forecast: ``frame`` (columns ``interval_start`` local aware, the ``by`` keys,
    ``offered`` or ``created``, ``…_low``, ``…_high``), the ``method`` used, the
    ``train`` period, the dispersion ``phi`` and, for ``auto``, the backtest ``scores``."""

    frame: pd.DataFrame
    method: str
    train: Period
    horizon: Period
    interval: str
    kind: str
    by: tuple[str, ...]
    phi: float
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def value_column(self) -> str:
        return "offered" if self.kind == "calls" else "created"


def _history_start(con, centre, spec: ForecastSpec) -> tuple[dt.date, dt.date, dt.date]:
    """(first day of history used, first training day, last training day)."""
    days = data_days(con, centre, spec.kind)
    if days is None:
        raise ValueError(f"centre {centre.centre_id} has no {spec.kind} to forecast from")
    if spec.train is not None:
        train_start, train_end = spec.train.start, spec.train.end
    else:
        train_end = days[1]
        train_start = max(days[0], train_end - dt.timedelta(days=8 * 7 - 1))
    # a training period reaching before the history starts is the history
    train_start = max(train_start, days[0])
    train_end = min(train_end, days[1])
    if (train_end - train_start).days < 6:
        raise ValueError(
            f"training period {train_start}..{train_end}: give at least 7 days of history"
        )
    # special days are learnt from up to ~14 months back (the previous Ramadan)
    first = max(days[0], train_start - dt.timedelta(days=400))
    first = min(first, train_start)
    return first, train_start, train_end


def _local_grid(first: dt.date, days: int, interval_s: int, zone) -> list[dt.datetime]:
    slots = 86400 // interval_s
    out = []
    for d in range(days):
        day = first + dt.timedelta(days=d)
        midnight = dt.datetime(day.year, day.month, day.day)
        for s in range(slots):
            out.append((midnight + dt.timedelta(seconds=s * interval_s)).replace(tzinfo=zone))
    return out


def _choose_method(y, types, train_days, centre, folds: int) -> tuple[str, dict[str, float]]:
    """The method with the least WAPE over rolling one-week folds of the training days."""
    scores = {}
    for method in METHODS:
        actual, predicted = [], []
        for k in range(folds, 0, -1):
            cut = len(types) - 7 * k
            fold_train = min(train_days - 7 * k, cut)
            if fold_train < 14:
                continue
            m = forecast_matrix(
                y[:cut], types[:cut], fold_train, types[cut : cut + 7], centre, method
            )
            actual.append(y[cut : cut + 7])
            predicted.append(m)
        if actual:
            scores[method] = accuracy(np.concatenate(actual), np.concatenate(predicted))["wape"]
    if not scores:
        return "profile", {}
    return min(scores, key=lambda m: (scores[m] is None, scores[m] or 0.0)), scores


def forecast(con, centre: Centre, spec: ForecastSpec | None = None, **choices) -> Forecast:
    """Offered calls (tickets created) per interval for ``spec.horizon_days`` days after
    the training period, with ``spec.level`` prediction intervals; ``choices`` are
    ``ForecastSpec`` fields (``forecast(con, centre, horizon_days=7, by=("category",))``).
    Reads the history through the KPI layer."""
    spec = spec or ForecastSpec(**choices)
    interval_s = interval_seconds(spec.interval)
    first, train_start, train_end = _history_start(con, centre, spec)
    n_days = (train_end - first).days + 1
    train_days = (train_end - train_start).days + 1
    hist_period = Period(first, train_end, f"{first}..{train_end}")
    counts = history_counts(
        con, centre, hist_period, kind=spec.kind, interval=spec.interval, by=spec.by
    )
    calendar = DayCalendar(centre, dict(spec.extra_holidays), frozenset(spec.removed_holidays))
    types = calendar.day_types(first, n_days)
    horizon_first = train_end + dt.timedelta(days=1)
    horizon_types = calendar.day_types(horizon_first, spec.horizon_days)
    total = counts.groupby("interval_start", as_index=False)["count"].sum()
    y = day_matrix(total, first, n_days, interval_s)
    method, scores = spec.method, {}
    if method == "auto":
        method, scores = _choose_method(y, types, train_days, centre, spec.folds)
    mean = forecast_matrix(y, types, train_days, horizon_types, centre, method)
    # dispersion from the training period's last week forecast from the weeks before it
    phi = 0.0
    if train_days >= 14:
        cut = n_days - 7
        held = forecast_matrix(y[:cut], types[:cut], train_days - 7, types[cut:], centre, method)
        phi = dispersion(y[cut:], held)
    starts = _local_grid(horizon_first, spec.horizon_days, interval_s, centre.tz)
    value = "offered" if spec.kind == "calls" else "created"
    frames = []
    if spec.by:
        shares = _group_shares(counts, spec.by, first, n_days, train_days, interval_s, types)
        for key, share in shares.items():
            part = mean * share(horizon_types)
            frames.append(_rows(starts, dict(zip(spec.by, key, strict=True)), part, phi, spec))
    else:
        frames.append(_rows(starts, {}, mean, phi, spec))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if spec.by and len(frame):
        frame = frame.sort_values(["interval_start", *spec.by], kind="stable")
        frame = frame.reset_index(drop=True)
    horizon = Period(
        horizon_first,
        horizon_first + dt.timedelta(days=spec.horizon_days - 1),
        f"{horizon_first}..{horizon_first + dt.timedelta(days=spec.horizon_days - 1)}",
    )
    frame = frame.rename(columns={"mean": value, "low": f"{value}_low", "high": f"{value}_high"})
    train_period = Period(train_start, train_end, f"{train_start}..{train_end}")
    return Forecast(
        frame, method, train_period, horizon, spec.interval, spec.kind, spec.by, phi, scores
    )


def _rows(starts, keys: dict, mean: np.ndarray, phi: float, spec: ForecastSpec) -> pd.DataFrame:
    flat = mean.ravel()
    low, high = prediction_bounds(flat, phi, spec.level)
    frame = pd.DataFrame({"interval_start": starts})
    for k, v in keys.items():
        frame[k] = v
    frame["mean"] = np.round(flat, 3)
    frame["low"] = np.round(low, 3)
    frame["high"] = np.round(high, 3)
    return frame


def _group_shares(counts, by, first, n_days, train_days, interval_s, types):
    """Per group of ``by``: a function of the horizon's day types giving the group's
    share of each interval's calls — its share per hour of the day in the training
    window, shrunk towards its share of the whole day (a small category's half hours are
    noise)."""
    slots = 86400 // interval_s
    per_hour = max(1, 3600 // interval_s)
    keys = sorted({tuple(r) for r in counts[list(by)].itertuples(index=False)}, key=str)
    total = counts.groupby("interval_start", as_index=False)["count"].sum()
    y_all = day_matrix(total, first, n_days, interval_s)[-train_days:]
    out = {}
    kinds = np.array([t.kind for t in types])[-train_days:]
    for key in keys:
        mask = np.ones(len(counts), dtype=bool)
        for col, v in zip(by, key, strict=True):
            mask &= (counts[col] == v).to_numpy() if v is not None else counts[col].isna()
        y_g = day_matrix(counts[mask], first, n_days, interval_s)[-train_days:]

        def hourly(m):
            s = m.sum(axis=0)
            if per_hour > 1:
                s = np.repeat(s.reshape(-1, per_hour).sum(axis=1), per_hour)
            return s

        g_h, a_h = hourly(y_g), hourly(y_all)
        day_share = y_g.sum() / y_all.sum() if y_all.sum() else 0.0
        k = 50.0  # calls of pseudo-weight for the day's share
        share = (g_h + k * day_share) / (a_h + k)
        special = {}
        for kind in set(kinds) - {"regular"}:
            sel = kinds == kind
            if y_all[sel].sum() > 0:
                special[kind] = y_g[sel].sum() / y_all[sel].sum()

        def fn(horizon_types, share=share, special=special):
            rows = []
            for t in horizon_types:
                if t.kind in special:
                    rows.append(np.full(slots, special[t.kind]))
                else:
                    rows.append(share)
            return np.array(rows)

        out[key] = fn
    return out


def reforecast_today(
    frame: pd.DataFrame,
    actual: pd.DataFrame,
    as_of: dt.datetime,
    *,
    value: str = "offered",
    prior_calls: float = 30.0,
    phi: float = 0.0,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Intraday re-forecast: ``frame``'s intervals of ``as_of``'s local day that start at
    or after ``as_of`` scaled by (actual so far + k) / (forecast so far + k), k =
    ``prior_calls`` (so the first few calls of the morning barely move the day); the
    intervals already over carry their actuals. ``actual``: ``interval_start`` and
    ``count`` of today so far (aware or naive local)."""
    out = frame.copy()
    starts = pd.to_datetime(out["interval_start"])
    local = as_of.astimezone(starts.dt.tz) if starts.dt.tz is not None else as_of
    today = starts.dt.date == local.date()
    past = today & (starts < pd.Timestamp(local))
    rest = today & (starts >= pd.Timestamp(local))
    got = actual.copy()
    got_starts = pd.to_datetime(got["interval_start"])
    if got_starts.dt.tz is None and starts.dt.tz is not None:
        got_starts = got_starts.dt.tz_localize(starts.dt.tz)
    seen = dict(zip(got_starts, got["count"], strict=True))
    so_far_actual = float(sum(seen.get(s, 0.0) for s in starts[past]))
    so_far_forecast = float(out.loc[past, value].sum())
    scale = (so_far_actual + prior_calls) / (so_far_forecast + prior_calls)
    out.loc[rest, value] = out.loc[rest, value] * scale
    low, high = prediction_bounds(out.loc[rest, value].to_numpy(), phi, level)
    out.loc[rest, f"{value}_low"] = low
    out.loc[rest, f"{value}_high"] = high
    for col in (value, f"{value}_low", f"{value}_high"):
        out.loc[past, col] = [float(seen.get(s, 0.0)) for s in starts[past]]
    out.attrs["scale"] = scale
    return out


def backtest_forecasts(
    con,
    centre: Centre,
    *,
    train_days: int = 56,
    folds: int = 3,
    test_days: int = 7,
    interval: str = "30min",
    kind: str = "calls",
    methods: Sequence[str] = METHODS,
    end: dt.date | None = None,
    extra_holidays: Mapping[dt.date, str] | None = None,
    removed_holidays: frozenset[dt.date] = frozenset(),
) -> list[dict]:
    """Rolling-origin backtests: ``folds`` test windows of ``test_days`` ending with the
    history's last day (or ``end``), each forecast from up to ``train_days`` days before
    it. One row per method and fold and an ``all`` row per method: ``method``, ``fold``,
    ``train``, ``test``, ``wape``, ``mape``, ``poisson_floor``; ``seasonal_naive`` (the
    same interval a week earlier) is the reference."""
    interval_s = interval_seconds(interval)
    days = data_days(con, centre, kind)
    if days is None:
        raise ValueError(f"centre {centre.centre_id} has no {kind} to backtest")
    last = end or days[1]
    first = max(days[0], last - dt.timedelta(days=folds * test_days + train_days + 400))
    n_days = (last - first).days + 1
    counts = history_counts(
        con, centre, Period(first, last, f"{first}..{last}"), kind=kind, interval=interval
    )
    y = day_matrix(counts, first, n_days, interval_s)
    calendar = DayCalendar(centre, dict(extra_holidays or {}), frozenset(removed_holidays))
    types = calendar.day_types(first, n_days)
    rows = []
    pooled: dict[str, tuple[list, list]] = {}
    for k in range(folds, 0, -1):
        cut = n_days - test_days * k
        train = min(train_days, cut)
        if train < 7:
            raise ValueError(
                f"backtest fold {folds - k + 1}: only {train} days of history before it"
            )
        test = y[cut : cut + test_days]
        t0 = first + dt.timedelta(days=cut)
        label_test = f"{t0}..{t0 + dt.timedelta(days=test_days - 1)}"
        label_train = f"{t0 - dt.timedelta(days=train)}..{t0 - dt.timedelta(days=1)}"
        candidates = {m: None for m in methods}
        if cut >= 7:
            candidates["seasonal_naive"] = np.resize(y[cut - 7 : cut], (test_days, y.shape[1]))
        for method in candidates:
            predicted = candidates[method]
            if predicted is None:
                predicted = forecast_matrix(
                    y[:cut], types[:cut], train, types[cut : cut + test_days], centre, method
                )
            score = accuracy(test, predicted)
            rows.append(
                {
                    "method": method,
                    "fold": folds - k + 1,
                    "train": label_train,
                    "test": label_test,
                    **score,
                }
            )
            a, p = pooled.setdefault(method, ([], []))
            a.append(test)
            p.append(predicted)
    for method, (a, p) in pooled.items():
        score = accuracy(np.concatenate(a), np.concatenate(p))
        rows.append({"method": method, "fold": "all", "train": "", "test": "", **score})
    return rows


def poisson_floor_of(rate: np.ndarray) -> float:
    """The expected WAPE of a perfect forecast of Poisson counts with these rates."""
    rate = np.asarray(rate, dtype=float)
    return float(poisson_mad(rate).sum() / rate.sum()) if rate.sum() else math.nan
