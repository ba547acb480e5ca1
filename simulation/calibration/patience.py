"""Patience: how long callers are willing to wait, from the waits a call log shows.

Kaplan–Meier, as in Brown et al., "Statistical analysis of a telephone call center"
(JASA 2005): the wait of an abandoned call is an observed patience; answered and timed-out
calls are censored at their wait. ``patience_distribution`` turns the curve into the
scenario's ``empirical`` distribution (the mass left above the longest wait spread over an
exponential tail) or the censored exponential MLE (total wait / abandons). Seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulation.queue.distributions import Distribution, Empirical, Fixed

MAX_PATIENCE_POINTS = 200  # Kaplan–Meier jumps are binned to at most this many values
TAIL_POINTS = 20  # quantiles of the exponential tail written into an empirical patience


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan–Meier survival curve S(t) of patience (t in seconds).

    ``times`` are the distinct observed waits (events and censorings), ``survival`` the
    curve just after each, ``events``/``censored`` the counts at each, ``at_risk`` the
    callers still waiting just before each. Ties: abandons at t happen before
    censorings at t (the usual convention).
    """

    times: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    at_risk: np.ndarray
    survival: np.ndarray

    @classmethod
    def from_counts(
        cls, times: Sequence[float], events: Sequence[float], censored: Sequence[float]
    ) -> KaplanMeier:
        """The curve from abandons (``events``) and censored calls per distinct wait."""
        t = np.asarray(times, dtype=float)
        d = np.asarray(events, dtype=float)
        c = np.asarray(censored, dtype=float)
        order = np.argsort(t, kind="stable")
        t, d, c = t[order], d[order], c[order]
        if len(t) and np.any(np.diff(t) == 0):
            raise ValueError("Kaplan–Meier counts need distinct times")
        gone = np.cumsum(d + c)
        at_risk = gone[-1] - np.concatenate([[0.0], gone[:-1]]) if len(t) else gone
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(at_risk > 0, 1.0 - d / at_risk, 1.0)
        return cls(t, d, c, at_risk, np.cumprod(factor))

    @classmethod
    def from_sample(cls, waits: Sequence[float], abandoned: Sequence[bool]) -> KaplanMeier:
        """The curve from one wait (s) per call and whether the caller abandoned."""
        w = np.asarray(waits, dtype=float)
        a = np.asarray(abandoned, dtype=bool)
        times, inverse = np.unique(w, return_inverse=True)
        events = np.bincount(inverse, weights=a.astype(float), minlength=len(times))
        total = np.bincount(inverse, minlength=len(times)).astype(float)
        return cls.from_counts(times, events, total - events)

    @property
    def n_events(self) -> int:
        return int(self.events.sum())

    @property
    def horizon_s(self) -> float:
        """The longest observed wait (s): the curve is known up to here."""
        return float(self.times[-1]) if len(self.times) else 0.0

    @property
    def reaches_zero(self) -> bool:
        return bool(len(self.survival)) and self.survival[-1] <= 0.0

    def survival_at(self, t: float) -> float:
        """S(t): the share of callers whose patience exceeds ``t`` seconds."""
        k = np.searchsorted(self.times, t, side="right")
        return 1.0 if k == 0 else float(self.survival[k - 1])

    def standard_error_at(self, t: float) -> float:
        """Greenwood's standard error of S(t)."""
        k = np.searchsorted(self.times, t, side="right")
        if k == 0:
            return 0.0
        d, n = self.events[:k], self.at_risk[:k]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where((n > d) & (d > 0), d / (n * (n - d)), 0.0)
        return float(self.survival[k - 1] * math.sqrt(terms.sum()))

    def mean_s(self) -> float:
        """∫₀^τ S(t) dt with τ the longest observed wait: the mean patience when the curve
        reaches 0, otherwise the restricted mean (a lower bound of the mean), seconds."""
        if not len(self.times):
            return 0.0
        steps = np.diff(np.concatenate([[0.0], self.times]))
        before = np.concatenate([[1.0], self.survival[:-1]])
        return float((steps * before).sum())

    def median_s(self) -> float | None:
        """The smallest t with S(t) ≤ 0.5 (s), None if the curve stays above one half."""
        k = np.flatnonzero(self.survival <= 0.5)
        return float(self.times[k[0]]) if len(k) else None

    def jumps(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, probability mass) of the abandons: the distribution up to τ."""
        before = np.concatenate([[1.0], self.survival[:-1]])
        mass = before - self.survival
        keep = mass > 0
        return self.times[keep], mass[keep]


def exponential_patience_s(total_wait_s: float, abandons: int) -> float:
    """Censored maximum-likelihood mean of an exponential patience (s): every call's
    wait is time at risk of abandoning, so the mean is Σ waits / abandons (∞ if none)."""
    return math.inf if abandons == 0 else total_wait_s / abandons


def patience_distribution(
    km: KaplanMeier, tail_mean_s: float, max_points: int = MAX_PATIENCE_POINTS
) -> Distribution:
    """Kaplan–Meier as a scenario distribution: its jumps, binned to at most
    ``max_points`` values (each bin at its mass-weighted mean time, which keeps the mean),
    and the mass above τ spread over ``TAIL_POINTS`` quantiles of τ + Exp(``tail_mean_s``).
    No abandons at all: callers never hang up (``fixed`` ∞)."""
    if km.n_events == 0:
        return Fixed(math.inf)
    times, mass = km.jumps()
    width = max(1.0, km.horizon_s / max_points)
    bins = np.floor(times / width).astype(np.int64)
    uniq, inverse = np.unique(bins, return_inverse=True)
    bin_mass = np.bincount(inverse, weights=mass, minlength=len(uniq))
    bin_time = np.bincount(inverse, weights=mass * times, minlength=len(uniq)) / bin_mass
    values, weights = list(bin_time), list(bin_mass)
    rest = 1.0 - float(bin_mass.sum())
    if rest > 1e-9 and math.isfinite(tail_mean_s):
        q = (np.arange(TAIL_POINTS) + 0.5) / TAIL_POINTS
        values += list(km.horizon_s - tail_mean_s * np.log1p(-q))
        weights += [rest / TAIL_POINTS] * TAIL_POINTS
    return Empirical(
        tuple(round(float(v), 2) for v in values),
        tuple(float(f"{w:.6g}") for w in weights),
    )
