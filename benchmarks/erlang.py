"""Speed of exact Erlang A staffing: one interval, a week of intervals, and a peer.

    .venv/bin/python benchmarks/erlang.py

Prints each figure and its ratio to the limit of issue 4 (required agents for one interval
of 200 calls per 30 minutes in ≤ 2 ms) or to the peer measured in the same run
(pyworkforce's Erlang C staffing, when it is installed: `pip install -e .[bench]`).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and benchmarks/simulation.py would
# shadow the simulation package: look in the project root instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from simulation.formulas.erlang import parse_target, required_agents  # noqa: E402

LIMIT_ONE_INTERVAL_S = 0.002
TARGETS = [parse_target("sl_offered_20>=0.8")]


def best_of(repeats: int, func) -> float:
    """Median wall time of ``func()`` over ``repeats`` runs, seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def week_of_intervals() -> list[float]:
    """Calls per 30-minute interval over a week: a day-shaped curve, 0 at night."""
    calls = []
    for day in range(7):
        volume = 4000 if day < 5 else 1500
        for half_hour in range(48):
            hour = half_hour / 2
            shape = max(0.0, math.sin(math.pi * (hour - 7) / 13)) if 7 <= hour <= 20 else 0.0
            calls.append(round(volume * shape / 16.5, 1))
    return calls


def main() -> None:
    one_c = best_of(200, lambda: required_agents(200, 1800, 180, targets=TARGETS))
    one_a = best_of(200, lambda: required_agents(200, 1800, 180, targets=TARGETS, patience_s=120))
    staffed = required_agents(200, 1800, 180, targets=TARGETS, patience_s=120, max_abandon=0.05)
    print(
        f"required agents, one interval of 200 calls / 30 min, AHT 180 s, sl_offered_20>=0.8:\n"
        f"  Erlang C {one_c * 1e3:.3f} ms  ({one_c / LIMIT_ONE_INTERVAL_S:.2f} × the 2 ms limit)\n"
        f"  Erlang A (patience 120 s) {one_a * 1e3:.3f} ms  "
        f"({one_a / LIMIT_ONE_INTERVAL_S:.2f} × the 2 ms limit); {staffed} agents "
        f"with max_abandon 0.05"
    )

    week = week_of_intervals()

    def staff_week():
        return [
            required_agents(calls, 1800, 240, targets=TARGETS, patience_s=120, max_abandon=0.05)
            for calls in week
        ]

    week_s = best_of(3, staff_week)
    plan = staff_week()
    busy = sum(1 for c in week if c > 0)
    print(
        f"a week of 30-min intervals ({len(week)}, {busy} with calls, up to {max(week):.0f} "
        f"calls each), Erlang A: {week_s * 1e3:.1f} ms in all, "
        f"{week_s / len(week) * 1e3:.3f} ms per interval; peak {max(plan)} agents"
    )

    try:
        from pyworkforce.queuing import ErlangC as PyworkforceErlangC
    except ImportError:
        print("pyworkforce not installed (pip install -e .[bench]): no peer figure")
        return

    def peer():
        # pyworkforce works in minutes: 200 calls per 30 min, AHT 3 min, answer within 20 s.
        model = PyworkforceErlangC(transactions=200, aht=3, asa=20 / 60, interval=30)
        return model.required_positions(service_level=0.8, max_occupancy=1.0)

    peer_s = best_of(50, peer)
    peer_agents = peer()["raw_positions"]
    ours = required_agents(200, 1800, 180, targets=TARGETS)
    print(
        f"pyworkforce 0.5 ErlangC.required_positions, same interval: {peer_s * 1e3:.3f} ms "
        f"({peer_agents} agents; ours {ours}).\n  Time ratio ours / pyworkforce: Erlang C "
        f"{one_c / peer_s:.1f}×, Erlang A {one_a / peer_s:.1f}× (pyworkforce 0.5, the version "
        f"on PyPI, has no Erlang A; its Erlang C is the closed form with a float recursion)"
    )


if __name__ == "__main__":
    main()
