"""`cca forecast`: offered calls (or tickets created) per interval for the days ahead.

    cca forecast --centre bahrain_lmra --horizon 14d --interval 30min --by category
    cca forecast tickets --centre bahrain_lmra --horizon 7d --interval day --format json
    cca forecast --centre anonymous_bank --train 1999-02-01..1999-02-21 --horizon 7d --save
    cca forecast --centre bahrain_lmra --backtest --folds 4
    cca forecast --centre saudi_mol --holiday 2026-03-21=Eid --not-holiday 2026-03-20

Day types (working days, each quiet weekday, public holidays and the days around them,
Ramadan by day of Ramadan with its own intraday profile learnt from the previous Ramadan,
the days around Eid) drive it; see simulation/forecasting/forecast.py. Rows: interval_start, the
--by keys, offered (created), offered_low, offered_high (80% prediction interval).
--save writes it to the store's forecasts table, where `cca roster --week` reads it.
--as-of re-forecasts the rest of that day from its calls so far. --backtest prints
rolling-origin WAPE, MAPE (intervals with >= 10 calls) and the Poisson noise floor per
method, against the seasonal naive forecast (the same interval a week before).
"""

from __future__ import annotations

import datetime as dt
import re

from cca.options import centre, command, instant, output_formats, period


def register(subparsers) -> None:
    p = command(
        subparsers,
        "forecast",
        __doc__,
        "calls offered (tickets created) per interval ahead, with 80%% intervals",
        output_formats("table", "json", "csv"),
        centre(None, "ID"),
    )
    p.add_argument("kind", nargs="?", choices=("calls", "tickets"), default="calls")
    p.add_argument(
        "--train",
        metavar="PERIOD",
        help="training period (a month, a date range, a Hijri month; default: the "
        "history's last 8 weeks)",
    )
    p.add_argument("--horizon", default="14d", help="days ahead: 14d, 2w (default 14d)")
    p.add_argument("--interval", default="30min", choices=("15min", "30min", "60min", "day"))
    p.add_argument("--by", default="", help="breakdown, e.g. category")
    p.add_argument("--method", default="profile", choices=("auto", "profile", "ets", "mstl", "glm"))
    p.add_argument("--level", type=float, default=0.8, help="prediction interval (0.8)")
    p.add_argument(
        "--holiday",
        action="append",
        default=[],
        metavar="DATE[=NAME]",
        help="a holiday the calendar does not know (repeatable; moon sighting moves Eid)",
    )
    p.add_argument(
        "--not-holiday", action="append", default=[], metavar="DATE", help="(repeatable)"
    )
    p.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help="intraday re-forecast: the rest of that day scaled by its calls so far",
    )
    p.add_argument("--save", action="store_true", help="write the forecast to the store")
    p.add_argument("--backtest", action="store_true", help="rolling-origin backtests")
    p.add_argument("--folds", type=int, default=3, help="backtest weeks (default 3)")
    p.set_defaults(handler=handle)


def parse_horizon(text: str) -> int:
    from analytics.errors import UserError

    m = re.match(r"^\s*(\d+)\s*([dw]?)\s*$", text)
    if not m or int(m.group(1)) < 1:
        raise UserError(f"--horizon: {text!r} is not a number of days (14d) or weeks (2w)")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


def _date(text: str, option: str) -> dt.date:
    from analytics.errors import UserError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def handle(args) -> int:
    import sys

    from analytics.centres import UnknownCentre, get_centre
    from analytics.errors import UserError
    from analytics.periods import parse_period
    from analytics.store import Store, StoreError
    from cca.output import emit
    from simulation.forecasting import forecast as fc
    from simulation.forecasting import saved

    horizon = parse_horizon(args.horizon)
    by = tuple(d.strip() for d in args.by.split(",") if d.strip())
    extra = {}
    for text in args.holiday:
        day, _, name = text.partition("=")
        extra[_date(day, "--holiday")] = name.strip() or "holiday"
    removed = frozenset(_date(t, "--not-holiday") for t in args.not_holiday)
    train = period(args.train, "--train") if args.train else None
    if args.folds < 1:
        raise UserError("--folds must be >= 1")
    as_of = instant(args.as_of or None, "--as-of")
    try:
        with Store(args.db).reader() as con:
            centre = get_centre(con, args.centre)
            if args.backtest:
                train_days = train.days if train else 56
                rows = fc.backtest_forecasts(
                    con,
                    centre,
                    train_days=train_days,
                    folds=args.folds,
                    interval=args.interval,
                    kind=args.kind,
                    end=None,
                    extra_holidays=extra,
                    removed_holidays=removed,
                )
                _print_backtest(rows, args.format, emit)
                return 0
            if as_of is not None:
                day = as_of.astimezone(centre.tz).date()
                train = train or parse_period(
                    f"{day - dt.timedelta(days=56)}..{day - dt.timedelta(days=1)}"
                )
            spec = fc.ForecastSpec(
                train=train,
                horizon_days=horizon,
                interval=args.interval,
                by=by,
                method=args.method,
                kind=args.kind,
                extra_holidays=extra,
                removed_holidays=removed,
                level=args.level,
                folds=args.folds,
            )
            result = fc.forecast(con, centre, spec)
            frame = result.frame
            if as_of is not None:
                if by:
                    raise UserError("--as-of re-forecasts the total; leave out --by")
                today = parse_period(day.isoformat())
                got = fc.history_counts(con, centre, today, kind=args.kind, interval=args.interval)
                frame = fc.reforecast_today(
                    frame,
                    got,
                    as_of,
                    value=result.value_column,
                    phi=result.phi,
                    level=args.level,
                )
    except (StoreError, UnknownCentre, ValueError) as exc:
        raise UserError(str(exc)) from None
    if args.save:
        if as_of is not None:
            raise UserError("--save stores a forecast, not an intraday re-forecast")
        with Store(args.db).writer() as con:
            run_id = saved.save_forecast(con, centre, result)
        print(f"saved as forecast run {run_id}", file=sys.stderr)
    scores = ", ".join(f"{m} {w:.1%}" for m, w in result.scores.items() if w is not None)
    print(
        f"{centre.centre_id}: {result.kind} by {result.interval}, method {result.method}"
        + (f" (backtest WAPE: {scores})" if scores else "")
        + f", trained on {result.train.label}, dispersion {result.phi:.3f}",
        file=sys.stderr,
    )
    emit(frame.to_dict("records"), args.format)
    return 0


def _print_backtest(rows, fmt, emit) -> None:
    shown = [
        {
            "method": r["method"],
            "fold": r["fold"],
            "test": r["test"],
            "wape": r["wape"],
            "mape": r["mape"],
            "poisson_floor": r["poisson_floor"],
            "actual": r["actual"],
            "forecast": r["forecast"],
        }
        for r in rows
    ]
    emit(shown, fmt)
