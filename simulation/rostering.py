"""Rostering: shifts that cover a staffing plan with the fewest agent-hours.

A staffing plan says how many agents each half hour needs; people work shifts. A roster
chooses how many agents start a shift of each allowed length (say 8 h or 4 h) at each
half hour so that every interval has at least the agents it needs, paying for every hour
of every shift. That is a covering integer programme:

    minimise   Σ_s Σ_L  L · x[s, L]                  (agent-hours)
    subject to Σ_{shifts (s, L) covering t} x[s, L] ≥ need[t]   for every interval t
               x[s, L] ≥ 0, whole agents

solved by ``scipy.optimize.milp`` (HiGHS). Each shift covers consecutive intervals, so
the constraint matrix has consecutive ones in every column: it is totally unimodular, the
linear relaxation already has a whole-number optimum, and a week of half hours solves in
milliseconds. Shifts start on the interval grid (every ``start_step_s``); a shift may run
past the horizon's end (its hours are still paid) and across midnight where the need
continues. More agents than planned never hurt the targets the plan was verified for, so
the roster needs no new simulation; the hours above the plan are the price of whole
shifts.

Units: seconds for lengths and steps; agents per interval.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|min|m)\s*$")


def parse_shift_lengths(text: str) -> tuple[int, ...]:
    """``"8h,4h"`` or ``"6h,90min"`` → shift lengths in seconds."""
    out = []
    for part in text.split(","):
        match = _LENGTH.match(part)
        if not match:
            raise ValueError(
                f"cannot read shift length {part.strip()!r}: write it like 8h or 90min"
            )
        value = float(match.group(1)) * (3600 if match.group(2) == "h" else 60)
        if value <= 0 or not value.is_integer():
            raise ValueError(f"shift length {part.strip()!r} must be a positive whole number of s")
        out.append(int(value))
    return tuple(sorted(set(out), reverse=True))


@dataclass(frozen=True)
class RosteredShift:
    """``agents`` agents working from ``start`` (index into the plan's intervals) for
    ``intervals`` intervals; ``starts_at``/``ends_at`` are local times."""

    start: int
    intervals: int
    agents: int
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


@dataclass(frozen=True)
class Roster:
    """Shifts covering ``need`` (agents per interval): ``coverage`` per interval
    (≥ need), ``agent_hours`` paid, ``need_hours`` the plan's own agent-hours."""

    shifts: tuple[RosteredShift, ...]
    coverage: np.ndarray
    need: np.ndarray
    interval_s: int

    @property
    def agent_hours(self) -> float:
        return sum(s.agents * s.intervals for s in self.shifts) * self.interval_s / 3600

    @property
    def need_hours(self) -> float:
        return float(self.need.sum()) * self.interval_s / 3600


def roster(
    need: Sequence[int],
    interval_s: int,
    shift_lengths_s: Sequence[int],
    *,
    start_step_s: int | None = None,
    starts: Sequence[dt.datetime] | None = None,
) -> Roster:
    """The shifts of ``shift_lengths_s`` (seconds, whole intervals) starting every
    ``start_step_s`` (default one interval) that cover ``need`` (agents per interval of
    ``interval_s`` seconds) with the fewest agent-hours. ``starts``: local start time of
    each interval, to label the shifts."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    need_arr = np.asarray(need, dtype=np.int64)
    n = len(need_arr)
    if (need_arr < 0).any():
        raise ValueError("need: agents per interval must be >= 0")
    step_s = interval_s if start_step_s is None else start_step_s
    if step_s <= 0 or step_s % interval_s:
        raise ValueError(f"start_step_s {step_s!r} must be a whole number of intervals")
    lengths = []
    for length_s in shift_lengths_s:
        if length_s <= 0 or length_s % interval_s:
            raise ValueError(
                f"shift length {length_s} s must be a whole number of {interval_s} s intervals"
            )
        lengths.append(length_s // interval_s)
    if not lengths:
        raise ValueError("shift_lengths_s: give at least one shift length")
    step = step_s // interval_s
    positive = np.flatnonzero(need_arr > 0)
    if not len(positive):
        return Roster((), np.zeros(n, dtype=np.int64), need_arr, interval_s)
    # A shift worth considering covers some interval with a need; it may start before the
    # first such interval (on the grid) and run past the horizon.
    columns: list[tuple[int, int]] = []
    for length in sorted(set(lengths)):
        first = max(0, (positive[0] - length + 1 + step - 1) // step * step)
        for s in range(first, positive[-1] + 1, step):
            if need_arr[s : s + length].any():
                columns.append((s, length))
    a = lil_matrix((n, len(columns)))
    for j, (s, length) in enumerate(columns):
        a[s : min(n, s + length), j] = 1.0
    cost = np.array([length for _, length in columns], dtype=float)
    result = milp(
        cost,
        constraints=LinearConstraint(a.tocsr(), lb=need_arr.astype(float), ub=np.inf),
        integrality=np.ones(len(columns)),
        bounds=Bounds(0, np.inf),
    )
    if not result.success:  # covering is always feasible; this is a solver failure
        raise RuntimeError(f"rostering failed: {result.message}")
    x = np.rint(result.x).astype(np.int64)
    coverage = np.zeros(n, dtype=np.int64)
    shifts = []
    for (s, length), agents in zip(columns, x, strict=True):
        if agents <= 0:
            continue
        coverage[s : s + length] += agents
        starts_at = ends_at = None
        if starts is not None:
            starts_at = starts[s]
            ends_at = starts_at + dt.timedelta(seconds=length * interval_s)
        shifts.append(RosteredShift(s, length, int(agents), starts_at, ends_at))
    shifts.sort(key=lambda r: (r.start, -r.intervals))
    return Roster(tuple(shifts), coverage, need_arr, interval_s)
