"""Rostering: real shifts with breaks that cover a staffing plan at the least paid hours.

A staffing plan says how many agents each interval needs; people work shifts, and a
shift of more than five hours has a break. A roster chooses how many agents start each
*shift template* (``8h:1h-break``: eight hours at work, one of them a break) at each
start time, and when each of them takes the break, so that every interval has at least
the agents it needs on the phones, paying for every hour of every shift. It is an
integer programme solved by ``scipy.optimize.milp`` (HiGHS):

    minimise   Σ_j paid_j · x_j + M Σ_t u_t
    subject to Σ_{j on the phones at t} x_j + u_t ≥ need_t      for every interval t
               x_j, u_t ≥ 0 whole

with one column j per (start, template, break start). A break starts within the
*break window* after the shift starts (default 2–5 h) and never leaves more than five
hours without one (``max_unbroken_s``) on either side. ``u_t`` is need left uncovered,
priced above any shift (``M`` = ten times the longest shift), so the programme always
has a solution and intervals no allowed shift can reach are named, not a failure.

Options: ``tours`` (5 days on, 2 consecutive days off, same start time every working
day: tour variables z[days off, start, template] whose working days fix the daily
shift counts; breaks are still chosen day by day); Ramadan templates used instead of
the regular ones on Ramadan days (``ramadan_shifts``); a cap on the share of part-time
shifts (shorter than the longest regular template); shift starts limited to a time
window of the day; a time limit, after which the best roster found so far is returned
with its MIP gap. Shifts may run past the plan's end (their hours are still paid).

Without breaks a shift covers consecutive intervals, the matrix is totally unimodular
and the programme solves at once; breaks make holes, but the linear relaxation stays
nearly whole. HiGHS stops once its roster is proved within ``MIP_GAP`` (0.5%) of the
least paid hours any roster could have — five hours in a thousand, less than one
shift. Most of its time goes into proving the last fraction of a shift: a 24/7 week of
half hours solves to that gap in about a second instead of two to three, and the roster
it returns is usually the optimal one anyway (``gap`` says how far it can be from it;
``mip_gap=0`` asks for the proof).

Units: seconds for lengths and steps; agents per interval; paid hours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|min|m|s)\s*$")
_UNIT_S = {"h": 3600, "min": 60, "m": 60, "s": 1}
MAX_UNBROKEN_S = 5 * 3600
MIP_GAP = 0.005  # stop once proved within 0.5% of the least paid hours (module docstring)
BREAK_WINDOW_S = (2 * 3600, 5 * 3600)


def parse_duration(text: str, what: str = "duration") -> int:
    """``8h``, ``30m``, ``90min``, ``45s`` → seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"cannot read {what} {text.strip()!r}: write it like 8h, 30m or 90min")
    value = float(match.group(1)) * _UNIT_S[match.group(2)]
    if value <= 0 or not value.is_integer():
        raise ValueError(f"{what} {text.strip()!r} must be a positive whole number of seconds")
    return int(value)


@dataclass(frozen=True)
class ShiftTemplate:
    """A kind of shift: ``length_s`` at work including a break of ``break_s`` (0: none)."""

    length_s: int
    break_s: int = 0

    def __post_init__(self) -> None:
        if self.length_s <= 0 or self.break_s < 0 or self.break_s >= self.length_s:
            raise ValueError(
                f"shift {self.length_s} s with a {self.break_s} s break: the break must be "
                "shorter than the shift"
            )

    @property
    def name(self) -> str:
        def text(s: int) -> str:
            return f"{s // 3600}h" if s % 3600 == 0 else f"{s // 60}m"

        return text(self.length_s) + (f":{text(self.break_s)}-break" if self.break_s else "")

    def __str__(self) -> str:
        return self.name


def parse_shifts(text: str) -> tuple[ShiftTemplate, ...]:
    """``"8h:1h-break,6h:30m-break"`` (or ``"8h,4h"``: no breaks) → shift templates,
    longest first."""
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        length, _, rest = part.partition(":")
        brk = 0
        if rest.strip():
            spec = rest.strip()
            if not spec.endswith("-break"):
                raise ValueError(
                    f"cannot read shift {part.strip()!r}: write it like 8h:1h-break or 6h"
                )
            brk = parse_duration(spec[: -len("-break")], f"break of shift {part.strip()!r}")
        out.append(ShiftTemplate(parse_duration(length, "shift length"), brk))
    if not out:
        raise ValueError(f"no shift in {text!r}: write e.g. 8h:1h-break,6h:30m-break")
    return tuple(sorted(set(out), key=lambda t: (-t.length_s, t.break_s)))


def parse_shift_lengths(text: str) -> tuple[int, ...]:
    """``"8h,4h"`` or ``"6h,90min"`` → shift lengths in seconds (shifts without breaks)."""
    return tuple(sorted({t.length_s for t in parse_shifts(text)}, reverse=True))


def parse_window(text: str) -> tuple[int, int]:
    """``"2h-5h"`` → (7200, 18000) seconds."""
    lo, sep, hi = text.partition("-")
    if not sep:
        raise ValueError(f"cannot read window {text!r}: write it like 2h-5h")
    a, b = parse_duration(lo, "window start"), parse_duration(hi, "window end")
    if b < a:
        raise ValueError(f"window {text!r}: the end is before the start")
    return a, b


def parse_tours(text: str) -> tuple[int, int]:
    """``"5x2"`` → (5 days on, 2 consecutive days off)."""
    m = re.match(r"^\s*(\d)\s*x\s*(\d)\s*$", text)
    if not m or int(m.group(1)) + int(m.group(2)) != 7 or int(m.group(1)) < 1:
        raise ValueError(f"cannot read tours {text!r}: write days on x days off, e.g. 5x2")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class RosteredShift:
    """``agents`` agents working ``template`` from ``start`` (index into the plan's
    intervals) for ``intervals`` intervals, on break for ``break_intervals`` from
    ``break_start`` (index; None without a break); ``starts_at``/``ends_at``/
    ``break_at`` are local times when the plan's were given."""

    start: int
    intervals: int
    agents: int
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    template: ShiftTemplate | None = None
    break_start: int | None = None
    break_intervals: int = 0
    break_at: dt.datetime | None = None

    def on_phones(self, n: int) -> np.ndarray:
        """0/1 per interval of a horizon of ``n``: at work and not on break."""
        on = np.zeros(n, dtype=np.int64)
        on[self.start : min(n, self.start + self.intervals)] = 1
        if self.break_start is not None:
            on[self.break_start : min(n, self.break_start + self.break_intervals)] = 0
        return on


@dataclass(frozen=True)
class Roster:
    """Shifts covering ``need`` (agents per interval): ``coverage`` on the phones per
    interval, ``paid_hours``, ``need_hours`` (the plan's agent-hours), ``gap`` (relative
    MIP gap; 0 when proven optimal), ``uncovered`` (indices of intervals left short),
    ``headcount`` (agents: people on tours, else agent-shifts)."""

    shifts: tuple[RosteredShift, ...]
    coverage: np.ndarray
    need: np.ndarray
    interval_s: int
    gap: float = 0.0
    uncovered: tuple[int, ...] = ()
    headcount: int = 0
    paid_hours: float = 0.0
    starts: tuple[dt.datetime, ...] | None = None
    status: str = "optimal"
    tours: tuple = field(default=())

    @property
    def agent_hours(self) -> float:
        """Hours at work (breaks included) of all shifts."""
        return sum(s.agents * s.intervals for s in self.shifts) * self.interval_s / 3600

    @property
    def need_hours(self) -> float:
        return float(self.need.sum()) * self.interval_s / 3600

    @property
    def over_coverage(self) -> float | None:
        """Σ agent-intervals on the phones above the need ÷ Σ need."""
        total = float(self.need.sum())
        if not total:
            return None
        return float(np.maximum(self.coverage - self.need, 0).sum()) / total

    def summary(self) -> dict:
        return {
            "paid_hours": round(self.paid_hours, 3),
            "required_agent_hours": round(self.need_hours, 3),
            "over_coverage": None if self.over_coverage is None else round(self.over_coverage, 5),
            "gap": round(self.gap, 6),
            "uncovered_intervals": [
                self.starts[i].isoformat() if self.starts else int(i) for i in self.uncovered
            ],
            "headcount": self.headcount,
            "status": self.status,
        }

    def rows(self) -> list[dict]:
        """One row per start time, template and break slot: ``shift``, ``start``,
        ``break_start``, ``agents`` (plus ``end``)."""
        return [
            {
                "shift": s.template.name if s.template else f"{s.intervals * self.interval_s}s",
                "start": s.starts_at if s.starts_at is not None else s.start,
                "break_start": (
                    (s.break_at if s.break_at is not None else s.break_start)
                    if s.break_start is not None
                    else None
                ),
                "agents": s.agents,
                "end": s.ends_at if s.ends_at is not None else s.start + s.intervals,
            }
            for s in self.shifts
        ]


def _templates(shifts) -> tuple[ShiftTemplate, ...]:
    out = []
    for s in shifts:
        out.append(s if isinstance(s, ShiftTemplate) else ShiftTemplate(int(s)))
    if not out:
        raise ValueError("shifts: give at least one shift template")
    return tuple(out)


def break_offsets(
    t: ShiftTemplate, interval_s: int, window: tuple[int, int], max_unbroken_s: int | None
) -> list[int | None]:
    """Break starts (intervals after the shift's start) a template allows."""
    if not t.break_s:
        return [None]
    lo, hi = window
    if max_unbroken_s is not None:
        lo = max(lo, t.length_s - t.break_s - max_unbroken_s)
        hi = min(hi, max_unbroken_s)
    hi = min(hi, t.length_s - t.break_s)
    first = -(-lo // interval_s)
    last = hi // interval_s
    if last < first:
        raise ValueError(
            f"shift {t.name}: no break start within {lo / 3600:g}–{hi / 3600:g} h leaves at "
            f"most {max_unbroken_s / 3600 if max_unbroken_s else 0:g} h without a break"
        )
    return list(range(first, last + 1))


# long: one MILP: its variables (shifts per start, breaks, tours, part-time) and constraints are
# declared together against one index of intervals, then solved and read back
def roster(
    need: Sequence[int],
    interval_s: int,
    shifts: Sequence[ShiftTemplate | int],
    *,
    start_step_s: int | None = None,
    starts: Sequence[dt.datetime] | None = None,
    break_window_s: tuple[int, int] = BREAK_WINDOW_S,
    max_unbroken_s: int | None = MAX_UNBROKEN_S,
    tours: tuple[int, int] | None = None,
    ramadan_shifts: Sequence[ShiftTemplate | int] = (),
    ramadan_days: Sequence[dt.date] | None = None,
    max_part_time: float | None = None,
    start_window_s: tuple[int, int] | None = None,
    time_limit_s: float = 10.0,
    paid_breaks: bool = True,
    mip_gap: float = MIP_GAP,
    full_slack: bool = False,
) -> Roster:
    """The roster of ``shifts`` (templates, or lengths in seconds without a break)
    covering ``need`` (agents per interval of ``interval_s`` seconds) at the least paid
    hours; see the module docstring for the options. ``starts``: local start of each
    interval (labels, days of the week, Ramadan and start windows); without it the plan
    starts at midnight. ``max_unbroken_s`` applies to templates with a break (a template
    written without one is the planner's choice)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    need_arr = np.asarray(need, dtype=np.int64)
    n = len(need_arr)
    if (need_arr < 0).any():
        raise ValueError("need: agents per interval must be >= 0")
    templates = _templates(shifts)
    ramadan_templates = _templates(ramadan_shifts) if ramadan_shifts else ()
    step_s = interval_s if start_step_s is None else start_step_s
    if step_s <= 0 or step_s % interval_s:
        raise ValueError(f"start step {step_s!r} s must be a whole number of intervals")
    step = step_s // interval_s
    for t in templates + ramadan_templates:
        if t.length_s % interval_s or t.break_s % interval_s:
            raise ValueError(f"shift {t.name} must be a whole number of {interval_s} s intervals")
    if max_part_time is not None and not 0 <= max_part_time <= 1:
        raise ValueError(f"max part-time share {max_part_time} must be between 0 and 1")
    offsets = {
        t: break_offsets(t, interval_s, break_window_s, max_unbroken_s)
        for t in templates + ramadan_templates
    }
    per_day = 86400 // interval_s
    if starts is not None:
        starts = list(starts)
        first_day = starts[0].date() if n else dt.date(2000, 1, 1)
        day_of = np.array([(s.date() - first_day).days for s in starts])
        tod = np.array([(s.hour * 3600 + s.minute * 60 + s.second) // interval_s for s in starts])
    else:
        day_of = np.arange(n) // per_day
        tod = np.arange(n) % per_day
        first_day = None
    ramadan = set(ramadan_days or ())
    if ramadan_templates and starts is not None and not ramadan_days:
        from analytics.periods import hijri_date

        ramadan = {s.date() for s in starts if (hijri_date(s.date()) or (0, 0, 0))[1] == 9}

    def allowed(i: int) -> tuple[ShiftTemplate, ...]:
        if ramadan_templates and starts is not None and starts[i].date() in ramadan:
            return ramadan_templates
        return templates

    def start_ok(i: int) -> bool:
        if start_window_s is None:
            return True
        t = tod[i] * interval_s
        return start_window_s[0] <= t <= start_window_s[1]

    longest_regular = max(t.length_s for t in templates)
    part_time = {t for t in templates + ramadan_templates if t.length_s < longest_regular}
    if ramadan_templates:
        longest_r = max(t.length_s for t in ramadan_templates)
        part_time = {t for t in part_time if t not in ramadan_templates} | {
            t for t in ramadan_templates if t.length_s < longest_r
        }

    positive = np.flatnonzero(need_arr > 0)
    if not len(positive):
        return Roster(
            (),
            np.zeros(n, dtype=np.int64),
            need_arr,
            interval_s,
            starts=tuple(starts) if starts else None,
        )

    # columns: (start, template, break offset)
    columns: list[tuple[int, ShiftTemplate, int | None]] = []
    # a start on the step grid of the day (the plan's first interval is on the grid)
    grid = [i for i in range(n) if (i % step == 0) and start_ok(i)]
    for i in grid:
        for t in allowed(i):
            length = t.length_s // interval_s
            if not tours and not need_arr[i : i + length].any():
                continue  # covers nothing the plan needs
            for b in offsets[t]:
                columns.append((i, t, b))
    rows, cols = [], []
    for j, (i, t, b) in enumerate(columns):
        length = t.length_s // interval_s
        on = list(range(i, min(n, i + length)))
        if b is not None:
            gone = set(range(i + b, i + b + t.break_s // interval_s))
            on = [k for k in on if k not in gone]
        rows.extend(on)
        cols.extend([j] * len(on))
    m = len(columns)
    longest = max(t.length_s for t in templates + ramadan_templates) // interval_s
    big = 10.0 * longest
    paid = np.array(
        [(t.length_s - (0 if paid_breaks else t.break_s)) / interval_s for _, t, _ in columns]
    )
    # Slack only where no shift reaches: elsewhere it only slows HiGHS down (the bank's
    # week took 4.6 s with a slack per interval, 2.6–3.5 s without, on the loaded 2-core machine).
    reach = np.zeros(n, dtype=bool)
    reach[np.asarray(rows, dtype=np.int64)] = True
    slack_at = np.flatnonzero((need_arr > 0) & ~reach) if not full_slack else np.arange(n)
    nu = len(slack_at)
    # variables: x (m shift columns), u (nu uncovered), z (tour columns)
    tour_cols: list[tuple[int, int, ShiftTemplate]] = []  # (days-off start, time of day, t)
    link_rows = []
    if tours:
        on_days, off_days = tours
        days_in_plan = int(day_of.max()) + 1
        if days_in_plan > 7:
            raise ValueError(f"tours {on_days}x{off_days} need a plan of at most a week")
        starts_tod = sorted({int(tod[i]) for i in grid})
        for p in range(7):
            for s in starts_tod:
                for t in templates:
                    tour_cols.append((p, s, t))
        # per (day, time of day): Σ_x of that day/start = Σ_z working that day (per regular
        # template; Ramadan days: all templates together)
        x_by = {}
        for j, (i, t, _b) in enumerate(columns):
            x_by.setdefault((int(day_of[i]), int(tod[i])), []).append((j, t))
        z_index = {c: k for k, c in enumerate(tour_cols)}
        for (d, s), xs in x_by.items():
            is_ramadan = bool(ramadan_templates) and any(
                t in ramadan_templates and t not in templates for _, t in xs
            )
            working = [p for p in range(7) if (d - p) % 7 >= off_days]
            groups = [None] if is_ramadan else templates
            for t_reg in groups:
                coef = {}
                for j, t in xs:
                    if t_reg is None or t == t_reg:
                        coef[j] = 1.0
                zs = [
                    m + nu + z_index[(p, s, tt)]
                    for p in working
                    for tt in (templates if t_reg is None else (t_reg,))
                ]
                link_rows.append((coef, zs))
    n_var = m + nu + len(tour_cols)
    cost = np.concatenate([paid, np.full(nu, big), np.zeros(len(tour_cols))])
    a_cover = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n_var)).tocsr() + coo_matrix(
        (np.ones(nu), (slack_at, m + np.arange(nu))), shape=(n, n_var)
    )
    constraints = [LinearConstraint(a_cover, lb=need_arr.astype(float), ub=np.inf)]
    if link_rows:
        r, c, v = [], [], []
        for k, (coef, zs) in enumerate(link_rows):
            for j, val in coef.items():
                r.append(k)
                c.append(j)
                v.append(val)
            for zj in zs:
                r.append(k)
                c.append(zj)
                v.append(-1.0)
        a_link = coo_matrix((v, (r, c)), shape=(len(link_rows), n_var)).tocsr()
        constraints.append(LinearConstraint(a_link, lb=0.0, ub=0.0))
    if max_part_time is not None and part_time:
        row = np.zeros(n_var)
        for j, (_i, t, _b) in enumerate(columns):
            row[j] = (1.0 if t in part_time else 0.0) - max_part_time
        constraints.append(LinearConstraint(vstack([coo_matrix(row)]).tocsr(), -np.inf, 0.0))
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(n_var),
        bounds=Bounds(0, np.inf),
        options={"time_limit": float(time_limit_s), "disp": False, "mip_rel_gap": mip_gap},
    )
    if result.status == 2 and not full_slack:
        # infeasible without slack everywhere (a part-time cap that only a part-time shift
        # could meet somewhere): leave such need uncovered instead
        return roster(
            need,
            interval_s,
            shifts,
            start_step_s=start_step_s,
            starts=starts,
            break_window_s=break_window_s,
            max_unbroken_s=max_unbroken_s,
            tours=tours,
            ramadan_shifts=ramadan_shifts,
            ramadan_days=ramadan_days,
            max_part_time=max_part_time,
            start_window_s=start_window_s,
            time_limit_s=time_limit_s,
            paid_breaks=paid_breaks,
            mip_gap=mip_gap,
            full_slack=True,
        )
    if result.x is None:
        raise RuntimeError(
            f"rostering found no roster within {time_limit_s:g} s ({result.message}); "
            "give it a longer --time-limit"
        )
    x = np.rint(result.x).astype(np.int64)
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    if result.status != 0:
        status = "time limit"
    else:  # solved to the tolerance: proved optimal, or within mip_gap of it
        status = "optimal" if gap <= 1e-9 else "within gap"
    coverage = np.zeros(n, dtype=np.int64)
    out = []
    for j, (i, t, b) in enumerate(columns):
        if x[j] <= 0:
            continue
        length = t.length_s // interval_s
        br = None if b is None else i + b
        shift = RosteredShift(
            start=i,
            intervals=length,
            agents=int(x[j]),
            starts_at=starts[i] if starts is not None else None,
            ends_at=(starts[i] + dt.timedelta(seconds=t.length_s)) if starts is not None else None,
            template=t,
            break_start=br,
            break_intervals=t.break_s // interval_s,
            break_at=(
                starts[i] + dt.timedelta(seconds=b * interval_s)
                if starts is not None and b is not None
                else None
            ),
        )
        coverage += shift.agents * shift.on_phones(n)
        out.append(shift)
    out.sort(key=lambda r: (r.start, -r.intervals, r.break_start or 0))
    uncovered = tuple(int(k) for k in np.flatnonzero(coverage < need_arr))
    paid_hours = float(sum(paid[j] * x[j] for j in range(m))) * interval_s / 3600
    headcount = int(x[m + nu :].sum()) if tour_cols else int(x[:m].sum())
    tour_rows = tuple(
        (p, s, t, int(x[m + nu + k])) for k, (p, s, t) in enumerate(tour_cols) if x[m + nu + k] > 0
    )
    return Roster(
        tuple(out),
        coverage,
        need_arr,
        interval_s,
        gap=gap,
        uncovered=uncovered,
        headcount=headcount,
        paid_hours=paid_hours,
        starts=tuple(starts) if starts is not None else None,
        status=status,
        tours=tour_rows,
    )
