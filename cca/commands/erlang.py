"""`cca erlang c|a`: exact Erlang C / Erlang A KPIs for one interval, or the fewest agents.

Erlang C is the M/M/n queue, Erlang A the M/M/n+M (exponential patience): the KPIs with
--agents, or the fewest agents meeting --target.

    cca erlang c --calls 100 --per 1800 --aht 180 --agents 14 --thresholds 20
    cca erlang a --calls 200 --per 1800 --aht 180 --patience 120 \\
                 --target "sl_offered_20>=0.8" --max-abandon 0.05 --shrinkage 0.3

Prints one object (docs/cli.md): agents, p_wait, occupancy, asa_s, p_abandon, every
service level at each threshold, the answer and abandon rates, and headcount when
--shrinkage is given. With --target it staffs to the fewest agents meeting every
target and cap, or fails naming what cannot be met.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from analytics.errors import UserError
from cca.options import command, output_formats


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError("not a number: nan")
    return value


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"thresholds are seconds separated by commas, e.g. 12,30; got {text!r}"
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "erlang",
        __doc__,
        "exact Erlang C / Erlang A KPIs for one interval, or the agents a target needs",
        output_formats("table", "json"),
    )
    parser.add_argument(
        "model", choices=["c", "a"], help="c: Erlang C; a: Erlang A (needs --patience)"
    )
    parser.add_argument("--calls", type=_number, required=True, help="calls offered per interval")
    parser.add_argument(
        "--per", type=_number, required=True, metavar="SECONDS", help="interval length, seconds"
    )
    parser.add_argument(
        "--aht", type=_number, required=True, metavar="S", help="average handling time, seconds"
    )
    parser.add_argument(
        "--patience", type=_number, metavar="S", help="mean caller patience, seconds (Erlang A)"
    )
    parser.add_argument(
        "--thresholds",
        type=_thresholds,
        default=(12.0, 30.0),
        metavar="T[,T]",
        help="service-level thresholds, seconds (default 12,30)",
    )
    parser.add_argument(
        "--short-abandon-s",
        type=_number,
        default=5.0,
        metavar="S",
        help="abandons with a shorter wait are short abandons (default 5)",
    )
    staffing = parser.add_mutually_exclusive_group(required=True)
    staffing.add_argument("--agents", type=int, metavar="N", help="agents on the phones")
    staffing.add_argument(
        "--target",
        action="append",
        metavar="KPI>=X",
        help='staffing target, e.g. "sl_offered_20>=0.8" or "asa_s<=20" (repeatable or comma-separated)',
    )
    parser.add_argument(
        "--max-occupancy", type=_number, metavar="X", help="cap on occupancy (with --target)"
    )
    parser.add_argument(
        "--max-abandon", type=_number, metavar="X", help="cap on p_abandon (with --target)"
    )
    parser.add_argument(
        "--max-agents",
        type=int,
        default=10_000,
        metavar="N",
        help="largest staffing --target may use (default 10000)",
    )
    parser.add_argument(
        "--shrinkage", type=_number, metavar="X", help="adds headcount = ceil(agents / (1 - X))"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cca.output import emit
    from simulation.formulas import erlang

    if args.model == "a" and args.patience is None:
        raise UserError("Erlang A needs --patience (mean caller patience, seconds)")
    if args.model == "c" and args.patience is not None:
        raise UserError("--patience applies to Erlang A: use `cca erlang a`")
    if args.agents is not None and (args.max_occupancy is not None or args.max_abandon is not None):
        raise UserError("--max-occupancy and --max-abandon are caps for --target staffing")
    if args.shrinkage is not None and not 0 <= args.shrinkage < 1:
        raise UserError(f"--shrinkage must be in [0, 1), got {args.shrinkage:g}")
    patience = args.patience if args.model == "a" else None

    try:
        model = (
            erlang.ErlangA(args.calls, args.per, args.aht, patience)
            if patience is not None
            else erlang.ErlangC(args.calls, args.per, args.aht)
        )
        thresholds = tuple(args.thresholds)
        if args.agents is not None:
            agents = args.agents
        else:
            texts = [part for chunk in args.target for part in chunk.split(",") if part.strip()]
            targets = erlang.staffing_targets(
                [erlang.parse_target(t) for t in texts],
                max_occupancy=args.max_occupancy,
                max_abandon=args.max_abandon,
            )
            thresholds += erlang.target_thresholds(targets)
            found = erlang.required_agents(
                args.calls,
                args.per,
                args.aht,
                targets=targets,
                patience_s=patience,
                max_agents=args.max_agents,
                short_abandon_s=args.short_abandon_s,
            )
            if found is None:
                at_most = model.metrics(
                    args.max_agents, thresholds_s=thresholds, short_abandon_s=args.short_abandon_s
                )
                reasons = erlang.unmet_targets(at_most, targets)
                raise UserError(
                    f"no staffing up to {args.max_agents} agents meets the targets; with "
                    f"{args.max_agents} agents these still fail: " + "; ".join(reasons)
                )
            agents = found
        row = model.metrics(agents, thresholds_s=thresholds, short_abandon_s=args.short_abandon_s)
    except ValueError as exc:
        raise UserError(str(exc)) from None

    if args.shrinkage is not None:
        row["headcount"] = erlang.headcount(agents, args.shrinkage)
    if args.format == "json":
        json.dump(row, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        emit([row], "table")
    return 0
