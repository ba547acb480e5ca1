"""What a calibration found: the handling-time fit and patience estimate of each caller
category (``CategoryCalibration``) and the whole ``Calibration`` (the scenario, where
its hours and agents came from, and the report ``cca calibrate`` prints). Seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.centres import Centre
from analytics.clock import seconds_of_day
from analytics.periods import Period
from simulation.calibration.abandonment import AgentsFit
from simulation.calibration.patience import (
    KaplanMeier,
)
from simulation.queue.distributions import Distribution, LogNormal
from simulation.queue.scenario import Scenario


@dataclass(frozen=True)
class HandlingFit:
    """A lognormal fit of handling time (talk + hold + after-call work, s) of one category."""

    answered: int
    fitted: int  # answered calls with a positive handling time (the fit's sample)
    mu: float
    sigma: float
    mean_s: float | None = None  # the sample mean of the fitted handling times

    @property
    def distribution(self) -> LogNormal:
        """The MLE shape σ with μ moved so that the mean is the sample mean: real handling
        times are heavier-tailed than a lognormal, and the MLE's mean exp(μ + σ²/2) then
        overstates the load the agents carried (by 20% on the bank's log), while the
        queue is driven by the mean."""
        if self.mean_s is None or not self.mean_s > 0:
            return LogNormal(self.mu, self.sigma)
        return LogNormal(math.log(self.mean_s) - self.sigma**2 / 2, self.sigma)


@dataclass(frozen=True)
class PatienceEstimate:
    """Patience of one category: Kaplan–Meier, the exponential fit and the naive figure (s)."""

    km: KaplanMeier
    abandoned: int
    exponential_mean_s: float
    naive_mean_s: float | None  # avg_abandon_wait_s of the KPI layer
    distribution: Distribution

    @property
    def km_mean_s(self) -> float | None:
        return None if self.abandoned == 0 else self.km.mean_s()

    @property
    def km_mean_restricted(self) -> bool:
        return not self.km.reaches_zero


@dataclass(frozen=True)
class CategoryCalibration:
    """What calibration found for one caller category."""

    name: str  # as written in the scenario
    source_name: str | None  # the store's value (None: calls without a category)
    offered: int
    rates: Mapping[int, tuple[float, ...]]  # ISO weekday -> calls per interval from midnight
    handling: HandlingFit
    patience: PatienceEstimate
    aht_s: float | None  # the KPI layer's aht_s, to hold the fit against
    topics: tuple[tuple[str, float], ...] = ()
    priority: int = 0  # 0 is answered first (``priorities="data"``)

    def report(self) -> dict[str, Any]:
        """One flat row for people and programs (seconds; rates are calls per week)."""
        p = self.patience
        lognormal = self.handling.distribution
        return {
            "category": self.name,
            "offered": self.offered,
            "calls_per_week": sum(sum(r) for r in self.rates.values()),
            "answered": self.handling.answered,
            "abandoned": p.abandoned,
            "handling_mu": self.handling.mu,
            "handling_sigma": self.handling.sigma,
            "handling_mean_s": lognormal.mean_s,
            "handling_sd_s": lognormal.sd_s,
            "aht_s": self.aht_s,
            "patience_km_mean_s": p.km_mean_s,
            "patience_km_mean_restricted": p.km_mean_restricted if p.abandoned else None,
            "patience_km_median_s": p.km.median_s(),
            "patience_exponential_mean_s": None
            if math.isinf(p.exponential_mean_s)
            else p.exponential_mean_s,
            "avg_abandon_wait_s": p.naive_mean_s,
            "patience_written": p.distribution.kind,
        }


@dataclass(frozen=True)
class Calibration:
    """A calibrated scenario with what it was built from.

    ``data`` is the scenario as a TOML-shaped dict, ``scenario`` the validated scenario,
    ``toml`` the text to write (with the findings as comments at the top).
    """

    centre: Centre
    period: Period
    interval_s: int
    days_observed: Mapping[int, int]  # ISO weekday -> days of the period with calls
    categories: tuple[CategoryCalibration, ...]
    opening_hours: Mapping[int, tuple[tuple[str, str], ...]]
    hours_source: str
    staffing_source: str
    calls_outside_hours: int
    data: dict[str, Any] = field(repr=False)
    scenario: Scenario = field(repr=False)
    toml: str = field(repr=False)
    # where the agents came from: table, busy, shifts, answering, fit or erlang_a
    staffing_proxy: str = "table"
    agents_fit: AgentsFit | None = field(default=None, repr=False)

    def report(self) -> list[dict[str, Any]]:
        return [c.report() for c in self.categories]

    def staffing_report(self) -> dict[str, Any]:
        """Where the agents came from, flat: the proxy, the open intervals of the week,
        the agent-hours a week written and, for ``fit``, intervals per outcome and mean
        fitted against busy agents (None for the other proxies)."""
        week = self.data["staffing"]["agents_by_weekday"]
        open_ = sum(
            (seconds_of_day(b, "opening hours") - seconds_of_day(a, "opening hours"))
            // self.interval_s
            for spans in self.opening_hours.values()
            for a, b in spans
        )
        row: dict[str, Any] = {
            "staffing_proxy": self.staffing_proxy,
            "staffing_intervals": open_,
            "staffing_agent_hours_week": sum(map(sum, week.values())) * self.interval_s / 3600,
            "staffing_busy_agent_hours_week": None,
        }
        fit = self.agents_fit
        if fit is None:
            row.update(dict.fromkeys(AgentsFit.summary_keys()))
        else:
            busy = np.where(fit.how != "", np.rint(fit.busy), 0.0)
            row["staffing_busy_agent_hours_week"] = float(busy.sum()) * self.interval_s / 3600
            row.update(fit.summary())
        return row
