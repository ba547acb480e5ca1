"""`cca calibrate`: a scenario of a centre calibrated from its history.

    cca calibrate --centre anonymous_bank --period 1999-02 --out bank.toml
    cca simulate --scenario bank.toml --replications 10

Reads the centre's calls (and staffing) of the period from the store: arrival rates per
weekday × interval × caller category, opening hours, a lognormal handling-time fit and
Kaplan–Meier patience per category, agents per interval. Writes a scenario TOML (the
findings as comments at its top) and prints, per category, the fitted parameters and the
patience estimates next to the naive mean wait of abandoned calls, then where the agents
came from: without a staffing table, how many intervals --staffing-proxy fit read from
their abandonment and how many fell back to busy agents, and the agents against the busy
proxy's (JSON and CSV: the staffing_* keys, the same on every row). --priorities data
gives a caller category whose callers waited far less than those around them the first
place in the queue, far more the last (as `cca backtest` calibrates).
"""

from __future__ import annotations

from pathlib import Path

from analytics.errors import UserError
from cca.options import centre, centre_reader, command, interval_length, output_formats, period

# simulation.calibration.fit's STAFFING_PROXIES, FIT_MIN_CALLS and PRIORITY_MODES, written out so that the
# CLI starts without importing numpy and scipy (a test holds them equal).
STAFFING_PROXIES = ("fit", "busy", "shifts", "answering")
FIT_MIN_CALLS = 50
PRIORITY_MODES = ("none", "data")


def register(subparsers) -> None:
    p = command(
        subparsers,
        "calibrate",
        __doc__,
        "write a scenario calibrated from a centre's history",
        output_formats("table", "json", "csv"),
        centre(),
        interval_length(),
    )
    p.add_argument("--period", required=True, help="2024-09, 2024-09-01..2024-09-30 or 1446-03H")
    p.add_argument("--out", required=True, type=Path, help="scenario TOML to write")
    p.add_argument("--days", type=int, default=7, help="days the scenario simulates (default 7)")
    p.add_argument(
        "--hours",
        choices=("data", "calendar"),
        default="data",
        help="opening hours from where calls arrive (default) or the centre's calendar",
    )
    p.add_argument(
        "--patience",
        choices=("empirical", "exponential"),
        default="empirical",
        help="write Kaplan–Meier patience (default) or its exponential fit",
    )
    p.add_argument(
        "--staffing-proxy",
        choices=STAFFING_PROXIES,
        default="fit",
        help="agents per interval when the store has no staffing: fit (default), the "
        "Erlang A agents that lose each weekday x interval's observed share of abandoned "
        "callers (never below the busy agents, at most a + 4*sqrt(a) + 1 for a load of a "
        f"Erlangs; busy where an interval has fewer than {FIT_MIN_CALLS} calls or no "
        "abandon); busy: busy agents (handling seconds / interval length) at "
        "--occupancy; shifts: each agent's first to last call of the day, less gaps of over "
        "30 minutes without a call; answering: "
        "distinct agents answering",
    )
    p.add_argument(
        "--occupancy",
        type=float,
        default=0.85,
        metavar="X",
        help="occupancy the busy proxy divides by (default 0.85; with fit, in the "
        "intervals it falls back to busy)",
    )
    p.add_argument(
        "--priorities",
        choices=PRIORITY_MODES,
        default="none",
        help="caller categories' priorities: none (default), every caller answered in "
        "order of arrival; data, a category whose callers waited, hour by hour, less than "
        "0.75 times the callers around them is answered first, more than 1.25 times last "
        "(as cca backtest calibrates)",
    )
    p.add_argument("--name", help="scenario name (default: CENTRE_PERIOD)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    import sys

    from cca.output import emit
    from simulation.calibration.fit import calibrate

    months = period(args.period, "--period")
    if args.days < 1:
        raise UserError("--days must be >= 1")
    with centre_reader(args) as (con, settings):
        result = calibrate(
            con,
            settings,
            months,
            interval_s=args.interval_s,
            days=args.days,
            hours=args.hours,
            patience=args.patience,
            name=args.name,
            staffing_proxy=args.staffing_proxy,
            occupancy=args.occupancy,
            priorities=args.priorities,
        )

    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(result.toml, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc}") from None
    print(
        f"wrote {args.out}: scenario {result.scenario.name}, {len(result.categories)} "
        f"categories; staffing from {result.staffing_source}",
        file=sys.stderr,
    )
    staffing = result.staffing_report()
    if args.format != "table":
        # flat records: every category row carries the (same) staffing summary
        emit([{**row, **staffing} for row in result.report()], args.format)
        return 0
    emit(result.report(), "table")
    print()
    print(_staffing_text(staffing, result.interval_s))
    return 0


def _staffing_text(s: dict, interval_s: int) -> str:
    """The staffing summary for people: the proxy, what ``fit`` did per interval."""
    minutes = interval_s // 60
    lines = [
        f"staffing: {s['staffing_proxy']}, {s['staffing_intervals']} open {minutes}-minute "
        f"intervals a week, {s['staffing_agent_hours_week']:,.1f} agent-hours a week"
    ]
    if s["staffing_proxy"] == "fit":
        counts = (
            ("Erlang A on the observed abandonment", "staffing_intervals_fit"),
            ("  held at the busy agents (floor)", "staffing_intervals_fit_floor"),
            ("  held at a + 4 sqrt(a) + 1 (cap)", "staffing_intervals_fit_cap"),
            (f"busy: fewer than {FIT_MIN_CALLS} calls", "staffing_intervals_busy_few_calls"),
            ("busy: no abandons", "staffing_intervals_busy_no_abandons"),
        )
        lines += [f"  {label:<38}{s[key]:>5}" for label, key in counts]
        lines.append(
            f"  busy proxy (same intervals): {s['staffing_busy_agent_hours_week']:,.1f} "
            "agent-hours a week"
        )
        if s["staffing_fitted_agents_mean"] is not None:
            lines.append(
                f"  fitted intervals: {s['staffing_fitted_agents_mean']:.2f} agents on "
                f"average, busy proxy {s['staffing_busy_agents_mean']:.2f}"
            )
    return "\n".join(lines)
