"""`cca simulate`: replications of a scenario, or of the quick stationary form.

    cca simulate --scenario example_small --replications 20 --seed 7
    cca simulate --calls 100 --per 1800 --aht 180 --patience 120 --agents 11 --days 2

Prints the mean of every call KPI over the replications with its 95% confidence
interval (``<name>_ci_low``, ``<name>_ci_high``). The quick form is one pool open around
the clock with exponential handling and patience, held against ``cca erlang a``.
"""

from __future__ import annotations

import math

from analytics.errors import UserError
from cca.options import command, dask_scheduler, output_formats, seed, worker_processes

QUICK = ("calls", "per", "aht", "patience", "agents")


def register(subparsers) -> None:
    p = command(
        subparsers,
        "simulate",
        __doc__,
        "simulate a scenario (or a quick stationary pool) with confidence intervals",
        output_formats("table", "json"),
        worker_processes(),
        seed(),
        dask_scheduler(),
    )
    p.add_argument("--scenario", metavar="NAME|FILE", help="data/scenarios/NAME.toml or a file")
    p.add_argument("--calls", type=float, help="quick form: calls per --per seconds")
    p.add_argument("--per", type=float, metavar="SECONDS", help="quick form: period of --calls (s)")
    p.add_argument("--aht", type=float, metavar="S", help="quick form: mean handling time (s)")
    p.add_argument(
        "--patience", type=float, metavar="S", help="quick form: mean patience (s; inf = never)"
    )
    p.add_argument("--agents", type=int, help="quick form: agents")
    p.add_argument("--staffing", metavar="FILE", help="staffing CSV replacing the scenario's")
    p.add_argument("--days", type=int, help="days to simulate (default: the scenario's; quick: 1)")
    p.add_argument("--replications", type=int, default=10, help="replications (default 10)")
    p.add_argument("--thresholds", metavar="T1,T2", help="service-level thresholds in s (12,30)")
    p.add_argument("--short-abandon-s", type=float, metavar="S", help="short-abandon threshold")
    p.set_defaults(handler=handle)


def _thresholds(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise UserError(f"--thresholds {text!r}: give seconds like 12,30") from None
    if not values or any(t < 0 or not math.isfinite(t) for t in values):
        raise UserError(f"--thresholds {text!r}: give seconds >= 0 like 12,30")
    return values


def build_scenario(args):
    """The scenario the arguments describe (quick form or file), with overrides applied."""
    from simulation.queue.scenario import Scenario
    from simulation.queue.scenario_file import load_scenario, staffing_from_csv

    quick = [name for name in QUICK if getattr(args, name) is not None]
    if args.scenario and quick:
        raise UserError("give --scenario or the quick form (--calls ... --agents), not both")
    if not args.scenario and len(quick) != len(QUICK):
        missing = ", ".join(f"--{n}" for n in QUICK if getattr(args, n) is None)
        raise UserError(f"give --scenario NAME|FILE, or the quick form (missing {missing})")
    thresholds = _thresholds(args.thresholds)
    try:
        if args.scenario:
            scenario = load_scenario(args.scenario)
            if args.days is not None:
                scenario = scenario.with_changes(days=args.days)
        else:
            scenario = Scenario.stationary(
                args.calls, args.per, args.aht, args.patience, args.agents, days=args.days or 1
            )
        changes = {}
        if thresholds is not None:
            changes["thresholds_s"] = thresholds
        if args.short_abandon_s is not None:
            changes["short_abandon_s"] = args.short_abandon_s
        if args.staffing:
            changes["staffing"] = staffing_from_csv(args.staffing, scenario)
        return scenario.with_changes(**changes) if changes else scenario
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None


def handle(args) -> int:
    from cca.output import emit
    from simulation.queue.replications import run_replications

    if args.replications < 1:
        raise UserError("--replications must be >= 1")
    if args.days is not None and args.days < 1:
        raise UserError("--days must be >= 1")
    scenario = build_scenario(args)
    try:
        result = run_replications(
            scenario,
            args.replications,
            args.seed,
            scheduler=args.scheduler,
            workers=args.workers,
            keep_records=False,
        )
    except ConnectionError as exc:
        raise UserError(str(exc)) from None
    summary = result.summary
    if args.format == "json":
        emit([summary], "json")
        return 0
    print(
        f"{scenario.name}: {args.replications} replications of {scenario.days} day(s), "
        f"seed {args.seed}; mean and 95% confidence interval"
    )
    emit(
        [
            {
                "kpi": name,
                "mean": summary[name],
                "ci_low": summary[f"{name}_ci_low"],
                "ci_high": summary[f"{name}_ci_high"],
            }
            for name in result.kpi_names
        ],
        "table",
    )
    return 0
