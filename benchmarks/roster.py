"""Speed and quality of `cca roster`: a week of 30-minute intervals, 8 h and 6 h shifts
with breaks, on the seed scenarios' staffing plans.

    .venv/bin/python benchmarks/roster.py [PLAN.csv ...]

For each seed scenario (bahrain_lmra, saudi_mol) the week's plan is Erlang A's headcount
per half hour (``cca staff --no-verify``: the roster only needs a need per interval), at
its own volume and at ten times it. Shifts "8h:1h-break,6h:30m-break", starts every
30 minutes, breaks 2–5 h into the shift. Times ``simulation.planning.rostering.roster`` (the
integer programme, build and solve) and prints it with its ratio to the issue's 2 s
limit (and its CPU time: on a shared machine the wall time follows the load),
and the over-coverage (agent-intervals on the phones above the need ÷ the need)
with its ratio to the 6% limit; also the LP bound's over-coverage (what no roster of
these shifts can beat) so a ratio above 1 can be told from a weak solver. Extra plan CSVs
(e.g. the bank's, from `cca staff --scenario bank.toml --format csv`) can be given.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIMIT_S = 2.0
LIMIT_OVER = 0.06
SHIFTS = "8h:1h-break,6h:30m-break"


def seed_plan(name: str, scale: float):
    import pandas as pd

    from simulation.planning.staffing import staffing_plan
    from simulation.queue.scenario_file import load_scenario

    scenario = load_scenario(name).with_changes(days=7)
    if scale != 1:
        scenario = (
            scenario.with_changes(volume_scale=scale)
            if hasattr(scenario, "volume_scale")
            else scenario
        )
    plan = staffing_plan(scenario, verify=False)
    tl = scenario.timeline()
    n = len(tl.starts_s) - tl.first_recorded
    origin = pd.Timestamp(scenario.start_instant)
    starts = [
        (origin + pd.Timedelta(seconds=float(t))).to_pydatetime()
        for t in tl.starts_s[tl.first_recorded :]
    ]
    need = [0] * n
    for p in plan.intervals:
        need[p.index] = p.headcount
    return starts, need, scenario.interval_s


def scaled_plan(name: str, scale: int):
    """The plan of ``name`` with ``scale`` times the calls per interval (Erlang A again)."""
    from simulation.formulas.erlang import required_agents
    from simulation.planning.staffing import interval_traffic

    starts, need, interval_s = seed_plan(name, 1)
    if scale == 1:
        return starts, need, interval_s
    from simulation.queue.scenario_file import load_scenario

    scenario = load_scenario(name).with_changes(days=7)
    targets = [str(t) for t in scenario.targets] or ["sl_offered_12>=0.8"]
    out = []
    for traffic in interval_traffic(scenario):
        if traffic is None:
            out.append(0)
            continue
        out.append(
            required_agents(
                traffic.calls * scale,
                traffic.per_s,
                traffic.aht_s,
                targets=targets,
                patience_s=traffic.patience_s,
            )
            or 0
        )
    return starts, out, interval_s


def lp_bound(need, interval_s, templates) -> float:
    """Over-coverage of the linear relaxation (a lower bound for any roster)."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    from simulation.planning.rostering import BREAK_WINDOW_S, MAX_UNBROKEN_S, break_offsets

    n = len(need)
    rows, cols, cost = [], [], []
    j = 0
    for t in templates:
        length = t.length_s // interval_s
        for s in range(n):
            for b in break_offsets(t, interval_s, BREAK_WINDOW_S, MAX_UNBROKEN_S):
                on = [k for k in range(s, min(n, s + length))]
                if b is not None:
                    on = [k for k in on if not s + b <= k < s + b + t.break_s // interval_s]
                rows += on
                cols += [j] * len(on)
                cost.append(length)
                j += 1
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, j)).tocsr()
    res = linprog(np.array(cost, float), A_ub=-a, b_ub=-np.asarray(need, float), method="highs")
    cover = a @ res.x
    return float(np.maximum(cover - need, 0).sum() / np.sum(need))


def main() -> None:
    from simulation.planning.rostering import parse_shifts, roster

    templates = parse_shifts(SHIFTS)
    cases = []
    for name in ("bahrain_lmra", "saudi_mol"):
        for scale in (1, 10):
            cases.append((f"{name} x{scale}", scaled_plan(name, scale)))
    for path in sys.argv[1:]:
        from cca.commands.roster import read_plan

        cases.append((Path(path).name, read_plan(path)))
    print(
        f"shifts {SHIFTS}, starts every 30 min, breaks 2-5 h in; limits {LIMIT_S:g} s, "
        f"{LIMIT_OVER:.0%} over-coverage"
    )
    import scipy.optimize  # noqa: F401  (imported once by any program; not the roster's time)

    worst = 0.0
    for label, (starts, need, interval_s) in cases:
        t0, c0 = time.perf_counter(), time.process_time()
        r = roster(need, interval_s, templates, starts=starts)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        bound = lp_bound(need, interval_s, templates)
        worst = max(worst, seconds / LIMIT_S)
        print(
            f"{label:<22} {len(need)} intervals, {r.need_hours:8.1f} required agent-h: "
            f"{seconds:5.2f} s ({seconds / LIMIT_S:.2f} of the limit; CPU {cpu:.2f} s), over-coverage "
            f"{r.over_coverage:.2%} ({r.over_coverage / LIMIT_OVER:.2f} of the limit; "
            f"LP bound {bound:.2%}), gap {r.gap:.2%}, {r.headcount} shifts, "
            f"{len(r.uncovered)} uncovered"
        )
    print(
        f"worst time ratio {worst:.2f} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
