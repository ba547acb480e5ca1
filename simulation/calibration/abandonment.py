"""Agents read off abandonment: the ``fit`` staffing proxy of calibration.

``agents_for_abandonment`` finds the agents n for which exact Erlang A loses the share of
callers the log shows abandoning; ``AgentsFit`` records what the proxy did in each
weekday × interval slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def agents_for_abandonment(
    calls: float,
    per_s: float,
    aht_s: float,
    patience_s: float,
    abandon_rate: float,
    *,
    floor: float,
    cap: float,
) -> tuple[float, str]:
    """The agents n (continuous, ``floor`` ≤ n ≤ ``cap``) for which exact Erlang A with
    ``calls`` per ``per_s`` seconds, mean handling ``aht_s`` and exponential patience
    ``patience_s`` (s) loses the share ``abandon_rate`` of its callers.

    Erlang A is defined for whole agents; between them log P(abandon) is interpolated
    linearly (it falls about geometrically per agent once the queue is stable), which
    makes a continuous, decreasing function of n whose root ``scipy.optimize.brentq``
    finds. Continuous, because the number stands for the mean over the weekday's days of
    a staffing that changed from day to day and inside the interval, as the busy proxy
    and the staffing table's mean do, until the scenario rounds it.

    Returns (agents, how): ``fit`` (the root), ``floor`` (even ``floor`` agents lose
    fewer callers than observed) or ``cap`` (even ``cap`` agents lose more).
    """
    from scipy.optimize import brentq

    from simulation.formulas.erlang import ErlangA

    if not 0 < abandon_rate < 1:
        raise ValueError(f"abandon_rate must be in (0, 1), not {abandon_rate!r}")
    if not 0 <= floor < cap:
        raise ValueError(f"need 0 <= floor < cap, not floor={floor!r} cap={cap!r}")
    model = ErlangA(calls, per_s, aht_s, patience_s)
    logs: dict[int, float] = {0: 0.0}  # no agent: every caller abandons

    def log_p(k: int) -> float:
        if k not in logs:
            # no thresholds asked (short_abandon 0 s): only P(abandon) is computed
            p = model.outcomes(k, (), 0.0).p_abandon
            logs[k] = math.log(max(p, 1e-300))
        return logs[k]

    def gap(n: float) -> float:
        k = math.floor(n)
        frac = n - k
        value = log_p(k) if frac == 0 else (1 - frac) * log_p(k) + frac * log_p(k + 1)
        return value - math.log(abandon_rate)

    if gap(floor) <= 0:
        return floor, "floor"
    if gap(cap) >= 0:
        return cap, "cap"
    return float(brentq(gap, floor, cap, xtol=1e-6)), "fit"


@dataclass(frozen=True)
class AgentsFit:
    """What the ``fit`` staffing proxy did in each weekday × interval slot (ISO weekday
    − 1 by slot): ``agents`` written (before rounding), the ``busy`` proxy beside them
    (busy agents / occupancy) and ``how`` (one of ``FIT_OUTCOMES``, "" where closed)."""

    agents: np.ndarray
    busy: np.ndarray
    how: np.ndarray
    interval_s: int

    def count(self, how: str) -> int:
        return int((self.how == how).sum())

    @staticmethod
    def summary_keys() -> tuple[str, ...]:
        return (
            "staffing_intervals_fit",
            "staffing_intervals_fit_floor",
            "staffing_intervals_fit_cap",
            "staffing_intervals_busy_few_calls",
            "staffing_intervals_busy_no_abandons",
            "staffing_fitted_agents_mean",
            "staffing_busy_agents_mean",
        )

    def summary(self) -> dict[str, Any]:
        """Intervals per outcome, and mean agents of the fitted intervals (fit, floor or
        cap) next to the busy proxy's agents in the same intervals."""
        fitted = np.isin(self.how, ("fit", "floor", "cap"))
        return {
            "staffing_intervals_fit": self.count("fit"),
            "staffing_intervals_fit_floor": self.count("floor"),
            "staffing_intervals_fit_cap": self.count("cap"),
            "staffing_intervals_busy_few_calls": self.count("few_calls"),
            "staffing_intervals_busy_no_abandons": self.count("no_abandons"),
            "staffing_fitted_agents_mean": float(self.agents[fitted].mean())
            if fitted.any()
            else None,
            "staffing_busy_agents_mean": float(self.busy[fitted].mean()) if fitted.any() else None,
        }
