"""The day-level re-forecast: how much today's calls so far say about the rest of today.

A day that runs 30% above its forecast by noon (a campaign, an outage elsewhere, the
weather) tends to stay above it in the afternoon; a morning 30% above a forecast of 20
calls says little. How much it says is learnt from earlier days: each of the last
``DAYS`` working days before today is forecast from the days before it
(``simulation.forecasting.methods.forecast_matrix``, the saved forecast's method, a week ahead as a
saved forecast is used), and cut at the same time of day as ``at``:

    x_d = A_d / F_d − 1   (calls so far against their forecast)
    y_d = B_d / G_d − 1   (the rest of the day against its forecast)

The correction of the rest of today is r̂ = 1 + w·x with w = Σ x_d y_d / Σ x_d², the
least-squares slope through the origin, held within [0, 1]. Early in the day F_d is
small, x_d is mostly Poisson noise and w falls toward 0 (no correction); later it rises
toward how much of a day's deviation holds all day. What remains of the rest's deviation
beyond Poisson noise, s² = mean((y_d − w·x_d)²) − mean(1/G_d), is drawn per replication as
a day-level factor with that variance (``volume_cv``; s widened by Student's t for the
few days it was read off, ``small_sample_factor``), so the projection's band carries the
re-forecast's own error too. With fewer than ``MIN_DAYS`` comparable days there is no
correction (w = 0) but s is still learnt from ``MIN_CV_DAYS`` days on; with fewer, the
saved forecast's own 80% intervals give it (``forecast_cv``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from analytics.centres import Centre
from analytics.periods import Period

DAYS = 28  # earlier days looked at
MIN_DAYS = 5  # comparable days needed to learn the weight
MIN_CV_DAYS = 2  # ... and the rest's error (else the saved forecast's own intervals)
TRAIN_DAYS = 56  # each earlier day is forecast from up to this many days before its week


@dataclass(frozen=True)
class Correction:
    """``scale`` r̂ of the rest of today, ``weight`` w, the day-level ``cv`` left, and
    the ``days`` it was learnt from."""

    scale: float
    weight: float
    cv: float
    days: int

    def notes(self) -> dict:
        return {
            "reforecast_scale": self.scale,
            "reforecast_weight": self.weight,
            "reforecast_cv": self.cv,
            "reforecast_days": self.days,
        }


def learn_weight(x: np.ndarray, y: np.ndarray, rest_forecast: np.ndarray) -> tuple:
    """(w, extra-Poisson sd of the rest) from earlier days' deviations (module docstring):
    with fewer than ``MIN_DAYS`` days no weight (w = 0) but the sd of the rest's error
    from ``MIN_CV_DAYS`` days on; (0, None) with fewer."""
    if len(x) < MIN_CV_DAYS:
        return 0.0, None
    w = 0.0
    if len(x) >= MIN_DAYS and (x**2).sum() > 0:
        w = float(np.clip((x * y).sum() / (x**2).sum(), 0.0, 1.0))
    resid = float(np.mean((y - w * x) ** 2)) - float(np.mean(1.0 / rest_forecast))
    return w, math.sqrt(max(resid, 0.0))


def small_sample_factor(days: int) -> float:
    """How much wider the rest's 80% band is when its error's sd was read off ``days``
    days only: Student's t with that many degrees of freedom against the normal at the
    90th percentile (1.47 from 2 days, 1.20 from 4, 1.03 from 20)."""
    from scipy.stats import norm, t

    return float(t.ppf(0.9, days) / norm.ppf(0.9)) if days >= 1 else 1.0


def forecast_cv(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> float | None:
    """The day-level cv a saved forecast's own 80% intervals imply for the rest of the
    day (their spread beyond Poisson noise, ``LEVEL`` of ``forecast``, read as a level
    shared by the intervals), weighted by the calls; None without intervals."""
    from scipy.stats import norm

    ok = (mean > 0) & np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return None
    z = float(norm.ppf(0.9))
    sd = (high[ok] - low[ok]) / (2 * z)
    extra = np.maximum(sd**2 - mean[ok], 0.0) / mean[ok] ** 2
    return float(math.sqrt(np.average(extra, weights=mean[ok])))


def earlier_days(
    con, centre: Centre, day: dt.date, cut_s: float, interval_s: int, method: str = "profile"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_d, y_d, G_d) of the earlier days with calls on both sides of the cut."""
    from simulation.forecasting.day_types import DayCalendar
    from simulation.forecasting.forecast import data_days, day_matrix, history_counts
    from simulation.forecasting.methods import METHODS, forecast_matrix

    days = data_days(con, centre)
    if days is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    last = day - dt.timedelta(days=1)
    first = max(days[0], last - dt.timedelta(days=DAYS + TRAIN_DAYS + 7))
    n_days = (last - first).days + 1
    if n_days < 8:  # a week to forecast from and a day to compare
        return np.zeros(0), np.zeros(0), np.zeros(0)
    interval = {900: "15min", 1800: "30min", 3600: "60min"}[interval_s]
    counts = history_counts(con, centre, Period(first, last, f"{first}..{last}"), interval=interval)
    y = day_matrix(counts, first, n_days, interval_s)
    types = DayCalendar(centre).day_types(first, n_days)
    method = method if method in METHODS else "profile"
    predicted = np.full_like(y, np.nan)
    start = max(7, n_days - DAYS)
    for cut in range(start, n_days, 7):  # a week at a time, each from the days before it
        week = min(7, n_days - cut)
        train = min(TRAIN_DAYS, cut)
        predicted[cut : cut + week] = forecast_matrix(
            y[:cut], types[:cut], train, types[cut : cut + week], centre, method
        )
    slot = int(cut_s // interval_s)
    frac = (cut_s - slot * interval_s) / interval_s
    xs, ys, gs = [], [], []
    for d in range(start, n_days):
        f, a = predicted[d], y[d]
        if np.isnan(f).any():
            continue
        f_so = f[:slot].sum() + frac * f[slot]
        a_so = a[:slot].sum() + frac * a[slot]  # the current interval's calls pro rata
        g = f.sum() - f_so
        b = a.sum() - a_so
        if f_so < 1 or g < 1 or a.sum() == 0:
            continue
        xs.append(a_so / f_so - 1.0)
        ys.append(b / g - 1.0)
        gs.append(g)
    return np.array(xs), np.array(ys), np.array(gs)


def day_correction(
    con,
    centre: Centre,
    day: dt.date,
    cut_s: float,
    interval_s: int,
    actual_so_far: float,
    forecast_so_far: float,
    method: str = "profile",
    prior_cv: float | None = None,
) -> Correction:
    """The correction of ``day``'s rest after ``cut_s`` seconds from local midnight;
    ``prior_cv``: the day-level cv when too few earlier days tell it (the saved
    forecast's own, ``forecast_cv``)."""
    x, y, g = earlier_days(con, centre, day, cut_s, interval_s, method)
    w, cv = learn_weight(x, y, g)
    cv = (prior_cv or 0.0) if cv is None else cv * small_sample_factor(len(x))
    if forecast_so_far <= 0:
        return Correction(1.0, 0.0, cv, len(x))
    scale = max(1.0 + w * (actual_so_far / forecast_so_far - 1.0), 0.0)
    return Correction(scale, w, cv, len(x))
