"""Durations conditional on what has already elapsed.

At 11:00 a caller who has waited 40 s is still there: their patience is longer than
40 s, and its distribution is the patience distribution *given* that it exceeds 40 s,
not the distribution itself. A call that has been in service for 5 minutes ends after a
handling time that exceeds 5 minutes. Exponential durations forget what has elapsed
(the remaining time has the same law as a fresh one); lognormal and empirical ones do
not: a long call tends to run on, a patient caller tends to stay.

``sample_beyond(dist, rng, elapsed)`` draws, for each elapsed time e (seconds), a total
duration D ~ dist conditional on D > e, exactly:

* exponential: e + a fresh draw (memoryless);
* lognormal: inverse transform of the upper tail, D = exp(μ + σ·z) with
  z = Φ⁻¹(1 − u·(1 − Φ((ln e − μ)/σ))), u uniform, computed on the tail (``ndtri`` of the
  survival probability) so that a very long elapsed time keeps its digits;
* empirical: one of the observed values above e, with their (renormalised) weights;
* fixed: the value, or ``inf`` for callers who never hang up.

When the distribution leaves no chance of exceeding e (an empirical distribution whose
values all lie below it, a fixed duration already reached), the duration goes on as an
exponential with the distribution's mean beyond e: the call is visibly still going, the
model has nothing better to say about it. A sum of parts (talk + hold + after-call
work) is drawn by rejection, exact whenever it finishes in ``REJECTION_ROUNDS`` rounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from simulation.queue.distributions import Distribution, Empirical, Exponential, Fixed, LogNormal

REJECTION_ROUNDS = 64


def _memoryless(dist: Distribution, rng: np.random.Generator, elapsed: np.ndarray) -> np.ndarray:
    mean = dist.mean_s if math.isfinite(dist.mean_s) and dist.mean_s > 0 else 1.0
    return elapsed + rng.exponential(mean, len(elapsed))


def sample_beyond(
    dist: Distribution, rng: np.random.Generator, elapsed: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Total durations D (seconds) ~ ``dist`` conditional on D > ``elapsed`` (one per
    element; an elapsed time ≤ 0 draws from ``dist`` itself)."""
    e = np.asarray(elapsed, dtype=float)
    n = len(e)
    if n == 0:
        return np.zeros(0)
    fresh = e <= 0
    out = np.empty(n)
    if fresh.any():
        out[fresh] = dist.sample(rng, int(fresh.sum()))
    todo = ~fresh
    if not todo.any():
        return out
    et = e[todo]
    if isinstance(dist, Exponential):
        out[todo] = et + rng.exponential(dist.mean, len(et))
    elif isinstance(dist, LogNormal):
        out[todo] = _lognormal_beyond(dist, rng, et)
    elif isinstance(dist, Empirical):
        out[todo] = _empirical_beyond(dist, rng, et)
    elif isinstance(dist, Fixed):
        v = float(dist.value)
        over = v > et
        part = np.where(over, v, 0.0)
        if (~over).any():
            part[~over] = _memoryless(dist, rng, et[~over])
        out[todo] = part
    else:
        out[todo] = sum_beyond([dist], rng, et)
    return out


def _lognormal_beyond(dist: LogNormal, rng: np.random.Generator, e: np.ndarray) -> np.ndarray:
    if dist.sigma == 0:
        v = math.exp(dist.mu)
        out = np.full(len(e), v)
        late = e >= v
        if late.any():
            out[late] = _memoryless(dist, rng, e[late])
        return out
    z_e = (np.log(e) - dist.mu) / dist.sigma
    tail = special.ndtr(-z_e)  # P(D > e)
    u = 1.0 - rng.random(len(e))  # (0, 1]
    z = -special.ndtri(u * tail)  # Φ⁻¹ of the upper tail: keeps digits far out
    out = np.exp(dist.mu + dist.sigma * z)
    lost = ~(tail > 0) | ~np.isfinite(out)
    out = np.maximum(out, np.nextafter(e, np.inf))
    if lost.any():
        out[lost] = _memoryless(dist, rng, e[lost])
    return out


def _empirical_beyond(dist: Empirical, rng: np.random.Generator, e: np.ndarray) -> np.ndarray:
    values = np.asarray(dist.values, dtype=float)
    weights = (
        np.ones(len(values)) if dist.weights is None else np.asarray(dist.weights, dtype=float)
    )
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cum = np.cumsum(weights)
    total = cum[-1]
    first = np.searchsorted(values, e, side="right")  # first value > e
    below = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    tail = total - below
    out = np.empty(len(e))
    some = (first < len(values)) & (tail > 0)
    if some.any():
        u = below[some] + rng.random(int(some.sum())) * tail[some]
        k = np.minimum(np.searchsorted(cum, u, side="right"), len(values) - 1)
        k = np.maximum(k, first[some])  # never a value at or below e (zero weights)
        out[some] = values[k]
    if (~some).any():
        out[~some] = _memoryless(dist, rng, e[~some])
    return out


def sum_beyond(
    parts: Sequence[Distribution], rng: np.random.Generator, elapsed: np.ndarray
) -> np.ndarray:
    """Totals of independent ``parts`` (talk, hold, after-call work) conditional on
    exceeding ``elapsed``; one part is drawn exactly by ``sample_beyond``, several by
    rejection (``REJECTION_ROUNDS`` rounds, then as ``_memoryless``)."""
    e = np.asarray(elapsed, dtype=float)
    if len(parts) == 1 and type(parts[0]) in (Exponential, LogNormal, Empirical, Fixed):
        return sample_beyond(parts[0], rng, e)
    out = np.full(len(e), np.nan)
    todo = np.arange(len(e))
    for _ in range(REJECTION_ROUNDS):
        if not len(todo):
            break
        total = sum(p.sample(rng, len(todo)) for p in parts)
        ok = total > e[todo]
        out[todo[ok]] = total[ok]
        todo = todo[~ok]
    if len(todo):
        mean = sum(p.mean_s for p in parts)
        out[todo] = e[todo] + rng.exponential(mean if mean > 0 else 1.0, len(todo))
    return out
