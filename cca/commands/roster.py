"""`cca roster`: shifts with breaks that cover a staffing plan at the least paid hours.

    cca staff --scenario bank.toml --target "sl_offered_30>=0.8" --format csv > plan.csv
    cca roster --plan plan.csv --shifts "8h:1h-break,6h:30m-break"
    cca roster --plan plan.csv --shifts "8h:1h-break" --tours 5x2 --format json
    cca roster --centre bahrain_lmra --week 2026-10-04 --shifts "8h:1h-break,6h:30m-break" \\
               --ramadan-shifts "6h:30m-break" --max-part-time 0.3

An integer programme (scipy.optimize.milp, HiGHS; simulation/planning/rostering.py) chooses how
many agents start each shift at each start time and when each takes the break (within
--break-window, never more than 5 hours without one) so that every interval's need is
covered. The need is the plan's `headcount` column (`cca staff --format csv`; else
`agents`), or, with --centre and --week, the week's saved forecast (`cca forecast
--save`; forecast now if none is saved) turned into agents by Erlang A with the AHT and
patience of the 8 weeks before (--target, --shrinkage). Prints the shifts per start and
break slot, then headcount, paid hours, required agent-hours, over-coverage, the MIP gap
(how far the paid hours can be from the least possible: at most --mip-gap, 0.5% by default,
unless --time-limit stopped the search first) and the intervals that could not be covered. JSON: the
rows (shift, start, break_start, agents, end) and a summary object
(paid_hours, required_agent_hours, over_coverage, gap, uncovered_intervals, headcount,
status), as one object {"shifts": [...], "summary": {...}}; CSV: the rows.
"""

from __future__ import annotations

import datetime as dt

from cca.options import command, output_formats


def register(subparsers) -> None:
    p = command(
        subparsers,
        "roster",
        __doc__,
        "shifts with breaks covering a staffing plan (integer programme)",
        output_formats("table", "json", "csv"),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--plan", metavar="FILE.csv", help="staffing plan (cca staff --format csv)")
    src.add_argument("--centre", metavar="ID", help="roster a week of the centre's forecast")
    p.add_argument("--week", metavar="YYYY-MM-DD", help="first day of the week (with --centre)")
    p.add_argument(
        "--shifts", required=True, help='shift templates, e.g. "8h:1h-break,6h:30m-break"'
    )
    p.add_argument("--start-step", default="30min", help="shift starts every (30min)")
    p.add_argument("--break-window", default="2h-5h", help="break start after shift start")
    p.add_argument("--start-window", metavar="HH:MM-HH:MM", help="shift starts only within")
    p.add_argument("--tours", metavar="5x2", help="weekly tours: days on x consecutive days off")
    p.add_argument("--ramadan-shifts", metavar="TEMPLATES", help="templates on Ramadan days")
    p.add_argument("--max-part-time", type=float, metavar="X", help="share of shorter shifts")
    p.add_argument("--unpaid-breaks", action="store_true", help="breaks are not paid")
    p.add_argument("--time-limit", default="10s", help="solver time limit (10s)")
    p.add_argument(
        "--mip-gap",
        default="0.5%",
        help="stop once proved this close to the least paid hours (0.5%%; 0: prove the optimum)",
    )
    p.add_argument("--target", action="append", default=[], help="with --centre (Erlang A)")
    p.add_argument("--shrinkage", type=float, default=0.0, help="with --centre")
    p.set_defaults(handler=handle)


def read_plan(path) -> tuple[list[dt.datetime], list[int], int]:
    """A staffing plan CSV → (local interval starts from the first day's midnight, need
    per interval, interval seconds). Need: ``headcount``, else ``agents``, else
    ``agents_available``."""
    import pandas as pd

    from analytics.errors import UserError

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"--plan: no file {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"--plan {path}: not a CSV file ({exc})") from None
    if "interval_start" not in frame:
        raise UserError(f"--plan {path}: no column interval_start (cca staff --format csv)")
    column = next((c for c in ("headcount", "agents", "agents_available") if c in frame), None)
    if column is None:
        raise UserError(f"--plan {path}: no column headcount, agents or agents_available")
    starts = []
    for line, text in enumerate(frame["interval_start"], start=2):
        try:
            starts.append(dt.datetime.fromisoformat(str(text)))
        except ValueError:
            raise UserError(
                f"--plan {path}, line {line}, column interval_start: {text!r} is not a time"
            ) from None
    need = []
    for line, value in enumerate(frame[column], start=2):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if pd.isna(number) or number < 0 or not number.is_integer():
            raise UserError(
                f"--plan {path}, line {line}, column {column}: {value!r} is not a whole "
                "number of agents >= 0"
            )
        need.append(int(number))
    if not starts:
        raise UserError(f"--plan {path}: no intervals")
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    starts = [starts[i] for i in order]
    need = [need[i] for i in order]
    gaps = {int((b - a).total_seconds()) for a, b in zip(starts, starts[1:], strict=False)}
    gaps.discard(0)
    import math

    interval_s = math.gcd(*gaps) if gaps else 1800
    if interval_s not in (900, 1800, 3600):
        interval_s = 1800 if interval_s % 1800 == 0 else interval_s
    first = starts[0].replace(hour=0, minute=0, second=0, microsecond=0)
    last = starts[-1]
    grid = []
    t = first
    while t <= last:
        grid.append(t)
        t += dt.timedelta(seconds=interval_s)
    index = {g: i for i, g in enumerate(grid)}
    full = [0] * len(grid)
    for s, v in zip(starts, need, strict=True):
        if s not in index:
            raise UserError(f"--plan {path}: {s.isoformat()} is off the {interval_s} s grid")
        full[index[s]] = v
    return grid, full, interval_s


def _week_need(args, con, centre):
    from analytics.errors import UserError
    from analytics.periods import parse_period
    from simulation.forecasting import forecast as fc
    from simulation.forecasting import saved

    if not args.week:
        raise UserError("--centre needs --week YYYY-MM-DD")
    try:
        first = dt.date.fromisoformat(args.week)
    except ValueError:
        raise UserError(f"--week: {args.week!r} is not a date (YYYY-MM-DD)") from None
    last = first + dt.timedelta(days=6)
    frame = saved.saved_forecast(con, centre, first, last)
    interval = "30min"
    if frame is None or frame.attrs.get("interval") not in ("15min", "30min", "60min"):
        train = parse_period(f"{first - dt.timedelta(days=56)}..{first - dt.timedelta(days=1)}")
        frame = fc.forecast(con, centre, train=train, horizon_days=7).frame
    else:
        interval = frame.attrs["interval"]
    history = parse_period(f"{first - dt.timedelta(days=56)}..{first - dt.timedelta(days=1)}")
    plan = saved.staffing_need(
        con,
        centre,
        frame,
        interval,
        history=history,
        targets=args.target,
        shrinkage=args.shrinkage,
    )
    starts = [t for t in plan["interval_start"]]
    return starts, plan["headcount"].astype(int).tolist(), fc.interval_seconds(interval)


def parse_gap(text: str) -> float:
    """``0.5%`` or ``0.005`` → 0.005; between 0 and 1."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"--mip-gap {text!r}: write it like 0.5% or 0.005") from None
    if not 0 <= value < 1:
        raise ValueError(f"--mip-gap {text!r} must be at least 0 and below 100%")
    return value


def handle(args) -> int:
    from analytics.errors import UserError
    from cca.output import emit
    from simulation.planning import rostering as ro

    try:
        templates = ro.parse_shifts(args.shifts)
        ramadan = ro.parse_shifts(args.ramadan_shifts) if args.ramadan_shifts else ()
        step = ro.parse_duration(args.start_step, "--start-step")
        window = ro.parse_window(args.break_window)
        tours = ro.parse_tours(args.tours) if args.tours else None
        limit = ro.parse_duration(args.time_limit, "--time-limit")
        mip_gap = parse_gap(args.mip_gap)
        start_window = None
        if args.start_window:
            lo, _, hi = args.start_window.partition("-")
            start_window = tuple(
                int(
                    dt.time.fromisoformat(x.strip()).hour * 3600
                    + dt.time.fromisoformat(x.strip()).minute * 60
                )
                for x in (lo, hi)
            )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.plan:
        starts, need, interval_s = read_plan(args.plan)
    else:
        from analytics.centres import UnknownCentre, get_centre
        from analytics.store import Store, StoreError

        try:
            with Store(args.db).reader() as con:
                centre = get_centre(con, args.centre)
                starts, need, interval_s = _week_need(args, con, centre)
        except (StoreError, UnknownCentre, ValueError) as exc:
            raise UserError(str(exc)) from None
    try:
        result = ro.roster(
            need,
            interval_s,
            templates,
            start_step_s=step,
            starts=starts,
            break_window_s=window,
            tours=tours,
            ramadan_shifts=ramadan,
            max_part_time=args.max_part_time,
            start_window_s=start_window,
            time_limit_s=limit,
            paid_breaks=not args.unpaid_breaks,
            mip_gap=mip_gap,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    rows = result.rows()
    summary = result.summary()
    if args.format == "json":
        import json

        from analytics.jsonable import jsonable

        print(
            json.dumps(
                {
                    "shifts": [{k: jsonable(v) for k, v in r.items()} for r in rows],
                    "summary": summary,
                },
                indent=2,
            )
        )
        return 0
    if args.format == "csv":
        emit(rows, "csv")
        return 0
    table = [
        {
            "shift": r["shift"],
            "start": r["start"].strftime("%a %Y-%m-%d %H:%M"),
            "break": r["break_start"].strftime("%H:%M") if r["break_start"] else "—",
            "end": r["end"].strftime("%a %H:%M"),
            "agents": r["agents"],
        }
        for r in rows
    ]
    emit(table, "table")
    oc = summary["over_coverage"]
    print(
        f"headcount {summary['headcount']} ({'people on tours' if tours else 'agent-shifts'}); "
        f"paid hours {summary['paid_hours']:,.1f} for {summary['required_agent_hours']:,.1f} "
        f"required agent-hours; over-coverage "
        + ("—" if oc is None else f"{oc:.1%}")
        + f"; {summary['status']}, MIP gap {summary['gap']:.2%}"
    )
    if result.uncovered:
        print(f"{len(result.uncovered)} interval(s) not covered:")
        for i in result.uncovered:
            print(f"  {starts[i]:%a %Y-%m-%d %H:%M}: {result.coverage[i]} of {need[i]} agents")
    return 0
