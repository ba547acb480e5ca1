"""Forecasting methods: the model fitted to a day matrix of counts and its forecast.

``profile`` (level × weekday factor × day-type ratio, spread by intraday profiles),
``ets``, ``mstl`` and ``glm`` (statsmodels), each a fitter over the same seasonal
profiles (``_Season``); ``forecast_matrix`` runs one of them. The choices and the
figures behind them are explained in ``simulation.forecasting.forecast``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.centres import Centre
from simulation.forecasting.day_types import SPECIAL_KINDS, DayType

# Regular weekdays below this share of the busiest weekday's volume get their own curve.
METHODS = ("profile", "ets", "mstl", "glm")


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
