"""Probability distributions of handling times and caller patience.

A contact centre's queueing behaviour is set by three kinds of duration, all in seconds:
how long an agent is busy with a call (talk, hold and after-call work), and how long a
caller is willing to wait before hanging up (patience). Brown et al. (JASA 2005) found
talk times close to lognormal and patience roughly exponential; the Erlang formulas
assume exponential everything; calibration may prefer the observed values themselves.
So each duration is one of:

- ``exponential`` (``mean_s``),
- ``lognormal`` (``mean_s`` and ``sd_s`` of the duration itself, or ``mu`` and ``sigma`` of
  its logarithm, as a fit writes them),
- ``empirical`` (``values_s``, drawn with replacement, optionally with ``weights``),
- ``fixed`` (``value_s``; ``inf`` is allowed for patience: callers who never hang up).

Every distribution draws a whole vector at once from a seeded ``numpy.random.Generator``
(no global random state), which is what keeps a replication fast and reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.errors import check_choice


class Distribution:
    """A non-negative duration in seconds."""

    kind: str = ""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent durations (seconds) as a float64 array."""
        raise NotImplementedError

    @property
    def mean_s(self) -> float:
        raise NotImplementedError

    def to_toml(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Exponential(Distribution):
    """Memoryless durations with the given mean (seconds)."""

    mean: float
    kind = "exponential"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and self.mean > 0):
            raise ValueError(f"exponential mean_s must be a finite number > 0, not {self.mean!r}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)

    @property
    def mean_s(self) -> float:
        return self.mean

    def to_toml(self) -> dict[str, Any]:
        return {"dist": "exponential", "mean_s": self.mean}


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Durations whose logarithm is normal with mean ``mu`` and deviation ``sigma``."""

    mu: float
    sigma: float
    kind = "lognormal"

    def __post_init__(self) -> None:
        if not math.isfinite(self.mu) or not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(
                f"lognormal needs a finite mu and sigma >= 0, not mu={self.mu!r} sigma={self.sigma!r}"
            )

    @classmethod
    def from_mean_sd(cls, mean_s: float, sd_s: float) -> LogNormal:
        """The lognormal whose durations have this mean and standard deviation (seconds)."""
        if not (mean_s > 0 and sd_s >= 0 and math.isfinite(mean_s) and math.isfinite(sd_s)):
            raise ValueError(
                f"lognormal needs mean_s > 0 and sd_s >= 0, not mean_s={mean_s!r} sd_s={sd_s!r}"
            )
        sigma2 = math.log1p((sd_s / mean_s) ** 2)
        return cls(mu=math.log(mean_s) - sigma2 / 2, sigma=math.sqrt(sigma2))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)

    @property
    def mean_s(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def sd_s(self) -> float:
        return self.mean_s * math.sqrt(math.expm1(self.sigma**2))

    def to_toml(self) -> dict[str, Any]:
        return {"dist": "lognormal", "mu": self.mu, "sigma": self.sigma}


@dataclass(frozen=True)
class Empirical(Distribution):
    """Observed durations (seconds), drawn with replacement, optionally weighted."""

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    kind = "empirical"

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("empirical values_s must not be empty")
        if any(not (math.isfinite(v) and v >= 0) for v in self.values):
            raise ValueError("empirical values_s must be finite numbers >= 0")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"empirical weights has {len(self.weights)} entries, values_s {len(self.values)}"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("empirical weights must be >= 0 with a positive sum")

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p())

    @property
    def mean_s(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else (v * p).sum())

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": "empirical", "values_s": list(self.values)}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        return out


@dataclass(frozen=True)
class Fixed(Distribution):
    """The same duration every time (seconds); ``inf`` means "never" (patience only)."""

    value: float
    kind = "fixed"

    def __post_init__(self) -> None:
        if math.isnan(self.value) or self.value < 0:
            raise ValueError(f"fixed value_s must be >= 0, not {self.value!r}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, float(self.value))

    @property
    def mean_s(self) -> float:
        return self.value

    def to_toml(self) -> dict[str, Any]:
        return {"dist": "fixed", "value_s": self.value}


_KEYS = {
    "exponential": {"mean_s"},
    "lognormal": {"mean_s", "sd_s", "mu", "sigma"},
    "empirical": {"values_s", "weights"},
    "fixed": {"value_s"},
}


def _number(table: Mapping[str, Any], key: str) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return float(value)


def distribution_from_toml(table: Any) -> Distribution:
    """A distribution from its TOML table, e.g. ``{dist = "lognormal", mean_s = 180, sd_s = 90}``.

    Raises ``ValueError`` saying which key is missing, unknown or wrong.
    """
    if isinstance(table, Distribution):
        return table
    if not isinstance(table, Mapping):
        raise ValueError(
            f'expected a table like {{dist = "exponential", mean_s = 120}}, not {table!r}'
        )
    kind = table.get("dist")
    check_choice("dist", kind, sorted(_KEYS))
    unknown = set(table) - _KEYS[kind] - {"dist"}
    if unknown:
        raise ValueError(f"{kind} does not take {', '.join(sorted(unknown))}")
    try:
        if kind == "exponential":
            return Exponential(_number(table, "mean_s"))
        if kind == "lognormal":
            if {"mu", "sigma"} <= set(table) and not ({"mean_s", "sd_s"} & set(table)):
                return LogNormal(_number(table, "mu"), _number(table, "sigma"))
            if {"mean_s", "sd_s"} <= set(table) and not ({"mu", "sigma"} & set(table)):
                return LogNormal.from_mean_sd(_number(table, "mean_s"), _number(table, "sd_s"))
            raise ValueError("lognormal takes either mean_s and sd_s, or mu and sigma")
        if kind == "empirical":
            values = table["values_s"]
            weights = table.get("weights")
            if not isinstance(values, (list, tuple)):
                raise ValueError("empirical values_s must be a list of seconds")
            return Empirical(
                tuple(float(v) for v in values),
                None if weights is None else tuple(float(w) for w in weights),
            )
        return Fixed(_number(table, "value_s"))
    except KeyError as exc:
        raise ValueError(f"{kind} needs {exc.args[0]}") from None
