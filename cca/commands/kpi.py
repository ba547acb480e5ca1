"""`cca kpi calls|tickets|agents`: a centre's KPIs for a period, by dimension and interval.

A thin layer over ``analytics.kpi``: it parses the options, opens the store read-only
and prints the rows (a readable table by default, or JSON / CSV for programs).
``agents`` (``analytics.kpi.agents``, from a live feed's agent states): calls answered,
AHT, occupancy, logged-in and pause time per agent (``--by agent_id``) or team; with
``--roster FILE`` (a roster CSV or a saved ``cca roster`` result) adherence and measured
shrinkage, per ``--interval`` 15min/30min/60min.
"""

from __future__ import annotations

import argparse
import datetime as dt

from cca.options import centre, centre_reader, instant, output_formats

INTERVAL_CHOICES = ("15min", "30min", "60min", "day", "week", "month", "hijri-month")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "kpi",
        parents=[output_formats("table", "json", "csv"), centre("centre id, e.g. bahrain_lmra")],
        help="call or ticket KPIs of a centre for a period",
        description=(
            "Every KPI of docs/kpis.md for one centre and period, optionally by dimension "
            "and interval. Periods: 2024-09, 2024-09-01..2024-09-30, 1446-03H (Hijri), "
            "month runs 2024-01..2024-12, or today, yesterday, this-week, this-month, "
            "last-month (in the centre's time zone)."
        ),
    )
    parser.add_argument("kind", choices=("calls", "tickets", "agents"), help="which KPIs")
    parser.add_argument(
        "--period",
        required=True,
        help="2024-09, 2024-09-01..2024-09-30, 1446-03H (Hijri), 2024-01..2024-12, "
        "today, yesterday, this-week, this-month, last-month, or 'all' for all data",
    )
    parser.add_argument(
        "--by",
        default="",
        help="breakdown: calls by category,topic,queue,site,channel,agent_id; "
        "tickets by category,topic,channel,priority,site,agent_id (comma-separated)",
    )
    parser.add_argument("--interval", choices=INTERVAL_CHOICES, help="one row per interval")
    parser.add_argument(
        "--thresholds", help="service-level thresholds in seconds, e.g. 12,30 (calls)"
    )
    parser.add_argument(
        "--short-abandon-s", type=float, help="short-abandon threshold S in seconds (calls)"
    )
    parser.add_argument(
        "--as-of",
        help="tickets: the instant the report is made, ISO 8601 with offset, e.g. "
        "2024-10-01T09:00+03:00 (default: now); open tickets are judged then",
    )
    parser.add_argument(
        "--roster",
        help="agents: roster for adherence: a CSV (agent_id,start,end,activity[,team]) or a "
        "saved cca roster result (--format csv or json; its seats given to the agents)",
    )
    parser.add_argument(
        "--grace-s",
        type=float,
        default=300.0,
        help="agents: seconds after a scheduled change not counted against adherence (300)",
    )
    from cca.commands.store import add_known_at

    add_known_at(parser)
    parser.set_defaults(handler=run)


def _thresholds(text: str | None) -> tuple[float, ...] | None:
    from analytics.errors import UserError

    if text is None:
        return None
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise UserError(f"--thresholds: {part!r} is not a number of seconds") from None
        if value < 0:
            raise UserError(f"--thresholds: {part!r} is negative")
        values.append(value)
    return tuple(values)


def run(args: argparse.Namespace) -> int:
    from analytics.errors import UserError
    from analytics.kpi import call_kpis, ticket_kpis
    from analytics.periods import RELATIVE_PERIODS, parse_period
    from cca.output import emit

    try:
        relative = args.period.strip().lower() in RELATIVE_PERIODS
        period = None if args.period == "all" or relative else parse_period(args.period)
    except ValueError as exc:
        raise UserError(f"--period: {exc}; or 'all' for all data") from None
    as_of = instant(args.as_of, "--as-of")
    if args.kind == "calls" and as_of is not None:
        raise UserError("--as-of applies to tickets, not calls")
    by = tuple(d.strip() for d in args.by.split(",") if d.strip())
    thresholds = _thresholds(args.thresholds)
    if args.short_abandon_s is not None and args.short_abandon_s < 0:
        raise UserError("--short-abandon-s must be >= 0")
    if args.kind == "tickets" and (thresholds is not None or args.short_abandon_s is not None):
        raise UserError("--thresholds and --short-abandon-s apply to calls, not tickets")
    if args.kind != "agents" and args.roster:
        raise UserError("--roster applies to agents")
    if args.kind == "agents":
        return _agents(args, period, relative, by)
    with centre_reader(args) as (con, settings):
        if relative:  # today, this-month, ...: in the centre's own time zone
            period = parse_period(args.period, dt.datetime.now(settings.tz).date())
        if args.kind == "calls":
            rows = call_kpis(
                con,
                settings,
                period=period,
                by=by,
                interval=args.interval,
                thresholds_s=thresholds,
                short_abandon_s=args.short_abandon_s,
            )
        else:
            rows = ticket_kpis(
                con, settings, period=period, by=by, interval=args.interval, as_of=as_of
            )
    emit(rows, args.format)
    return 0


def _agents(args: argparse.Namespace, period, relative: bool, by: tuple[str, ...]) -> int:
    from analytics.kpi.agents import RosterError, adherence_intervals, agent_kpis, read_roster
    from analytics.periods import parse_period
    from cca.cli import UserError
    from cca.output import emit

    if len(by) > 1 or (by and by[0] not in ("agent_id", "team")):
        raise UserError("agents: --by agent_id or --by team")
    seconds = {"15min": 900, "30min": 1800, "60min": 3600}
    if args.interval and args.interval not in seconds:
        raise UserError("agents: --interval 15min, 30min or 60min")
    if args.interval and not args.roster:
        raise UserError("agents: --interval gives adherence per interval and needs --roster")
    with centre_reader(args, RosterError) as (con, settings):
        if relative:
            period = parse_period(args.period, dt.datetime.now(settings.tz).date())
        if period is None:
            raise UserError("agents: give a --period (e.g. today or 2026-09-07)")
        roster = read_roster(args.roster, settings, con) if args.roster else None
        group = by[0] if by else "agent_id"
        if args.interval:
            rows = adherence_intervals(
                con,
                settings,
                period,
                roster,
                by=group,
                grace_s=args.grace_s,
                interval_s=seconds[args.interval],
            )
        else:
            rows = agent_kpis(con, settings, period, by=group, roster=roster, grace_s=args.grace_s)
    emit(rows, args.format)
    return 0
