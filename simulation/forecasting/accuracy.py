"""Forecast accuracy: WAPE, MAPE over busy intervals, and the Poisson noise floor (the
WAPE a perfect rate forecast would still have).
"""

from __future__ import annotations

import numpy as np


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
