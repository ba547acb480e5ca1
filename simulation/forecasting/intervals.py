"""Prediction intervals of forecast counts: a negative binomial (variance μ + φμ²)
with φ measured out of sample, bounds as mid-p quantiles interpolated between counts.
"""

from __future__ import annotations

import numpy as np

LEVEL = 0.8  # the prediction interval's coverage


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
