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
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.clock import seconds_of_day
from analytics.periods import Period, hijri_date

METHODS = ("profile", "ets", "mstl", "glm")
INTERVAL_SECONDS = {"15min": 900, "30min": 1800, "60min": 3600, "day": 86400}
KINDS = ("calls", "tickets")
SPECIAL_KINDS = ("holiday", "eid", "pre_eid", "post_eid", "pre_holiday", "post_holiday", "ramadan")
LEVEL = 0.8  # the prediction interval's coverage
# Regular weekdays below this share of the busiest weekday's volume get their own curve.
_GROUP_SHARE = 0.6
# A working day's half hour outside its expected count ± this many Poisson standard
# deviations (+2 calls) is clipped to the band before anything is learnt from it: the
# bank's February has a 235-call evening hour (usually ~45) and an hour with no calls.
_CLIP_SD = 4.0
_BASELINE_DAYS = 42
# Passes of the (1, 2, 1)/4 smoother over a profile (three: about a Gaussian of 1.2
# intervals; on the bank's February one pass left 17.2% WAPE with perfect daily totals,
# three 16.8%).
_SMOOTH_PASSES = 3
# Days of pseudo-weight of the group's factor when a working weekday's own factor is
# estimated (three weeks give each weekday only three days).
_FACTOR_SHRINK_DAYS = 6.0
# The daily level: discounted least squares of the deseasonalised daily totals, a flat
# level or a damped linear trend, each with these discount factors per day (1: all
# training days weigh the same); chosen by their errors a week ahead from rolling origins
# inside the training period.
LEVEL_DISCOUNTS = (0.85, 0.9, 0.95, 1.0)
# A trend needs two weekly cycles of days before it is fitted (or judged).
_TREND_DAYS = 14
# The trend's damping per day ahead (Gardner–McKenzie): over 14 days 12.4 days of slope.
_TREND_DAMPING = 0.98
# Days ahead each rolling origin is judged on (a week: what a staffing plan looks ahead).
_LEVEL_HORIZON = 7
_EID = {10: range(1, 4), 12: range(10, 14)}  # Hijri month -> days of Eid


def _near_eid(day: dt.date, slack: int = 2) -> bool:
    for shift in range(-slack, slack + 1):
        h = hijri_date(day + dt.timedelta(days=shift))
        if h and h[1] in _EID and h[2] in _EID[h[1]]:
            return True
    return False


@dataclass(frozen=True)
class DayType:
    """What kind of day a date is: ``kind`` (``regular`` or one of ``SPECIAL_KINDS``),
    its ISO ``weekday`` and, in Ramadan, its ``ramadan_day`` (1–30)."""

    kind: str
    weekday: int
    ramadan_day: int | None = None


@dataclass(frozen=True)
class DayCalendar:
    """The day types of a centre's dates (see the module docstring).

    ``extra_holidays``: dates the planner declares holidays (date -> name);
    ``removed_holidays``: dates the holidays package names that are not."""

    centre: Centre
    extra_holidays: Mapping[dt.date, str] = field(default_factory=dict)
    removed_holidays: frozenset[dt.date] = frozenset()

    def holiday(self, day: dt.date) -> str | None:
        if day in self.removed_holidays:
            return None
        if day in self.extra_holidays:
            return self.extra_holidays[day] or "holiday"
        if day in self.centre.extra_closures:
            return "closure"
        if self.centre.holiday_country:
            from analytics.calendars import country_holidays

            return country_holidays(self.centre.holiday_country, day.year).get(day)
        return None

    def _is_eid(self, day: dt.date) -> bool:
        return self.holiday(day) is not None and _near_eid(day)

    def day_type(self, day: dt.date) -> DayType:
        weekday = day.isoweekday()
        one = dt.timedelta(days=1)
        if self.holiday(day) is not None:
            return DayType("eid" if self._is_eid(day) else "holiday", weekday)
        # around Eid: two days before the block, three after it
        for k in (1, 2):
            if self._is_eid(day + k * one) and all(
                self.holiday(day + j * one) is not None for j in range(1, k)
            ):
                return DayType("pre_eid", weekday)
            if self._is_eid(day - k * one) and all(
                self.holiday(day - j * one) is not None for j in range(1, k)
            ):
                return DayType("post_eid", weekday)
        if self._is_eid(day - 3 * one) and all(self.holiday(day - j * one) is None for j in (1, 2)):
            return DayType("post_eid", weekday)
        if self.holiday(day + one) is not None:
            return DayType("pre_holiday", weekday)
        back = day - one
        while back.isoweekday() in self.centre.weekend and self.holiday(back) is None:
            back -= one
            if (day - back).days > 3:
                break
        if self.holiday(back) is not None and day.isoweekday() not in self.centre.weekend:
            return DayType("post_holiday", weekday)
        h = hijri_date(day)
        if h and h[1] == 9:
            return DayType("ramadan", weekday, h[2])
        return DayType("regular", weekday)

    def day_types(self, first: dt.date, days: int) -> list[DayType]:
        return [self.day_type(first + dt.timedelta(days=i)) for i in range(days)]


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


# --------------------------------------------------------------------------- the model


@dataclass
class _Fit:
    """What a method forecasts for the horizon's days: daily totals and intraday shares."""

    totals: np.ndarray  # days
    shares: np.ndarray  # days × slots, rows summing to 1 (or 0)


def _smooth_shape(shape: np.ndarray) -> np.ndarray:
    """Neighbouring intervals average (1, 2, 1)/4 where both neighbours carry calls;
    edges of the opening hours are kept sharp."""
    if shape.shape[-1] < 3:
        return shape
    out = shape.copy()
    inner = (shape[..., :-2] > 0) & (shape[..., 2:] > 0) & (shape[..., 1:-1] > 0)
    smoothed = (shape[..., :-2] + 2 * shape[..., 1:-1] + shape[..., 2:]) / 4
    out[..., 1:-1] = np.where(inner, smoothed, shape[..., 1:-1])
    total = out.sum(axis=-1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def _clip_outliers(y: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``y`` with the counts of ``days`` clipped to their day's total spread by the
    days' pooled curve ± ``_CLIP_SD`` Poisson standard deviations (+2); twice, the
    second time against the curve of the clipped counts."""
    out = y.astype(float, copy=True)
    if days.sum() < 2:
        return out
    for _ in range(2):
        rows = out[days]
        expected = rows.sum(axis=1, keepdims=True) * _normalise(rows.sum(axis=0))
        band = _CLIP_SD * np.sqrt(expected) + 2
        out[days] = np.clip(rows, np.maximum(expected - band, 0), expected + band)
    return out


def _normalise(v: np.ndarray) -> np.ndarray:
    total = v.sum()
    return v / total if total > 0 else np.zeros_like(v)


class _Season:
    """Everything learnt from the history that does not depend on the method: weekday
    groups, weekday factors, intraday profiles per day type, special-day ratios."""

    def __init__(
        self,
        y: np.ndarray,
        types: Sequence[DayType],
        train: np.ndarray,
        centre: Centre,
        smooth: bool = True,
    ):
        self.raw = y
        self.types = list(types)
        self.slots = y.shape[1]
        self.centre = centre
        self.smooth = smooth
        regular = np.array([t.kind == "regular" for t in types]) & train
        self.regular = regular
        weekday = np.array([t.weekday for t in types])
        self.weekday = weekday
        raw_totals = y.sum(axis=1)
        mean_by_day = {
            w: float(raw_totals[regular & (weekday == w)].mean())
            if (regular & (weekday == w)).any()
            else 0.0
            for w in range(1, 8)
        }
        busiest = max(mean_by_day.values()) or 1.0
        # by the data, not the settings: stored settings are often defaults (the bank's say
        # Saturday–Sunday; its Sunday is a full working day and its Friday a half day)
        self.working = {w for w, m in mean_by_day.items() if m >= _GROUP_SHARE * busiest}
        working_days = regular & np.isin(weekday, list(self.working))
        # a spike or an outage in one half hour is not the centre's pattern
        self.y = _clip_outliers(y, working_days)
        totals = self.y.sum(axis=1)
        self.totals = totals
        # intraday profiles of regular days (training window, recent weeks weigh more)
        age = np.arange(len(types))[::-1] / 7.0
        weights = 0.9**age
        self.group_shape = self._finish(self._shape(working_days, weights))
        self.groups = self._weekday_groups(working_days, weights)
        self.weekday_shape = {}
        for group in self.groups:
            curve = self._finish(self._shape(regular & np.isin(weekday, group), weights))
            self.weekday_shape.update({w: curve for w in group})
        for w in range(1, 8):
            if w not in self.weekday_shape:
                self.weekday_shape[w] = self._finish(self._shape(regular & (weekday == w), weights))
        self._specials(self.y, types, totals, weekday, weights)

    def _weekday_groups(self, days: np.ndarray, weights: np.ndarray) -> list[tuple[int, ...]]:
        """The working weekdays grouped by intraday curve, each group sharing one curve.

        Weekdays are merged greedily, from each its own group to all in one, the pair
        whose merge predicts the training days best at each step; the grouping kept is
        the one along the way with the least leave-one-day-out error (each day's calls
        spread by its group's curve learnt from the *other* days, absolute error), or
        the fewest groups within one standard error of it. A weekday's own curve from
        three or four days is mostly noise, so pooling wins unless weekdays really
        differ (the bank's Monday and Wednesday afternoons)."""
        present = sorted({int(w) for w in self.weekday[days]})
        if len(present) < 2:
            return [tuple(present)] if present else []
        rows = np.flatnonzero(days)
        weighted = self.y[rows] * weights[rows, None]

        def loo_errors(groups: list[tuple[int, ...]]) -> np.ndarray:
            of = {w: k for k, g in enumerate(groups) for w in g}
            member = np.array([of[int(self.weekday[i])] for i in rows])
            sums = np.array([weighted[member == k].sum(axis=0) for k in range(len(groups))])
            err = np.empty(len(rows))
            for j, i in enumerate(rows):
                rest = sums[member[j]] - weighted[j]
                day = self.y[i]
                if rest.sum() <= 0:
                    err[j] = day.sum()
                else:
                    err[j] = np.abs(day - day.sum() * self._finish(_normalise(rest))).sum()
            return err

        groups = [(w,) for w in present]
        path = [(loo_errors(groups), groups)]
        while len(groups) > 1:
            merges = []
            for a in range(len(groups)):
                for b in range(a + 1, len(groups)):
                    merged = groups[:a] + groups[a + 1 : b] + groups[b + 1 :]
                    merged.append(groups[a] + groups[b])
                    merges.append((loo_errors(merged), merged))
            path.append(min(merges, key=lambda m: m[0].sum()))
            groups = path[-1][1]
        # the fewest groups within one standard error of the least error (Breiman's rule):
        # a split must beat pooling by more than the days' noise
        least = min(path, key=lambda p: p[0].sum())[0]
        within = (
            groups
            for err, groups in reversed(path)
            if (err - least).sum() <= np.sqrt(len(least)) * (err - least).std(ddof=1)
        )
        return [tuple(sorted(g)) for g in next(within)]  # the least itself is within

    def _shape(self, days: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if not days.any():
            return np.zeros(self.slots)
        return _normalise((self.y[days] * weights[days, None]).sum(axis=0))

    def _finish(self, shape: np.ndarray) -> np.ndarray:
        if not self.smooth:
            return _normalise(shape)
        for _ in range(_SMOOTH_PASSES):
            shape = _smooth_shape(shape)
        return shape

    def _specials(self, y, types, totals, weekday, weights) -> None:
        """Ratios and profiles of the special day types, from all the history."""
        n = len(types)
        all_regular = np.array([t.kind == "regular" for t in types])
        baseline = np.full(n, np.nan)
        for i, t in enumerate(types):
            if t.kind == "regular":
                continue
            lo, hi = max(0, i - _BASELINE_DAYS), min(n, i + _BASELINE_DAYS + 1)
            near = [j for j in range(lo, hi) if all_regular[j] and weekday[j] == t.weekday]
            if near:
                baseline[i] = totals[near].mean()
        self.ratio: dict[str, float] = {}
        self.kind_shape: dict[str, np.ndarray] = {}
        for kind in SPECIAL_KINDS:
            days = np.array([t.kind == kind for t in types])
            if kind == "ramadan":
                days &= self._last_ramadan(types)
            usable = days & np.isfinite(baseline) & (np.nan_to_num(baseline) > 0)
            if usable.any():
                self.ratio[kind] = float(totals[usable].sum() / baseline[usable].sum())
            if days.any() and totals[days].sum() >= 20:
                self.kind_shape[kind] = self._finish(_normalise(y[days].sum(axis=0)))
        # Ramadan by day of Ramadan, smoothed over a week of days of Ramadan
        self.ramadan_ratio: dict[int, float] = {}
        last = self._last_ramadan(types)
        if last.any():
            k_of = {i: types[i].ramadan_day for i in np.flatnonzero(last)}
            for k in range(1, 31):
                window = [
                    i
                    for i, kk in k_of.items()
                    if abs(kk - k) <= 3 and np.isfinite(baseline[i]) and baseline[i] > 0
                ]
                if window:
                    self.ramadan_ratio[k] = float(totals[window].sum() / baseline[window].sum())
            # Ramadan's curve per weekday group: working days, and each other weekday
            for w in range(1, 8):
                days = last & (weekday == w)
                if w in self.working:
                    days = last & np.isin(weekday, list(self.working))
                if days.any() and totals[days].sum() >= 20:
                    self.kind_shape[f"ramadan:{w}"] = self._finish(_normalise(y[days].sum(axis=0)))

    @staticmethod
    def _last_ramadan(types: Sequence[DayType]) -> np.ndarray:
        """The days of the latest Ramadan in the history (whole or partial)."""
        mask = np.zeros(len(types), dtype=bool)
        i = len(types) - 1
        while i >= 0 and types[i].kind != "ramadan":
            i -= 1
        while i >= 0 and (types[i].kind == "ramadan" or types[i].kind in ("holiday",)):
            mask[i] = types[i].kind == "ramadan"
            i -= 1
        return mask

    def day_ratio(self, t: DayType) -> float:
        """Volume of a day of type ``t`` relative to a regular day of its weekday."""
        if t.kind == "regular":
            return 1.0
        if t.kind == "ramadan":
            if t.ramadan_day in self.ramadan_ratio:
                return self.ramadan_ratio[t.ramadan_day]
            return self.ratio.get("ramadan", 1.0)
        if t.kind in self.ratio:
            return self.ratio[t.kind]
        if t.kind == "eid" and "holiday" in self.ratio:
            return self.ratio["holiday"]
        if t.kind in ("holiday", "eid"):
            return 0.0  # closed, as the business calendar says
        return 1.0

    def shape(self, t: DayType) -> np.ndarray:
        if t.kind == "ramadan" and f"ramadan:{t.weekday}" in self.kind_shape:
            return self.kind_shape[f"ramadan:{t.weekday}"]
        if t.kind != "regular" and t.kind in self.kind_shape and t.kind != "ramadan":
            return self.kind_shape[t.kind]
        return self.weekday_shape[t.weekday]

    def weekday_factors(self, level: np.ndarray) -> dict[int, float]:
        """Σ totals / Σ level per weekday over the training window's regular days; a
        working weekday's factor is shrunk towards its group's."""
        out = {}
        group = self.regular & np.isin(self.weekday, list(self.working))
        lv = level[group].sum()
        group_factor = float(self.totals[group].sum() / lv) if lv > 0 else 0.0
        for w in range(1, 8):
            days = self.regular & (self.weekday == w)
            lv = level[days].sum()
            own = float(self.totals[days].sum() / lv) if lv > 0 else 0.0
            if w in self.working:
                n = days.sum()
                own = (n * own + _FACTOR_SHRINK_DAYS * group_factor) / (n + _FACTOR_SHRINK_DAYS)
            out[w] = own
        return out


def _level_fit(z: np.ndarray, discount: float, trend: bool) -> tuple[float, float]:
    """Discounted least squares of the daily levels ``z`` (NaN days left out; weight
    ``discount``^age in days): (level at the last day, slope per day; 0 when flat)."""
    t = np.arange(len(z)) - (len(z) - 1.0)
    ok = np.isfinite(z)
    if not ok.any():
        return 0.0, 0.0
    w = discount ** (-t[ok])
    if trend and ok.sum() >= 3:
        x = np.column_stack([np.ones(ok.sum()), t[ok]]) * np.sqrt(w)[:, None]
        (level, slope), *_ = np.linalg.lstsq(x, z[ok] * np.sqrt(w), rcond=None)
        return float(level), float(slope)
    return float((w * z[ok]).sum() / w.sum()), 0.0


def _level_ahead(level: float, slope: float, days: int) -> np.ndarray:
    """The level 1..``days`` days ahead, its slope damped by ``_TREND_DAMPING`` a day."""
    return level + slope * np.cumsum(_TREND_DAMPING ** np.arange(1, days + 1))


def _choose_level(z: np.ndarray, f: np.ndarray) -> tuple[float, bool]:
    """(discount, trend) with the least absolute error in calls a week ahead from every
    rolling origin inside the training days that has ``_TREND_DAYS`` days before it;
    with no such origin, the mean of the days, or with two weeks a damped trend."""
    n = len(z)
    candidates = [(d, False) for d in LEVEL_DISCOUNTS]
    if n >= _TREND_DAYS:
        candidates += [(d, True) for d in LEVEL_DISCOUNTS]
    errors = {}
    for discount, trend in candidates:
        err, seen = 0.0, 0
        for origin in range(_TREND_DAYS, n):
            ahead = _level_ahead(*_level_fit(z[:origin], discount, trend), _LEVEL_HORIZON)
            actual = z[origin : origin + _LEVEL_HORIZON]
            ok = np.isfinite(actual)
            weight = f[origin : origin + _LEVEL_HORIZON][ok]
            err += float((np.abs(actual[ok] - ahead[: len(actual)][ok]) * weight).sum())
            seen += int(ok.sum())
        if seen:
            errors[(discount, trend)] = err
    if not errors:
        return 1.0, n >= _TREND_DAYS
    return min(errors, key=errors.__getitem__)


def _profile_totals(season: _Season, train: np.ndarray, horizon_types) -> np.ndarray:
    """Daily totals for the horizon: level × weekday factor × day-type ratio. The level
    of the deseasonalised daily totals is flat or a damped trend, by discounted least
    squares, chosen by its errors a week ahead inside the training period
    (``_choose_level``); weekday factors and level are estimated in turn."""
    idx = np.flatnonzero(train)
    totals = season.totals[idx]
    regular = season.regular[idx]
    weekday = season.weekday[idx]
    level_all = np.full(len(season.types), float(totals[regular].mean() if regular.any() else 0))
    t = np.arange(len(idx)) - (len(idx) - 1.0)
    for _ in range(3):
        factors = season.weekday_factors(level_all)
        f = np.array([factors[w] for w in weekday])
        z = np.where(regular & (f > 0.05), totals / np.where(f > 0, f, 1), np.nan)
        discount, trend = _choose_level(z, f)
        level, slope = _level_fit(z, discount, trend)
        level_all = np.zeros(len(season.types))
        level_all[idx] = np.maximum(level + slope * t, 0.0)
    factors = season.weekday_factors(level_all)
    season.level_choice = (discount, trend, level, slope)
    ahead = np.maximum(_level_ahead(level, slope, len(horizon_types)), 0.0)
    return np.array(
        [
            a * factors[t.weekday] * season.day_ratio(t)
            for a, t in zip(ahead, horizon_types, strict=True)
        ]
    )


def _fit_profile(season, train, horizon_types) -> _Fit:
    totals = _profile_totals(season, train, horizon_types)
    shares = np.array([season.shape(t) for t in horizon_types])
    return _Fit(totals, shares)


def _fit_ets(season, train, horizon_types) -> _Fit:
    """Holt–Winters (statsmodels) on the training days' totals, special days replaced by
    their regular equivalent, weekly seasonality."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    idx = np.flatnonzero(train)
    totals = season.totals[idx].astype(float)
    types = [season.types[i] for i in idx]
    ratio = np.array([season.day_ratio(t) for t in types])
    z = np.where(ratio > 0.05, totals / np.where(ratio > 0, ratio, 1), np.nan)
    z = pd.Series(z).interpolate(limit_direction="both").fillna(0).to_numpy()
    if len(z) >= 14:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(
                z, trend="add", damped_trend=True, seasonal="add", seasonal_periods=7
            ).fit()
        ahead = model.forecast(len(horizon_types))
    else:
        ahead = np.resize(z[-7:], len(horizon_types))
    ahead = np.maximum(ahead, 0) * np.array([season.day_ratio(t) for t in horizon_types])
    shares = np.array([season.shape(t) for t in horizon_types])
    return _Fit(ahead, shares)


def _fit_mstl(season, train, horizon_types) -> _Fit:
    """MSTL (statsmodels) of the interval series with daily and weekly periods: the
    trend carried flat, each seasonal component repeated from its last cycle."""
    from statsmodels.tsa.seasonal import MSTL

    idx = np.flatnonzero(train)
    slots = season.slots
    y = season.y[idx].astype(float)
    types = [season.types[i] for i in idx]
    ratio = np.array([season.day_ratio(t) for t in types])
    y = np.where((ratio > 0.05)[:, None], y / np.where(ratio > 0, ratio, 1)[:, None], np.nan)
    series = pd.Series(y.ravel()).interpolate(limit_direction="both").fillna(0).to_numpy()
    h = len(horizon_types)
    periods = [p for p in (slots, 7 * slots) if len(series) > 2 * p and p > 1]
    if periods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = MSTL(np.sqrt(series), periods=periods).fit()
        seasonal = np.asarray(res.seasonal, dtype=float).reshape(len(series), -1).T
        trend = float(np.asarray(res.trend)[-slots:].mean())
        ahead = np.full(h * slots, trend)
        for comp, p in zip(seasonal, periods, strict=True):
            last = comp[-p:]
            ahead += np.resize(last, h * slots)
        ahead = np.maximum(ahead, 0) ** 2
    else:
        ahead = np.resize(series[-7 * slots :], h * slots)
    ahead = (
        ahead.reshape(h, slots) * np.array([season.day_ratio(t) for t in horizon_types])[:, None]
    )
    totals = ahead.sum(axis=1)
    shares = np.divide(ahead, totals[:, None], out=np.zeros_like(ahead), where=totals[:, None] > 0)
    return _Fit(totals, shares)


def _fit_glm(season, train, horizon_types) -> _Fit:
    """Poisson GLM (statsmodels): log rate = day group × interval + weekday + trend,
    special days through their ratio as an offset."""
    import statsmodels.api as sm

    idx = np.flatnonzero(train)
    slots = season.slots

    def group(t: DayType) -> int:
        return 0 if t.weekday in season.working else t.weekday

    groups = sorted({group(season.types[i]) for i in idx} | {group(t) for t in horizon_types})
    gpos = {g: k for k, g in enumerate(groups)}
    n_cells = len(groups) * slots

    def design(types: Sequence[DayType], day_numbers: np.ndarray):
        rows = len(types) * slots
        x = np.zeros((rows, n_cells + 6 + 1))
        offset = np.zeros(rows)
        for d, t in enumerate(types):
            r = slice(d * slots, (d + 1) * slots)
            cell = gpos[group(t)] * slots + np.arange(slots)
            x[np.arange(d * slots, (d + 1) * slots), cell] = 1
            if t.weekday in season.working and t.weekday != min(season.working):
                x[r, n_cells + (t.weekday - 1) % 6] = 1
            x[r, -1] = day_numbers[d] / 7.0
            ratio = season.day_ratio(t)
            offset[r] = np.log(ratio) if ratio > 0 else -30.0
        return x, offset

    types = [season.types[i] for i in idx]
    x, offset = design(types, idx.astype(float) - idx[-1])
    yv = season.y[idx].ravel()
    keep = offset > -30
    seen = x[keep].sum(axis=0) > 0
    cell_total = (x[keep][:, :n_cells] * yv[keep, None]).sum(axis=0)
    cols = seen.copy()
    cols[:n_cells] &= cell_total > 0  # an interval with no calls at all has rate 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(
            yv[keep], x[keep][:, cols], family=sm.families.Poisson(), offset=offset[keep]
        ).fit()
    h_days = np.arange(1, len(horizon_types) + 1, dtype=float)
    xh, oh = design(horizon_types, h_days)
    trend_cap = 0.0  # the trend explains the training weeks; it is not extrapolated
    xh[:, -1] = trend_cap
    mu = np.exp(np.clip(xh[:, cols] @ model.params + oh, -30, 30))
    has_cell = np.zeros(n_cells, dtype=bool)
    has_cell[:] = cols[:n_cells]
    mu *= (xh[:, :n_cells] @ has_cell.astype(float)) > 0
    mu = mu.reshape(len(horizon_types), slots)
    totals = mu.sum(axis=1)
    shares = np.divide(mu, totals[:, None], out=np.zeros_like(mu), where=totals[:, None] > 0)
    return _Fit(totals, shares)


_FITTERS = {"profile": _fit_profile, "ets": _fit_ets, "mstl": _fit_mstl, "glm": _fit_glm}


def forecast_matrix(
    y: np.ndarray,
    types: Sequence[DayType],
    train_days: int,
    horizon_types: Sequence[DayType],
    centre: Centre,
    method: str = "profile",
) -> np.ndarray:
    """The mean forecast (days × intervals) of the days after ``y``'s (history: days ×
    intervals, its last ``train_days`` the training window; ``types`` its day types)."""
    if method not in _FITTERS:
        raise ValueError(f"method {method!r} is not one of auto, {', '.join(METHODS)}")
    train = np.zeros(len(types), dtype=bool)
    train[-train_days:] = True
    season = _Season(y, types, train, centre)
    fit = _FITTERS[method](season, train, list(horizon_types))
    return fit.totals[:, None] * fit.shares


# --------------------------------------------------------------------------- intervals


def dispersion(actual: np.ndarray, mean: np.ndarray) -> float:
    """φ of a negative binomial (variance μ + φμ²) by moments from out-of-sample
    forecasts; 0 when the counts are no more variable than Poisson."""
    m = mean.ravel()
    a = actual.ravel()
    den = float((m**2).sum())
    if den <= 0:
        return 0.0
    return max(0.0, float((((a - m) ** 2) - m).sum() / den))


def _count_cdf(k: np.ndarray, mu: np.ndarray, phi: float) -> np.ndarray:
    """P(X ≤ k) of a Poisson (φ = 0) or negative binomial with mean μ; 0 for k < 0."""
    from scipy.special import betainc, pdtr

    kk = np.maximum(k, 0)
    if phi > 1e-9:
        n = 1.0 / phi
        cdf = betainc(n, kk + 1.0, n / (n + mu))
    else:
        cdf = pdtr(kk, mu)
    return np.where(k < 0, 0.0, cdf)


def prediction_bounds(
    mean: np.ndarray, phi: float, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-p quantiles (1 ± level)/2 of a negative binomial with mean ``mean`` and
    dispersion ``phi`` (Poisson when 0), interpolated between counts: the count q where
    the CDF crosses α, moved within [q − ½, q + ½] by how far into q's mass α falls.
    (``scipy.special`` only: ``scipy.stats`` takes seconds to import.)"""
    mu = np.maximum(np.asarray(mean, dtype=float).ravel(), 1e-12)
    sd = np.sqrt(mu + phi * mu**2)
    top = int(np.max(mu + 12 * sd + 20)) if len(mu) else 1
    out = []
    for alpha in ((1 - level) / 2, (1 + level) / 2):
        # bisection on whole counts: the smallest q with CDF(q) ≥ α
        lo = np.full(mu.shape, -1.0)
        hi = np.full(mu.shape, float(top))
        while np.any(hi - lo > 1):
            mid = np.floor((lo + hi) / 2)
            above = _count_cdf(mid, mu, phi) >= alpha
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid)
        q = hi
        below = _count_cdf(q - 1, mu, phi)
        pmf = _count_cdf(q, mu, phi) - below
        frac = np.divide(alpha - below, pmf, out=np.full_like(mu, 0.5), where=pmf > 0)
        out.append(np.maximum(q - 0.5 + frac, 0.0))
    low, high = out
    zero = np.asarray(mean, dtype=float).ravel() <= 0
    low[zero] = 0.0
    high[zero] = 0.0
    shape = np.shape(mean)
    return low.reshape(shape), high.reshape(shape)


# --------------------------------------------------------------------------- measures


def poisson_mad(lam: np.ndarray) -> np.ndarray:
    """E|X − λ| for X ~ Poisson(λ): 2 e^{−λ} λ^{⌊λ⌋+1} / ⌊λ⌋!."""
    from scipy.special import gammaln

    lam = np.asarray(lam, dtype=float)
    k = np.floor(lam)
    with np.errstate(divide="ignore"):
        log = np.log(2) - lam + (k + 1) * np.log(np.where(lam > 0, lam, 1)) - gammaln(k + 1)
    return np.where(lam > 0, np.exp(log), 0.0)


def accuracy(actual: np.ndarray, mean: np.ndarray) -> dict[str, float | None]:
    """WAPE, MAPE over intervals with ≥ 10 calls and the Poisson noise floor."""
    a = np.asarray(actual, dtype=float).ravel()
    m = np.asarray(mean, dtype=float).ravel()
    total = a.sum()
    busy = a >= 10
    return {
        "wape": float(np.abs(a - m).sum() / total) if total else None,
        "mape": float(np.mean(np.abs(a[busy] - m[busy]) / a[busy])) if busy.any() else None,
        "poisson_floor": float(poisson_mad(a).sum() / total) if total else None,
        "actual": float(total),
        "forecast": float(m.sum()),
    }


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


# --------------------------------------------------------------------------- the store


def save_forecast(con, centre: Centre, result: Forecast) -> int:
    """Write ``result`` to the store (tables ``forecast_runs`` and ``forecasts``, schema
    5) on a writer connection; returns the run id."""
    # the store has no sequences (DuckLake): the next run id is max + 1
    run_id = con.execute("SELECT COALESCE(max(run_id), 0) + 1 FROM forecast_runs").fetchone()[0]
    con.execute(
        "INSERT INTO forecast_runs (run_id, centre_id, kind, method, train_start, train_end, "
        "horizon_start, horizon_end, interval, group_by, dispersion) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            centre.centre_id,
            result.kind,
            result.method,
            result.train.start,
            result.train.end,
            result.horizon.start,
            result.horizon.end,
            result.interval,
            ",".join(result.by),
            result.phi,
        ],
    )
    v = result.value_column
    frame = result.frame
    keys = (
        frame[list(result.by)].astype(str).agg("|".join, axis=1)
        if result.by
        else pd.Series([""] * len(frame))
    )
    rows = pd.DataFrame(
        {
            "run_id": run_id,
            "centre_id": centre.centre_id,
            "interval_start": pd.to_datetime(frame["interval_start"]),
            "group_key": keys.to_numpy(),
            "value": frame[v].astype(float).to_numpy(),
            "value_low": frame[f"{v}_low"].astype(float).to_numpy(),
            "value_high": frame[f"{v}_high"].astype(float).to_numpy(),
        }
    )
    con.register("forecast_rows", rows)
    try:
        con.execute("INSERT INTO forecasts SELECT * FROM forecast_rows")
    finally:
        con.unregister("forecast_rows")
    return int(run_id)


def saved_forecast(
    con,
    centre: Centre,
    first: dt.date,
    last: dt.date,
    kind: str = "calls",
    *,
    interval: str | None = None,
    trained_before: dt.date | None = None,
) -> pd.DataFrame | None:
    """The latest saved forecast without ``--by`` covering the local days
    ``first``..``last`` (of that ``interval``, and trained on days before
    ``trained_before``, when given): ``interval_start`` (local), the value, ``…_low``,
    ``…_high`` and attributes ``run_id``, ``method``, ``interval``; None when none
    covers them."""
    sql = (
        "SELECT run_id, method, interval FROM forecast_runs WHERE centre_id = ? AND kind = ? "
        "AND group_by = '' AND horizon_start <= ? AND horizon_end >= ?"
    )
    params: list = [centre.centre_id, kind, first, last]
    if interval is not None:
        sql += " AND interval = ?"
        params.append(interval)
    if trained_before is not None:
        sql += " AND train_end < ?"
        params.append(trained_before)
    row = con.execute(sql + " ORDER BY created_at DESC, run_id DESC LIMIT 1", params).fetchone()
    if row is None:
        return None
    lo, hi = Period(first, last, "").bounds(centre.tz)
    frame = con.execute(
        "SELECT interval_start, value, value_low, value_high FROM forecasts "
        "WHERE run_id = ? AND interval_start >= ? AND interval_start < ? ORDER BY 1",
        [row[0], lo, hi],
    ).df()
    v = "offered" if kind == "calls" else "created"
    frame.columns = ["interval_start", v, f"{v}_low", f"{v}_high"]
    frame["interval_start"] = [t.astimezone(centre.tz) for t in frame["interval_start"]]
    frame.attrs.update(run_id=row[0], method=row[1], interval=row[2])
    return frame


def staffing_need(
    con,
    centre: Centre,
    frame: pd.DataFrame,
    interval: str,
    *,
    history: Period,
    targets: Sequence[str] = (),
    shrinkage: float = 0.0,
    max_abandon: float | None = None,
) -> pd.DataFrame:
    """Agents each forecast interval needs (Erlang A, ``simulation.formulas.erlang``): the
    forecast's ``offered`` calls with the AHT and the exponential patience (total wait of
    answered and abandoned calls ÷ abandons, the censored MLE) of ``history``, for
    ``targets`` (default: 80% within the centre's first threshold); ``headcount`` after
    ``shrinkage``. Columns ``interval_start``, ``calls``, ``agents``, ``headcount`` —
    the plan CSV of ``cca staff``."""
    from analytics.kpi import call_kpis
    from simulation.formulas.erlang import headcount, required_agents

    kpis = call_kpis(con, centre, period=history)[0]
    aht = kpis["aht_s"]
    if not aht:
        raise ValueError(f"centre {centre.centre_id}: no answered calls in {history.label}")
    abandoned = kpis["abandoned"] or 0
    wait = (kpis["asa_s"] or 0) * (kpis["answered"] or 0) + (
        kpis["avg_abandon_wait_s"] or 0
    ) * abandoned
    patience = wait / abandoned if abandoned else None
    from analytics.kpi import threshold_label

    first = threshold_label(centre.sl_thresholds_s[0])
    wanted = list(targets) or [f"sl_offered_{first}>=0.8"]
    per_s = interval_seconds(interval)
    rows = []
    for start, calls in zip(frame["interval_start"], frame["offered"], strict=True):
        agents = (
            required_agents(
                float(calls),
                per_s,
                aht,
                targets=wanted,
                patience_s=patience,
                max_abandon=max_abandon,
                short_abandon_s=centre.short_abandon_s,
            )
            if calls > 0.05
            else 0
        )
        agents = agents or 0
        rows.append(
            {
                "interval_start": start,
                "calls": round(float(calls), 3),
                "agents": agents,
                "headcount": headcount(agents, shrinkage) if agents else 0,
            }
        )
    return pd.DataFrame(rows)


def forecast_run(con, centre: Centre, run: int | str = "latest", kind: str = "calls"):
    """A saved forecast run of ``centre``: ``run`` is a run id or ``"latest"`` (the
    newest run of ``kind``). Returns its total per interval (the ``--by`` groups summed):
    a frame ``interval_start`` (local aware), the value (``offered`` or ``created``) and
    attributes ``run_id``, ``method``, ``interval``, ``kind``, ``train`` and ``horizon``
    (``Period``). Raises ``ValueError`` naming the run when there is none."""
    if run == "latest":
        row = con.execute(
            "SELECT run_id FROM forecast_runs WHERE centre_id = ? AND kind = ? "
            "ORDER BY created_at DESC, run_id DESC LIMIT 1",
            [centre.centre_id, kind],
        ).fetchone()
        if row is None:
            raise ValueError(
                f"centre {centre.centre_id} has no saved forecast of {kind}: "
                f"run `cca forecast --centre {centre.centre_id} --save` first"
            )
        run = row[0]
    try:
        run_id = int(run)
    except (TypeError, ValueError):
        raise ValueError(f"forecast run {run!r} is not a run id or 'latest'") from None
    info = con.execute(
        "SELECT kind, method, interval, train_start, train_end, horizon_start, horizon_end "
        "FROM forecast_runs WHERE run_id = ? AND centre_id = ?",
        [run_id, centre.centre_id],
    ).fetchone()
    if info is None:
        raise ValueError(f"forecast run {run_id}: no such run of centre {centre.centre_id}")
    run_kind, method, interval, t0, t1, h0, h1 = info
    frame = con.execute(
        "SELECT interval_start, sum(value) FROM forecasts WHERE run_id = ? "
        "GROUP BY interval_start ORDER BY interval_start",
        [run_id],
    ).df()
    value = "offered" if run_kind == "calls" else "created"
    frame.columns = ["interval_start", value]
    frame["interval_start"] = [t.astimezone(centre.tz) for t in frame["interval_start"]]
    frame.attrs.update(
        run_id=run_id,
        method=method,
        interval=interval,
        kind=run_kind,
        train=Period(t0, t1, f"{t0}..{t1}"),
        horizon=Period(h0, h1, f"{h0}..{h1}"),
    )
    return frame


def forecast_scenario(
    con,
    centre: Centre,
    frame: pd.DataFrame,
    interval: str,
    *,
    history: Period,
    first: dt.date,
    days: int = 7,
    targets: Sequence[str] = (),
):
    """A scenario of ``centre`` for ``days`` (1–7) local days from ``first`` whose calls
    per interval are the forecast's (``frame``: ``interval_start`` local, ``offered``),
    for ``simulation.planning.staffing.staffing_plan`` (what ``cca staff --forecast`` runs).

    Everything but the volume is calibrated from ``history`` (``simulation.calibration.fit``:
    caller categories, handling times, patience, opening hours); each interval's
    forecast is split over the categories by their shares of that weekday × interval in
    the history (their shares of the whole history where it had no calls then). Targets:
    ``targets`` or 80% within the centre's first threshold. Returns the scenario and the
    forecast calls that fall outside the calibrated opening hours (left out: a closed
    centre takes no calls)."""
    from analytics.kpi import threshold_label
    from simulation.calibration.fit import calibrate
    from simulation.queue.scenario import WEEKDAY_NAMES, scenario_from_dict

    if not 1 <= days <= 7:
        raise ValueError(f"days {days}: a forecast is staffed a week at a time (1–7 days)")
    interval_s = interval_seconds(interval)
    if interval_s >= 86400:
        raise ValueError("a forecast by day cannot be staffed: forecast by 15, 30 or 60 min")
    slots = 86400 // interval_s
    cal = calibrate(con, centre, history, interval_s=interval_s, days=days)
    last = first + dt.timedelta(days=days - 1)
    starts = pd.to_datetime(frame["interval_start"])
    local_day = np.array([t.date() for t in starts])
    wanted = (local_day >= first) & (local_day <= last)
    if not wanted.any():
        raise ValueError(f"the forecast has no intervals in {first}..{last}")
    calls = np.zeros((7, slots))  # by ISO weekday − 1 (a week holds each weekday once)
    seen = np.zeros(7, dtype=bool)
    for t, day, v in zip(starts[wanted], local_day[wanted], frame["offered"][wanted], strict=True):
        slot = (t.hour * 3600 + t.minute * 60) // interval_s
        calls[day.isoweekday() - 1, slot] += float(v)
        seen[day.isoweekday() - 1] = True
    open_slots = np.zeros((7, slots), dtype=bool)
    for w, spans in cal.opening_hours.items():
        for a, b in spans:
            lo = seconds_of_day(a, "opening hours") // interval_s
            hi = seconds_of_day(b, "opening hours") // interval_s
            open_slots[w - 1, lo:hi] = True
    outside = float(calls[~open_slots].sum())
    calls = np.where(open_slots, calls, 0.0)
    history_rates = np.array(
        [[c.rates.get(w, (0.0,) * slots) for w in range(1, 8)] for c in cal.categories]
    )  # categories × weekdays × slots
    total = history_rates.sum(axis=0)
    overall = history_rates.sum(axis=(1, 2))
    overall = overall / overall.sum() if overall.sum() else np.full(len(overall), 1 / len(overall))
    share = np.where(
        total[None] > 0,
        history_rates / np.where(total > 0, total, 1)[None],
        overall[:, None, None],
    )
    data = dict(cal.data)
    data["name"] = f"{centre.centre_id}_forecast"[:64]
    data["description"] = (
        f"forecast calls of {centre.centre_id} for {first}..{last}; the rest calibrated "
        f"from {history.label}"
    )
    data["start"] = first
    data["days"] = days
    data["targets"] = list(targets) or [
        f"sl_offered_{threshold_label(centre.sl_thresholds_s[0])}>=0.8"
    ]
    categories = {}
    for k, (name, table) in enumerate(data["categories"].items()):
        rates = calls * share[k]
        table = dict(table)
        table["rates_by_weekday"] = {
            WEEKDAY_NAMES[w + 1]: [float(x) for x in rates[w]]
            for w in range(7)
            if seen[w] and rates[w].any()
        }
        categories[name] = table
    data["categories"] = categories
    return scenario_from_dict(data, source="forecast scenario"), outside
