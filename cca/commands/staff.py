"""`cca staff`: the fewest agents per interval that meet the targets, verified by simulation.

    cca staff --scenario example_small --target "sl_offered_12>=0.8" --max-abandon 0.05
    cca staff --scenario bank.toml --target "sl_offered_30>=0.8" --shrinkage 0.3 --format csv

Starts from Erlang A per interval, then simulates the plan (queues carry over between
intervals) and adds agents where an interval misses a target, and takes them away where
there is slack, until every interval is met or cannot be within --max-agents (those are
named, not an error). An interval counts as met when its simulated calls meet the target
by --margin-se standard errors, so a lucky sample does not pass; quiet intervals get more
replications. Simulations run on a local process pool, or on a Dask cluster when
--scheduler or DASK_SCHEDULER_ADDRESS names one. Prints interval, expected calls, Erlang A agents, verified agents,
headcount after shrinkage and the simulated KPIs. The CSV output is also a staffing file:
`cca simulate --scenario ... --staffing plan.csv` runs the plan.
"""

from __future__ import annotations

import argparse
import sys

from cca.cli import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "staff",
        help="staffing plan per interval: Erlang A, verified and corrected by simulation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scenario", required=True, metavar="NAME|FILE", help="scenario to staff")
    p.add_argument(
        "--target",
        action="append",
        default=[],
        help='e.g. "sl_offered_12>=0.8" (repeatable or comma-separated; '
        "default: the scenario's targets)",
    )
    p.add_argument("--max-abandon", type=float, metavar="X", help="cap on the abandon rate")
    p.add_argument("--max-occupancy", type=float, metavar="X", help="cap on occupancy (Erlang)")
    p.add_argument("--shrinkage", type=float, default=0.0, metavar="X", help="share off-phone")
    p.add_argument("--max-agents", type=int, default=500, help="agents per interval at most")
    p.add_argument(
        "--replications",
        type=int,
        default=10,
        help="simulations per round at least (default 10; more, up to --max-replications, "
        "until the quietest interval pools --min-pooled-calls calls)",
    )
    p.add_argument("--max-replications", type=int, default=40, help="(default 40)")
    p.add_argument("--min-pooled-calls", type=float, default=320.0, help="(default 320)")
    p.add_argument(
        "--margin-se",
        type=float,
        default=1.0,
        metavar="Z",
        help="an interval passes when it meets the targets by Z standard errors (default 1)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler for the simulations (default: $DASK_SCHEDULER_ADDRESS, "
        "else a local process pool)",
    )
    p.add_argument("--days", type=int, help="days to plan (default: the scenario's)")
    p.add_argument("--workers", type=int, help="local worker processes (default: one per CPU)")
    p.add_argument("--no-verify", action="store_true", help="Erlang A only, without simulation")
    p.add_argument(
        "--shifts",
        metavar="LENGTHS",
        help="roster the headcount into shifts (the one roster model of `cca roster`: "
        'e.g. "8h:1h-break,6h:30m-break", or "8h,4h" without breaks) starting on the '
        "interval grid, least paid hours; with --format json|csv the shifts are printed "
        "instead of the intervals",
    )
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from cca.output import emit
    from simulation.erlang import parse_target
    from simulation.rostering import parse_shifts
    from simulation.scenario import load_scenario
    from simulation.staffing import staffing_plan

    try:
        scenario = load_scenario(args.scenario)
        if args.days is not None:
            if args.days < 1:
                raise UserError("--days must be >= 1")
            scenario = scenario.with_changes(days=args.days)
        targets = [parse_target(t) for text in args.target for t in text.split(",") if t.strip()]
        lengths = parse_shifts(args.shifts) if args.shifts else None
        plan = staffing_plan(
            scenario,
            targets or None,
            max_abandon=args.max_abandon,
            max_occupancy=args.max_occupancy,
            shrinkage=args.shrinkage,
            max_agents=args.max_agents,
            replications=args.replications,
            seed=args.seed,
            margin_se=args.margin_se,
            min_pooled_calls=args.min_pooled_calls,
            max_replications=args.max_replications,
            scheduler=args.scheduler,
            workers=args.workers,
            verify=not args.no_verify,
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        raise UserError(str(exc)) from None
    try:
        roster = plan.roster(lengths) if lengths else None
    except ValueError as exc:
        raise UserError(f"--shifts: {exc}") from None
    rows = plan.rows()
    if args.format != "table":
        emit(_shift_rows(roster) if roster else rows, args.format)
        _warn_unmet(plan, sys.stderr)
        return 0
    targets_text = ", ".join(str(t) for t in plan.targets)
    verified = (
        f"verified by simulation ({plan.replications} replications, seed {plan.seed}, "
        f"{plan.rounds} rounds, targets met by {plan.margin_se:g} standard error)"
        if plan.sim_kpis
        else "Erlang A only"
    )
    print(f"{plan.scenario.name}: {targets_text}; {verified}")
    table = []
    for r in rows:
        shown = {
            "interval": r["interval_start"].strftime("%a %Y-%m-%d %H:%M"),
            "calls": r["calls"],
            "erlang_a": r["erlang_agents"],
            "agents": r["agents"],
            "headcount": r["headcount"],
        }
        for k in plan.sim_kpis:
            shown[k] = r[k]
        shown["missed"] = r["missed"] or "—"
        table.append(shown)
    emit(table, "table")
    print(
        f"agent-hours: {plan.agent_hours('erlang_agents'):,.1f} by Erlang A, "
        f"{plan.agent_hours():,.1f} verified; shrinkage {plan.shrinkage:g}"
    )
    if roster is not None:
        print(f"\nshifts ({args.shifts}) covering the headcount:")
        emit(
            [
                {
                    "shift": r["shift"],
                    "start": r["start"].strftime("%a %Y-%m-%d %H:%M"),
                    "break": r["break_start"].strftime("%H:%M") if r["break_start"] else "—",
                    "end": r["end"].strftime("%a %H:%M"),
                    "hours": r["hours"],
                    "agents": r["agents"],
                }
                for r in _shift_rows(roster)
            ],
            "table",
        )
        print(
            f"rostered agent-hours: {roster.agent_hours:,.1f} for a headcount of "
            f"{roster.need_hours:,.1f} agent-hours "
            f"({roster.agent_hours / roster.need_hours - 1:+.1%} for whole shifts)"
            if roster.need_hours
            else "no interval needs agents"
        )
    _warn_unmet(plan, sys.stdout)
    return 0


def _shift_rows(roster) -> list[dict]:
    return [
        {
            "shift": s.template.name,
            "start": s.starts_at,
            "end": s.ends_at,
            "break_start": s.break_at,
            "hours": s.intervals * roster.interval_s / 3600,
            "agents": s.agents,
        }
        for s in roster.shifts
    ]


def _warn_unmet(plan, out) -> None:
    if plan.unmet:
        print(
            f"{len(plan.unmet)} interval(s) cannot be met within {plan.max_agents} agents "
            f"or {plan.rounds} rounds:",
            file=out,
        )
        for p in plan.unmet:
            print(f"  {p.start:%a %Y-%m-%d %H:%M}: {', '.join(p.missed)}", file=out)
