"""`cca intraday`: the rest of today simulated from the queue as it stands.

    cca intraday --centre bahrain_lmra
    cca intraday --centre anonymous_bank --at "1999-02-16 12:00" --arrivals actual
    cca intraday --centre bahrain_lmra --at "2026-09-15 11:00" --change "-2@11:00-17:00" \\
                 --change "+1@13:00-15:00" --format json

Takes a snapshot of the centre at --at (now by default; a time without offset is the
centre's local time): the callers waiting with their elapsed waits, the calls in service
with their elapsed handling and today's calls so far, from the call log. Then simulates
the rest of the day from that state (--replications, 100 by default): callers already
waiting keep their elapsed wait and a patience drawn given that they are still there,
calls in service end after a handling time drawn given what they have taken, new callers
arrive as the re-forecast says (--arrivals forecast: the latest saved forecast of the day,
`cca forecast --save`, times a day-level correction learnt from how far earlier days'
afternoons followed their mornings, shrunk toward none early in the day) or exactly as
they did (--arrivals actual, on a past day: tests the queue model alone), and the agents
of each interval come from --staffing: presence (default; the agents present that day as
read off the log, as `cca backtest` does), table (the store's staffing table), roster (--roster:
a saved roster, `cca roster --format csv` or `json` or the planner's roster CSV, its
shifts less their breaks; or a staffing CSV) or live (the live feed's agent states); --morning scales them by
the factor at which this morning, replayed, answers the share of its calls it did.
The service levels' band carries the queue model's own error (on by default with
--staffing presence or table; --no-model-error leaves it out): how far the model ran off
on the 7 days before, each cut at the start of --at's interval and replayed with its
real calls (simulation/intraday/model_error.py). Learning it takes seconds, once per
day, interval, options and the earlier days' data: it is kept in the app-state store
beside the store (model_errors), so the next run in the same interval reads it.

--change "+2@13:00-17:00" adds two agents from 13:00 to 17:00 (local; "-1@12:00-12:30"
takes one away; write it --change=-1@... so that it is not read as an option: a break
moved is a -1 and a +1, overtime a + after the roster ends);
repeat it for several changes. --suggest finds the smallest change of agents from the
next interval that brings the day to --target (default: 80% within the centre's first
threshold), e.g. "+2@12:30-16:00".

Prints the rest of the day and the whole day (actual so far plus projection), then a row
per remaining interval: the median of replications with the 10th and 90th percentiles.
JSON: one object {"rest_of_day", "day", "intervals", "snapshot"}; each of the first three
carries every call KPI by its name (the median) with <name>_p10 and <name>_p90,
intervals are rows with interval_start, snapshot says what the projection started from.
"""

from __future__ import annotations

import argparse

from analytics.errors import UserError
from cca.options import centre, command, output_formats, seed


def register(subparsers) -> None:
    p = command(
        subparsers,
        "intraday",
        __doc__,
        "simulate the rest of today from the queue as it stands; what-ifs",
        output_formats("table", "json"),
        centre(),
        seed(),
    )
    p.add_argument(
        "--at",
        metavar="TIMESTAMP",
        help="the instant to project from (default now; without offset: centre's local time)",
    )
    p.add_argument(
        "--arrivals",
        choices=("forecast", "actual"),
        default="forecast",
        help="calls after --at: the re-forecast (default) or the day's real ones (a past day)",
    )
    p.add_argument(
        "--staffing",
        choices=("live", "roster", "table", "presence"),
        default="presence",
        help="agents per interval: presence (default, read off the log), table, roster, live",
    )
    p.add_argument(
        "--roster",
        metavar="FILE",
        help="with --staffing roster: a saved roster (cca roster --format csv|json, the "
        "planner's roster CSV) or a staffing CSV",
    )
    p.add_argument(
        "--change",
        action="append",
        default=[],
        metavar='"+2@13:00-17:00"',
        help="agents added (+) or removed (-) over a local time range; repeatable",
    )
    p.add_argument(
        "--target",
        metavar='"sl_offered_12>=0.8"',
        help="the day's target (default: 80%% within the centre's first threshold)",
    )
    p.add_argument(
        "--suggest",
        action="store_true",
        help="also find the smallest change of agents that closes the day at --target",
    )
    p.add_argument(
        "--morning",
        action="store_true",
        help="scale the agents by what this morning's answered share says of them",
    )
    p.add_argument(
        "--model-error",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="widen the service levels' band by the queue model's own error on the 7 days "
        "before (each replayed with its real calls; default on with --staffing presence or "
        "table; learnt once per day and interval and kept in the app-state store)",
    )
    p.add_argument("--replications", type=int, default=100, help="replications (100)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes for the replications and the model error's replays of "
        "earlier days (default 1: this process)",
    )
    p.set_defaults(handler=handle)


def parse_at(text: str | None, centre):
    """--at as an aware instant (local to the centre without an offset); now if None."""
    import datetime as dt

    import pandas as pd

    if text is None:
        return dt.datetime.now(centre.tz)
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise UserError(f"--at {text!r} is not a timestamp like '2026-09-15 11:00'")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(centre.tz)
    return stamp.to_pydatetime()


def handle(args) -> int:
    import json
    import sys

    from analytics.appstate import AppState
    from analytics.centres import UnknownCentre, get_centre
    from analytics.jsonable import jsonable
    from analytics.kpi import call_kpi_names
    from analytics.store import Store, StoreError
    from cca.output import emit
    from simulation.intraday.day import build_plan
    from simulation.intraday.model_error import model_error, widen
    from simulation.intraday.projection import project
    from simulation.intraday.whatif import apply_changes, default_target, parse_change, suggest

    if args.replications < 1:
        raise UserError("--replications must be >= 1")
    learns_error = args.staffing in ("presence", "table")
    if args.model_error and not learns_error:
        raise UserError(
            "--model-error replays the days before with their own agents: use it with "
            "--staffing presence or table"
        )
    with_error = learns_error if args.model_error is None else args.model_error
    try:
        changes = [parse_change(c) for c in args.change]
    except ValueError as exc:
        raise UserError(f"--change: {exc}") from None
    try:
        store = Store(args.db)
        with store.reader() as con:
            centre = get_centre(con, args.centre)
            at = parse_at(args.at, centre)
            plan = build_plan(
                con,
                centre,
                at,
                arrivals=args.arrivals,
                staffing=args.staffing,
                roster=args.roster,
                morning=args.morning,
            )
            error = None
            if with_error:
                error = model_error(
                    con,
                    centre,
                    at,
                    [k for k in call_kpi_names(centre.sl_thresholds_s) if k.startswith("sl_")],
                    interval_s=plan.scenario.interval_s,
                    state=AppState.beside(store.path),
                    workers=max(args.workers, 1),
                    staffing=args.staffing,
                    morning=args.morning,
                )
        target = args.target or default_target(centre)
        plan = apply_changes(plan, changes)
        result = project(plan, args.replications, args.seed, workers=args.workers)
        if error is not None:
            result = widen(result, error)
        suggestion = None
        if args.suggest:
            suggestion = suggest(plan, target, seed=args.seed, workers=args.workers)
    except (StoreError, UnknownCentre, ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    out = result.as_json()
    out["snapshot"]["target"] = target
    out["snapshot"]["changes"] = list(args.change)
    if suggestion is not None:
        out["snapshot"]["suggestion"] = suggestion
    if args.format == "json":

        def clean(v):
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, list):
                return [clean(x) for x in v]
            return jsonable(v)

        json.dump(clean(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    snap = out["snapshot"]
    print(
        f"intraday {centre.centre_id} at {snap['at']}: {snap['waiting']} waiting, "
        f"{snap['in_service']} in service, agents {snap['agents']}; arrivals "
        f"{args.arrivals}"
        + (f" (re-forecast ×{snap['reforecast_scale']:.3f})" if "reforecast_scale" in snap else "")
        + f"; staffing from {snap['staffing']}; {args.replications} replications",
        file=sys.stderr,
    )
    shown = _shown(result.kpi_names, centre)
    rows = []
    for label, part in (("rest of day", out["rest_of_day"]), ("day", out["day"])):
        rows.append({"": label, **_cells(part, shown)})
    emit(rows, "table")
    print()
    emit(
        [
            {
                "interval": r["interval_start"].strftime("%H:%M"),
                "agents": r["agents"],
                **_cells(r, shown),
            }
            for r in out["intervals"]
        ],
        "table",
    )
    if suggestion is not None:
        print(f"\nto close at {target}: {suggestion['words']}", file=sys.stderr)
    return 0


def _shown(names, centre) -> list[str]:
    from analytics.kpi import threshold_label

    first = threshold_label(centre.sl_thresholds_s[0])
    wanted = ["offered", "answer_rate", "abandon_rate", f"sl_offered_{first}", "asa_s"]
    return [n for n in wanted if n in names]


def _cells(row: dict, names) -> dict:
    def fmt(name, v):
        if v is None:
            return "—"
        if name == "offered":
            return f"{v:,.0f}"
        if name.endswith("_s"):
            return f"{v:.1f}"
        return f"{100 * v:.1f}%"

    return {
        n: f"{fmt(n, row.get(n))} [{fmt(n, row.get(n + '_p10'))}–{fmt(n, row.get(n + '_p90'))}]"
        for n in names
    }
