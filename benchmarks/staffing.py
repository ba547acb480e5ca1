"""Speed of `cca staff`: a week of 30-minute intervals, verified by simulation.

    .venv/bin/python benchmarks/staffing.py [REPLICATIONS]

The centre: about 25,000 calls a week (a month of the saudi_mol load is about 110,000),
open 07:00–22:00 Saturday to Thursday and 14:00–22:00 on Friday (196 open half hours),
three caller categories with lognormal handling and exponential patience, a day-shaped
intraday curve. Targets sl_offered_12 >= 0.8 and abandon rate <= 0.05, 10 replications
per round (the default). Times the whole command (start-up, Erlang A, every simulation
round, output) and prints it with its ratio to the 60 s limit of issue 4 and to the
bare-sample rule (``--margin-se 0 --min-pooled-calls 0``) timed in the same run, plus
what the plan found.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60.0
DAYS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")


def profile(day: str) -> list[float]:
    """Calls per half hour from midnight: a curve peaking late morning."""
    volume = {"fri": 1500.0, "sat": 4200.0, "sun": 4600.0}.get(day, 3800.0)
    first = 28 if day == "fri" else 14  # 14:00 or 07:00
    out = [0.0] * 48
    weights = {}
    for slot in range(first, 44):
        hour = slot / 2
        weights[slot] = 0.35 + max(0.0, math.sin(math.pi * (hour - 6.5) / 10)) ** 2
    total = sum(weights.values())
    for slot, w in weights.items():
        out[slot] = round(volume * w / total, 3)
    return out


def scenario_toml() -> str:
    def rates(share: float) -> str:
        rows = []
        for d in DAYS:
            values = ", ".join(f"{share * x:.3f}" for x in profile(d))
            rows.append(f"{d} = [{values}]")
        return "{" + ", ".join(rows) + "}"

    hours = "\n".join(f'{d} = ["{"14:00" if d == "fri" else "07:00"}-22:00"]' for d in DAYS)
    categories = ""
    for name, share, talk, patience in (
        ("employer", 0.7, (200, 140), 150),
        ("worker", 0.25, (150, 90), 90),
        ("other", 0.05, (260, 200), 200),
    ):
        categories += (
            f"\n[categories.{name}]\n"
            f'talk = {{dist = "lognormal", mean_s = {talk[0]}, sd_s = {talk[1]}}}\n'
            f'acw = {{dist = "fixed", value_s = 15}}\n'
            f'patience = {{dist = "exponential", mean_s = {patience}}}\n'
            f"rates_by_weekday = {rates(share)}\n"
        )
    return (
        'name = "bench_week"\ntimezone = "Asia/Riyadh"\nstart = 2024-09-07\ndays = 7\n'
        "interval_s = 1800\n"
        f"\n[opening_hours]\n{hours}\n{categories}\n[staffing]\nagents = 1\n"
    )


def run(path: Path, replications: str, extra: list[str]) -> tuple[float, list[dict]]:
    cmd = [
        sys.executable,
        "-m",
        "cca",
        "staff",
        "--scenario",
        str(path),
        "--target",
        "sl_offered_12>=0.8",
        "--max-abandon",
        "0.05",
        "--replications",
        replications,
        "--format",
        "json",
        *extra,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> None:
    replications = sys.argv[1] if len(sys.argv) > 1 else "10"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_week.toml"
        path.write_text(scenario_toml(), encoding="utf-8")
        wall, rows = run(path, replications, [])
        # the rule before intervals were judged by a standard error, for comparison
        bare_wall, bare_rows = run(
            path, replications, ["--margin-se", "0", "--min-pooled-calls", "0"]
        )
    calls = sum(r["calls"] for r in rows)
    erlang = sum(r["erlang_agents"] for r in rows) / 2
    verified = sum(r["agents"] for r in rows) / 2
    bare = sum(r["agents"] for r in bare_rows) / 2
    raised = sum(r["agents"] > r["erlang_agents"] for r in rows)
    lowered = sum(r["agents"] < r["erlang_agents"] for r in rows)
    unmet = sum(bool(r["missed"]) for r in rows)
    print(
        f"cca staff, a week of 30-minute intervals ({len(rows)} open, {calls:,.0f} calls), "
        f"{replications} replications per round, {os.cpu_count()} CPUs:\n"
        f"  {wall:.1f} s  ({wall / LIMIT_S:.2f} × the {LIMIT_S:.0f} s limit; "
        f"{wall / bare_wall:.2f} × the bare-sample rule's {bare_wall:.1f} s)\n"
        f"  agent-hours {erlang:,.1f} by Erlang A, {verified:,.1f} verified "
        f"({verified / bare:.3f} × the bare-sample rule's {bare:,.1f}); "
        f"{raised} intervals raised, {lowered} lowered, {unmet} unmet"
    )


if __name__ == "__main__":
    main()
