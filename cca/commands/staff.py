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

From a saved forecast (`cca forecast --save`) instead of a scenario's volume:

    cca staff --centre anonymous_bank --forecast latest --target "sl_offered_30>=0.8"
    cca staff --centre bahrain_lmra --forecast 3 --from 2026-10-04 --days 7 --no-verify

--forecast RUN_ID|latest staffs a week of that run's intervals (--from: its first day,
default the forecast's first; --days: up to 7): the calls per interval are the
forecast's, everything else (caller categories and their shares of each weekday and
interval, handling times, patience, opening hours) is calibrated from the centre's
calls of --history (default: the forecast's training period), as `cca calibrate` does.
Forecast calls outside the calibrated opening hours are counted and left out. Default
target: 80% of offered calls answered within the centre's first threshold.
"""

from __future__ import annotations

import sys

from analytics.errors import UserError
from cca.options import command, dask_scheduler, output_formats, period, seed, worker_processes


def register(subparsers) -> None:
    p = command(
        subparsers,
        "staff",
        __doc__,
        "staffing plan per interval: Erlang A, verified and corrected by simulation",
        output_formats("table", "json", "csv"),
        worker_processes(),
        seed("seed (default 0)"),
        dask_scheduler(),
    )
    p.add_argument("--scenario", metavar="NAME|FILE", help="scenario to staff")
    p.add_argument(
        "--centre", metavar="ID", help="with --forecast: the centre whose forecast to staff"
    )
    p.add_argument(
        "--forecast",
        nargs="?",
        const="latest",
        metavar="RUN_ID|latest",
        help="staff a saved forecast (`cca forecast --save`) instead of a scenario "
        "(default run: latest)",
    )
    p.add_argument(
        "--from",
        dest="first_day",
        metavar="YYYY-MM-DD",
        help="with --forecast: first day to staff (default: the forecast's first day)",
    )
    p.add_argument(
        "--history",
        metavar="PERIOD",
        help="with --forecast: calls to calibrate handling times, patience and opening "
        "hours from (default: the forecast's training period)",
    )
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
    p.add_argument(
        "--days",
        type=int,
        help="days to plan (default: the scenario's; with --forecast up to 7, default 7)",
    )
    p.add_argument("--no-verify", action="store_true", help="Erlang A only, without simulation")
    p.add_argument(
        "--shifts",
        metavar="LENGTHS",
        help="roster the headcount into shifts (the one roster model of `cca roster`: "
        'e.g. "8h:1h-break,6h:30m-break", or "8h,4h" without breaks) starting on the '
        "interval grid, least paid hours; with --format json|csv the shifts are printed "
        "instead of the intervals",
    )
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from cca.output import emit
    from simulation.formulas.erlang import parse_target
    from simulation.planning.rostering import parse_shifts
    from simulation.planning.staffing import staffing_plan
    from simulation.queue.scenario_file import load_scenario

    try:
        if args.forecast is not None:
            scenario = _forecast_scenario(args)
        elif args.scenario is None:
            raise UserError("give --scenario NAME|FILE, or --centre ID --forecast [RUN_ID|latest]")
        else:
            if args.centre or args.first_day or args.history:
                raise UserError("--centre, --from and --history go with --forecast")
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


def _forecast_scenario(args):
    """The scenario of a saved forecast's week (simulation.forecasting.saved.forecast_scenario)."""
    import datetime as dt

    from analytics.centres import UnknownCentre, get_centre
    from analytics.store import Store, StoreError
    from simulation.forecasting import saved

    if args.scenario:
        raise UserError("--forecast staffs a saved forecast: leave out --scenario")
    if not args.centre:
        raise UserError("--forecast needs --centre ID")
    history = period(args.history, "--history") if args.history else None
    first = None
    if args.first_day:
        try:
            first = dt.date.fromisoformat(args.first_day.strip())
        except ValueError:
            raise UserError(f"--from: {args.first_day!r} is not a date (YYYY-MM-DD)") from None
    try:
        with Store(args.db).reader() as con:
            centre = get_centre(con, args.centre)
            run = saved.forecast_run(con, centre, args.forecast)
            if run.attrs["kind"] != "calls":
                raise UserError(
                    f"forecast run {run.attrs['run_id']} forecasts tickets; staff a calls forecast"
                )
            horizon = run.attrs["horizon"]
            first = first or horizon.start
            if not horizon.start <= first <= horizon.end:
                raise UserError(
                    f"--from {first}: forecast run {run.attrs['run_id']} covers {horizon.label}"
                )
            left = (horizon.end - first).days + 1
            days = args.days if args.days is not None else min(7, left)
            if not 1 <= days <= min(7, left):
                raise UserError(
                    f"--days {days}: a forecast is staffed a week at a time, and run "
                    f"{run.attrs['run_id']} has {left} day(s) from {first} (1 to {min(7, left)})"
                )
            scenario, outside = saved.forecast_scenario(
                con,
                centre,
                run,
                run.attrs["interval"],
                history=history or run.attrs["train"],
                first=first,
                days=days,
            )
    except (StoreError, UnknownCentre) as exc:
        raise UserError(str(exc)) from None
    print(
        f"forecast run {run.attrs['run_id']} ({run.attrs['method']}, trained on "
        f"{run.attrs['train'].label}): {scenario.start}..{scenario.start + dt.timedelta(days=days - 1)}"
        + (
            f"; {outside:,.1f} forecast calls outside the opening hours left out" if outside else ""
        ),
        file=sys.stderr,
    )
    return scenario


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
