"""Speed of the planner's page: Erlang A at once, a week's simulation, "Find staffing".

    .venv/bin/python benchmarks/planner.py

Prints each figure with its ratio to the limits of issue 12:

1. exact Erlang A for every interval of a week of 30-minute intervals
   (``simulation.planning.whatif.erlang_week``) ≤ 300 ms: a centre open around the clock whose
   days all differ (336 distinct intervals, nothing cached), then the same week after a
   planner edits one cell (cached), and the saudi_mol pack's week (its open hours);
2. a week's simulation, 10 replications, ≤ 10 s on 2 cores: the saudi_mol week (about
   25,000 calls) as the planner's "Simulate" job runs it (``simulation.operations.jobs.JobRunner``,
   a process pool of 2 workers, started on first use: both the first job, which starts
   the pool, and a second one);
3. "Find staffing" for that week ≤ 60 s (``staffing_plan`` in a job: sl_offered_12 >= 0.8,
   abandon rate <= 0.05, 10 replications per round).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and benchmarks/simulation.py would
# shadow the simulation package: look in the project root instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from analytics.appstate import AppState  # noqa: E402
from simulation.operations.jobs import JobRunner  # noqa: E402
from simulation.planning import whatif  # noqa: E402
from simulation.queue.scenario_file import load_scenario, scenario_from_dict  # noqa: E402

LIMIT_ERLANG_S = 0.300
LIMIT_SIMULATE_S = 10.0
LIMIT_STAFF_S = 60.0


def around_the_clock_week():
    """A week open 24 hours a day whose seven days differ (no interval repeats)."""
    intraday = {
        # skewed towards the afternoon, so that no two half hours of a day are alike
        f"{h:02d}:{m:02d}": round(
            0.15 + 2 * math.sin(math.pi * (h + m / 60) / 24) ** 2 + (h + m / 60) / 48, 6
        )
        for h in range(24)
        for m in (0, 30)
    }
    data = {
        "name": "around_the_clock",
        "start": "2024-09-01",
        "days": 7,
        "interval_s": 1800,
        "volume": {
            "calls_per_day": 4000,
            "intraday": intraday,
            "day_of_week": {
                "sun": 1.3,
                "mon": 1.1,
                "tue": 1.0,
                "wed": 0.95,
                "thu": 0.9,
                "fri": 0.6,
                "sat": 0.75,
            },
        },
        "categories": {
            "employer": {
                "share": 0.8,
                "talk": {"dist": "lognormal", "mean_s": 180, "sd_s": 120},
                "patience": {"dist": "exponential", "mean_s": 120},
            },
            "worker": {
                "share": 0.2,
                "talk": {"dist": "exponential", "mean_s": 240},
                "patience": {"dist": "exponential", "mean_s": 60},
            },
        },
        "staffing": {"agents": 24},
    }
    return scenario_from_dict(data, source="benchmark week")


CPU: dict[str, float] = {}


def timed(func) -> float:
    """Wall seconds of ``func()``; its CPU seconds go to ``CPU["last"]`` (on a machine
    shared with other work, the CPU time is what this process needed)."""
    cpu = time.process_time()
    start = time.perf_counter()
    func()
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - start


def line(what: str, seconds: float, limit: float, cpu: float | None = None) -> None:
    extra = "" if cpu is None else f"   (CPU {cpu * 1000:.0f} ms: {cpu / limit:4.2f} x)"
    print(
        f"{what:<62} {seconds * 1000:9.1f} ms  {seconds / limit:5.2f} x limit ({limit:g} s){extra}"
    )


def main() -> int:
    print("planner benchmark (issue 12); ratios below 1 meet the limit")
    week = whatif.week_from_scenario(around_the_clock_week())
    import os

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    cold, cold_cpu = [], []
    for volume in (1.0, 1.1, 0.9):
        whatif._interval_metrics.cache_clear()
        levers = whatif.Levers(volume=volume)
        cold.append(timed(lambda levers=levers: whatif.erlang_week(week, levers=levers)))
        cold_cpu.append(CPU["last"])
    line(
        "Erlang A, 336 distinct intervals (median of 3, cold)",
        statistics.median(cold),
        LIMIT_ERLANG_S,
        statistics.median(cold_cpu),
    )
    plan = whatif.set_agents(week.agents, {20: 30})
    line(
        "Erlang A, same week after one cell edit",
        timed(lambda: whatif.erlang_week(week, plan, levers)),
        LIMIT_ERLANG_S,
        CPU["last"],
    )

    mol = load_scenario("saudi_mol")
    mol_week = whatif.week_from_scenario(mol, dt.date(2026, 10, 4))
    whatif._interval_metrics.cache_clear()
    line(
        f"Erlang A, saudi_mol week ({sum(1 for o in mol_week.open if o)} open intervals, cold)",
        timed(lambda: whatif.erlang_week(mol_week)),
        LIMIT_ERLANG_S,
        CPU["last"],
    )

    scenario = whatif.whatif_scenario(mol_week)
    calls = whatif.erlang_week(mol_week).totals["calls"]
    with tempfile.TemporaryDirectory() as tmp:
        runner = JobRunner(AppState(Path(tmp) / "app.sqlite"), Path(tmp) / "jobs", workers=2)
        try:
            start = time.perf_counter()
            runner.warm_up()  # as the server does at start-up
            first = runner.submit("bench", "simulate", {"scenario": scenario, "replications": 2})
            runner.wait(first)
            line(
                "Starting the worker pool (a server does it at start-up)",
                time.perf_counter() - start,
                LIMIT_SIMULATE_S,
            )
            for label in ("first run", "second run"):
                start = time.perf_counter()
                job = runner.submit("bench", "simulate", {"scenario": scenario, "replications": 10})
                status = runner.wait(job)
                seconds = time.perf_counter() - start
                assert status["state"] == "done", status["message"]
                line(
                    f"Simulate {calls:,.0f} calls x 10 replications ({label})",
                    seconds,
                    LIMIT_SIMULATE_S,
                )
            start = time.perf_counter()
            job = runner.submit(
                "bench",
                "find_staffing",
                {"scenario": scenario, "targets": ["sl_offered_12>=0.8"], "max_abandon": 0.05},
            )
            status = runner.wait(job)
            seconds = time.perf_counter() - start
            assert status["state"] == "done", status["message"]
            result = runner.result(job)
            line("Find staffing for the week (10 replications a round)", seconds, LIMIT_STAFF_S)
            print(
                f"  plan: {result['agent_hours']:,.1f} agent-hours (Erlang A alone "
                f"{result['erlang_agent_hours']:,.1f}), {result['rounds']} rounds of "
                f"{result['replications']} replications, {len(result['unmet'])} intervals unmet"
            )
        finally:
            runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
