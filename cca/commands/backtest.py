"""`cca backtest`: how well the calibrated model predicts a period it has not seen.

    cca backtest --centre anonymous_bank --train 1999-02-01..1999-02-14 \\
                 --test 1999-02-15..1999-02-28 --replications 10
    cca backtest --centre bahrain_lmra --train 2026-08 --test 2026-09 --format json

Calibrates the model on --train (as `cca calibrate`, with caller categories' priorities
read from their waits), then simulates every day of --test with that day's actual
arrivals per interval and caller category, and the staffing table of those days if the
store has one. Else, when answered calls carry agent ids (--staffing presence, the
default then), the agents present on each test day per interval (first to last call of
each agent's day, less gaps of over 30 minutes without a call) times a share of them
learnt by simulating the training days (--presence-share); else the calibration's agents
per weekday at each day's offered load, keeping their square-root service grade
(--staffing day). No waiting or abandonment of a test day sets its agents. Prints, per
test day and for the whole period, the actual and predicted answer_rate, abandon_rate,
asa_s and sl_offered_T (the centre's thresholds) with the simulation's 95% confidence
interval and the error: percentage points for rates, percent
for ASA. JSON: one object per day and one with "day": "all", keys <kpi>_actual,
<kpi>_predicted, <kpi>_ci_low, <kpi>_ci_high, <kpi>_error.
"""

from __future__ import annotations

from analytics.errors import UserError
from cca.options import (
    centre,
    centre_reader,
    command,
    interval_length,
    output_formats,
    period,
    seed,
    worker_processes,
)


def register(subparsers) -> None:
    p = command(
        subparsers,
        "backtest",
        __doc__,
        "calibrate on one period, simulate another with its arrivals, compare",
        output_formats("table", "json", "csv"),
        worker_processes(),
        centre(),
        seed(),
        interval_length(),
    )
    p.add_argument("--train", required=True, metavar="P1", help="period to calibrate on")
    p.add_argument("--test", required=True, metavar="P2", help="period to predict")
    p.add_argument("--replications", type=int, default=10, help="replications per day (10)")
    p.add_argument(
        "--staffing",
        choices=("presence", "day", "weekday"),
        default=None,
        help="without a staffing table: presence (default when calls carry agent ids), "
        "the agents present on each test day x a share of them (--presence-share); day "
        "(default otherwise), the calibration's agents at "
        "each day's offered load, same square-root service grade; weekday, as calibrated",
    )
    p.add_argument(
        "--presence-share",
        choices=("load", "slot", "period", "weekday_slot"),
        default="load",
        help="with presence staffing, the share of the agents present that the model "
        "staffs: load (default), per class of offered load per agent present, learnt by "
        "simulating the training days; slot, period or weekday_slot, the calibrated "
        "agents over the agents present on the training days per interval of the day, "
        "for the whole period or per weekday and interval",
    )
    p.add_argument(
        "--handling",
        choices=("train", "test"),
        default="test",
        help="handling times per caller category fitted on the test period's own answered "
        "calls (test, default: its workload taken as given, as its arrivals are; a "
        "forecast gives both) or on the training period (train)",
    )
    p.add_argument(
        "--priorities",
        choices=("data", "none"),
        default="data",
        help="caller categories' priorities from their waits (data, default) or none",
    )
    p.set_defaults(handler=handle)


def handle(args) -> int:
    import sys

    from cca.output import emit
    from simulation.calibration.backtest import backtest_model

    if args.replications < 1:
        raise UserError("--replications must be >= 1")
    train, test = period(args.train, "--train"), period(args.test, "--test")
    with centre_reader(args) as (con, settings):
        result = backtest_model(
            con,
            settings,
            train,
            test,
            replications=args.replications,
            seed=args.seed,
            interval_s=args.interval_s,
            staffing=args.staffing,
            handling=args.handling,
            presence_share_by=args.presence_share,
            workers=args.workers,
            calibration_options={"priorities": args.priorities},
        )
    print(
        f"backtest {settings.centre_id}: calibrated on {result.train.label}, simulated "
        f"{result.test.label} ({args.replications} replications a day); staffing from "
        f"{result.staffing_source}",
        file=sys.stderr,
    )
    if args.format != "table":
        emit(result.rows, args.format)
        return 0
    table = []
    for row in result.rows:
        out = {"day": row["day"], "offered": row["offered_actual"]}
        for k in result.kpis:
            out[f"{k} actual"] = row[f"{k}_actual"]
            out[f"{k} predicted"] = row[f"{k}_predicted"]
            out[f"{k} error"] = row[f"{k}_error"]
        table.append(out)
    emit(table, "table")
    print("errors: percentage points for rates, percent for asa_s", file=sys.stderr)
    return 0
