"""Speed of the SimPy model, against Ciw and against the limits of issue 4.

    .venv/bin/python benchmarks/simulation.py [--days 120] [--ciw-days 120] [--seed 1]

1. Single-pool M/M/n+M: 1000 calls per 12-hour day, AHT 240 s, patience 120 s, 8 agents,
   120 days. Simulated calls per second of ``run_replication`` (records included) and of
   Ciw (``pip install -e .[bench]``) on the same queue, measured in this run; the goal is
   a ratio >= 5.
   Beside it, the whole command a planner types for the same calls, ``cca simulate
   --calls 1000 --per 43200 --aht 240 --patience 120 --agents 8 --days 120
   --replications 1`` (start-up, imports, the model, the KPIs through DuckDB and the
   JSON), in a fresh process, against Ciw's simulation of the same calls: goal >= 5x.
2. A month of about 110,000 time-varying calls (the saudi_mol pack when it exists, else a
   stand-in with its published load: 110,000 calls a month, 12 opening hours a day,
   three caller categories, intraday peaks, shifts): the goal is <= 1 s per replication.

Every figure is printed with its ratio to the peer or limit measured in the same run.
Each timing is the best of ``--repeat`` runs, in wall-clock and in CPU seconds of this
process: on a shared machine other processes stretch the wall clock, while the CPU time
is what the simulation itself costs. Verdicts use the CPU time; both are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as `python benchmarks/simulation.py`, this file's folder comes first on sys.path and
# its name would hide the `simulation` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from simulation.queue.model import run_replication  # noqa: E402
from simulation.queue.scenario_file import load_scenario, scenario_from_dict  # noqa: E402


def pool_scenario(days: int):
    """The benchmark's pool: open 08:00-20:00 every day, Poisson arrivals 1000 a day."""
    return scenario_from_dict(
        {
            "name": "bench_pool",
            "days": days,
            "interval_s": 1800,
            "opening_hours": {
                d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            "volume": {"calls_per_day": 1000},
            "categories": {
                "all": {
                    "share": 1.0,
                    "talk": {"dist": "exponential", "mean_s": 240},
                    "patience": {"dist": "exponential", "mean_s": 120},
                }
            },
            "staffing": {"agents": 8},
        },
        source="bench_pool",
    )


def month_scenario():
    try:
        return load_scenario("saudi_mol").with_changes(days=30), "data/scenarios/saudi_mol.toml"
    except FileNotFoundError:
        pass
    hours = {d: ["08:00-20:00"] for d in ("sun", "mon", "tue", "wed", "thu")}
    profile = [0.6, 0.9, 1.2, 1.4, 1.5, 1.5, 1.4, 1.3, 1.2, 1.1, 1.1, 1.1,
               1.0, 1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.6, 0.6, 0.5, 0.5]  # fmt: skip
    intraday = {f"{8 + k // 2:02d}:{30 * (k % 2):02d}": w for k, w in enumerate(profile)}
    lognormal = {"dist": "lognormal", "mean_s": 200, "sd_s": 150}
    data = {
        "name": "saudi_mol_standin",
        "timezone": "Asia/Riyadh",
        "start": "2024-09-01",
        "days": 30,
        "interval_s": 1800,
        "opening_hours": hours,
        "volume": {
            "calls_per_month": 110_000,
            "day_of_week": {"sun": 1.25, "mon": 1.05, "tue": 1.0, "wed": 0.95, "thu": 0.75},
            "intraday": intraday,
        },
        "categories": {
            "employer": {
                "share": 0.8,
                "talk": lognormal,
                "acw": {"dist": "fixed", "value_s": 20},
                "patience": {"dist": "exponential", "mean_s": 120},
            },
            "worker": {
                "share": 0.15,
                "talk": lognormal,
                "patience": {"dist": "exponential", "mean_s": 90},
            },
            "other": {
                "share": 0.05,
                "priority": 1,
                "talk": lognormal,
                "patience": {"dist": "exponential", "mean_s": 60},
            },
        },
        "staffing": {
            "shifts": [
                {"days": list(hours), "start": "08:00", "end": "14:00", "agents": 60},
                {"days": list(hours), "start": "14:00", "end": "20:00", "agents": 45},
                {"days": list(hours), "start": "09:00", "end": "13:00", "agents": 25},
            ]
        },
    }
    return scenario_from_dict(data, source="stand-in"), "a stand-in for saudi_mol (110,000 calls)"


def best_of(repeat: int, run) -> tuple[int, float, float]:
    """(calls, best wall-clock s, best CPU s) over ``repeat`` runs of ``run() -> calls``."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        calls = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return calls, min(walls), min(cpus)


def time_model(scenario, seed: int, repeat: int) -> tuple[int, float, float]:
    scenario.timeline()
    return best_of(repeat, lambda: len(run_replication(scenario, seed)))


def time_ciw(days: int, seed: int, repeat: int) -> tuple[int, float, float]:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=1000 / 43200)],
        service_distributions=[ciw.dists.Exponential(rate=1 / 240)],
        number_of_servers=[8],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1 / 120)],
    )

    def run() -> int:
        ciw.seed(seed)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(days * 43200)  # 12 open hours a day, back to back
        return len(sim.get_all_records())

    return best_of(repeat, run)


def time_command(days: int, repeat: int) -> tuple[int, float, float]:
    """The quick-form ``cca simulate`` in a fresh interpreter: (calls offered, best wall s,
    best CPU s of the child process)."""
    import json
    import os
    import subprocess

    command = [
        sys.executable, "-m", "cca", "simulate", "--calls", "1000", "--per", "43200",
        "--aht", "240", "--patience", "120", "--agents", "8", "--days", str(days),
        "--replications", "1", "--format", "json",
    ]  # fmt: skip
    walls, cpus = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=_HERE.parent)
        out = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if status != 0:
            raise SystemExit(f"cca simulate failed (status {status})")
    (summary,) = json.loads(out)
    return int(summary["offered"]), min(walls), min(cpus)


def print_rate(what: str, calls: int, wall: float, cpu: float) -> None:
    print(
        f"  {what} {calls:,} calls in {wall:.2f} s wall / {cpu:.2f} s CPU = "
        f"{calls / wall:,.0f} / {calls / cpu:,.0f} calls/s"
    )


def print_ratio(what: str, timed: tuple, ciw: tuple) -> None:
    """Calls per second of ``timed`` over Ciw's, wall and CPU, against the goal of 5x."""
    (calls, wall, cpu), (c_calls, c_wall, c_cpu) = timed, ciw
    ratio_wall = (calls / wall) / (c_calls / c_wall)
    ratio_cpu = (calls / cpu) / (c_calls / c_cpu)
    verdict = "OK" if ratio_cpu >= 5 else "BELOW GOAL"
    print(f"  ratio: {what}{ratio_wall:.1f}x Ciw wall, {ratio_cpu:.1f}x CPU (goal >= 5x) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--ciw-days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best counts)")
    args = parser.parse_args()

    print(
        f"M/M/8+M, {args.days} days of 1000 calls (AHT 240 s, patience 120 s), best of {args.repeat}"
    )
    model = time_model(pool_scenario(args.days), args.seed, args.repeat)
    print_rate("SimPy model:", *model)
    ciw = time_ciw(args.ciw_days, args.seed, args.repeat)
    print_rate("Ciw:        ", *ciw)
    print_ratio("", model, ciw)
    command = time_command(args.days, args.repeat)
    print_rate("cca simulate (whole command, fresh process):", *command)
    print_ratio("command ", command, ciw)

    scenario, what = month_scenario()
    calls, wall, cpu = time_model(scenario, args.seed, args.repeat)
    print(f"A month of time-varying calls: {what}, best of {args.repeat}")
    print(
        f"  {calls:,} calls in {wall:.2f} s wall / {cpu:.2f} s CPU per replication "
        f"({cpu / 1.0:.2f} of the 1 s limit) {'OK' if cpu <= 1.0 else 'OVER LIMIT'}"
    )


if __name__ == "__main__":
    main()
