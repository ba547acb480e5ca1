"""What-if on the rest of today: agents added or removed over a time range, and the
smallest such change that closes the day at target.

A change is written as a manager says it: ``"+2@13:00-17:00"`` (two more agents from
13:00 to 17:00, local), ``"-1@12:00-12:30"`` (one fewer: sent home, or a break moved
there). A break moved from 12:00 to 13:00 is ``-1@13:00-13:30`` and ``+1@12:00-12:30``;
overtime is a ``+`` after the roster ends. Times fall on the plan's interval boundaries;
the change applies to the intervals that start within the range, never below zero
agents.

``suggest(plan, target)`` looks for the smallest change that brings the day's median to
``target`` (``simulation.formulas.erlang.parse_target``, e.g. ``sl_offered_12>=0.8``): agents
that can come from the next interval on, first the fewest (``+k`` to closing, bisection
on k), then the shortest range for that k (the latest end, then the latest start, each by
bisection). Every candidate is simulated with the same seeds (common random numbers: the
same callers, only the agents differ), so the comparisons are of the change, not of luck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from analytics.clock import hhmm
from simulation.intraday.day import IntradayPlan

_CHANGE = re.compile(r"^\s*([+-]\d+)\s*@\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
SEARCH_REPLICATIONS = 40
MAX_EXTRA_AGENTS = 30


@dataclass(frozen=True)
class Change:
    """``agents`` more (or fewer, < 0) from ``start_s`` to ``end_s`` (s from midnight)."""

    agents: int
    start_s: int
    end_s: int

    def __str__(self) -> str:
        return f"{self.agents:+d}@{hhmm(self.start_s)}-{hhmm(self.end_s)}"

    def words(self) -> str:
        return f"{self.agents:+d} from {hhmm(self.start_s)} to {hhmm(self.end_s)}"


def parse_change(text: str) -> Change:
    """``"+2@13:00-17:00"`` as a ``Change``; ``ValueError`` saying the form otherwise."""
    m = _CHANGE.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a change like +2@13:00-17:00 or -1@12:00-12:30")
    k, h1, m1, h2, m2 = m.groups()
    start, end = int(h1) * 3600 + int(m1) * 60, int(h2) * 3600 + int(m2) * 60
    if int(m1) > 59 or int(m2) > 59 or end > 86400 or start >= end:
        raise ValueError(f"{text!r}: the range must run forward within the day (00:00-24:00)")
    if int(k) == 0:
        raise ValueError(f"{text!r}: a change of 0 agents changes nothing")
    return Change(int(k), start, end)


def apply_changes(plan: IntradayPlan, changes) -> IntradayPlan:
    """``plan`` with each change added to the agents of the intervals it covers."""
    if not changes:
        return plan
    step = plan.scenario.interval_s
    agents = plan.agents.copy()
    for c in changes:
        for t in (c.start_s, c.end_s):
            if t % step:
                raise ValueError(
                    f"{c}: {hhmm(t)} is not on a {step // 60}-minute interval boundary"
                )
        agents[c.start_s // step : c.end_s // step] += c.agents
    return plan.with_agents(np.maximum(agents, 0))


def default_target(centre) -> str:
    """80% of offered calls answered within the centre's first threshold."""
    from analytics.kpi import threshold_label

    return f"sl_offered_{threshold_label(centre.sl_thresholds_s[0])}>=0.8"


def suggest(
    plan: IntradayPlan,
    target: str,
    *,
    replications: int = SEARCH_REPLICATIONS,
    seed: int = 0,
    workers: int | None = 1,
    max_agents: int = MAX_EXTRA_AGENTS,
) -> dict:
    """The smallest change from the next interval that closes the day at ``target``
    (module docstring): ``change`` (``"+2@12:30-16:00"``, None when none is needed or
    none up to ``max_agents`` would do), ``why`` (``change``, ``met``, ``no_interval`` or
    ``too_many``: for a reader's words), ``words``, ``agent_hours`` and the day's
    median of the target's KPI without and with it."""
    from simulation.formulas.erlang import parse_target
    from simulation.intraday.projection import day_median

    goal = parse_target(target)
    step = plan.scenario.interval_s
    first = int(plan.at_s // step) + 1
    open_slots = np.flatnonzero(plan.scenario.timeline().open[: plan.scenario.intervals_per_day])
    last = int(open_slots.max()) + 1 if len(open_slots) else first
    evaluated: dict[tuple, float | None] = {}

    def value(k: int, a: int, b: int) -> float | None:
        key = (k, a, b)
        if key not in evaluated:
            changes = [Change(k, a * step, b * step)] if k else []
            trial = apply_changes(plan, changes)
            evaluated[key] = day_median(trial, goal, replications, seed, workers=workers)
        return evaluated[key]

    def met(v) -> bool:
        return v is not None and goal.met_by({goal.key: v})

    base = value(0, first, last)
    result = {"target": target, "base": base, "change": None, "agent_hours": 0.0}
    if met(base):
        return {
            **result,
            "value": base,
            "why": "met",
            "words": "no change needed: the day closes at target",
        }
    if first >= last:
        return {
            **result,
            "value": base,
            "why": "no_interval",
            "words": "no interval left to add agents to",
        }
    lo, hi = 0, max_agents
    if not met(value(hi, first, last)):
        return {
            **result,
            "value": evaluated[(hi, first, last)],
            "why": "too_many",
            "max_agents": max_agents,
            "words": f"even +{max_agents} agents from the next interval to closing would not",
        }
    while hi - lo > 1:  # fewest agents to closing
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if met(value(mid, first, last)) else (mid, hi)
    k = hi
    lo_b, hi_b = first, last  # earliest end that still meets it
    while hi_b - lo_b > 1:
        mid = (lo_b + hi_b) // 2
        lo_b, hi_b = (lo_b, mid) if met(value(k, first, mid)) else (mid, hi_b)
    end = hi_b
    lo_a, hi_a = first, end - 1  # latest start that still meets it
    while hi_a - lo_a > 0:
        mid = (lo_a + hi_a + 1) // 2
        lo_a, hi_a = (mid, hi_a) if met(value(k, mid, end)) else (lo_a, mid - 1)
    start = lo_a
    change = Change(k, start * step, end * step)
    return {
        **result,
        "change": str(change),
        "why": "change",
        "words": change.words(),
        "agent_hours": k * (end - start) * step / 3600,
        "value": value(k, start, end),
    }
